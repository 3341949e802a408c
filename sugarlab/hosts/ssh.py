"""`SSHHost`: a Pi reached over SSH with paramiko, with OpenSSH's host key policies.

Host key policies (`host_key_policy`):

- `strict`: the host's key must already be in known_hosts (OpenSSH's StrictHostKeyChecking=yes).
- `accept-new`: a host never seen is trusted and its key appended to `known_hosts`; a key that
  differs from the recorded one is rejected (StrictHostKeyChecking=accept-new).
- `insecure`: any key is accepted and nothing is recorded. For a throwaway lab network only: it
  cannot notice a machine impersonating a node.

Commands run through the user's login shell on the node; `sudo=True` wraps them as
`sudo -n -- sh -c '<command>'`, which needs passwordless sudo (Raspberry Pi OS's default for the
first user). A command that outlives its timeout has its session closed; the node may let it run on.
"""

from __future__ import annotations

import getpass
import logging
import os
import posixpath
import select
import shlex
import socket
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Self

import paramiko

from sugarlab.hosts.base import CommandResult, redact
from sugarlab.hosts.keys import HostKey, RecordNew, RejectUnknown, changed, known_hosts_name
from sugarlab.lab.errors import (
    AuthenticationRefused,
    CommandFailed,
    CommandTimeout,
    HostError,
    HostUnreachable,
    ParameterError,
)

log = logging.getLogger(__name__)

HOST_KEY_POLICIES = ("strict", "accept-new", "insecure")
DEFAULT_KNOWN_HOSTS = Path("~/.ssh/known_hosts")
SYSTEM_KNOWN_HOSTS = Path("/etc/ssh/ssh_known_hosts")
DEFAULT_KEYS = ("id_ed25519", "id_ecdsa", "id_rsa")  # what paramiko's look_for_keys tries in ~/.ssh

# Runs on the node with the data on stdin: a temporary file beside the target, its mode set before
# any byte is written (umask 077), then renamed into place. Arguments: path, mode, dir mode or "".
WRITE_FILE_SCRIPT = """set -e
dir=$(dirname -- "$1")
mkdir -p -- "$dir"
if [ -n "$3" ]; then chmod -- "$3" "$dir"; fi
umask 077
tmp=$(mktemp -- "$dir/.sugarlab-write.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
chmod -- "$2" "$tmp"
sync -- "$tmp" 2>/dev/null || true
mv -f -- "$tmp" "$1"
trap - EXIT
"""


