"""Key rotation services behind `manage.py rotate_keys`: re-encrypt every encrypted value under
the keyset's primary key, and find which keys stored values still use.

Re-encryption is idempotent, hence resumable: a value whose tink output prefix already names the
primary key is skipped, so a run stopped anywhere (a crash, `--limit`) is finished by running
again. Each batch is one transaction that locks its rows (SELECT ... FOR UPDATE), so a request
saving the same row waits for the batch instead of racing it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import models, transaction

from config.process_cache import forget_every_cache
from tokens import crypto
from tokens.fields import EncryptedTextField, Sealed, encrypted_fields, seal, unseal

SCAN_CHUNK_SIZE = 2000
UNDECRYPTABLE = (
    "Rotation stopped at {label}.{field}, row {pk}: the stored value does not decrypt with the "
    "keyset (see tokens.crypto.DecryptionError). Earlier batches are committed; fix or clear "
    "that value, then run rotate_keys --resume."
)

ProgressCallback = Callable[[str, int, int], None]


@dataclass
class RotationResult:
    rows_seen: int = 0
    rows_reencrypted: int = 0
    values_reencrypted: int = 0
    stopped_at_limit: bool = False


def fields_by_model() -> dict[type[models.Model], list[EncryptedTextField]]:
    grouped: dict[type[models.Model], list[EncryptedTextField]] = defaultdict(list)
    for field in encrypted_fields():
        grouped[field.model].append(field)
    return dict(grouped)


def _stored_values(
    model: type[models.Model], fields: list[EncryptedTextField]
) -> Iterator[tuple[EncryptedTextField, Sealed]]:
    rows = model._base_manager.order_by().values_list(*(field.attname for field in fields))
    for row in rows.iterator(chunk_size=SCAN_CHUNK_SIZE):
        for field, value in zip(fields, row, strict=True):
            if isinstance(value, Sealed):
                yield field, value


def key_ids_in_use() -> Counter[int | None]:
    """How many stored values each key id encrypts (None: values without a tink prefix)."""
    counts: Counter[int | None] = Counter()
    for model, fields in fields_by_model().items():
        counts.update(value.key_id for _, value in _stored_values(model, fields))
    return counts


def values_not_under(key_id: int) -> bool:
    """Whether any stored value is encrypted under another key (stops at the first one)."""
    for model, fields in fields_by_model().items():
        for _, value in _stored_values(model, fields):
            if value.key_id != key_id:
                return True
    return False


def _reencrypt_batch(
    *,
    model: type[models.Model],
    fields: list[EncryptedTextField],
    after_pk: object,
    batch_size: int,
    primary_key_id: int,
    result: RotationResult,
) -> object:
    """Re-encrypt one batch of rows (ordered by pk, after `after_pk`); the batch's last pk."""
    manager = model._base_manager
    reencrypted_before = result.rows_reencrypted
    with transaction.atomic(using=manager.db):
        rows = manager.select_for_update().order_by("pk")
        if after_pk is not None:
            rows = rows.filter(pk__gt=after_pk)
        batch = list(rows.values_list("pk", *(field.attname for field in fields))[:batch_size])
        for pk, *values in batch:
            changes = {}
            for field, value in zip(fields, values, strict=True):
                if not isinstance(value, Sealed) or value.key_id == primary_key_id:
                    continue
                try:
                    plaintext = unseal(field, pk, value.ciphertext)
                except crypto.DecryptionError as error:
                    message = UNDECRYPTABLE.format(label=model._meta.label, field=field.name, pk=pk)
                    raise crypto.DecryptionError(message) from error
                changes[field.attname] = seal(field, pk, plaintext)
            if changes:
                manager.filter(pk=pk).update(**changes)
                result.rows_reencrypted += 1
                result.values_reencrypted += len(changes)
        result.rows_seen += len(batch)
    if result.rows_reencrypted > reencrypted_before:
        # Rows kept in processes' memory (config.process_cache) hold the old ciphertexts, which
        # a key retired next would no longer open.
        forget_every_cache()
    return batch[-1][0] if batch else None


def reencrypt_all(
    *,
    batch_size: int = 500,
    limit: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> RotationResult:
    """Re-encrypt, model by model and batch by batch, every value not under the primary key.

    Idempotent and resumable (already re-encrypted values are skipped). With `limit`, stops at
    the end of the first batch that brings the re-encrypted rows to `limit` or more.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    crypto.reload_keyset()
    primary_key_id = crypto.primary_key_id()
    result = RotationResult()
    for model, fields in sorted(fields_by_model().items(), key=lambda item: item[0]._meta.label):
        label = model._meta.label
        total = model._base_manager.count()
        seen_before = result.rows_seen
        after_pk = None
        if on_progress:
            on_progress(label, 0, total)
        while True:
            after_pk = _reencrypt_batch(
                model=model,
                fields=fields,
                after_pk=after_pk,
                batch_size=batch_size,
                primary_key_id=primary_key_id,
                result=result,
            )
            if after_pk is None:
                break
            if on_progress:
                done = result.rows_seen - seen_before
                on_progress(label, done, max(total, done))
            if limit is not None and result.rows_reencrypted >= limit:
                result.stopped_at_limit = True
                return result
    return result
