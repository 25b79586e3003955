"""`EncryptedTextField`: text kept at rest as a tink AES-256-GCM ciphertext bound to its row.

Design. The column (TEXT) holds base64 of the tink ciphertext. Its associated data is
`conduit-field-v1:["<app_label.model_name>","<field name>","<primary key>"]`, so a ciphertext
copied to another row, another field or another model fails to authenticate and reading it raises
`DecryptionError`; it never yields another row's secret or garbage.

- Writing: assigning a `str` keeps it in memory only; `pre_save` (run by `Model.save()`,
  `create()` and `bulk_create()`) encrypts it with the instance's primary key. So **the primary key
  must be known before the row is saved with a secret**: give the model
  `UUIDField(primary_key=True, default=uuid.uuid4)` (known at construction, the intended use), or
  save the row first and set the secret afterwards. Saving a secret on a row without a primary key
  raises `EncryptedFieldError(PRIMARY_KEY_REQUIRED)`; the system check `tokens.W001` warns about
  models whose primary key is assigned by the database.
- Reading: `from_db_value` cannot know the primary key, so it wraps the ciphertext in `Sealed`;
  the model attribute is a descriptor that decrypts on first access with the instance's primary
  key and caches the plaintext on the `Sealed` (whose repr never shows it). A row that is loaded
  and saved again without touching the field keeps its ciphertext byte for byte.
- A row whose primary key changed (a copy saved under a new key) is re-encrypted for the new key.
- None and "" are stored as NULL and read as None.
- Queries cannot compare plaintext: a plaintext value in `filter()`, `update()` or `bulk_update()`
  raises `EncryptedFieldError(PLAINTEXT_IN_QUERY)` (only `isnull` and `=None` work). Rotation
  writes ciphertext it produced itself through `Ciphertext`.
- `editable=False` by default, so ModelForms and the admin never render a secret.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.core import checks
from django.db import models
from django.db.models.fields import AutoFieldMixin
from django.db.models.query_utils import DeferredAttribute

from config.encryption import keyset as crypto

ASSOCIATED_DATA_VERSION = "conduit-field-v1:"

PRIMARY_KEY_REQUIRED = (
    "An encrypted field needs the row's primary key before it is saved, because the ciphertext "
    "is bound to it: give the model a UUID primary key with a default, or save the row first "
    "and set the secret afterwards."
)
PLAINTEXT_IN_QUERY = (
    "Encrypted fields cannot be compared or written in queries: set the attribute and call "
    "save() (only isnull and =None lookups work)."
)
NOT_TEXT = "An encrypted field holds text (str) or None."
DECRYPTION_FAILED_FOR = (
    "Could not decrypt {label}.{field} for row {pk}: " + crypto.DECRYPTION_FAILED
)


class EncryptedFieldError(Exception):
    """A misuse of an encrypted field; the message never contains the value."""

    code = "encrypted_field_error"


class Ciphertext(str):
    """Base64 ciphertext produced by this module, the only string the database layer accepts."""

    def __repr__(self) -> str:
        return "<Ciphertext>"


class Sealed:
    """A stored ciphertext not yet bound to, or already decrypted for, its instance."""

    __slots__ = ("ciphertext", "pk", "_plaintext", "_decrypted")

    def __init__(self, ciphertext: str, pk: Any = None, plaintext: str | None = None) -> None:
        self.ciphertext = ciphertext
        self.pk = pk
        self._plaintext = plaintext
        self._decrypted = plaintext is not None

    def __repr__(self) -> str:
        return "<Sealed>"

    __str__ = __repr__

    def __getstate__(self) -> tuple:
        return (self.ciphertext, self.pk)  # the plaintext cache is never pickled

    def __setstate__(self, state: tuple) -> None:
        self.ciphertext, self.pk = state
        self._plaintext, self._decrypted = None, False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other.ciphertext == self.ciphertext

    def __hash__(self) -> int:
        return hash(self.ciphertext)

    @property
    def key_id(self) -> int | None:
        """The tink key id in the ciphertext's output prefix (None when it has none)."""
        try:
            head = base64.b64decode(self.ciphertext[:8], validate=True)
        except (binascii.Error, ValueError):
            return None
        return crypto.key_id_of(head)


def associated_data(field: models.Field, pk: Any) -> bytes:
    """What binds a ciphertext to its model, field and row."""
    normalized = field.model._meta.pk.to_python(pk)
    parts = [field.model._meta.label_lower, field.name, str(normalized)]
    return (ASSOCIATED_DATA_VERSION + json.dumps(parts, separators=(",", ":"))).encode()


def seal(field: models.Field, pk: Any, plaintext: str) -> Ciphertext:
    if pk is None:
        raise EncryptedFieldError(PRIMARY_KEY_REQUIRED)
    ciphertext = crypto.encrypt(plaintext.encode(), associated_data(field, pk))
    return Ciphertext(base64.b64encode(ciphertext).decode("ascii"))


