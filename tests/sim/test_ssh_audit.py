"""The SSH hardening audit against real OpenSSH servers on 127.0.0.1 (see tests/sshd.py): a hardened
and a weak config, fingerprints, nodes that cannot be audited, and the security checklist."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sugarlab.hosts import CommandResult, HostKey, SSHHost
from sugarlab.steps.operations.ssh_audit import (
    FINDING_COLUMNS,
    AuditResult,
    audit_host,
    findings_from_config,
    parse_sshd_t,
    security_checklist_markdown,
)
from tests.sim.sshd import SSHServer, free_port, keygen, run_sshd

WEAK = ("PasswordAuthentication yes", "KbdInteractiveAuthentication yes", "PermitRootLogin yes")
FAILING = {"password authentication off", "keyboard-interactive authentication off", "root login not by password"}


def connect(server: SSHServer, name: str, **options: Any) -> SSHHost:
    settings: dict[str, Any] = dict(
        port=server.port,
        user=server.user,
        key_filename=server.client_key,
        known_hosts=server.known_hosts,
        allow_agent=False,
        look_for_keys=False,
        connect_timeout=5,
        name=name,
    )
    return SSHHost(server.host, **(settings | options))


def sshd_t(server: SSHServer) -> str:
    """`sshd -T` of the test server's own config (the test user is root, so it reads the host key)."""
    return f"/usr/sbin/sshd -T -f {server.config}"


def audit(server: SSHServer, name: str, **options: Any) -> AuditResult:
    """Audit without connecting first (`with SSHHost` would raise on entry): the audit connects."""
    host = connect(server, name, **options)
    try:
        return audit_host(host, sshd_command=sshd_t(server), sudo=False)
    finally:
        host.close()


def keygen_lf(public_key: Path) -> str:
    bits, digest, *_, label = subprocess.run(
        ["ssh-keygen", "-lf", str(public_key)], check=True, capture_output=True, text=True
    ).stdout.split()
    return f"{bits} {digest} {label}"


@pytest.fixture(scope="module")
def hardened(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHServer]:
    with run_sshd(tmp_path_factory.mktemp("hardened")) as server:
        yield server


@pytest.fixture(scope="module")
def weak(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHServer]:
    with run_sshd(tmp_path_factory.mktemp("weak"), *WEAK) as server:
        yield server


@pytest.fixture(scope="module")
def hardened_audit(hardened: SSHServer) -> AuditResult:
    return audit(hardened, "controller")


@pytest.fixture(scope="module")
def weak_audit(weak: SSHServer) -> AuditResult:
    return audit(weak, "worker-a")


def test_hardened_config_passes_every_item(hardened_audit: AuditResult) -> None:
    findings = hardened_audit.findings
    assert list(findings.columns) == FINDING_COLUMNS
    assert len(findings) == 5 and findings["passed"].all()
    assert hardened_audit.passed and hardened_audit.completed and hardened_audit.diagnosis == ""
    assert (findings["remediation"] == "").all() and (findings["node"] == "controller").all()
    found = dict(zip(findings["setting"], findings["found"], strict=True))
    assert found["PasswordAuthentication"] == "no" and found["KbdInteractiveAuthentication"] == "no"
    assert found["PermitRootLogin"] == "without-password"  # sshd -T's name for prohibit-password
    assert hardened_audit.date.tzinfo is not None and hardened_audit.date.utcoffset() == timedelta(0)


def test_weak_config_fails_those_items_with_remediation(weak_audit: AuditResult) -> None:
    assert weak_audit.completed and not weak_audit.passed
    failures = weak_audit.failures.set_index("item")
    assert set(failures.index) == FAILING
    assert failures.loc["password authentication off", "found"] == "yes"
    assert failures.loc["root login not by password", "found"] == "yes"
    for item, setting in [
        ("password authentication off", "PasswordAuthentication no"),
        ("keyboard-interactive authentication off", "KbdInteractiveAuthentication no"),
        ("root login not by password", "PermitRootLogin no"),
    ]:
        text = failures.loc[item, "remediation"]
        assert f"`{setting}`" in text and "/etc/ssh/sshd_config.d/" in text
        assert "sudo systemctl reload ssh" in text
    passing = weak_audit.findings[weak_audit.findings["passed"]]
    assert set(passing["item"]) == {"public-key authentication on", "empty passwords refused"}


def test_fingerprints_match_the_servers_host_key(hardened: SSHServer, hardened_audit: AuditResult) -> None:
    assert [str(key) for key in hardened_audit.fingerprints] == [keygen_lf(Path(f"{hardened.host_key}.pub"))]
    assert hardened_audit.fingerprints[0].key_type == "ssh-ed25519"


