"""The OpenSSH server of a simulated Raspberry Pi: what `sshd -T` and `ssh-keygen -lf` print on it.

A fresh Raspberry Pi OS bookworm image runs Debian 12's OpenSSH 9.2p1 with Debian's sshd_config:
password logins on, keyboard-interactive off (`KbdInteractiveAuthentication no`), root only by key
(`without-password`, what `sshd -T` prints for prohibit-password), public keys on, PAM on. `sshd -T`
below is what that server prints (the long algorithm lists left out). The host keys are regenerated on
first boot, so each machine has its own; here their fingerprints follow from the seed and the machine's
name, so the same cluster shows the same fingerprints every time.
"""

from __future__ import annotations

import base64
import hashlib
import shlex

HOST_KEYS = {  # path -> (bits, ssh-keygen's label)
    "/etc/ssh/ssh_host_rsa_key": (3072, "RSA"),
    "/etc/ssh/ssh_host_ecdsa_key": (256, "ECDSA"),
    "/etc/ssh/ssh_host_ed25519_key": (256, "ED25519"),
}
SSHD_T = (
    """port 22
addressfamily any
listenaddress [::]:22
listenaddress 0.0.0.0:22
usepam yes
logingracetime 120
x11displayoffset 10
maxauthtries 6
maxsessions 10
clientaliveinterval 0
clientalivecountmax 3
permitrootlogin without-password
ignorerhosts yes
hostbasedauthentication no
pubkeyauthentication yes
kerberosauthentication no
gssapiauthentication no
passwordauthentication yes
kbdinteractiveauthentication no
printmotd no
printlastlog yes
x11forwarding yes
permittty yes
strictmodes yes
tcpkeepalive yes
permitemptypasswords no
compression yes
usedns no
allowtcpforwarding yes
allowagentforwarding yes
fingerprinthash SHA256
pidfile /run/sshd.pid
loglevel INFO
syslogfacility AUTH
authorizedkeysfile .ssh/authorized_keys .ssh/authorized_keys2
"""
    + "".join(f"hostkey {path}\n" for path in HOST_KEYS)
    + """acceptenv LANG
acceptenv LC_*
authenticationmethods any
subsystem sftp /usr/lib/openssh/sftp-server
maxstartups 10:30:100
permittunnel no
permituserenvironment no
"""
)


def fingerprint(seed: int, machine: str, path: str) -> str:
    """`SHA256:<base64>` of the machine's host key at `path`, as ssh-keygen prints it."""
    digest = hashlib.sha256(f"sugarlab-sim:{seed}:{machine}:{path}".encode()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _keygen(seed: int, machine: str, words: list[str]) -> tuple[int, str, str]:
    path = words[-1]
    key = HOST_KEYS.get(path.removesuffix(".pub"))
    if key is None or not path.endswith(".pub"):
        return 255, "", f"{path}: No such file or directory\n"
    bits, label = key
    return 0, f"{bits} {fingerprint(seed, machine, path.removesuffix('.pub'))} root@{machine} ({label})\n", ""


def answer(seed: int, machine: str, command: str) -> tuple[int, str, str] | None:
    """(exit status, stdout, stderr) for `sshd -T` or a `;`-separated run of `ssh-keygen -lf FILE`;
    None for any other command."""
    parts = []
    for part in command.split(";"):
        words = shlex.split(part)
        while words[:1] == ["sudo"] or words[:1] == ["-n"] or words[:1] == ["--"]:
            words = words[1:]
        parts.append(words)
    if len(parts) == 1 and parts[0][:1] in (["sshd"], ["/usr/sbin/sshd"]) and "-T" in parts[0]:
        return 0, SSHD_T, ""
    if parts and all(w[:2] == ["ssh-keygen", "-lf"] and len(w) == 3 for w in parts):
        results = [_keygen(seed, machine, w) for w in parts]
        return results[-1][0], "".join(r[1] for r in results), "".join(r[2] for r in results)
    return None
