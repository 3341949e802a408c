"""A homelab that already exists: workers that are Ready members are recorded, never dialled, never joined again."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from sugarlab.common.kubectl import parse_time
from sugarlab.lab.session import Lab
from sugarlab.steps import expansion
from sugarlab.steps.operations import hardening
from sugarlab.steps.storage import failover


def addressed_as_live(lab: Lab, **values: object) -> Lab:
    """The same simulator taken for a real cluster, whose machines are reached only by SSH at `values`' names."""
    params = lab.params.model_copy(update={"backend": "live", "apply": True, **values})
    return Lab(params, dataclasses.replace(lab.cluster, backend="live", speed=1.0), lab.workspace)


def test_ready_members_are_recorded_from_their_nodes_and_nothing_is_dialled(open_sim_lab: Callable[..., Lab]) -> None:
    sim = open_sim_lab("02-expansion", sim_workers=2, join_workers=["sugarkube1", "sugarkube2"])
    lab = addressed_as_live(
        sim,
        controller_host="controller.invalid",  # dialling it would raise HostUnreachable
        worker_addresses={"sugarkube1": "sugarkube1.invalid", "sugarkube2": "sugarkube2.invalid"},
    )
    members = expansion.find_members(lab)
    assert list(members) == ["sugarkube1", "sugarkube2"] and expansion.to_join(lab, members) == []
    node = lab.cluster.core.read_node("sugarkube1")
    member = members["sugarkube1"]
    assert (member.how, member.status, member.requested) == (expansion.MEMBER, "Ready", None)
    assert member.registered == parse_time(node.metadata.creation_timestamp)
    assert member.latency_s is None  # no join was timed, so no latency is made up

    hosts = expansion.open_hosts(lab, expansion.to_join(lab, members))
    assert hosts.controller is None and hosts.workers == {}
    assert expansion.preflight(lab, hosts.controller, hosts.workers).empty
    joined = expansion.join_all(lab, hosts.controller, hosts.workers, progress=False)
    workers = expansion.save_workers(lab, members, joined)
    assert list(workers["how"]) == [expansion.MEMBER] * 2 and list(workers["status"]) == ["Ready"] * 2
    assert "sugarkube1,already a member,Ready," in lab.workspace.read_text(expansion.WORKERS)
    steps = {s.step: s for s in lab.workspace.steps()}
    assert steps["join sugarkube1"].status == "passed"
    assert steps["join sugarkube1"].detail.startswith("sugarkube1: already a Ready member since ")


def test_no_worker_to_join_dials_nothing_and_joins_nothing(open_sim_lab: Callable[..., Lab]) -> None:
    lab = addressed_as_live(open_sim_lab("02-expansion", join_workers=[]), controller_host="controller.invalid")
    members = expansion.find_members(lab)
    hosts = expansion.open_hosts(lab, expansion.to_join(lab, members))
    assert members == {} and hosts.controller is None and hosts.workers == {}
    assert expansion.join_plan(lab, list(hosts.workers)).empty
    assert expansion.save_workers(lab, members, None).empty


def test_a_machine_that_is_not_a_member_is_still_checked_for_leftover_agent_state(
    open_sim_lab: Callable[..., Lab],
) -> None:
    lab = open_sim_lab(
        "02-expansion",
        sim_workers=1,
        join_workers=["sugarkube1", "worker-c"],
        sim_faults={"worker-c": "leftover-agent"},
    )
    members = expansion.find_members(lab)
    assert list(members) == ["sugarkube1"] and expansion.to_join(lab, members) == ["worker-c"]
    hosts = expansion.open_hosts(lab, expansion.to_join(lab, members))
    assert list(hosts.workers) == ["worker-c"] and hosts.controller is not None
    checks = expansion.preflight(lab, hosts.controller, hosts.workers).set_index("worker")
    assert not checks.loc["worker-c", "ready_to_join"]
    assert "k3s-agent-uninstall.sh" in checks.loc["worker-c", "problems"]
    hosts.close()


def test_a_rerun_on_the_grown_cluster_joins_nothing_again(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab("02-expansion", join_workers=["worker-a"])
    hosts = expansion.open_hosts(lab, expansion.to_join(lab, expansion.find_members(lab)))
    first = expansion.join_all(lab, hosts.controller, hosts.workers, progress=False)
    hosts.close()
    assert list(first["how"]) == [expansion.JOINED] and (first["latency_s"] > 0).all()

    members = expansion.find_members(lab)  # the rerun
    assert expansion.to_join(lab, members) == []
    again = expansion.save_workers(lab, members, None)
    assert list(again["how"]) == [expansion.MEMBER] and list(again["status"]) == ["Ready"]
    assert again["latency_s"].isna().all()  # never the Ready transition minus a new request
    assert again.loc[0, "ready"] == first.loc[0, "ready"]


def test_a_machine_the_ssh_audit_cannot_reach_is_an_open_finding(open_sim_lab: Callable[..., Lab]) -> None:
    sim = open_sim_lab("06-operations", sim_workers=1, join_workers=["sugarkube1"])
    lab = addressed_as_live(
        sim, controller_host="controller.invalid", worker_addresses={"sugarkube1": "sugarkube1.invalid"}
    )
    results = hardening.audit(lab, progress=False)
    assert [(r.node, r.completed) for r in results] == [("sugarkube0", False), ("sugarkube1", False)]
    text = hardening.save(lab, results)
    assert "| sugarkube0 |" in text and "not audited" in text and "controller.invalid" in text
    (step,) = [s for s in lab.workspace.steps() if s.step == "ssh hardening audit"]
    assert step.status == "passed" and "0 of 2 node(s) audited" in step.detail
    assert "open: sugarkube0 was not audited: " in step.detail


def test_a_node_left_cordoned_by_an_interrupted_drain_is_released_and_one_cordoned_by_hand_is_not(
    open_sim_lab: Callable[..., Lab],
) -> None:
    lab = open_sim_lab("04-storage", sim_workers=2)
    core = lab.cluster.core
    left = {"metadata": {"annotations": {failover.CORDONED_BY: "drain-node"}}, "spec": {"unschedulable": True}}
    core.patch_node("sugarkube1", left)  # as a drain killed before its `finally` leaves it
    core.patch_node("sugarkube2", {"spec": {"unschedulable": True}})  # the user's own cordon
    assert failover.release_cordons(lab) == ["sugarkube1"]
    released = core.read_node("sugarkube1")
    assert not released.spec.unschedulable
    assert failover.CORDONED_BY not in (released.metadata.annotations or {})
    assert core.read_node("sugarkube2").spec.unschedulable
    assert failover.release_cordons(lab) == []