def unseal(field: models.Field, pk: Any, ciphertext: str) -> str:
    label = field.model._meta.label
    failure = DECRYPTION_FAILED_FOR.format(label=label, field=field.name, pk=pk)
    try:
        raw = base64.b64decode(ciphertext, validate=True)
    except (binascii.Error, ValueError) as error:
        raise crypto.DecryptionError(failure) from error
    try:
        plaintext = crypto.decrypt(raw, associated_data(field, pk))
    except crypto.DecryptionError as error:
        raise crypto.DecryptionError(failure) from error
    return plaintext.decode()


def _pk_in_dict(instance: models.Model) -> Any:
    # Reading instance.pk during Model.__init__ could trigger a deferred load: read __dict__.
    return instance.__dict__.get(instance._meta.pk.attname)


class EncryptedAttribute(DeferredAttribute):
    """Data descriptor: stores what was assigned or loaded, decrypts on first read."""

    def __get__(self, instance: models.Model | None, cls: type | None = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if not isinstance(value, Sealed):
            return value
        if not value._decrypted:
            if value.pk is None:
                value.pk = instance.pk
            value._plaintext = unseal(self.field, value.pk, value.ciphertext)
            value._decrypted = True
        return value._plaintext

    def __set__(self, instance: models.Model, value: Any) -> None:
        if isinstance(value, Sealed) and value.pk is None:
            value.pk = _pk_in_dict(instance)
        instance.__dict__[self.field.attname] = value


class _NoneOnlyExact(models.lookups.Exact):
    """`field=None` (which Django turns into isnull); any other value is refused."""

    def get_prep_lookup(self) -> Any:
        if self.rhs is None:
            return None
        raise EncryptedFieldError(PLAINTEXT_IN_QUERY)


class EncryptedTextField(models.TextField):
    """Text encrypted at rest with the keyset of `config.encryption.keyset`, bound to its row and field."""

    descriptor_class = EncryptedAttribute
    description = "Text encrypted with AES-256-GCM, bound to its row and field"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple:
        name, _, args, kwargs = super().deconstruct()
        # The public name every migration uses (tokens.fields re-exports this class), so moving
        # the class below the apps changed no migration.
        path = "tokens.fields.EncryptedTextField"
        if self.editable:
            kwargs["editable"] = True
        else:
            kwargs.pop("editable", None)
        return name, path, args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if self.unique or self.db_index:
            errors.append(
                checks.Error(
                    "An encrypted field cannot be unique or indexed: its ciphertexts are random.",
                    obj=self,
                    id="tokens.E001",
                )
            )
        model = getattr(self, "model", None)
        if model is not None and not model._meta.abstract:
            pk = model._meta.pk
            if isinstance(pk, AutoFieldMixin) or not pk.has_default():
                errors.append(
                    checks.Warning(
                        f"{model._meta.label} has encrypted fields but its primary key is "
                        "assigned on insert, and the ciphertext is bound to the primary key.",
                        hint="Use UUIDField(primary_key=True, default=uuid.uuid4), or save rows "
                        "before setting their secrets.",
                        obj=self,
                        id="tokens.W001",
                    )
                )
        return errors

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return _NoneOnlyExact
        return None

    def get_transform(self, lookup_name: str) -> Any:
        return None

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Sealed | None:
        if value is None or value == "":
            return None
        return Sealed(value)

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, str | Sealed):
            return value
        raise EncryptedFieldError(NOT_TEXT)

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, Ciphertext):
            return str(value)
        if isinstance(value, Sealed):
            return value.ciphertext
        raise EncryptedFieldError(PLAINTEXT_IN_QUERY)

    def pre_save(self, model_instance: models.Model, add: bool) -> Ciphertext | None:
        if self.attname not in model_instance.__dict__:
            getattr(model_instance, self.attname)  # loads a deferred value
        value = model_instance.__dict__.get(self.attname)
        pk = model_instance.pk
        if value is None or value == "":
            return None
        if isinstance(value, Sealed):
            if value.pk is None or value.pk == pk:
                value.pk = pk
                return Ciphertext(value.ciphertext)
            # A copy saved under another primary key: the old binding would never decrypt.
            plaintext = getattr(model_instance, self.attname)
        elif isinstance(value, str):
            plaintext = value
        else:
            raise EncryptedFieldError(NOT_TEXT)
        ciphertext = seal(self, pk, plaintext)
        model_instance.__dict__[self.attname] = Sealed(ciphertext, pk, plaintext)
        return ciphertext

    def value_to_string(self, obj: models.Model) -> str:
        """Serialization (dumpdata) writes the ciphertext, never the plaintext.

        Loading such a dump back (loaddata) is not supported: the value would be taken for a new
        plaintext. Restore encrypted rows from a database backup instead.
        """
        value = obj.__dict__.get(self.attname)
        return value.ciphertext if isinstance(value, Sealed) else ""

    def formfield(self, **kwargs: Any) -> Any:
        return None


def encrypted_fields() -> Iterator[EncryptedTextField]:
    """Every EncryptedTextField of every concrete, managed model in the app registry."""
    for model in apps.get_models():
        meta = model._meta
        if meta.abstract or meta.proxy or not meta.managed:
            continue
        for field in meta.local_concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield field
