"""Host keys: SHA256 fingerprints as OpenSSH prints them, and what to do with a key we do not know.

`host_key_fingerprints` asks an SSH server for each kind of host key it has, the way `ssh-keyscan`
does; it authenticates nothing, so compare what it reports with the node's own
`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` before trusting it.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import paramiko

from sugarlab.lab.errors import HostError, HostKeyRejected, HostUnreachable

# Host key algorithms to ask for, one connection each (RSA keys are offered with SHA-2 signatures).
SCAN_ALGORITHMS = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512")
# Like ssh-keyscan, the scan connects once per kind of key; paramiko logs each kind the server lacks
# as an error with a traceback, so the scan's transports log to a channel of their own, kept quiet.
SCAN_LOG = "sugarlab.hosts.keyscan"
logging.getLogger(SCAN_LOG).setLevel(logging.CRITICAL)
LABELS = {"ssh-ed25519": "ED25519", "ssh-rsa": "RSA"}  # ssh-keygen's names; every ecdsa-* is ECDSA


def fingerprint(key: paramiko.PKey) -> str:
    """`SHA256:<base64 without padding>`, as `ssh-keygen -lf` prints it."""
    return key.fingerprint


@dataclass(frozen=True)
class HostKey:
    """One host key: its type (`ssh-ed25519`), size in bits and SHA256 fingerprint."""

    key_type: str
    bits: int
    fingerprint: str

    @classmethod
    def of(cls, key: paramiko.PKey) -> HostKey:
        return cls(key.get_name(), key.get_bits(), fingerprint(key))

    @property
    def label(self) -> str:
        return LABELS.get(self.key_type, "ECDSA" if self.key_type.startswith("ecdsa-") else self.key_type)

    def __str__(self) -> str:  # ssh-keygen -lf without the comment: `256 SHA256:... (ED25519)`
        return f"{self.bits} {self.fingerprint} ({self.label})"


def known_hosts_name(host: str, port: int) -> str:
    """The name known_hosts files use: `host` on port 22, `[host]:port` elsewhere."""
    return host if port == 22 else f"[{host}]:{port}"


def host_key_fingerprints(host: str, port: int = 22, *, timeout: float = 10.0) -> list[HostKey]:
    """Every host key the SSH server at host:port offers, strongest kinds first."""
    keys: list[HostKey] = []
    for algorithm in SCAN_ALGORITHMS:
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as error:
            raise HostUnreachable(host, port, str(error) or type(error).__name__) from error
        transport = paramiko.Transport(sock)
        transport.set_log_channel(SCAN_LOG)
        transport.banner_timeout = timeout
        transport.get_security_options().key_types = [algorithm]
        try:
            transport.start_client(timeout=timeout)
            keys.append(HostKey.of(transport.get_remote_server_key()))
        except paramiko.ssh_exception.IncompatiblePeer:
            continue  # the server has no key of this kind
        except (OSError, paramiko.SSHException) as error:
            raise HostUnreachable(host, port, f"SSH handshake failed: {error}") from None
        finally:
            transport.close()
    if not keys:
        raise HostError(f"{host}:{port} offered none of the host key kinds {', '.join(SCAN_ALGORITHMS)}")
    return keys


def _unknown(name: str, key: paramiko.PKey, known_hosts: list[Path]) -> HostKeyRejected:
    files = ", ".join(str(p) for p in known_hosts) or "no known_hosts file"
    return HostKeyRejected(
        name,
        fingerprint(key),
        f"its {key.get_name()} key is not in {files}",
        "Compare the fingerprint with `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` on the node's "
        "console; if it matches, connect once with host_key_policy='accept-new' to record it",
    )


def changed(name: str, offered: paramiko.PKey, recorded: paramiko.PKey, known_hosts: Path) -> HostKeyRejected:
    return HostKeyRejected(
        name,
        fingerprint(offered),
        f"it does not match the {recorded.get_name()} key {fingerprint(recorded)} recorded in {known_hosts}",
        "If the node was re-imaged (Tutorial 9), remove the old entry with "
        f"`ssh-keygen -R '{name}' -f {known_hosts}` and connect again; otherwise do not connect: "
        "someone may be impersonating the node",
    )


class RejectUnknown(paramiko.MissingHostKeyPolicy):
    """The `strict` policy: a key missing from known_hosts is an error that shows its fingerprint."""

    def __init__(self, known_hosts: list[Path]) -> None:
        self.known_hosts = known_hosts

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        raise _unknown(hostname, key, self.known_hosts)


class RecordNew(paramiko.MissingHostKeyPolicy):
    """The `accept-new` policy: trust a key never seen before and append it to known_hosts."""

    def __init__(self, known_hosts: Path) -> None:
        self.known_hosts = known_hosts

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        client.get_host_keys().add(hostname, key.get_name(), key)
        self.known_hosts.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.known_hosts, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as handle:
            handle.write(f"{hostname} {key.get_name()} {key.get_base64()}\n")
