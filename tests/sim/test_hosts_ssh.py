"""SSHHost against a real OpenSSH server on 127.0.0.1 (see tests/sshd.py): commands, errors, host key
policies, atomic secret files and fingerprints."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sugarlab.hosts import Host, HostKey, SSHHost, host_key_fingerprints, redact
from sugarlab.lab.errors import (
    AuthenticationRefused,
    CommandFailed,
    CommandTimeout,
    HostKeyRejected,
    HostUnreachable,
    ParameterError,
)
from tests.sim.sshd import SSHServer, free_port, keygen, run_sshd, sshd_server  # noqa: F401  (pytest fixture)

SECRET = "K10f00dfeedcafe::server:not-a-real-join-credential"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHServer]:
    """One sshd for the module; tests that need their own config use `sshd_server`."""
    with run_sshd(tmp_path_factory.mktemp("sshd")) as running:
        yield running


@pytest.fixture
def ssh(server: SSHServer) -> Iterator[Callable[..., SSHHost]]:
    """Make SSHHosts for `server` (its client key, its known_hosts, no agent); all closed afterwards."""
    made: list[SSHHost] = []

    def make(target: SSHServer = server, **options: Any) -> SSHHost:
        settings: dict[str, Any] = dict(
            port=target.port,
            user=target.user,
            key_filename=target.client_key,
            known_hosts=target.known_hosts,
            allow_agent=False,
            look_for_keys=False,
            connect_timeout=5,
            name="worker-a",
        )
        made.append(SSHHost(target.host, **(settings | options)))
        return made[-1]

    yield make
    for host in made:
        host.close()


def keygen_lf(public_key: Path) -> str:
    """`ssh-keygen -lf` of a public key, without the comment: `256 SHA256:... (ED25519)`."""
    bits, digest, *_, label = subprocess.run(
        ["ssh-keygen", "-lf", str(public_key)], check=True, capture_output=True, text=True
    ).stdout.split()
    return f"{bits} {digest} {label}"


# -- commands ---------------------------------------------------------------------------------


def test_run_returns_output_status_and_duration(ssh: Callable[..., SSHHost]) -> None:
    with ssh() as host:
        assert isinstance(host, Host)
        result = host.run("echo out; echo err >&2; printf 'caf\\303\\251'")
    assert (result.exit_status, result.stdout, result.stderr) == (0, "out\ncafé", "err\n")
    assert result.ok and result.host == "worker-a" and result.duration > 0


def test_stdin_reaches_the_command(ssh: Callable[..., SSHHost]) -> None:
    data = bytes(range(256)) * 1024  # larger than an SSH channel window
    result = ssh().run("wc -c", stdin=data)
    assert result.stdout.strip() == str(len(data))
    assert ssh().run("cat", stdin=b"line one\nline two").stdout == "line one\nline two"


def test_nonzero_exit_raises_command_failed_with_status_and_stderr(ssh: Callable[..., SSHHost]) -> None:
    with pytest.raises(CommandFailed) as failed:
        ssh().run("echo first >&2; echo 'no such unit' >&2; exit 3")
    assert failed.value.exit_status == 3
    assert "worker-a" in str(failed.value) and "status 3" in str(failed.value)
    assert "no such unit" in str(failed.value)


def test_check_false_returns_the_status(ssh: Callable[..., SSHHost]) -> None:
    result = ssh().run("exit 7", check=False)
    assert result.exit_status == 7 and not result.ok


def test_secrets_are_redacted_from_failures(ssh: Callable[..., SSHHost]) -> None:
    with pytest.raises(CommandFailed) as failed:
        ssh().run(f"echo token={SECRET} >&2; false", secrets=[SECRET])
    assert SECRET not in str(failed.value) and SECRET not in failed.value.command
    assert "token=[redacted]" in str(failed.value)


def test_redact_covers_quoted_and_stripped_forms() -> None:
    assert redact("a 'it'\"'\"'s' b", ["it's"]) == "a [redacted] b"
    assert redact("value abc end", [b"abc\n", ""]) == "value [redacted] end"


def test_timeout_closes_the_session_and_the_host_stays_usable(ssh: Callable[..., SSHHost]) -> None:
    host = ssh()
    started = time.monotonic()
    with pytest.raises(CommandTimeout) as timed_out:
        host.run("sleep 3", timeout=0.5)
    assert time.monotonic() - started < 3
    assert isinstance(timed_out.value, TimeoutError) and "0.5 s" in str(timed_out.value)
    assert host.run("echo still here").stdout == "still here\n"


def test_sudo_wraps_the_whole_command(
    sshd_server: Callable[..., SSHServer], tmp_path: Path, ssh: Callable[..., SSHHost]
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "sudo"  # records its arguments, then runs the command (tests already run as root)
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {tmp_path}/calls\nshift 2\nexec "$@"\n')
    fake.chmod(0o755)
    server = sshd_server(f"SetEnv PATH={bin_dir}:/usr/bin:/bin")
    result = ssh(server, sudo=True).run("echo a | tr a b")
    assert result.stdout == "b\n"
    assert (tmp_path / "calls").read_text() == "-n -- sh -c echo a | tr a b\n"
    ssh(server, sudo=True).run("true", sudo=False)
    assert (tmp_path / "calls").read_text().count("\n") == 1


# -- connection errors --------------------------------------------------------------------------


def test_wrong_key_is_refused(ssh: Callable[..., SSHHost], tmp_path: Path, server: SSHServer) -> None:
    other = keygen(tmp_path / "not_authorized")
    with pytest.raises(AuthenticationRefused) as refused:
        ssh(key_filename=other).connect()
    message = str(refused.value)
    assert f"{server.user}@127.0.0.1" in message and str(other) in message
    assert f"ssh-copy-id -p {server.port} {server.user}@127.0.0.1" in message and "Tutorial 10" in message


def test_agent_keys_are_used(
    ssh: Callable[..., SSHHost], server: SSHServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        env = os.environ | {"SSH_AUTH_SOCK": str(sock)}
        subprocess.run(["ssh-add", "-q", str(server.client_key)], env=env, check=True, capture_output=True)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        assert ssh(key_filename=None, allow_agent=True).run("echo agent").stdout == "agent\n"
    finally:
        agent.terminate()
        agent.wait(5)


def test_closed_port_is_unreachable(ssh: Callable[..., SSHHost]) -> None:
    port = free_port()
    with pytest.raises(HostUnreachable) as unreachable:
        ssh(port=port).run("true")
    assert f"127.0.0.1:{port}" in str(unreachable.value) and "sshd" in str(unreachable.value)
    assert isinstance(unreachable.value, ConnectionError)


def test_silent_server_times_out_as_unreachable(ssh: Callable[..., SSHHost]) -> None:
    with socket.socket() as listener:  # accepts connections, never says a word
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        started = time.monotonic()
        with pytest.raises(HostUnreachable):
            ssh(port=listener.getsockname()[1], connect_timeout=0.5).connect()
    assert time.monotonic() - started < 3


def test_unknown_name_is_unreachable(ssh: Callable[..., SSHHost], monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_name(*args: object, **kwargs: object) -> list[object]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)  # no lookup leaves this machine
    with pytest.raises(HostUnreachable, match="does not resolve"):
        SSHHost("worker-z.sugarkube.lan", allow_agent=False, look_for_keys=False).connect()


def test_bad_parameters_are_refused_before_connecting(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="host_key_policy"):
        SSHHost("127.0.0.1", host_key_policy="yes")
    host = SSHHost("127.0.0.1", port=free_port())
    with pytest.raises(ParameterError, match="absolute"):
        host.write_file("etc/rancher/k3s/join-credential", b"x", 0o600)
    with pytest.raises(ParameterError, match="dir_mode"):
        host.write_file("/etc/x", b"x", 0o600, dir_mode=0o17777)


# -- host keys ----------------------------------------------------------------------------------


def test_strict_rejects_an_unknown_key_with_its_fingerprint(
    ssh: Callable[..., SSHHost], server: SSHServer, tmp_path: Path
) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(HostKeyRejected) as rejected:
        ssh(known_hosts=empty).connect()
    fingerprint = keygen_lf(Path(f"{server.host_key}.pub")).split()[1]
    assert rejected.value.fingerprint == fingerprint and fingerprint in str(rejected.value)
    assert "accept-new" in str(rejected.value)
    assert empty.read_text() == ""


def test_accept_new_records_the_key_then_strict_accepts_it(
    ssh: Callable[..., SSHHost], server: SSHServer, tmp_path: Path
) -> None:
    known = tmp_path / "ssh" / "known_hosts"
    assert ssh(known_hosts=known, host_key_policy="accept-new").run("true").ok
    assert known.read_text() == server.known_hosts_line()
    assert stat.S_IMODE(known.stat().st_mode) == 0o600
    assert ssh(known_hosts=known, host_key_policy="accept-new").run("true").ok
    assert known.read_text() == server.known_hosts_line()  # recorded once
    assert ssh(known_hosts=known, host_key_policy="strict").run("true").ok


@pytest.mark.parametrize("policy", ["strict", "accept-new"])
def test_a_changed_key_is_rejected(policy: str, ssh: Callable[..., SSHHost], server: SSHServer, tmp_path: Path) -> None:
    old = keygen(tmp_path / "old_host_key")
    kind, blob = Path(f"{old}.pub").read_text().split()[:2]
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{server.port} {kind} {blob}\n")
    with pytest.raises(HostKeyRejected) as rejected:
        ssh(known_hosts=known, host_key_policy=policy).connect()
    message = str(rejected.value)
    assert keygen_lf(Path(f"{old}.pub")).split()[1] in message
    assert keygen_lf(Path(f"{server.host_key}.pub")).split()[1] in message
    assert f"ssh-keygen -R '[127.0.0.1]:{server.port}'" in message
    assert known.read_text() == f"[127.0.0.1]:{server.port} {kind} {blob}\n"


def test_insecure_accepts_any_key_and_records_nothing(ssh: Callable[..., SSHHost], tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    assert ssh(known_hosts=known, host_key_policy="insecure").run("true").ok
    assert not known.exists()


def test_fingerprints_match_ssh_keygen(ssh: Callable[..., SSHHost], server: SSHServer) -> None:
    expected = keygen_lf(Path(f"{server.host_key}.pub"))
    keys = host_key_fingerprints(server.host, server.port, timeout=5)
    assert [str(key) for key in keys] == [expected]
    assert keys[0] == HostKey("ssh-ed25519", 256, expected.split()[1])
    assert str(ssh().host_key) == expected


def test_fingerprints_of_a_closed_port_are_unreachable() -> None:
    with pytest.raises(HostUnreachable):
        host_key_fingerprints("127.0.0.1", free_port(), timeout=2)


# -- write_file ---------------------------------------------------------------------------------


def test_write_file_places_a_secret_atomically_and_never_shows_it(
    sshd_server: Callable[..., SSHServer], ssh: Callable[..., SSHHost], tmp_path: Path
) -> None:
    server = sshd_server("LogLevel DEBUG3")  # the most sshd ever logs
    target = tmp_path / "etc" / "rancher" / "k3s" / "join-credential"
    data = f"{SECRET}\n".encode()
    host = ssh(server)
    host.write_file(str(target), b"an older credential", 0o644)
    host.write_file(str(target), data, 0o600, dir_mode=0o700)
    assert target.read_bytes() == data
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    assert os.listdir(target.parent) == ["join-credential"]  # no temporary file left behind

    binary = bytes(range(256))
    host.write_file(str(tmp_path / "blob"), binary, 0o640)
    assert (tmp_path / "blob").read_bytes() == binary

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(CommandFailed) as failed:
        host.write_file(str(blocker / "join-credential"), data, 0o600, dir_mode=0o700)
    assert "write_file" in str(failed.value) and SECRET not in str(failed.value)
    assert SECRET not in failed.value.stderr and SECRET not in failed.value.command
    host.close()
    assert "Starting session" in server.log_text() and SECRET not in server.log_text()


def test_no_credential_to_offer_is_an_authentication_problem(
    sshd_server: Callable[..., SSHServer], tmp_path: Path
) -> None:
    from sugarlab.hosts import SSHHost
    from sugarlab.lab.errors import AuthenticationRefused

    server = sshd_server()
    host = SSHHost(
        server.host,
        port=server.port,
        user=server.user,
        allow_agent=False,
        look_for_keys=False,
        host_key_policy="strict",
        known_hosts=server.known_hosts,
    )
    with pytest.raises(AuthenticationRefused, match="ssh-copy-id"):
        host.run("true")
