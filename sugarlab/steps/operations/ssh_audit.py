"""SSH hardening audit (Tutorial 13, step 6.4) and the `operations/security-checklist.md` it feeds.

`audit_host` reads a node's *effective* sshd configuration with `sshd -T` (what sshd would actually
enforce after every `Include`, default and first-value-wins rule, not what a file seems to say),
checks the settings that keep password and keyboard-interactive logins out, and records the node's
host key fingerprints. `security_checklist_markdown` turns the results of several nodes into the
checklist the tutorial asks for: the date, a table per node, the fingerprints and what to change.

An audit that cannot run (the node is unreachable, refuses our key, or `sshd -T` fails, for example
because sudo wants a password) does not raise: its `AuditResult` carries a failed finding and a
`diagnosis`, so a report over several nodes still renders and shows which node needs attention.
The caller decides whether a failed audit stops the lab (`result.passed`, `result.completed`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import date as Date

import pandas as pd

from sugarlab.hosts.base import Host
from sugarlab.hosts.keys import HostKey, host_key_fingerprints
from sugarlab.lab.errors import HostError

FINDING_COLUMNS = ["node", "item", "setting", "expected", "found", "passed", "remediation"]

# Where the fix goes. sshd keeps the first value it reads and Debian's sshd_config includes
# sshd_config.d/*.conf (in lexical order) before its own lines, so a file that sorts first wins over
# e.g. 50-cloud-init.conf, which may switch password logins back on.
DROP_IN = "/etc/ssh/sshd_config.d/01-sugarkube-hardening.conf"
RELOAD = "sudo systemctl reload ssh"
AUDIT_ITEM = "effective sshd configuration read"
FINGERPRINT_ITEM = "host key fingerprints recorded"
ROOT_LOGIN_SAFE = ("no", "prohibit-password", "without-password", "forced-commands-only")
KEYGEN_TYPES = {"ED25519": "ssh-ed25519", "RSA": "ssh-rsa", "DSA": "ssh-dss"}


@dataclass(frozen=True)
class Check:
    """One hardening item: which `sshd -T` keys report it (first present wins) and what is safe."""

    item: str
    keywords: tuple[str, ...]  # lowercase, as `sshd -T` prints them
    settings: tuple[str, ...]  # the sshd_config spelling of each keyword
    safe: tuple[str, ...]  # accepted values; the first is the one to set
    why: str

    def judge(self, config: dict[str, str]) -> tuple[str, str, bool]:
        """(setting, found, passed) for this item in a parsed `sshd -T` output."""
        for keyword, setting in zip(self.keywords, self.settings, strict=True):
            if keyword in config:
                return setting, config[keyword], config[keyword].lower() in self.safe
        return self.settings[0], "not reported by sshd -T", False

    @property
    def expected(self) -> str:
        """`no`, or `no (or prohibit-password, ...)` when several values are safe."""
        others = f" (or {', '.join(self.safe[1:])})" if len(self.safe) > 1 else ""
        return self.safe[0] + others

    def remediation(self, setting: str) -> str:
        return (
            f"{self.why} Put `{setting} {self.safe[0]}` in `{DROP_IN}` (sshd keeps the first value "
            f"it reads, so the file must sort before any other that sets {setting}), check it with "
            f"`sudo sshd -t`, apply it with `{RELOAD}`, and keep your current session open until a "
            "new key-based login works."
        )


CHECKS = (
    Check(
        "password authentication off",
        ("passwordauthentication",),
        ("PasswordAuthentication",),
        ("no",),
        "Password logins let anyone on the network guess credentials; install your public "
        "key with `ssh-copy-id` and confirm it logs in before turning them off.",
    ),
    # OpenSSH 8.7 renamed ChallengeResponseAuthentication; older sshd -T prints the old name.
    Check(
        "keyboard-interactive authentication off",
        ("kbdinteractiveauthentication", "challengeresponseauthentication"),
        ("KbdInteractiveAuthentication", "ChallengeResponseAuthentication"),
        ("no",),
        "Keyboard-interactive logins (PAM) still accept a typed password when "
        "PasswordAuthentication is off: disable keyboard-interactive logins, as the tutorial asks.",
    ),
    Check(
        "root login not by password",
        ("permitrootlogin",),
        ("PermitRootLogin",),
        ROOT_LOGIN_SAFE,
        "Root must never log in with a password; log in as your own user and use sudo.",
    ),
    Check(
        "public-key authentication on",
        ("pubkeyauthentication",),
        ("PubkeyAuthentication",),
        ("yes",),
        "Key pairs are the only way in once passwords are off.",
    ),
    Check(
        "empty passwords refused",
        ("permitemptypasswords",),
        ("PermitEmptyPasswords",),
        ("no",),
        "An account without a password must not be able to log in.",
    ),
)


@dataclass(frozen=True)
class AuditResult:
    """One node's audit. `findings` has `FINDING_COLUMNS`, one row per item.

    `diagnosis` is empty when the audit ran; otherwise it says why it could not (the node refused
    us, `sshd -T` failed, the fingerprints could not be read) and the findings hold a failed row for
    it instead of guessing the settings.
    """

    node: str
    date: datetime  # when the audit ran, UTC
    findings: pd.DataFrame
    fingerprints: list[HostKey] = field(default_factory=list)
    diagnosis: str = ""

    @property
    def completed(self) -> bool:
        """True when the settings were read (some may still fail)."""
        return AUDIT_ITEM not in set(self.findings["item"])

    @property
    def passed(self) -> bool:
        """True when every item was checked and passed."""
        return bool(len(self.findings)) and bool(self.findings["passed"].all())

    @property
    def failures(self) -> pd.DataFrame:
        return self.findings[~self.findings["passed"]]


def parse_sshd_t(text: str) -> dict[str, str]:
    """`sshd -T` output as {lowercase keyword: value}; a keyword listed twice keeps its first value."""
    config: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.strip().split(None, 1)
        if parts and not parts[0].startswith("#"):
            config.setdefault(parts[0].lower(), parts[1].strip() if len(parts) > 1 else "")
    return config


def _all_values(text: str, keyword: str) -> list[str]:
    return [
        parts[1].strip()
        for line in text.splitlines()
        if len(parts := line.strip().split(None, 1)) == 2 and parts[0].lower() == keyword
    ]


def _row(
    node: str, item: str, setting: str, expected: str, found: str, passed: bool, remediation: str
) -> dict[str, object]:
    return dict(
        node=node,
        item=item,
        setting=setting,
        expected=expected,
        found=found,
        passed=passed,
        remediation="" if passed else remediation,
    )


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    return frame.astype({"passed": bool})


def findings_from_config(node: str, config: dict[str, str]) -> pd.DataFrame:
    """The hardening findings for a parsed `sshd -T` output."""
    rows = []
    for check in CHECKS:
        setting, found, passed = check.judge(config)
        rows.append(_row(node, check.item, setting, check.expected, found, passed, check.remediation(setting)))
    return _frame(rows)


def _keygen_line(line: str) -> HostKey | None:
    """A HostKey from an `ssh-keygen -lf` line: `256 SHA256:... comment (ED25519)`."""
    match = re.match(r"\s*(\d+)\s+(SHA256:\S+)\s.*\((\w+)\)\s*$", line)
    if not match:
        return None
    bits, digest, label = int(match[1]), match[2], match[3]
    key_type = KEYGEN_TYPES.get(label, f"ecdsa-sha2-nistp{bits}" if label == "ECDSA" else label.lower())
    return HostKey(key_type, bits, digest)


def _node_fingerprints(host: Host, sshd_t: str, *, sudo: bool, timeout: float) -> list[HostKey]:
    """The fingerprints of the host keys sshd names, read on the node with `ssh-keygen -lf`."""
    paths = _all_values(sshd_t, "hostkey")
    if not paths:
        raise HostError(f"{host.name}: sshd -T names no host key")
    command = "; ".join(f"ssh-keygen -lf {shlex.quote(p + '.pub')}" for p in paths)
    result = host.run(command, timeout=timeout, sudo=sudo, check=False)
    keys = [key for line in result.stdout.splitlines() if (key := _keygen_line(line))]
    if not keys:
        raise HostError(f"{host.name}: `ssh-keygen -lf` read no host key ({result.stderr.strip()})")
    return keys


def _scan(host: Host) -> Callable[[], list[HostKey]] | None:
    """A keyscan of the SSH server behind `host` when it has an address (an `SSHHost`)."""
    address, port = getattr(host, "host", None), getattr(host, "port", None)
    if isinstance(address, str) and isinstance(port, int):
        return lambda: host_key_fingerprints(address, port)
    return None


def audit_host(
    host: Host,
    *,
    fingerprints: Sequence[HostKey] | None = None,
    sshd_command: str = "sshd -T",
    sudo: bool = True,
    timeout: float = 30.0,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> AuditResult:
    """Audit the SSH hardening of `host` by its effective configuration (`sshd -T`).

    `sshd_command` is run on the node (as root with `sudo`, which `sshd -T` needs to read the host
    keys); point it at another config with e.g. `/usr/sbin/sshd -T -f /path/sshd_config`.
    `fingerprints` are recorded as given; when None they are scanned from the SSH server the host
    connects to (an `SSHHost`'s host and port) or, for other hosts, read on the node with
    `ssh-keygen -lf` of each host key sshd names.

    Never raises `HostError`: a node that cannot be audited gives a result with `completed` False,
    a failed finding and a `diagnosis`. Other errors (bugs, bad arguments) propagate.
    """
    node, started = host.name, now()
    try:
        result = host.run(sshd_command, timeout=timeout, sudo=sudo, check=False)
    except HostError as error:
        return _not_audited(node, started, fingerprints, sshd_command, str(error))
    if not result.ok:
        return _not_audited(
            node,
            started,
            fingerprints,
            sshd_command,
            f"`{result.command}` on {node} exited with status {result.exit_status}: "
            f"{result.stderr.strip() or 'no message'}",
        )
    config = parse_sshd_t(result.stdout)
    if not config:
        return _not_audited(
            node, started, fingerprints, sshd_command, f"`{result.command}` on {node} printed no settings"
        )
    findings = findings_from_config(node, config)
    keys, diagnosis = list(fingerprints or []), ""
    if fingerprints is None:
        scan = _scan(host)
        try:
            keys = scan() if scan else _node_fingerprints(host, result.stdout, sudo=sudo, timeout=timeout)
        except HostError as error:
            diagnosis = f"host key fingerprints could not be read: {error}"
            findings = _frame(
                [
                    *findings.to_dict("records"),
                    _row(
                        node,
                        FINGERPRINT_ITEM,
                        "",
                        "the fingerprint of each host key",
                        str(error),
                        False,
                        "On the node's console run `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` (and the "
                        "other `ssh_host_*_key.pub` files) and record the fingerprints here.",
                    ),
                ]
            )
    return AuditResult(node, started, findings, keys, diagnosis)


def _not_audited(
    node: str, started: datetime, fingerprints: Sequence[HostKey] | None, command: str, reason: str
) -> AuditResult:
    remediation = (
        f"Make sure this machine can log in to {node} with its key (Tutorial 10) and that "
        f"`sudo -n {command}` works there (passwordless sudo), then audit again."
    )
    row = _row(node, AUDIT_ITEM, "", f"`{command}` answers over SSH", reason, False, remediation)
    return AuditResult(node, started, _frame([row]), list(fingerprints or []), f"{node} was not audited: {reason}")


# -- the checklist ---------------------------------------------------------------------------------

ROTATION = f"""## Replacing SSH credential pairs

Rotate the key pair you log in with, then remove the old one from every node:

1. Make a new pair on your workstation:
   `ssh-keygen -t ed25519 -f ~/.ssh/sugarkube_ed25519 -C "sugarkube-$(date +%F)"`.
2. Install it on each node: `ssh-copy-id -i ~/.ssh/sugarkube_ed25519.pub pi@<node>`.
3. Check that it logs in on its own:
   `ssh -i ~/.ssh/sugarkube_ed25519 -o IdentitiesOnly=yes -o PasswordAuthentication=no pi@<node> true`.
4. Delete the old key's line from `~/.ssh/authorized_keys` on each node and retire the old private
   key.
5. After any change to sshd settings, check and apply it with `sudo sshd -t && {RELOAD}`,
   keeping one session open until a new login works.

If a node's host keys are replaced (re-imaged, or regenerated with
`sudo rm /etc/ssh/ssh_host_* && sudo dpkg-reconfigure openssh-server`), record the new fingerprints
above and remove the old entry on each client with `ssh-keygen -R <node>`.
"""


def _cell(value: object) -> str:
    return " ".join(str(value).split()).replace("|", "\\|") or "-"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _summary(result: AuditResult) -> str:
    if not result.completed:
        return "not audited"
    if result.passed:
        return "passed"
    return f"failed ({len(result.failures)} of {len(result.findings)} items)"


def _node_section(result: AuditResult) -> list[str]:
    lines = [f"## {result.node}", "", f"Audited {_when(result.date)}: {_summary(result)}.", ""]
    if result.diagnosis:
        lines += [f"> {_cell(result.diagnosis)}", ""]
    lines += ["| Item | Expected | Found | Result |", "| --- | --- | --- | --- |"]
    for row in result.findings.itertuples(index=False):
        expected = str(row.expected)
        if row.setting:  # `PermitRootLogin no` (or prohibit-password, ...)
            value, _, others = expected.partition(" (")
            expected = f"`{row.setting} {value}`" + (f" ({others}" if others else "")
        lines.append(
            f"| {_cell(row.item)} | {_cell(expected)} | {_cell(row.found)} | {'pass' if row.passed else 'FAIL'} |"
        )
    lines += [
        "",
        "Host key fingerprints (compare with `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` on the node's console):",
        "",
    ]
    lines += [f"- `{key}`" for key in result.fingerprints] or ["- none recorded"]
    if len(result.failures):
        lines += ["", "Remediation:", ""]
        lines += [f"- **{row.item}**: {_cell(row.remediation)}" for row in result.failures.itertuples()]
    return [*lines, ""]


def security_checklist_markdown(results: Sequence[AuditResult], date: Date | None = None) -> str:
    """The text of `operations/security-checklist.md` for the audited nodes.

    `date` is the checklist's date (a datetime is shown as its UTC day); None: today, UTC.
    """
    if date is None:
        date = datetime.now(UTC)
    day = date.astimezone(UTC) if isinstance(date, datetime) and date.tzinfo else date
    lines = [
        "# Security checklist",
        "",
        f"Date: {day.strftime('%Y-%m-%d')}",
        "",
        "Tutorial 13, step 6.4: harden remote access by replacing SSH credential pairs and disabling "
        "keyboard-interactive logins. Each node's effective sshd configuration was read with "
        "`sshd -T`; fingerprints are SHA256, as `ssh-keygen -lf` prints them.",
        "",
        "| Node | Audited | Result |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {_cell(r.node)} | {_when(r.date)} | {_summary(r)} |" for r in results]
    if not results:
        lines.append("| - | - | no node audited |")
    lines.append("")
    for result in results:
        lines += _node_section(result)
    return "\n".join(lines) + "\n" + ROTATION


__all__ = [
    "CHECKS",
    "FINDING_COLUMNS",
    "AuditResult",
    "audit_host",
    "findings_from_config",
    "parse_sshd_t",
    "security_checklist_markdown",
]
