"""The SSH hardening audit of every node: simulated Pis answer `sshd -T` and `ssh-keygen -lf` as bookworm does."""

from __future__ import annotations

from collections.abc import Callable

from sugarlab.hosts.sim import SimulatedHost
from sugarlab.lab.session import Lab
from sugarlab.sim.world import sshd
from sugarlab.steps.operations import hardening


def test_a_simulated_pi_answers_like_a_fresh_bookworm_image(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab()
    with SimulatedHost(lab.cluster.api.configuration, "sugarkube0") as host:
        config = host.run("sshd -T", sudo=True).stdout
        keys = host.run(
            "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub; ssh-keygen -lf /etc/ssh/ssh_host_rsa_key.pub", sudo=True
        ).stdout.splitlines()
        missing = host.run("ssh-keygen -lf /etc/ssh/nope.pub", check=False)
    assert "passwordauthentication yes\n" in config and "kbdinteractiveauthentication no\n" in config
    assert "permitrootlogin without-password\n" in config and "pubkeyauthentication yes\n" in config
    assert (
        keys[0] == f"256 {sshd.fingerprint(7, 'sugarkube0', '/etc/ssh/ssh_host_ed25519_key')} root@sugarkube0 (ED25519)"
    )
    assert keys[1].startswith("3072 SHA256:") and keys[1].endswith("(RSA)")
    assert missing.exit_status == 255 and "No such file" in missing.stderr


def test_fingerprints_differ_by_machine_and_seed_and_repeat_for_the_same() -> None:
    key = "/etc/ssh/ssh_host_ed25519_key"
    assert sshd.fingerprint(7, "a", key) == sshd.fingerprint(7, "a", key)
    assert len({sshd.fingerprint(7, "a", key), sshd.fingerprint(7, "b", key), sshd.fingerprint(8, "a", key)}) == 3


def test_every_node_is_audited_and_the_checklist_names_each_fix(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(sim_workers=1)
    results = hardening.audit(lab, progress=False)
    assert [r.node for r in results] == ["sugarkube0", "sugarkube1"] and all(r.completed for r in results)
    frame = hardening.findings(results)
    failing = set(frame.loc[~frame["passed"], "item"])
    assert failing == {"password authentication off"}  # bookworm's defaults: only password logins left on
    prints = hardening.fingerprints(results)
    assert len(prints) == 6 and prints["fingerprint"].is_unique
    text = hardening.save(lab, results)
    assert lab.workspace.read_text(hardening.CHECKLIST) == text
    assert "| sugarkube1 |" in text and "PasswordAuthentication no" in text
    assert sshd.fingerprint(7, "sugarkube1", "/etc/ssh/ssh_host_ecdsa_key") in text
    (step,) = [s for s in lab.workspace.steps() if s.step == "ssh hardening audit"]
    assert step.status == "passed" and "to fix: password authentication off" in step.detail
