"""The AEAD behind Conduit's encrypted fields: one tink AES256_GCM keyset from the environment.

The keyset is `settings.CONDUIT_KEYSET` (tink's cleartext JSON keyset) when set, else the file
`settings.CONDUIT_KEYSET_FILE`. Outside production a missing file is generated at first use (mode
0600, created exclusively so two processes never write two keysets); in production it is an error.

The primitive is cached per process. A use compares the keyset source with the cached one (the
setting's value every time; the file's `stat` at most once per CONDUIT_KEYSET_RECHECK_SECONDS,
and at once when a ciphertext names a key the cache does not hold), so a keyset file rewritten by
`manage.py rotate_keys` is picked up by every running process without a restart: they decrypt
values under the new key at once and encrypt under the new primary within that interval. This
process's own writes drop the cache at once, as `reload_keyset()` does.

Ciphertexts carry tink's 5-byte output prefix (0x01 + the 4-byte big-endian key id), which is how
rotation tells which key a stored value is under without decrypting it
(https://developers.google.com/tink/wire-format#tink_output_prefix).
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import tink
from django.conf import settings
from tink import aead, secret_key_access
from tink.proto import tink_pb2

KEY_TEMPLATE = aead.aead_key_templates.AES256_GCM
TINK_PREFIX_BYTE = 0x01
PREFIX_SIZE = 5

KEYSET_NOT_CONFIGURED = (
    "No keyset: set CONDUIT_KEYSET (a tink JSON keyset) or CONDUIT_KEYSET_FILE (its path)."
)
KEYSET_FILE_MISSING = (
    "The keyset file named by CONDUIT_KEYSET_FILE does not exist; production never generates "
    "a keyset: restore the file or point CONDUIT_KEYSET_FILE at it."
)
KEYSET_INVALID = "The configured keyset is not a valid tink AEAD keyset in JSON format."
KEYSET_NOT_WRITABLE = (
    "The keyset comes from the CONDUIT_KEYSET environment variable, which cannot be rewritten: "
    "write the new keyset to a file (--output) and deploy it."
)
DECRYPTION_FAILED = (
    "The value could not be decrypted: it was not encrypted for this row and field, it was "
    "altered, or its key is not in the keyset."
)

aead.register()


class KeysetError(Exception):
    """The keyset is missing, unreadable or not an AEAD keyset. Never carries key material."""

    code = "keyset_error"


class DecryptionError(Exception):
    """A ciphertext did not authenticate. Never carries plaintext or ciphertext."""

    code = "decryption_failed"


@dataclass(frozen=True)
class KeysetSource:
    """Where the keyset lives: the environment variable's value, or a file path."""

    inline: str
    path: Path | None

    @property
    def is_file(self) -> bool:
        return self.path is not None

    def fingerprint(self) -> tuple:
        """Changes whenever the keyset may have changed; cheap enough to check on every use."""
        if self.path is None:
            return ("inline", hashlib.sha256(self.inline.encode()).hexdigest())
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return ("file", str(self.path), None)
        return ("file", str(self.path), stat.st_ino, stat.st_mtime_ns, stat.st_size)


@dataclass
class _Loaded:
    fingerprint: tuple
    primitive: aead.Aead
    key_ids: frozenset[int]
    primary_key_id: int
    source: KeysetSource | None = None
    checked_at: float = field(default_factory=time.monotonic)


DEFAULT_RECHECK_SECONDS = 1.0


def _recheck_seconds() -> float:
    return float(getattr(settings, "CONDUIT_KEYSET_RECHECK_SECONDS", DEFAULT_RECHECK_SECONDS))


_lock = threading.Lock()
_cache: _Loaded | None = None


def keyset_source() -> KeysetSource:
    """The configured source, read from settings at each call so tests can override them."""
    inline = (getattr(settings, "CONDUIT_KEYSET", "") or "").strip()
    if inline:
        return KeysetSource(inline=inline, path=None)
    path = (getattr(settings, "CONDUIT_KEYSET_FILE", "") or "").strip()
    if not path:
        raise KeysetError(KEYSET_NOT_CONFIGURED)
    return KeysetSource(inline="", path=Path(path))


def parse_keyset(serialized: str) -> tink_pb2.Keyset:
    """The keyset proto of a cleartext JSON keyset, checked to hold usable AEAD keys."""
    try:
        keyset = tink.JsonKeysetReader(serialized).read()
        tink.json_proto_keyset_format.parse(serialized, secret_key_access.TOKEN).primitive(
            aead.Aead
        )
    except (tink.TinkError, ValueError, TypeError) as error:
        raise KeysetError(KEYSET_INVALID) from error
    return keyset


def serialize_keyset(keyset: tink_pb2.Keyset) -> str:
    stream = io.StringIO()
    tink.JsonKeysetWriter(stream).write(keyset)
    return stream.getvalue() + "\n"


def new_keyset() -> tink_pb2.Keyset:
    handle = tink.new_keyset_handle(KEY_TEMPLATE)
    return tink.JsonKeysetReader(
        tink.json_proto_keyset_format.serialize(handle, secret_key_access.TOKEN)
    ).read()


