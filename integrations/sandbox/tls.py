"""The simulators' HTTPS mode: a throw-away CA and a loopback certificate made at start.

`make_certificate()` writes, into a new private directory, a CA certificate (`ca.pem`, the file
a client trusts: Conduit's EGRESS_CA_BUNDLE) and a server certificate for 127.0.0.1, ::1 and
localhost signed by it. Nothing is reused between runs: the keys live as long as the process
that made them needs, and the directory is readable by its owner only.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK_NAMES = ("localhost",)
LOOPBACK_ADDRESSES = ("127.0.0.1", "::1")
VALIDITY = datetime.timedelta(days=2)


@dataclass(frozen=True)
class Certificate:
    """Paths of one generated certificate set."""

    ca_file: str  # PEM of the CA: what clients pass as `verify=` / EGRESS_CA_BUNDLE
    cert_file: str  # PEM of the server certificate
    key_file: str  # PEM of the server's private key (unencrypted, owner-only directory)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    path.chmod(0o600)
    return str(path)


def make_certificate(directory: str | None = None) -> Certificate:
    """A new CA and a loopback server certificate, written to `directory` (a new temp dir)."""
    folder = Path(directory or tempfile.mkdtemp(prefix="conduit-sandbox-tls-"))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    # Backdated a little: a client whose clock is a few seconds behind still accepts it.
    not_before = now - datetime.timedelta(minutes=5)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Conduit sandbox CA"))
        .issuer_name(_name("Conduit sandbox CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in LOOPBACK_NAMES]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in LOOPBACK_ADDRESSES]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )

    pem = serialization.Encoding.PEM
    return Certificate(
        ca_file=_write(folder / "ca.pem", ca_cert.public_bytes(pem)),
        cert_file=_write(folder / "cert.pem", cert.public_bytes(pem)),
        key_file=_write(
            folder / "key.pem",
            key.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        ),
    )


def server_context(certificate: Certificate) -> ssl.SSLContext:
    """A TLS 1.2+ server context presenting `certificate`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certificate.cert_file, certificate.key_file)
    return context
