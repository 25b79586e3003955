"""`manage.py rotate_keys`: new primary key, every row re-encrypted, resumable, old keys dropped."""

from __future__ import annotations

import io
import json
import re
import stat
from collections import Counter
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from tests.factories import make_team
from tokens import crypto
from tokens.fields import Sealed
from tokens.management.commands.rotate_keys import OUTPUT_REQUIRED
from tokens.models import ConnectedAccount

ROWS = 1000


@pytest.fixture
def accounts(db, keyset_file: Path) -> dict:
    """1,000 accounts with tokens; returns {pk: (access, refresh, secret)}."""
    team = make_team()
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"rotation{number}") for number in range(ROWS)
    )
    created = ConnectedAccount.objects.bulk_create(
        ConnectedAccount(
            user=user,
            team=team,
            integration="asana",
            access_token=f"access-{number}",
            refresh_token=f"refresh-{number}",
            token_secret=f"secret-{number}" if number % 2 else None,
        )
        for number, user in enumerate(users)
    )
    return {
        account.pk: (account.access_token, account.refresh_token, account.token_secret)
        for account in created
    }


def rotate(*arguments: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("rotate_keys", *arguments, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def stored_key_ids() -> Counter:
    """Key ids of the stored ciphertexts, read from the columns with raw SQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token, token_secret FROM tokens_connectedaccount"
        )
        rows = cursor.fetchall()
    return Counter(Sealed(value).key_id for row in rows for value in row if value is not None)


def keyset_in(path: Path):
    return crypto.parse_keyset(path.read_text())


def all_decrypted() -> dict:
    crypto.reload_keyset()
    return {
        account.pk: (account.access_token, account.refresh_token, account.token_secret)
        for account in ConnectedAccount.objects.all()
    }


def test_rotation_reencrypts_every_row_and_the_old_key_can_then_be_removed(accounts, keyset_file):
    old_key_id = keyset_in(keyset_file).primary_key_id
    values = sum(1 for triple in accounts.values() for value in triple if value)

    _, progress = rotate("--batch-size", "500")

    keyset = keyset_in(keyset_file)
    assert len(keyset.key) == 2 and keyset.primary_key_id != old_key_id
    assert stored_key_ids() == {keyset.primary_key_id: values}
    assert f"] 500/{ROWS} tokens.ConnectedAccount" in progress
    assert f"\r[{'#' * 30}] {ROWS}/{ROWS} tokens.ConnectedAccount" in progress

    output, _ = rotate("--drop-old")

    keyset = keyset_in(keyset_file)
    assert [key.key_id for key in keyset.key] == [keyset.primary_key_id]
    assert f"Removed keys [{old_key_id}]" in output
    assert stat.S_IMODE(keyset_file.stat().st_mode) == 0o600
    assert all_decrypted() == accounts


def test_interrupted_rotation_resumes_without_adding_a_key(accounts, keyset_file):
    rotate("--batch-size", "500", "--limit", "1")
    keyset = keyset_in(keyset_file)
    halfway = stored_key_ids()
    assert len(keyset.key) == 2
    assert len(halfway) == 2 and 0 < halfway[keyset.primary_key_id] < sum(halfway.values())

    output, _ = rotate("--batch-size", "500")

    assert "did not finish" in output
    assert keyset_in(keyset_file) == keyset
    assert set(stored_key_ids()) == {keyset.primary_key_id}
    assert all_decrypted() == accounts


def test_resume_after_a_finished_rotation_changes_nothing(accounts, keyset_file):
    rotate()
    keyset = keyset_in(keyset_file)
    before = stored_key_ids()

    output, _ = rotate("--resume")

    assert keyset_in(keyset_file) == keyset
    assert stored_key_ids() == before
    assert f"Re-encrypted 0 values in 0 of {ROWS} rows" in output


def test_rotation_after_a_finished_one_adds_another_key(accounts, keyset_file):
    rotate()
    rotate()

    keyset = keyset_in(keyset_file)
    assert len(keyset.key) == 3
    assert set(stored_key_ids()) == {keyset.primary_key_id}
    assert all_decrypted() == accounts


def test_dropping_old_keys_keeps_those_still_in_use(accounts, keyset_file):
    old_key_id = keyset_in(keyset_file).primary_key_id
    rotate("--batch-size", "500", "--limit", "1")

    output, _ = rotate("--drop-old")

    assert old_key_id in {key.key_id for key in keyset_in(keyset_file).key}
    assert f"Kept old keys still in use: {old_key_id}" in output
    assert all_decrypted() == accounts


@pytest.mark.django_db(transaction=True)
def test_failed_rotation_keeps_finished_batches_and_resumes(accounts, keyset_file):
    """A crash in the second batch: the first stays committed, the next run finishes the job."""
    old_key_id = keyset_in(keyset_file).primary_key_id
    first_pk, broken_pk = sorted(accounts)[0], sorted(accounts)[700]
    # Another row's ciphertext: under the old key, and undecryptable in this row.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tokens_connectedaccount SET access_token = "
            "(SELECT access_token FROM tokens_connectedaccount WHERE id = %s) WHERE id = %s",
            [first_pk, broken_pk],
        )

    with pytest.raises(CommandError, match=re.escape(f"row {broken_pk}")):
        rotate("--batch-size", "500")
    keyset = keyset_in(keyset_file)
    after_crash = stored_key_ids()
    assert keyset.primary_key_id != old_key_id
    assert after_crash[keyset.primary_key_id] > 0 and after_crash[old_key_id] > 0

    ConnectedAccount.objects.filter(pk=broken_pk).update(access_token=None)
    rotate("--batch-size", "500")

    assert keyset_in(keyset_file) == keyset
    assert set(stored_key_ids()) == {keyset.primary_key_id}
    expected = {**accounts, broken_pk: (None,) + accounts[broken_pk][1:]}
    assert all_decrypted() == expected


def test_keyset_from_the_environment_is_rotated_through_an_output_file(
    settings, accounts, keyset_file, tmp_path
):
    settings.CONDUIT_KEYSET = keyset_file.read_text()
    old_key_id = keyset_in(keyset_file).primary_key_id
    new_keyset_path = tmp_path / "next-keyset.json"

    with pytest.raises(CommandError, match=re.escape(OUTPUT_REQUIRED)):
        rotate()
    output, _ = rotate("--output", str(new_keyset_path))

    new_keyset = keyset_in(new_keyset_path)
    assert stat.S_IMODE(new_keyset_path.stat().st_mode) == 0o600
    assert len(new_keyset.key) == 2 and new_keyset.primary_key_id != old_key_id
    assert set(stored_key_ids()) == {old_key_id}  # nothing re-encrypted before the deploy
    assert "rotate_keys --resume" in output

    settings.CONDUIT_KEYSET = json.dumps(json.loads(new_keyset_path.read_text()))
    rotate("--resume")

    assert set(stored_key_ids()) == {new_keyset.primary_key_id}
    assert all_decrypted() == accounts


def test_force_new_key_adds_a_key_even_when_a_rotation_did_not_finish(make_account, keyset_file):
    tokens = {
        make_account(access_token=f"token-{number}").pk: f"token-{number}" for number in range(3)
    }
    rotate("--batch-size", "1", "--limit", "1")
    assert len(keyset_in(keyset_file).key) == 2

    rotate("--force-new-key")

    keyset = keyset_in(keyset_file)
    assert len(keyset.key) == 3
    assert set(stored_key_ids()) == {keyset.primary_key_id}
    crypto.reload_keyset()
    assert {
        account.pk: account.access_token for account in ConnectedAccount.objects.all()
    } == tokens
