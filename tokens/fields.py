"""`EncryptedTextField` under its historical name (the migrations of tokens, cards and
integrations name it `tokens.fields.EncryptedTextField`): it lives in
`config.encryption.fields`, below every app (see there for the design)."""

from config.encryption.fields import (  # noqa: F401 - the public names, re-exported
    ASSOCIATED_DATA_VERSION,
    DECRYPTION_FAILED_FOR,
    NOT_TEXT,
    PLAINTEXT_IN_QUERY,
    PRIMARY_KEY_REQUIRED,
    Ciphertext,
    EncryptedAttribute,
    EncryptedFieldError,
    EncryptedTextField,
    Sealed,
    associated_data,
    encrypted_fields,
    seal,
    unseal,
)
