"""The RSA-2048 key pair and consumer key of an Application Link.

Jira Server's OAuth 1.0a consumers sign with RSA-SHA1; the admin pastes the public key into the
Application Link's incoming authentication (https://developer.atlassian.com/server/jira/platform/oauth/).
Jira's "Public Key" field takes the key's base64 body; `public_key_body` gives it without the
PEM header lines, which every Jira 7 and 8 version accepts.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_SIZE = 2048
PUBLIC_EXPONENT = 65537
CONSUMER_KEY_PREFIX = "conduit-"


@dataclass(frozen=True)
class KeyPair:
    public_pem: str
    private_pem: str = field(repr=False)


def key_pair_generate() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_SIZE)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(public_pem=public_pem, private_pem=private_pem)


def consumer_key_generate() -> str:
    """A consumer key no other Conduit connection (or Jira consumer) is likely to have."""
    return f"{CONSUMER_KEY_PREFIX}{secrets.token_hex(8)}"


def public_key_body(public_pem: str) -> str:
    """The base64 body of a PEM public key, on one line."""
    lines = [line.strip() for line in public_pem.strip().splitlines()]
    return "".join(line for line in lines if line and not line.startswith("-----"))
