"""EncryptedTextField: round trip, nothing readable at rest, ciphertexts bound to row and field."""

from __future__ import annotations

import pickle
import re
import uuid

import pytest
from django.db import connection, models, transaction
from django.test.utils import isolate_apps

from tokens import crypto
from tokens.fields import (
    PLAINTEXT_IN_QUERY,
    PRIMARY_KEY_REQUIRED,
    EncryptedFieldError,
    EncryptedTextField,
    seal,
)
from tokens.models import ConnectedAccount

ACCESS = "1/1234567890:abcdefAccessTokenValue"
REFRESH = "1/9876543210:zyxwvuRefreshTokenValue"


def raw_columns(pk: uuid.UUID) -> dict[str, str | None]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token, token_secret FROM tokens_connectedaccount "
            "WHERE id = %s",
            [pk],
        )
        access, refresh, secret = cursor.fetchone()
    return {"access_token": access, "refresh_token": refresh, "token_secret": secret}


def set_raw_column(pk: uuid.UUID, column: str, value: str | None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE tokens_connectedaccount SET {column} = %s WHERE id = %s", [value, pk]
        )


def test_tokens_round_trip(make_account):
    account = make_account(access_token=ACCESS, refresh_token=REFRESH)

    loaded = ConnectedAccount.objects.get(pk=account.pk)

    assert loaded.access_token == ACCESS
    assert loaded.refresh_token == REFRESH
    assert loaded.token_secret is None


def test_database_column_holds_no_plaintext(make_account):
    account = make_account(access_token=ACCESS, refresh_token=REFRESH)

    columns = raw_columns(account.pk)

    for column, plaintext in (("access_token", ACCESS), ("refresh_token", REFRESH)):
        assert columns[column]
        assert plaintext not in columns[column]
        assert "abcdef" not in columns[column] and "zyxwvu" not in columns[column]


def test_ciphertext_moved_to_another_row_does_not_decrypt(make_account):
    first = make_account(access_token=ACCESS)
    second = make_account(access_token="another token")
    set_raw_column(second.pk, "access_token", raw_columns(first.pk)["access_token"])

    moved = ConnectedAccount.objects.get(pk=second.pk)

    with pytest.raises(crypto.DecryptionError) as raised:
        moved.access_token  # noqa: B018
    assert ACCESS not in str(raised.value)
    assert str(second.pk) in str(raised.value)


def test_ciphertext_moved_to_another_field_does_not_decrypt(make_account):
    account = make_account(access_token=ACCESS)
    set_raw_column(account.pk, "refresh_token", raw_columns(account.pk)["access_token"])

    moved = ConnectedAccount.objects.get(pk=account.pk)

    assert moved.access_token == ACCESS
    with pytest.raises(crypto.DecryptionError, match="refresh_token"):
        moved.refresh_token  # noqa: B018


def test_altered_ciphertext_does_not_decrypt(make_account):
    account = make_account(access_token=ACCESS)
    stored = raw_columns(account.pk)["access_token"]
    flipped = stored[:20] + ("A" if stored[20] != "A" else "B") + stored[21:]
    set_raw_column(account.pk, "access_token", flipped)

    with pytest.raises(crypto.DecryptionError):
        ConnectedAccount.objects.get(pk=account.pk).access_token  # noqa: B018


def test_none_and_empty_are_stored_as_null(make_account):
    account = make_account(access_token="", refresh_token=None)

    assert raw_columns(account.pk) == {
        "access_token": None,
        "refresh_token": None,
        "token_secret": None,
    }
    loaded = ConnectedAccount.objects.get(pk=account.pk)
    assert loaded.access_token is None and loaded.refresh_token is None


def test_saving_without_touching_a_token_keeps_its_ciphertext(make_account):
    account = make_account(access_token=ACCESS)
    before = raw_columns(account.pk)["access_token"]

    loaded = ConnectedAccount.objects.get(pk=account.pk)
    loaded.provider_account_name = "Renamed"
    loaded.save()

    assert raw_columns(account.pk)["access_token"] == before


def test_assigned_token_is_encrypted_again_on_save(make_account):
    account = make_account(access_token=ACCESS)
    before = raw_columns(account.pk)["access_token"]

    account.access_token = "rotated by the provider"
    account.save()

    assert raw_columns(account.pk)["access_token"] != before
    assert ConnectedAccount.objects.get(pk=account.pk).access_token == "rotated by the provider"


def test_row_copied_under_a_new_primary_key_is_encrypted_for_it(make_account):
    original = make_account(access_token=ACCESS)
    copy = ConnectedAccount.objects.get(pk=original.pk)
    copy.pk = uuid.uuid4()
    copy.integration = "jira_server"
    copy._state.adding = True

    copy.save()

    assert ConnectedAccount.objects.get(pk=copy.pk).access_token == ACCESS
    assert raw_columns(copy.pk)["access_token"] != raw_columns(original.pk)["access_token"]


def test_deferred_token_is_loaded_and_decrypted_on_access(make_account):
    account = make_account(access_token=ACCESS)

    loaded = ConnectedAccount.objects.defer("access_token").get(pk=account.pk)

    assert loaded.access_token == ACCESS


def test_queries_refuse_plaintext(make_account):
    account = make_account(access_token=ACCESS)

    with pytest.raises(EncryptedFieldError, match=re.escape(PLAINTEXT_IN_QUERY)):
        ConnectedAccount.objects.filter(access_token=ACCESS).exists()
    with pytest.raises(EncryptedFieldError, match=re.escape(PLAINTEXT_IN_QUERY)):
        with transaction.atomic():
            ConnectedAccount.objects.filter(pk=account.pk).update(access_token="plaintext")
    assert raw_columns(account.pk)["access_token"] != "plaintext"


def test_null_lookups_work(make_account):
    with_token = make_account(access_token=ACCESS)
    without_token = make_account()

    assert list(ConnectedAccount.objects.filter(access_token=None)) == [without_token]
    assert list(ConnectedAccount.objects.filter(access_token__isnull=False)) == [with_token]


def test_loaded_values_never_show_plaintext(make_account):
    account = make_account(access_token=ACCESS)
    loaded = ConnectedAccount.objects.get(pk=account.pk)
    loaded.access_token  # noqa: B018  (decrypted and cached)

    pickled = pickle.dumps(loaded)

    assert ACCESS not in repr(ConnectedAccount.objects.values("access_token").get())
    assert ACCESS not in repr(loaded.__dict__)
    assert ACCESS.encode() not in pickled
    assert pickle.loads(pickled).access_token == ACCESS


def test_sealing_needs_a_primary_key():
    field = ConnectedAccount._meta.get_field("access_token")

    with pytest.raises(EncryptedFieldError, match=re.escape(PRIMARY_KEY_REQUIRED)):
        seal(field, None, ACCESS)


def test_tokens_are_not_in_forms():
    from django.forms import modelform_factory

    form = modelform_factory(ConnectedAccount, exclude=[])

    assert not {"access_token", "refresh_token", "token_secret"} & set(form.base_fields)


@isolate_apps("tokens")
def test_model_whose_primary_key_comes_from_the_database_gets_a_warning():
    class DatabaseKeyed(models.Model):
        secret = EncryptedTextField(null=True)

        class Meta:
            app_label = "tokens"

        def __str__(self) -> str:
            return "database-keyed row"

    messages = DatabaseKeyed._meta.get_field("secret").check()

    assert [message.id for message in messages] == ["tokens.W001"]


def test_connected_account_passes_the_encrypted_field_checks():
    for name in ("access_token", "refresh_token", "token_secret"):
        assert ConnectedAccount._meta.get_field(name).check() == []
