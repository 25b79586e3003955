"""The refresh's row statements as SQL written once per database, not compiled per call.

The sweep refreshes thousands of accounts a minute, in groups whose rows are locked together
and written with one round trip: built by the ORM, compiling these statements (filters,
ordering, the model's save) was most of a refresh's CPU. These are the same statements, kept
as strings; values still pass through each field's own conversion, so encrypted columns hold
ciphertexts bound to their row and datetimes are stored as Django stores them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connections, router

from config.encryption.fields import EncryptedTextField, seal
from tokens import account_cache
from tokens.models import ConnectedAccount

# What the sweep's refresh reads under its lock; the rest of the row stays deferred.
LOCKED_COLUMNS = ("id", "user_id", "team_id", "integration", "status", "access_token",
                  "refresh_token", "expires_at", "scopes", "refresh_attempt_started_at",
                  "consecutive_failures")


def _connection() -> Any:
    return connections[router.db_for_write(ConnectedAccount)]


@cache
def _lock_sql(vendor: str, for_update: bool, count: int) -> str:
    connection = connections[router.db_for_write(ConnectedAccount)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in LOCKED_COLUMNS)
    placeholders = ", ".join(["%s"] * count)
    # Only the model's own quoted names are interpolated; the values are parameters.
    sql = (f"SELECT {columns} FROM {quote(ConnectedAccount._meta.db_table)} "  # noqa: S608
           f"WHERE {quote('id')} IN ({placeholders}) ORDER BY {quote('id')}")
    return sql + " FOR UPDATE" if for_update else sql  # SQLite: the write lock is the lock


def _pk(account_id: Any) -> Any:
    field = ConnectedAccount._meta.pk
    return field.get_db_prep_value(field.to_python(account_id), _connection())


def account_lock(account_id: Any) -> ConnectedAccount | None:
    """The account's row, locked (SELECT ... FOR UPDATE, inside the caller's transaction) and
    read into a model whose other columns are deferred; None when there is no such row."""
    rows = accounts_lock([account_id])
    return rows[0] if rows else None


def accounts_lock(account_ids: list[Any]) -> list[ConnectedAccount]:
    """The rows of these accounts that exist, locked in the order of their ids (two callers
    locking overlapping groups never wait for each other in a cycle), read as account_lock's."""
    connection = _connection()
    sql = _lock_sql(connection.vendor, bool(connection.features.has_select_for_update),
                    len(account_ids))
    return list(ConnectedAccount.objects.raw(sql, [_pk(account_id) for account_id in account_ids]))


@cache
def _update_sql(vendor: str, columns: tuple[str, ...], count: int = 1) -> str:
    quote = _connection().ops.quote_name
    assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
    where = "= %s" if count == 1 else f"IN ({', '.join(['%s'] * count)})"
    return (f"UPDATE {quote(ConnectedAccount._meta.db_table)} SET {assignments} "  # noqa: S608
            f"WHERE {quote('id')} {where}")


def _row_params(connection: Any, account: ConnectedAccount, values: dict[str, Any]) -> list[Any]:
    params = []
    for name, value in values.items():
        field = ConnectedAccount._meta.get_field(name)
        if isinstance(field, EncryptedTextField):
            params.append(None if value is None else str(seal(field, account.pk, value)))
        else:
            params.append(field.get_db_prep_save(value, connection))
    params.append(_pk(account.pk))
    return params


def _columns(values: dict[str, Any]) -> tuple[str, ...]:
    return tuple(ConnectedAccount._meta.get_field(name).column for name in values)


def _set(account: ConnectedAccount, values: dict[str, Any]) -> None:
    """The written values on `account` too; a new token drops this process's kept copy."""
    for name, value in values.items():
        setattr(account, name, value)
    if "access_token" in values:
        account_cache.account_refreshed(account)


def account_row_update(account: ConnectedAccount, **values: Any) -> None:
    """One UPDATE of the given columns of the account's row (an encrypted value is given as
    plaintext and sealed for this row), and the same values set on `account`."""
    connection = _connection()
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(connection.vendor, _columns(values)),
                       _row_params(connection, account, values))
    _set(account, values)


def account_rows_update(updates: list[tuple[ConnectedAccount, dict[str, Any]]]) -> None:
    """account_row_update of many rows, each with its own values, as one executemany per set of
    columns: psycopg sends it as one pipeline (one round trip to PostgreSQL, not one per row)."""
    connection = _connection()
    by_columns: dict[tuple[str, ...], list[list[Any]]] = {}
    for account, values in updates:
        by_columns.setdefault(_columns(values), []).append(
            _row_params(connection, account, values))
    with connection.cursor() as cursor:
        for columns, params in by_columns.items():
            cursor.executemany(_update_sql(connection.vendor, columns), params)
    for account, values in updates:
        _set(account, values)


def accounts_update(account_ids: list[Any], **values: Any) -> None:
    """One UPDATE of the same values (no encrypted column) on the rows of these accounts: raw
    like the others, so a refresh's bookkeeping drops no process's kept accounts."""
    connection = _connection()
    fields = [ConnectedAccount._meta.get_field(name) for name in values]
    params = [field.get_db_prep_save(value, connection)
              for field, value in zip(fields, values.values(), strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(connection.vendor, _columns(values), len(account_ids)),
                       params + [_pk(account_id) for account_id in account_ids])
