"""The keyset: generated locally with owner-only permissions, required in production."""

from __future__ import annotations

import os
import re
import stat
import time
from pathlib import Path

import pytest
import tink
from tink import aead, secret_key_access

from tokens import crypto


def test_missing_keyset_file_is_generated_owner_only_outside_production(keyset_file: Path):
    assert not keyset_file.exists()
    ciphertext = crypto.encrypt(b"secret", b"context")

    assert stat.S_IMODE(keyset_file.stat().st_mode) == 0o600
    assert crypto.decrypt(ciphertext, b"context") == b"secret"
    keyset = crypto.parse_keyset(keyset_file.read_text())
    assert [key.key_id for key in keyset.key] == [keyset.primary_key_id]
    assert keyset.key[0].key_data.type_url.endswith("AesGcmKey")


def test_missing_keyset_file_is_an_error_in_production(settings, keyset_file: Path):
    settings.PRODUCTION = True

    with pytest.raises(crypto.KeysetError, match=re.escape(crypto.KEYSET_FILE_MISSING)):
        crypto.encrypt(b"secret", b"context")
    assert not keyset_file.exists()


def test_keyset_from_the_environment_variable_is_used(settings, keyset_file: Path):
    settings.CONDUIT_KEYSET = crypto.serialize_keyset(crypto.new_keyset())
    keyset = crypto.parse_keyset(settings.CONDUIT_KEYSET)

    ciphertext = crypto.encrypt(b"secret", b"context")

    assert crypto.key_id_of(ciphertext) == keyset.primary_key_id
    assert not keyset_file.exists()


def test_invalid_keyset_is_a_clear_error(settings, keyset_file: Path):
    settings.CONDUIT_KEYSET = '{"primaryKeyId": 1, "key": []}'

    with pytest.raises(crypto.KeysetError, match=re.escape(crypto.KEYSET_INVALID)):
        crypto.encrypt(b"secret", b"context")


def test_other_associated_data_does_not_decrypt(keyset_file: Path):
    ciphertext = crypto.encrypt(b"secret", b"row 1")

    with pytest.raises(crypto.DecryptionError) as raised:
        crypto.decrypt(ciphertext, b"row 2")
    assert "secret" not in str(raised.value)


def test_rewritten_keyset_file_is_picked_up_without_reload(keyset_file: Path):
    old = crypto.encrypt(b"old", b"context")
    keyset, new_key_id = crypto.keyset_add_primary_key(crypto.read_keyset())

    crypto.write_keyset_file(keyset_file, keyset)
    new = crypto.encrypt(b"new", b"context")

    assert crypto.key_id_of(new) == new_key_id != crypto.key_id_of(old)
    assert crypto.decrypt(old, b"context") == b"old"
    assert stat.S_IMODE(keyset_file.stat().st_mode) == 0o600
    assert list(keyset_file.parent.iterdir()) == [keyset_file]  # no temporary file left


def test_keyset_file_written_by_another_process_decrypts_at_once_and_encrypts_after_recheck(
    settings, keyset_file: Path
):
    settings.CONDUIT_KEYSET_RECHECK_SECONDS = 0.3
    old = crypto.encrypt(b"old", b"context")
    keyset, new_key_id = crypto.keyset_add_primary_key(crypto.read_keyset())
    # Another process (rotate_keys elsewhere) replaces the file: no reload_keyset() here.
    temporary = keyset_file.with_name("other-process.tmp")
    temporary.write_text(crypto.serialize_keyset(keyset))
    os.replace(temporary, keyset_file)
    handle = tink.json_proto_keyset_format.parse(crypto.serialize_keyset(keyset),
                                                 secret_key_access.TOKEN)
    from_elsewhere = handle.primitive(aead.Aead).encrypt(b"new", b"context")

    assert crypto.decrypt(from_elsewhere, b"context") == b"new"  # an unknown key id rechecks
    time.sleep(0.35)
    assert crypto.key_id_of(crypto.encrypt(b"x", b"context")) == new_key_id
    assert crypto.decrypt(old, b"context") == b"old"


def test_decryptions_do_not_stat_the_keyset_file_each_time(settings, keyset_file: Path,
                                                           monkeypatch):
    settings.CONDUIT_KEYSET_RECHECK_SECONDS = 60
    ciphertext = crypto.encrypt(b"secret", b"context")
    checks = []
    original = crypto.KeysetSource.fingerprint
    monkeypatch.setattr(crypto.KeysetSource, "fingerprint",
                        lambda self: checks.append(1) or original(self))

    for _ in range(100):
        assert crypto.decrypt(ciphertext, b"context") == b"secret"

    assert len(checks) == 0


def test_primary_key_cannot_be_removed(keyset_file: Path):
    keyset = crypto.read_keyset()

    with pytest.raises(ValueError):
        crypto.keyset_remove_keys(keyset, {keyset.primary_key_id})