def _create_exclusive(path: Path, text: str) -> None:
    """Create `path` with mode 0600; FileExistsError when it already exists."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def read_keyset(source: KeysetSource | None = None) -> tink_pb2.Keyset:
    """The configured keyset; generates the local file outside production."""
    source = source or keyset_source()
    if source.path is None:
        return parse_keyset(source.inline)
    if not source.path.exists():
        if getattr(settings, "PRODUCTION", False):
            raise KeysetError(KEYSET_FILE_MISSING)
        source.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            _create_exclusive(source.path, serialize_keyset(new_keyset()))
        except FileExistsError:
            pass  # another process generated it first: use theirs
    return parse_keyset(source.path.read_text())


def write_keyset_file(path: Path, keyset: tink_pb2.Keyset) -> None:
    """Replace `path` atomically (temporary file in the same folder, fsync, rename), mode 0600."""
    parse_keyset(serialize_keyset(keyset))  # never write a keyset that cannot be read back
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    _create_exclusive(temporary, serialize_keyset(keyset))
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    reload_keyset()  # this process uses the new keyset at once; others within the recheck


def write_new_keyset_file(path: Path, keyset: tink_pb2.Keyset) -> None:
    """Write a keyset to a new file (mode 0600); refuses to overwrite an existing one."""
    _create_exclusive(path, serialize_keyset(keyset))


def keyset_add_primary_key(keyset: tink_pb2.Keyset) -> tuple[tink_pb2.Keyset, int]:
    """A copy of `keyset` with a fresh AES256_GCM key, made primary. Old keys stay enabled."""
    updated = tink_pb2.Keyset()
    updated.CopyFrom(keyset)
    existing = {key.key_id for key in keyset.key}
    while True:
        candidate = new_keyset().key[0]
        if candidate.key_id not in existing:
            break
    updated.key.append(candidate)
    updated.primary_key_id = candidate.key_id
    return updated, candidate.key_id


def keyset_remove_keys(keyset: tink_pb2.Keyset, key_ids: set[int]) -> tink_pb2.Keyset:
    """A copy of `keyset` without `key_ids`; the primary key is never removed."""
    if keyset.primary_key_id in key_ids:
        raise ValueError("the primary key cannot be removed")
    updated = tink_pb2.Keyset()
    updated.CopyFrom(keyset)
    del updated.key[:]
    updated.key.extend(key for key in keyset.key if key.key_id not in key_ids)
    return updated


def _load(source: KeysetSource) -> _Loaded:
    fingerprint = source.fingerprint()
    keyset = read_keyset(source)
    handle = tink.json_proto_keyset_format.parse(serialize_keyset(keyset), secret_key_access.TOKEN)
    return _Loaded(
        fingerprint=source.fingerprint() if fingerprint[-1] is None else fingerprint,
        primitive=handle.primitive(aead.Aead),
        key_ids=frozenset(key.key_id for key in keyset.key),
        primary_key_id=keyset.primary_key_id,
        source=source,
    )


def _current(key_id: int | None = None) -> _Loaded:
    """The cached keyset, checked against its source as the module docstring says; `key_id`
    (of a ciphertext to decrypt) forces the check when the cache lacks that key."""
    global _cache
    source = keyset_source()
    cached = _cache
    if cached is not None and cached.source == source:
        if source.path is None:
            return cached  # the same inline value: the same keyset
        known = key_id is None or key_id in cached.key_ids
        if known and time.monotonic() - cached.checked_at < _recheck_seconds():
            return cached
        if cached.fingerprint == source.fingerprint():
            cached.checked_at = time.monotonic()
            return cached
    with _lock:
        if _cache is None or _cache.fingerprint != source.fingerprint():
            _cache = _load(source)
        return _cache


def reload_keyset() -> None:
    """Forget the cached primitive; the next use reads the keyset again."""
    global _cache
    with _lock:
        _cache = None


def primary_key_id() -> int:
    return _current().primary_key_id


def key_id_of(ciphertext: bytes) -> int | None:
    """The id of the key a tink ciphertext was made with, from its output prefix."""
    if len(ciphertext) < PREFIX_SIZE or ciphertext[0] != TINK_PREFIX_BYTE:
        return None
    return int.from_bytes(ciphertext[1:PREFIX_SIZE], "big")


def encrypt(plaintext: bytes, associated_data: bytes) -> bytes:
    """AES-256-GCM under the primary key, authenticated together with `associated_data`."""
    return _current().primitive.encrypt(plaintext, associated_data)


def decrypt(ciphertext: bytes, associated_data: bytes) -> bytes:
    """The plaintext, or DecryptionError when the ciphertext or its associated data differ."""
    try:
        return _current(key_id_of(ciphertext)).primitive.decrypt(ciphertext, associated_data)
    except tink.TinkError as error:
        raise DecryptionError(DECRYPTION_FAILED) from error
