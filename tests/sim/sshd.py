"""A real OpenSSH server on 127.0.0.1 for tests, with its own keys and config under a temp folder.

Use the `sshd_server` fixture, a factory: `sshd_server()` starts one with the defaults below,
`sshd_server("PasswordAuthentication yes", "LogLevel DEBUG3")` puts extra sshd_config lines first
(sshd keeps the first value it reads, so they override the defaults; `Match` blocks go last). Each
server is stopped when the test ends. Import it into a test module:

    from tests.sim.sshd import SSHServer, sshd_server  # noqa: F401  (pytest fixture)

For a server shared by a module, use `run_sshd(directory)` as a context manager in your own fixture.
Tests skip with a reason when /usr/sbin/sshd or ssh-keygen is missing (`make system-packages`).
"""

from __future__ import annotations

import contextlib
import getpass
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = Path("/usr/sbin/sshd")  # sshd re-executes itself and so must be started by absolute path
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class SSHServer:
    """A running test sshd: where it listens, who may log in with which key, and its files."""

    host: str
    port: int
    user: str
    client_key: Path  # private key sshd accepts for `user` (public half beside it, `.pub`)
    host_key: Path  # private host key; `host_key.pub` is its public half
    known_hosts: Path  # a known_hosts file that lists this server's host key
    config: Path
    log: Path  # sshd's own log (-E)
    directory: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def known_hosts_line(self) -> str:
        kind, blob = Path(f"{self.host_key}.pub").read_text().split()[:2]
        return f"[{self.host}]:{self.port} {kind} {blob}\n"


def require_sshd() -> None:
    if not SSHD.exists() or shutil.which("ssh-keygen") is None:
        pytest.skip(f"{SSHD} or ssh-keygen not installed (Debian: apt-get install openssh-server)")


def keygen(path: Path, kind: str = "ed25519") -> Path:
    """A new key pair at `path` and `path.pub`, made by ssh-keygen without a passphrase."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", path.name, "-f", str(path)], check=True, capture_output=True
    )
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _config(server: SSHServer, extra: tuple[str, ...]) -> str:
    first_match = next((i for i, line in enumerate(extra) if line.split()[:1] == ["Match"]), len(extra))
    defaults = [
        f"ListenAddress {server.host}",
        f"Port {server.port}",
        f"HostKey {server.host_key}",
        f"PidFile {server.directory / 'sshd.pid'}",
        f"AuthorizedKeysFile {server.directory / 'authorized_keys'}",
        f"AllowUsers {server.user}",
        "PermitRootLogin prohibit-password",  # tests run as root in containers
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",  # the temp folders are not under the user's home
        "LogLevel VERBOSE",
    ]
    return "\n".join([*extra[:first_match], *defaults, *extra[first_match:]]) + "\n"


def _wait_ready(process: subprocess.Popen[bytes], server: SSHServer, deadline: float) -> bool:
    """True once sshd answers with its banner; False if it exited (port taken, bad config)."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection((server.host, server.port), 0.5) as s:
            s.settimeout(1)
            if s.recv(64).startswith(b"SSH-"):
                return True
        time.sleep(0.02)
    return False


@contextlib.contextmanager
def run_sshd(directory: Path, *extra_config: str) -> Iterator[SSHServer]:
    """Start sshd with keys and config in `directory` (created); stop it on exit."""
    require_sshd()
    directory.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation directory
    host_key = keygen(directory / "ssh_host_ed25519_key")
    client_key = keygen(directory / "client_key")
    (directory / "authorized_keys").write_text(Path(f"{client_key}.pub").read_text())
    for attempt in range(3):  # another process may take the port between free_port() and bind
        server = SSHServer(
            LOOPBACK,
            free_port(),
            getpass.getuser(),
            client_key,
            host_key,
            directory / "known_hosts",
            directory / "sshd_config",
            directory / "sshd.log",
            directory,
        )
        server.config.write_text(_config(server, extra_config))
        server.known_hosts.write_text(server.known_hosts_line())
        process = subprocess.Popen(
            [str(SSHD), "-D", "-f", str(server.config), "-E", str(server.log)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        if _wait_ready(process, server, time.monotonic() + 10):
            break
        process.kill()
        _, stderr = process.communicate()
        if attempt == 2 or "Address already in use" not in server.log_text():
            raise RuntimeError(f"sshd did not start: {stderr.decode()}{server.log_text()}")
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


@pytest.fixture
def sshd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., SSHServer]]:
    """Factory: `sshd_server(*extra_config_lines)` starts a test sshd; all stop after the test."""
    with contextlib.ExitStack() as stack:

        def start(*extra_config: str) -> SSHServer:
            return stack.enter_context(run_sshd(tmp_path_factory.mktemp("sshd"), *extra_config))

        yield start


__all__ = ["SSHServer", "free_port", "keygen", "require_sshd", "run_sshd", "sshd_server"]
