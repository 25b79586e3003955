"""The keyset: generated locally with owner-only permissions, required in production."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

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


def test_primary_key_cannot_be_removed(keyset_file: Path):
    keyset = crypto.read_keyset()

    with pytest.raises(ValueError):
        crypto.keyset_remove_keys(keyset, {keyset.primary_key_id})
