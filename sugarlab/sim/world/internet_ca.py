"""The simulated world's certificate authority: what its internet's hosts prove themselves with, and what its
images trust.

Made once per state directory with `trustme` and kept there (`internet/ca.pem`, its key `ca.key` readable by
its owner only), so a restarted simulator keeps its CA and the trust stores of the images it already put in
place stay valid. It is a CA of its own, apart from the API server's (`sugarlab.sim.credentials`): the
cluster's CA signs the cluster's serving certificate, this one the outside world's.
"""

from __future__ import annotations

from pathlib import Path

import trustme
from filelock import FileLock

from sugarlab.common.files import PRIVATE, atomic_write_bytes

PUBLIC = 0o644


def _directory(state_dir: Path) -> Path:
    return state_dir / "internet"


def ca_bundle(state_dir: Path) -> Path:
    """The CA's certificate (PEM), made on first use: what a client of the simulated internet trusts."""
    return _ca_files(state_dir)[0]


def authority(state_dir: Path) -> trustme.CA:
    """The CA itself, to issue the hosts' certificate."""
    cert, key = _ca_files(state_dir)
    return trustme.CA.from_pem(cert.read_bytes(), key.read_bytes())


def _ca_files(state_dir: Path) -> tuple[Path, Path]:
    directory = _directory(state_dir)
    cert, key = directory / "ca.pem", directory / "ca.key"
    if cert.exists() and key.exists():
        return cert, key
    directory.mkdir(parents=True, exist_ok=True)
    with FileLock(directory / ".ca.lock"):
        if not (cert.exists() and key.exists()):
            ca = trustme.CA(organization_name="sugarlab simulated internet")
            atomic_write_bytes(key, ca.private_key_pem.bytes(), PRIVATE)
            atomic_write_bytes(cert, ca.cert_pem.bytes(), PUBLIC)
    return cert, key
