"""Joining workers on the simulated cluster: budget, preflight, join, Ready, and the NotReady diagnosis."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from sugarlab.hosts.sim import SimulatedHost
from sugarlab.lab.errors import PowerBudgetExceeded
from sugarlab.lab.session import Lab
from sugarlab.steps import expansion


def test_power_budget_follows_the_80_percent_rule() -> None:
    within = expansion.power_budget({"pi5": 27.0, "pi4": 15.3, "switch": 8.0}, 100.0)
    assert within.ok and within.total_w == pytest.approx(50.3)
    over = expansion.power_budget({"pi5": 27.0, "pi4 a": 15.3, "pi4 b": 15.3, "switch": 8.0}, 75.0)
    assert not over.ok and "Over budget" in over.verdict()
    with pytest.raises(PowerBudgetExceeded, match="above the tutorial's 80% rule"):
        expansion.check_power(over, override=False)
    expansion.check_power(over, override=True)  # explicitly overridden: no error


def test_preflight_finds_what_would_stop_a_join(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(
        join_workers=["worker-a", "worker-b", "worker-c"],
        sim_faults={"worker-b": "clock-skew", "worker-c": "firewall-6443"},
    )
    hosts = expansion.open_hosts(lab, lab.params.join_workers)
    checks = expansion.preflight(lab, hosts.controller, hosts.workers).set_index("worker")
    assert checks.loc["worker-a", "ready_to_join"]
    assert checks.loc["worker-a", "arch"] == "aarch64"
    assert "timedatectl set-ntp true" in checks.loc["worker-b", "problems"]
    assert checks.loc["worker-b", "clock_offset_s"] < -86400
    assert "6443/TCP" in checks.loc["worker-c", "problems"]
    hosts.close()


def test_workers_join_tainted_and_ready_one_at_a_time(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab()
    hosts = expansion.open_hosts(lab, lab.params.join_workers)
    joined = expansion.join_all(lab, hosts.controller, hosts.workers, progress=False).set_index("worker")
    assert list(joined["status"]) == ["Ready", "Ready"]
    assert (joined["latency_s"] > 0).all()
    assert joined.loc["worker-a", "ready"] <= joined.loc["worker-b", "requested"]  # one node at a time
    nodes = expansion.save_nodes(lab).set_index("name")
    assert nodes.loc["worker-a", "taints"] == "sugarkube.io/role=worker:NoSchedule"
    assert lab.workspace.path(expansion.NODES_AFTER_JOIN).read_text().count("   Ready   ") == 3
    token_file = hosts.workers["worker-a"].run(f"test -e {expansion.TOKEN_FILE}", check=False)
    assert token_file.ok
    hosts.close()


def test_not_ready_node_gets_a_diagnosis_from_its_conditions_and_log(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(join_workers=["worker-a"], sim_faults={"worker-a": "flannel-blocked"}, join_timeout=240)
    hosts = expansion.open_hosts(lab, lab.params.join_workers)
    assert hosts.controller is not None
    result = expansion.join_worker(lab, hosts.controller, hosts.workers["worker-a"], progress=False)
    assert result.status == "NotReady" and result.latency_s is None
    assert "cni plugin not initialized" in result.diagnosis
    assert "8472/UDP" in result.diagnosis and "timedatectl set-ntp true" in result.diagnosis
    assert "flannel exited" in result.diagnosis  # the agent's own log, read from the worker
    hosts.close()


def test_agent_with_a_skewed_clock_fails_to_install_with_the_reason(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(join_workers=["worker-a"], sim_faults={"worker-a": "clock-skew"})
    hosts = expansion.open_hosts(lab, lab.params.join_workers)
    assert hosts.controller is not None
    result = expansion.join_worker(lab, hosts.controller, hosts.workers["worker-a"], progress=False)
    assert result.status == "install failed"
    assert "certificate has expired or is not yet valid" in result.diagnosis
    hosts.close()


def test_a_forged_credential_is_refused(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(join_workers=["worker-a"])
    hosts = expansion.open_hosts(lab, lab.params.join_workers)
    worker = hosts.workers["worker-a"]
    worker.write_file(expansion.TOKEN_FILE, b"abcdef.0123456789abcdef", 0o600, dir_mode=0o700)
    install = worker.run(expansion.install_command(lab), sudo=True, check=False)
    assert install.exit_status == 1
    assert "token is not valid" in worker.run("journalctl -u k3s-agent").stdout
    hosts.close()


def test_live_cluster_is_only_changed_with_apply(shared_lab: Callable[..., Lab]) -> None:
    lab = shared_lab()
    assert expansion.may_change_cluster(lab)
    live = lab.params.model_copy(update={"backend": "live"})
    cluster = dataclasses.replace(lab.cluster, backend="live", speed=1.0)  # the same server, taken for a real one
    assert not expansion.may_change_cluster(type(lab)(live, cluster, lab.workspace))
    applied = live.model_copy(update={"apply": True})
    assert expansion.may_change_cluster(type(lab)(applied, cluster, lab.workspace))
    plan = "\n".join(expansion.join_plan(lab, lab.params.join_workers)["command"])
    assert "join-credential" in plan and "--node-taint sugarkube.io/role=worker:NoSchedule" in plan


def test_unknown_machine_is_unreachable(shared_lab: Callable[..., Lab]) -> None:
    from sugarlab.lab.errors import HostUnreachable

    lab = shared_lab()
    with pytest.raises(HostUnreachable, match="no such machine"):
        SimulatedHost(lab.cluster.api.configuration, "ghost").run("hostname")
