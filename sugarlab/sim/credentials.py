"""The simulator's TLS and credential, made once per state directory as k3s makes its own.

k3s keeps a self-signed server CA and a serving certificate for the API server under
`/var/lib/rancher/k3s/server/tls/` (`server-ca.crt`, `serving-kube-apiserver.crt`): ECDSA P-256
keys, the CA valid ten years, the serving certificate one year, with the names and addresses the
server is reached by as subject alternative names. The simulator does the same under `<state>/tls/`.

k3s writes a client certificate into `k3s.yaml`; the simulator writes a bearer token instead (as
kube-apiserver's static token file authenticates), because the ASGI server it runs on does not hand
the peer certificate to the application: with client certificates the server could only refuse the
TLS handshake, never answer an anonymous request with kube-apiserver's 401 `Status`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
SERVING_DAYS = 365
RENEW_BEFORE = dt.timedelta(days=90)  # k3s renews certificates that expire within 90 days
SERVING_NAMES = (
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)
SERVING_IPS = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class Credentials:
    ca_pem: bytes
    cert_file: Path
    key_file: Path
    token: str


def _write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read, through a temporary name and a rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _certificate(
    subject: x509.Name,
    issuer: x509.Name,
    public: ec.EllipticCurvePublicKey,
    signer: ec.EllipticCurvePrivateKey,
    days: int,
    now: dt.datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=days))
    )


def _make_ca(directory: Path, now: dt.datetime) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"sugarlab-server-ca@{int(now.timestamp())}")])
    cert = (
        _certificate(name, name, key.public_key(), key, CA_DAYS, now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    _write_private(directory / "server-ca.key", _key_pem(key))
    _write_private(directory / "server-ca.crt", cert.public_bytes(serialization.Encoding.PEM))


def _make_serving(directory: Path, now: dt.datetime) -> None:
    ca_key = serialization.load_pem_private_key((directory / "server-ca.key").read_bytes(), None)
    ca_cert = x509.load_pem_x509_certificate((directory / "server-ca.crt").read_bytes())
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in SERVING_NAMES]
    names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in SERVING_IPS]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")])
    cert = (
        _certificate(subject, ca_cert.subject, key.public_key(), ca_key, SERVING_DAYS, now)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(directory / "serving-kube-apiserver.key", _key_pem(key))
    _write_private(directory / "serving-kube-apiserver.crt", cert.public_bytes(serialization.Encoding.PEM))


def _expiring(path: Path, now: dt.datetime) -> bool:
    if not path.is_file():
        return True
    return x509.load_pem_x509_certificate(path.read_bytes()).not_valid_after_utc - now < RENEW_BEFORE


def ensure(state_dir: Path) -> Credentials:
    """The state directory's CA, serving certificate and token, made on first use (and renewed when due)."""
    directory = state_dir / "tls"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    if _expiring(directory / "server-ca.crt", now):
        _make_ca(directory, now)
        (directory / "serving-kube-apiserver.crt").unlink(missing_ok=True)
    if _expiring(directory / "serving-kube-apiserver.crt", now):
        _make_serving(directory, now)
    token_file = directory / "token"
    if not token_file.is_file():
        _write_private(token_file, secrets.token_urlsafe(32).encode())
    return Credentials(
        (directory / "server-ca.crt").read_bytes(),
        directory / "serving-kube-apiserver.crt",
        directory / "serving-kube-apiserver.key",
        token_file.read_text().strip(),
    )