class SSHHost:
    """A machine reached over SSH. Connects on first use (or on `with`); `close()` disconnects.

    `name` is what messages call the machine (default: `host`). Authentication uses `key_filename`,
    the SSH agent (`allow_agent`) and, with `look_for_keys`, the usual keys in ~/.ssh, in that order.
    `known_hosts` defaults to ~/.ssh/known_hosts (and /etc/ssh/ssh_known_hosts is read with it).
    """

    def __init__(
        self,
        host: str,
        *,
        port: int = 22,
        user: str | None = None,
        name: str | None = None,
        key_filename: str | os.PathLike[str] | None = None,
        passphrase: str | None = None,
        allow_agent: bool = True,
        look_for_keys: bool = True,
        host_key_policy: str = "strict",
        known_hosts: str | os.PathLike[str] | None = None,
        connect_timeout: float = 10.0,
        command_timeout: float = 60.0,
        sudo: bool = False,
    ) -> None:
        if host_key_policy not in HOST_KEY_POLICIES:
            raise ParameterError("host_key_policy", host_key_policy, f"one of {', '.join(HOST_KEY_POLICIES)}")
        if not 0 < port < 65536:
            raise ParameterError("port", port, "a TCP port between 1 and 65535")
        self.host, self.port = host, port
        self.user = user or _local_user()
        self.name = name or host
        self.key_filename = Path(key_filename).expanduser() if key_filename is not None else None
        self.passphrase = passphrase
        self.allow_agent, self.look_for_keys = allow_agent, look_for_keys
        self.host_key_policy = host_key_policy
        self.known_hosts = Path(known_hosts if known_hosts is not None else DEFAULT_KNOWN_HOSTS).expanduser()
        self.connect_timeout, self.command_timeout = connect_timeout, command_timeout
        self.sudo = sudo
        self._client: paramiko.SSHClient | None = None

    def __repr__(self) -> str:
        return f"SSHHost({self.user}@{self.host}:{self.port}, policy={self.host_key_policy})"

    # -- connection ---------------------------------------------------------------------------

    def connect(self) -> Self:
        """Open the connection now (commands open it on demand); errors are `HostError`s."""
        if self._client is not None and self._transport().is_active():
            return self
        self.close()
        client = paramiko.SSHClient()
        read = self._trust(client)
        try:
            client.connect(
                self.host,
                self.port,
                username=self.user,
                key_filename=str(self.key_filename) if self.key_filename else None,
                passphrase=self.passphrase,
                allow_agent=self.allow_agent,
                look_for_keys=self.look_for_keys,
                timeout=self.connect_timeout,
                banner_timeout=self.connect_timeout,
                auth_timeout=self.connect_timeout,
                channel_timeout=self.connect_timeout,
            )
        except paramiko.BadHostKeyException as error:
            client.close()
            raise changed(known_hosts_name(self.host, self.port), error.key, error.expected_key, read[0]) from None
        except paramiko.AuthenticationException as error:
            client.close()
            reason = str(error) or type(error).__name__
            raise AuthenticationRefused(self.user, self.host, self._methods_tried(), reason, self.port) from None
        except HostError:
            client.close()
            raise
        except socket.gaierror as error:
            client.close()
            raise HostUnreachable(self.host, self.port, f"the name does not resolve ({error.strerror})") from None
        except (OSError, paramiko.SSHException) as error:  # refused, timed out, not an SSH server
            client.close()
            if "No authentication methods available" in str(error):  # reached it, but had no key to offer
                raise AuthenticationRefused(
                    self.user, self.host, self._methods_tried(), str(error), self.port
                ) from None
            raise HostUnreachable(self.host, self.port, _reason(error)) from None
        self._client = client
        return self

    def _trust(self, client: paramiko.SSHClient) -> list[Path]:
        """Load known_hosts and set the policy for unknown keys; returns the files read."""
        if self.host_key_policy == "insecure":
            log.warning("%s: host keys are not checked (host_key_policy='insecure', lab networks only)", self.name)
            client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            return [self.known_hosts]
        read = [self.known_hosts]
        if self.known_hosts.exists():
            client.load_system_host_keys(str(self.known_hosts))
        if self.known_hosts == DEFAULT_KNOWN_HOSTS.expanduser() and SYSTEM_KNOWN_HOSTS.exists():
            client.get_host_keys().load(str(SYSTEM_KNOWN_HOSTS))
            read.append(SYSTEM_KNOWN_HOSTS)
        policy = RejectUnknown(read) if self.host_key_policy == "strict" else RecordNew(self.known_hosts)
        client.set_missing_host_key_policy(policy)
        return read

    def _methods_tried(self) -> list[str]:
        tried = []
        if self.key_filename:
            tried.append(f"key file {self.key_filename}")
        if self.allow_agent:
            tried.append("SSH agent" if os.environ.get("SSH_AUTH_SOCK") else "SSH agent (none running)")
        if self.look_for_keys:
            found = [f"~/.ssh/{k}" for k in DEFAULT_KEYS if (Path.home() / ".ssh" / k).exists()]
            tried.append(f"default keys ({', '.join(found) or 'none found'})")
        return tried

    def _transport(self) -> paramiko.Transport:
        transport = self._client.get_transport() if self._client else None
        if transport is None:
            raise HostError(f"{self.name}: not connected")
        return transport

    @property
    def host_key(self) -> HostKey:
        """The key the host proved it holds on this connection (connects if needed)."""
        return HostKey.of(self.connect()._transport().get_remote_server_key())

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> Self:
        return self.connect()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # -- commands -----------------------------------------------------------------------------

    def run(
        self,
        command: str,
        *,
        timeout: float | None = None,
        stdin: bytes | None = None,
        check: bool = True,
        sudo: bool | None = None,
        secrets: Iterable[str | bytes] = (),
    ) -> CommandResult:
        """Run `command`, feed it `stdin`, wait for its exit status; see `Host` for the rules."""
        secrets = list(secrets)
        timeout = self.command_timeout if timeout is None else timeout
        if sudo if sudo is not None else self.sudo:
            command = f"sudo -n -- sh -c {shlex.quote(command)}"
        shown = redact(command, secrets)
        try:
            channel = self.connect()._transport().open_session(timeout=self.connect_timeout)
        except paramiko.SSHException as error:
            raise HostError(f"{self.name}: cannot open an SSH session: {redact(str(error), secrets)}") from None
        started = time.monotonic()
        try:
            status, out, err = _exchange(channel, command, stdin or b"", started + timeout)
        except TimeoutError:
            raise CommandTimeout(self.name, shown, timeout) from None
        finally:
            channel.close()
        result = CommandResult(
            self.name,
            shown,
            status,
            out.decode("utf-8", "replace"),
            err.decode("utf-8", "replace"),
            time.monotonic() - started,
        )
        if check and status != 0:
            raise CommandFailed(self.name, shown, status, redact(result.stderr, secrets))
        return result

    def write_file(
        self, path: str, data: bytes, mode: int, *, dir_mode: int | None = None, sudo: bool | None = None
    ) -> None:
        """Write `data` to `path` atomically (temp file + rename) through the command's stdin."""
        if not posixpath.isabs(path) or path.endswith("/"):
            raise ParameterError("path", path, "an absolute file path on the host")
        for label, value in (("mode", mode), ("dir_mode", dir_mode)):
            if value is not None and not 0 <= value <= 0o7777:
                raise ParameterError(label, value, "a permission between 0o0 and 0o7777")
        args = [path, f"{mode:o}", "" if dir_mode is None else f"{dir_mode:o}"]
        command = f"sh -c {shlex.quote(WRITE_FILE_SCRIPT)} write-file {shlex.join(args)}"
        result = self.run(command, stdin=data, check=False, sudo=sudo, secrets=[data])
        if not result.ok:
            raise CommandFailed(self.name, f"write_file {path}", result.exit_status, redact(result.stderr, [data]))