def test_fingerprints_are_read_on_the_node_when_the_host_has_no_address(
    hardened: SSHServer, hardened_audit: AuditResult
) -> None:
    class Relay:  # a Host that is not an SSHHost, such as a simulated node
        def __init__(self, inner: SSHHost) -> None:
            self.inner, self.name = inner, inner.name

        def run(self, command: str, **options: Any) -> CommandResult:
            return self.inner.run(command, **options)

    with connect(hardened, "controller") as host:
        result = audit_host(Relay(host), sshd_command=sshd_t(hardened), sudo=False)  # type: ignore[arg-type]
    assert result.passed and result.fingerprints == hardened_audit.fingerprints


def test_given_fingerprints_are_recorded_as_given(hardened: SSHServer) -> None:
    given = [HostKey("ssh-ed25519", 256, "SHA256:given")]
    with connect(hardened, "controller") as host:
        result = audit_host(host, fingerprints=given, sshd_command=sshd_t(hardened), sudo=False)
    assert result.passed and result.fingerprints == given


def test_refused_authentication_is_recorded_not_raised(hardened: SSHServer, tmp_path: Path) -> None:
    given = [HostKey("ssh-ed25519", 256, "SHA256:kept")]
    host = connect(hardened, "worker-b", key_filename=keygen(tmp_path / "stranger"))
    result = audit_host(host, fingerprints=given, sshd_command=sshd_t(hardened), sudo=False)
    assert not result.completed and not result.passed
    assert list(result.findings["item"]) == ["effective sshd configuration read"]
    assert "refused authentication" in result.findings["found"].iloc[0]
    assert "worker-b was not audited" in result.diagnosis and "ssh-copy-id" in result.diagnosis
    assert result.fingerprints == given


def test_unreachable_node_is_recorded_not_raised() -> None:
    server = SSHServer(
        "127.0.0.1",
        free_port(),
        "nobody",
        Path("/nonexistent"),
        Path("/nonexistent"),
        Path("/nonexistent"),
        Path("/nonexistent"),
        Path("/nonexistent"),
        Path("/nonexistent"),
    )
    result = audit(server, "worker-c", connect_timeout=2)
    assert not result.completed and "cannot reach SSH" in result.diagnosis
    assert result.fingerprints == []


def test_failing_sshd_t_is_recorded_with_its_status(hardened: SSHServer) -> None:
    with connect(hardened, "controller") as host:
        result = audit_host(host, sshd_command="/usr/sbin/sshd -T -f /nonexistent/sshd_config", sudo=False)
    assert not result.completed and not result.passed
    assert "exited with status 1" in result.diagnosis and "/nonexistent/sshd_config" in result.diagnosis
    assert "passwordless sudo" in result.findings["remediation"].iloc[0]


def test_parse_keeps_the_first_value_and_lowercases_keys() -> None:
    config = parse_sshd_t("PasswordAuthentication no\npasswordauthentication yes\nhostkey /a\nhostkey /b\n")
    assert config == {"passwordauthentication": "no", "hostkey": "/a"}


def test_older_sshd_reports_challenge_response() -> None:
    findings = findings_from_config(
        "old-pi",
        {
            "challengeresponseauthentication": "yes",
            "passwordauthentication": "no",
            "permitrootlogin": "no",
            "pubkeyauthentication": "yes",
        },
    ).set_index("item")
    row = findings.loc["keyboard-interactive authentication off"]
    assert row["setting"] == "ChallengeResponseAuthentication" and not row["passed"]
    assert "`ChallengeResponseAuthentication no`" in row["remediation"]
    empty = findings.loc["empty passwords refused"]
    assert not empty["passed"] and empty["found"] == "not reported by sshd -T"


def test_checklist_shows_date_nodes_failures_and_fingerprints(
    hardened_audit: AuditResult, weak_audit: AuditResult, hardened: SSHServer, tmp_path: Path
) -> None:
    refused = audit(hardened, "worker-b", key_filename=keygen(tmp_path / "stranger"))
    text = security_checklist_markdown([hardened_audit, weak_audit, refused], datetime(2025, 3, 14, 23, 30, tzinfo=UTC))
    assert text.startswith("# Security checklist\n") and "Date: 2025-03-14" in text
    for node in ("## controller", "## worker-a", "## worker-b"):
        assert node in text
    assert "| controller |" in text and "| passed |" in text and "failed (3 of 5 items)" in text
    assert "not audited" in text and "refused authentication" in text
    for item in FAILING:
        assert f"| {item} |" in text and f"- **{item}**:" in text
    for result in (hardened_audit, weak_audit):
        assert f"- `{result.fingerprints[0]}`" in text
    assert "sudo systemctl reload ssh" in text and "Replacing SSH credential pairs" in text
    assert "- none recorded" in text  # the refused node
    assert "Date: 2025-01-02" in security_checklist_markdown([], date(2025, 1, 2))