def _exchange(channel: paramiko.Channel, command: str, stdin: bytes, deadline: float) -> tuple[int, bytes, bytes]:
    """Send `command` and `stdin` on `channel`; collect stdout and stderr until the exit status."""
    channel.exec_command(command)
    pending = memoryview(stdin)
    if not pending:
        channel.shutdown_write()
    out, err = bytearray(), bytearray()
    wakeup = channel.fileno()
    while True:
        if pending and (channel.closed or channel.exit_status_ready()):
            pending = pending[:0]  # the command ended without reading all its input
        elif pending and channel.send_ready():
            pending = pending[channel.send(bytes(pending[:32768])) :]
            if not pending:
                channel.shutdown_write()
        while channel.recv_ready():
            out += channel.recv(65536)
        while channel.recv_stderr_ready():
            err += channel.recv_stderr(65536)
        if (
            channel.exit_status_ready()
            and (channel.eof_received or channel.closed)
            and not channel.recv_ready()
            and not channel.recv_stderr_ready()
        ):
            return channel.recv_exit_status(), bytes(out), bytes(err)
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        if channel.eof_received:  # the pipe stays readable after EOF: wait for the exit status
            time.sleep(min(left, 0.02))
        else:
            select.select([wakeup], [], [], min(left, 0.01 if pending else 0.1))


def _reason(error: BaseException) -> str:
    if isinstance(error, paramiko.ssh_exception.NoValidConnectionsError):
        return "; ".join(sorted({getattr(e, "strerror", None) or str(e) for e in error.errors.values()})).lower()
    if isinstance(error, (TimeoutError, socket.timeout)):
        return "timed out"
    return str(error) or type(error).__name__


def _local_user() -> str:
    return getpass.getuser()
