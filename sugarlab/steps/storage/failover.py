"""Failure injection against the SQLite writer, and the proof that no row was lost.

Each experiment reads the database through the pod before the failure (rows, last row, a digest of
every row), injects the failure, follows the replacement pod (Pending, Scheduled, Ready) on the
cluster's clock, and reads again. The verdict "no data lost" is given only when every row seen
before the failure is still there, unchanged (same count and digest up to the last id seen), and
`PRAGMA integrity_check` says `ok`. Rows written after the last read and before the failure are
not claimed: a write in flight when power goes may be lost without loss of committed data.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from kubernetes import client

from sugarlab.hosts.factory import nas_switch, open_host, power_switch
from sugarlab.kube.errors import ApiError
from sugarlab.kube.inventory import cluster_now
from sugarlab.kube.labels import MANAGED_BY
from sugarlab.kube.wait import Pending, wait_for
from sugarlab.lab.errors import ClusterError, ExperimentSkipped, ProbeFailed, StoragePending, WaitTimeout
from sugarlab.lab.session import Lab
from sugarlab.steps.operations.events import keep as keep_events
from sugarlab.steps.storage.writer import NAME, NAMESPACE, POD, Probe, diagnose, history, probe, writer_pods
from sugarlab.views.figures import FailureMark

REPORT, TABLE, PLOT = "storage/failover-report.md", "storage/failover-experiments.csv", "storage/failover-rows.png"
OUT_OF_SERVICE = {"key": "node.kubernetes.io/out-of-service", "value": "nodeshutdown", "effect": "NoExecute"}
VERDICT_OK = "no data lost"
CORDONED_BY = "sugarlab.dev/cordoned-by"  # on a node the drain experiment cordoned, until it uncordons it
RETRY_EVICTION_S = 5.0  # cluster seconds between eviction attempts a budget refused, as kubectl drain


@dataclass
class Experiment:
    name: str
    node_before: str = ""
    node_after: str = ""
    before: Probe | None = None
    after: Probe | None = None
    timeline: list[tuple[str, datetime]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str = ""  # why the experiment could not run here

    def mark(self, what: str, at: datetime) -> None:
        self.timeline.append((what, at))

    @property
    def events(self) -> list[tuple[str, datetime]]:
        """The timeline in the order the cluster saw it (marks made while polling arrive late)."""
        return sorted(self.timeline, key=lambda event: event[1])

    @property
    def started(self) -> datetime:
        return self.timeline[0][1]

    def at(self, what: str) -> datetime | None:
        return next((when for name, when in self.timeline if name == what), None)

    @property
    def time_to_ready_s(self) -> float | None:
        ready = self.at("Ready")
        return (ready - self.started).total_seconds() if ready else None

    @property
    def rows_missing(self) -> int | None:
        if self.before is None or self.after is None:
            return None
        return self.before.rows_upto - self.after.rows_upto

    @property
    def verdict(self) -> str:
        if self.skipped:
            return f"not run: {self.skipped}"
        if self.before is None or self.after is None:
            return "not measured: " + ("; ".join(self.notes) or "no reading after the failure")
        problems = []
        if self.rows_missing:
            problems.append(f"{self.rows_missing} of {self.before.rows_upto} earlier rows missing")
        elif self.after.digest_upto != self.before.digest_upto:
            problems.append("earlier rows changed")
        if self.after.integrity != "ok":
            problems.append(f"integrity check: {self.after.integrity}")
        return "DATA LOST: " + "; ".join(problems) if problems else VERDICT_OK

    def row(self) -> dict[str, Any]:
        before, after = self.before, self.after
        return {
            "experiment": self.name,
            "node_before": self.node_before,
            "node_after": self.node_after,
            "time_to_ready_s": self.time_to_ready_s,
            "rows_before": before.rows_upto if before else None,
            "rows_after": after.rows if after else None,
            "rows_missing": self.rows_missing,
            "last_row_before": before.last_ts if before else None,
            "last_row_after": after.last_ts if after else None,
            "integrity": after.integrity if after else None,
            "verdict": self.verdict,
        }


def _condition_time(pod: client.V1Pod, kind: str) -> datetime | None:
    return next(
        (c.last_transition_time for c in pod.status.conditions or [] if c.type == kind and c.status == "True"), None
    )


def _follow(
    lab: Lab,
    experiment: Experiment,
    old_uid: str,
    progress: bool,
    on_wait: Callable[[client.V1Pod | None], None] = lambda pod: None,
) -> client.V1Pod:
    """Wait for the pod that replaces `old_uid` to be Ready; note when it was created, scheduled, ready."""

    def replaced() -> client.V1Pod | Pending:
        try:
            pod = lab.cluster.core.read_namespaced_pod(POD, NAMESPACE)
        except ApiError as error:
            if error.status != 404:
                raise
            pod = None
        done = 0
        if pod is not None and pod.metadata.uid != old_uid:
            stages = [
                ("Pending", pod.metadata.creation_timestamp),
                ("Scheduled", _condition_time(pod, "PodScheduled")),
                ("Ready", _condition_time(pod, "Ready")),
            ]
            done = sum(when is not None for _, when in stages)
            if done == len(stages) and pod.metadata.deletion_timestamp is None:
                for stage, when in stages:
                    experiment.mark(stage, when)
                return pod
        on_wait(pod)
        return Pending(done, 3)

    try:
        return wait_for(
            replaced,
            f"{experiment.name}: waiting for {POD}",
            lab.params.storage_timeout,
            speed=lab.cluster.speed,
            interval=0.1,
            progress=progress,
            pods=writer_pods(lab),
        )
    except WaitTimeout:
        raise StoragePending(
            f"{experiment.name}: no ready replacement for {POD} after "
            f"{lab.params.storage_timeout:.0f} s\n{diagnose(lab)}"
        ) from None


def _read_after(lab: Lab, experiment: Experiment) -> None:
    """The first successful read of the replacement, retried while its mount settles."""
    failed: list[ProbeFailed] = []

    def read() -> Probe | Pending:
        try:
            return probe(lab, upto=experiment.before.last_id if experiment.before else 0)
        except ProbeFailed as error:
            failed.append(error)
            return Pending(seen=str(error))

    try:
        experiment.after = wait_for(
            read, f"{experiment.name}: first read of the replacement", 60, speed=lab.cluster.speed
        )
    except WaitTimeout:
        raise failed[-1] from None
    experiment.mark("first successful read", experiment.after.at)


def _eligible_nodes(lab: Lab) -> list[str]:
    """Nodes the writer may run on: Ready, schedulable, not the controller."""
    names = []
    for node in lab.cluster.core.list_node().items:
        ready = any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])
        controller = "node-role.kubernetes.io/control-plane" in (node.metadata.labels or {})
        if ready and not controller and not node.spec.unschedulable:
            names.append(node.metadata.name)
    return names


def _start(lab: Lab, name: str, needs_spare: bool) -> tuple[Experiment, client.V1Pod]:
    pod = lab.cluster.core.read_namespaced_pod(POD, NAMESPACE)
    experiment = Experiment(name, node_before=pod.spec.node_name)
    if needs_spare and not [n for n in _eligible_nodes(lab) if n != pod.spec.node_name]:
        raise ExperimentSkipped(f"{name} needs a second Ready worker for {POD} to move to; join one (notebook 02)")
    experiment.before = probe(lab)
    return experiment, pod


def delete_pod(lab: Lab, progress: bool = True) -> Experiment:
    """(a) `kubectl delete pod nfs-sqlite-0`: the StatefulSet makes it again, with the same claim."""
    experiment, pod = _start(lab, "delete-pod", needs_spare=False)
    experiment.mark("delete", cluster_now(lab.cluster))
    lab.cluster.core.delete_namespaced_pod(POD, NAMESPACE)
    new = _follow(lab, experiment, pod.metadata.uid, progress)
    experiment.node_after = new.spec.node_name
    _read_after(lab, experiment)
    return experiment


def _evict_all(lab: Lab, experiment: Experiment, node: str) -> None:
    """`kubectl drain --ignore-daemonsets`: evict every pod on the node, retrying while a budget refuses."""
    core = lab.cluster.core
    pending = [
        p
        for p in core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={node}").items
        if p.status.phase not in ("Succeeded", "Failed")
        and p.metadata.deletion_timestamp is None
        and not any(r.kind == "DaemonSet" for r in p.metadata.owner_references or [])
        and "kubernetes.io/config.mirror" not in (p.metadata.annotations or {})
    ]
    refused: set[str] = set()

    def evicted() -> bool | Pending:
        for pod in list(pending):
            name = f"{pod.metadata.namespace}/{pod.metadata.name}"
            body = {
                "apiVersion": "policy/v1",
                "kind": "Eviction",
                "metadata": {"name": pod.metadata.name, "namespace": pod.metadata.namespace},
            }
            # The cluster's clock just before the request: read after it, the mark fell behind the replacement
            # the StatefulSet controller creates as soon as the eviction deletes the pod (at speed 60 one
            # round trip is seconds of cluster time).
            asked = cluster_now(lab.cluster)
            try:
                core.create_namespaced_pod_eviction(pod.metadata.name, pod.metadata.namespace, body)
                experiment.mark(f"evicted {name}", asked)
            except ApiError as error:
                if error.status == 429:  # TooManyRequests: its PodDisruptionBudget allows no disruption now
                    if name not in refused:
                        refused.add(name)
                        experiment.notes.append(f"eviction of {name} refused by its PodDisruptionBudget; retried")
                    continue
                if error.status != 404:
                    raise
            pending.remove(pod)
        return (
            True
            if not pending
            else Pending(seen=", ".join(f"{p.metadata.namespace}/{p.metadata.name}" for p in pending))
        )

    try:
        wait_for(
            evicted,
            f"drain of {node}",
            lab.params.storage_timeout,
            speed=lab.cluster.speed,
            interval=RETRY_EVICTION_S / lab.cluster.speed,
        )
    except WaitTimeout as late:
        raise ClusterError(
            f"drain of {node} blocked: {late.last.seen} cannot be evicted without breaking its PodDisruptionBudget"
        ) from None


def drain_node(lab: Lab, progress: bool = True) -> Experiment:
    """(b) cordon and drain the writer's node through the eviction API; uncordon it afterwards."""
    experiment, pod = _start(lab, "drain-node", needs_spare=True)
    node = pod.spec.node_name
    experiment.mark("cordon", cluster_now(lab.cluster))
    cordon = {"metadata": {"annotations": {CORDONED_BY: "drain-node"}}, "spec": {"unschedulable": True}}
    lab.cluster.core.patch_node(node, cordon)
    lifted = _lift_budgets(lab, experiment, pod)
    try:
        _evict_all(lab, experiment, node)
        new = _follow(lab, experiment, pod.metadata.uid, progress)
        experiment.node_after = new.spec.node_name
        _read_after(lab, experiment)
    finally:
        _uncordon(lab, node)
        _restore_budgets(lab, lifted)
    return experiment


def _lift_budgets(lab: Lab, experiment: Experiment, pod: client.V1Pod) -> list[dict[str, Any]]:
    """Remove the lab's own PodDisruptionBudgets that cover the writer (notebook 06's `minAvailable: 1`, left by
    an earlier run) for the drain: the experiment moves the only writer on purpose, which such a budget is
    there to stop, so with it every eviction would be refused until the drain timed out. A budget the lab
    did not make is left in place, and its refusal fails the drain as `kubectl drain` would stop."""
    policy = client.PolicyV1Api(lab.cluster.api)
    labels = pod.metadata.labels or {}
    lifted = []
    for budget in policy.list_namespaced_pod_disruption_budget(
        NAMESPACE, label_selector=f"{MANAGED_BY}=sugarlab"
    ).items:
        wanted = (budget.spec.selector.match_labels or {}) if budget.spec.selector else {}
        if wanted and all(labels.get(k) == v for k, v in wanted.items()):
            lifted.append(lab.cluster.api.sanitize_for_serialization(budget))
            policy.delete_namespaced_pod_disruption_budget(budget.metadata.name, NAMESPACE)
            experiment.notes.append(
                f"the lab's PodDisruptionBudget {NAMESPACE}/{budget.metadata.name} was lifted for the drain and "
                "put back after it"
            )
    return lifted


def _restore_budgets(lab: Lab, budgets: list[dict[str, Any]]) -> None:
    policy = client.PolicyV1Api(lab.cluster.api)
    for budget in budgets:
        meta = {k: v for k, v in budget["metadata"].items() if k in ("name", "namespace", "labels", "annotations")}
        policy.create_namespaced_pod_disruption_budget(NAMESPACE, {**budget, "metadata": meta, "status": None})


def _uncordon(lab: Lab, node: str) -> None:
    # null removes the annotation: RFC 7386 merge patches, and strategic merge patches alike
    lab.cluster.core.patch_node(
        node, {"metadata": {"annotations": {CORDONED_BY: None}}, "spec": {"unschedulable": False}}
    )


def release_cordons(lab: Lab) -> list[str]:
    """Uncordon the nodes a drain of this lab left cordoned when its run was killed before it could uncordon
    them (they carry `CORDONED_BY`), so each experiment starts from a known state; a node cordoned by hand,
    without the annotation, stays cordoned."""
    left = [
        node.metadata.name
        for node in lab.cluster.core.list_node().items
        if node.spec.unschedulable and CORDONED_BY in (node.metadata.annotations or {})
    ]
    for name in left:
        _uncordon(lab, name)
        lab.workspace.record_step(f"uncordon {name}", True, f"{name} was left cordoned by an interrupted drain-node")
    return left


def _deleted_at(pod: client.V1Pod) -> datetime:
    """When the pod was deleted, on the cluster's clock: kube-apiserver sets deletionTimestamp to the time
    of the request plus the grace period (k8s.io/apiserver pkg/registry/rest/delete.go, BeforeDelete)."""
    deleted: datetime = pod.metadata.deletion_timestamp
    return deleted - timedelta(seconds=pod.metadata.deletion_grace_period_seconds or 0)


def _node_ready(lab: Lab, node: str) -> tuple[str, datetime | None]:
    ready = next(c for c in lab.cluster.core.read_node(node).status.conditions if c.type == "Ready")
    return ready.status, ready.last_transition_time


def _taint(lab: Lab, node: str, add: bool) -> None:
    taints = [t for t in lab.cluster.core.read_node(node).spec.taints or [] if t.key != OUT_OF_SERVICE["key"]]
    body = [lab.cluster.api.sanitize_for_serialization(t) for t in taints] + ([OUT_OF_SERVICE] if add else [])
    lab.cluster.core.patch_node(node, {"spec": {"taints": body}})


def _operator(
    lab: Lab, experiment: Experiment, node: str, pod: client.V1Pod, before_taint: Callable[[], None] | None = None
) -> Callable[[client.V1Pod | None], None]:
    """What the operator does while the writer's node is lost: note NotReady and the eviction, then declare
    the node out of service (Kubernetes' non-graceful node shutdown), after `before_taint` where given."""

    def operator(current: client.V1Pod | None) -> None:
        status, since = _node_ready(lab, node)
        if status != "True" and experiment.at("NotReady") is None:
            experiment.mark("NotReady", since or cluster_now(lab.cluster))
        if (
            current is not None
            and current.metadata.uid == pod.metadata.uid
            and current.metadata.deletion_timestamp
            and experiment.at("evicted (Terminating)") is None
        ):
            experiment.mark("evicted (Terminating)", _deleted_at(current))
            if before_taint is not None:
                before_taint()
            _taint(lab, node, add=True)
            experiment.mark("out-of-service taint", cluster_now(lab.cluster))

    return operator


def _back_in_service(lab: Lab, experiment: Experiment, node: str) -> None:
    """Once the node's machine or agent is back: wait for it to be Ready, then lift the out-of-service taint."""
    try:
        wait_for(
            lambda: True if _node_ready(lab, node)[0] == "True" else Pending(seen=f"{node} NotReady"),
            f"{node} Ready again",
            lab.params.storage_timeout,
            speed=lab.cluster.speed,
            interval=0.1,
        )
    except WaitTimeout as late:
        experiment.notes.append(str(late))
    _taint(lab, node, add=False)


def power_off(lab: Lab, progress: bool = True) -> Experiment:
    """(c) pull the plug on the writer's node (simulator): NotReady, eviction, then the non-graceful node
    shutdown procedure (the out-of-service taint) frees the StatefulSet to start the pod elsewhere."""
    switch = power_switch(lab.params, lab.cluster.api.configuration)
    if switch is None:
        raise ExperimentSkipped(
            "power-off needs the simulator's machines (on real hardware, pull the plug and "
            "follow the same steps by hand)"
        )
    experiment, pod = _start(lab, "power-off", needs_spare=True)
    node = pod.spec.node_name
    experiment.mark("power off", cluster_now(lab.cluster))
    switch(node, False)

    try:
        new = _follow(lab, experiment, pod.metadata.uid, progress, _operator(lab, experiment, node, pod))
        experiment.node_after = new.spec.node_name
        _read_after(lab, experiment)
    finally:
        switch(node, True)
        _back_in_service(lab, experiment, node)
    experiment.notes.append(f"{node} powered on again and back in service")
    return experiment


def _failed_mount(lab: Lab, pod: client.V1Pod) -> datetime | None:
    """When the kubelet first reported `FailedMount` for the pod, on the cluster's clock."""
    events = lab.cluster.core.list_namespaced_event(
        NAMESPACE, field_selector=f"involvedObject.name={POD},involvedObject.uid={pod.metadata.uid}"
    ).items
    times = [e.first_timestamp or e.event_time for e in events if e.reason == "FailedMount"]
    return min((t for t in times if t is not None), default=None)


def _held_by_mount(lab: Lab, experiment: Experiment, old_uid: str) -> client.V1Pod | Pending:
    """The replacement of `old_uid`, once it waits in ContainerCreating with a FailedMount event (before:
    how far along, recreated then held)."""
    try:
        pod = lab.cluster.core.read_namespaced_pod(POD, NAMESPACE)
    except ApiError as error:
        if error.status != 404:
            raise
        return Pending(0, 2, f"{POD} not yet recreated")
    if pod.metadata.uid == old_uid:
        return Pending(0, 2, f"{POD} still the old pod")
    waiting = [s.state.waiting.reason for s in pod.status.container_statuses or [] if s.state and s.state.waiting]
    when = _failed_mount(lab, pod)
    if when is None or waiting != ["ContainerCreating"]:
        return Pending(1, 2, f"{POD} {', '.join(waiting) or pod.status.phase}, no FailedMount yet")
    experiment.mark("FailedMount (ContainerCreating)", when)
    return pod


def _stall(lab: Lab, off: datetime, on: datetime) -> str:
    """What the database says of the outage: rows written while the NAS did not answer. A row of the first
    write interval may be one already under way as the NAS went; any later one means the writer did not stall."""
    ts = history(lab)["ts"]
    settled = off + timedelta(seconds=lab.params.write_interval)
    first, later = int(((ts >= off) & (ts < settled)).sum()), int(((ts >= settled) & (ts < on)).sum())
    outage = f"{(on - off).total_seconds():.0f} s without the NAS"
    if later:
        return (
            f"the writer did not stall: {later} rows written later than {lab.params.write_interval:g} s into {outage}"
        )
    return f"the writer stalled: no row written later than {lab.params.write_interval:g} s into {outage}" + (
        f" ({first} in the first {lab.params.write_interval:g} s, before the mount was seen to hang)" if first else ""
    )


def _writes_resumed(lab: Lab, experiment: Experiment) -> None:
    """Wait for a row newer than the first read after the outage: the writer writes again."""
    seen = experiment.after.last_id if experiment.after else 0

    def resumed() -> Probe | Pending:
        now = probe(lab, upto=experiment.before.last_id if experiment.before else 0)
        return now if now.last_id > seen else Pending(seen=f"last id {now.last_id}")

    try:
        experiment.mark(
            "writes resumed",
            wait_for(
                resumed, f"{experiment.name}: writes resumed", 10 * lab.params.write_interval, speed=lab.cluster.speed
            ).at,
        )
    except WaitTimeout as late:
        experiment.notes.append(
            f"no new row within {10 * lab.params.write_interval:g} s after the NAS answered ({late.last.seen})"
        )


def nas_outage(lab: Lab, progress: bool = True) -> Experiment:
    """(d) the NAS stops answering (simulator): the writer stalls on its hard mount, and the pod started
    meanwhile waits in ContainerCreating with the kubelet's FailedMount events; when the NAS answers
    again, the pod starts, mounts the same claim and the writes resume."""
    switch = nas_switch(lab.params, lab.cluster.api.configuration)
    if switch is None:
        raise ExperimentSkipped(
            "nas-outage needs the simulator's NAS (on real hardware, power the NAS off and "
            "follow the same steps by hand)"
        )
    experiment, pod = _start(lab, "nas-outage", needs_spare=False)
    experiment.mark("NAS off", cluster_now(lab.cluster))
    switch(False)
    try:
        time.sleep(lab.real_seconds(3 * lab.params.write_interval))  # rows the writer would have written
        experiment.mark("delete", cluster_now(lab.cluster))
        lab.cluster.core.delete_namespaced_pod(POD, NAMESPACE)
        try:
            wait_for(
                lambda: _held_by_mount(lab, experiment, pod.metadata.uid),
                f"{experiment.name}: FailedMount",
                lab.params.storage_timeout,
                speed=lab.cluster.speed,
                interval=0.1,
                progress=progress,
            )
        except WaitTimeout as late:
            experiment.notes.append(f"the new pod was not seen held by its mount: {late.last.seen}")
    finally:
        experiment.mark("NAS on", cluster_now(lab.cluster))
        switch(True)
    new = _follow(lab, experiment, pod.metadata.uid, progress)
    experiment.node_after = new.spec.node_name
    _read_after(lab, experiment)
    _writes_resumed(lab, experiment)
    off, on = experiment.at("NAS off"), experiment.at("NAS on")
    if off is not None and on is not None:
        experiment.notes.append(_stall(lab, off, on))
    return experiment


KILLALL = "/usr/local/bin/k3s-killall.sh"  # where k3s's install script puts it


def node_down(lab: Lab, progress: bool = True) -> Experiment:
    """(d) stop the writer's node's k3s agent over SSH: the node goes NotReady and its pods are evicted,
    as on a node failure. k3s leaves the containers running when its service stops
    (https://docs.k3s.io/upgrades/killall), so the old writer is stopped with k3s-killall.sh before the
    out-of-service taint lets the StatefulSet start another: two SQLite writers on one NFS file would
    corrupt it. Then the agent starts again and the node must return Ready."""
    experiment, pod = _start(lab, "node-down", needs_spare=True)
    node = pod.spec.node_name
    host = open_host(
        lab.params, lab.cluster.api.configuration, node, lab.params.worker_addresses.get(node, f"{node}.sugarkube.lan")
    )
    try:
        experiment.mark("k3s-agent stopped", cluster_now(lab.cluster))
        host.run("systemctl stop k3s-agent", sudo=True)

        def stop_containers() -> None:
            host.run(KILLALL, sudo=True)
            experiment.mark("containers stopped", cluster_now(lab.cluster))

        operator = _operator(lab, experiment, node, pod, stop_containers)
        try:
            new = _follow(lab, experiment, pod.metadata.uid, progress, operator)
            experiment.node_after = new.spec.node_name
            _read_after(lab, experiment)
        finally:
            host.run("systemctl start k3s-agent", sudo=True)
            _back_in_service(lab, experiment, node)
    finally:
        host.close()
    ready = _node_ready(lab, node)[0] == "True"
    experiment.notes.append(f"k3s-agent on {node} started again; the node is {'Ready' if ready else 'NOT Ready'}")
    return experiment


EXPERIMENTS: dict[str, Callable[..., Experiment]] = {
    "delete-pod": delete_pod,
    "drain-node": drain_node,
    "power-off": power_off,
    "nas-outage": nas_outage,
    "node-down": node_down,
}


def run(lab: Lab, progress: bool = True) -> list[Experiment]:
    """Every experiment of `failures`, in order; one that cannot run here is reported, not hidden."""
    release_cordons(lab)
    done = []
    for number, name in enumerate(lab.params.failures, 1):
        time.sleep(lab.real_seconds(3 * lab.params.write_interval))  # a few rows on the current node first
        try:
            with lab.doing(name, (number, len(lab.params.failures))):
                experiment = EXPERIMENTS[name](lab, progress)
        except ExperimentSkipped as skipped:
            done.append(Experiment(name, skipped=str(skipped)))  # reported, neither passed nor failed
            continue
        lab.workspace.record_step(f"failover {name}", experiment.verdict == VERDICT_OK, experiment.verdict)
        done.append(experiment)
        keep_events(lab)  # before the next experiments outlast the event TTL
    return done


def frame(experiments: list[Experiment]) -> pd.DataFrame:
    """One row per experiment that ran (the checklist reads it: every verdict must be "no data lost")."""
    return pd.DataFrame([e.row() for e in experiments if not e.skipped], columns=list(Experiment("").row()))


def timeline(experiments: list[Experiment]) -> pd.DataFrame:
    """Every experiment's events in cluster-time order, with the seconds since its failure was injected."""
    rows = [
        {"experiment": e.name, "event": what, "at": when, "after_s": (when - e.started).total_seconds()}
        for e in experiments
        for what, when in e.events
    ]
    return pd.DataFrame(rows, columns=["experiment", "event", "at", "after_s"])


def outcomes_markdown(experiments: list[Experiment]) -> str:
    """One line per experiment for notebook 04: its events in seconds after the failure, its notes and its
    verdict (`storage/failover-report.md` keeps each experiment's full timeline and evidence)."""
    lines = []
    for e in experiments:
        events = ", ".join(f"{what} {(when - e.started).total_seconds():.0f} s" for what, when in e.events)
        moved = f" ({e.node_before} → {e.node_after})" if e.node_before else ""
        told = "".join(f"{part}; " for part in (events, *e.notes) if part)
        lines.append(f"- **{e.name}**{moved}: {told}**{e.verdict}**")
    return "\n".join(lines)


def marks(experiments: list[Experiment]) -> list[FailureMark]:
    """The experiments that ran, as the rows plot marks them (`views.figures.failover_rows_figure`)."""
    return [FailureMark(e.name, e.started, e.at("Ready")) for e in experiments if e.timeline]


def report(lab: Lab, experiments: list[Experiment], class_summary: str) -> str:
    """`storage/failover-report.md`: what was done, the timeline and evidence per experiment, the verdicts."""
    summary = frame(experiments)
    lines = [
        "# Failover report: SQLite on shared storage",
        "",
        f"Cluster: {lab.summary()}",
        "",
        f"Storage: {class_summary}",
        "",
        f"Writer: StatefulSet `{NAMESPACE}/{NAME}`, one row every {lab.params.write_interval:g} s into "
        f"`/data/measurements.db` (SQLite, rollback journal, synchronous=FULL), read back through `kubectl exec`.",
        "",
        f"A verdict of **{VERDICT_OK}** means every row read before the failure was read again after it, unchanged "
        "(same count and SHA-256 over the rows), and `PRAGMA integrity_check` returned `ok`.",
        "",
        "## Summary",
        "",
        summary.to_markdown(index=False, floatfmt=".1f"),
        "",
    ]
    for experiment in experiments:
        lines += [f"## {experiment.name}", ""]
        if experiment.timeline:
            table = pd.DataFrame(
                [
                    (what, f"{when:%H:%M:%S}", (when - experiment.started).total_seconds())
                    for what, when in experiment.events
                ],
                columns=["event", "cluster time", "after (s)"],
            )
            lines += [table.to_markdown(index=False, floatfmt=".0f"), ""]
        if experiment.before and experiment.after:
            b, a = experiment.before, experiment.after
            lines += [
                f"- node: {experiment.node_before} → {experiment.node_after}",
                f"- rows before: {b.rows_upto} (last id {b.last_id}, last row {b.last_ts})",
                f"- rows after: {a.rows} in all, {a.rows_upto} of them up to id {b.last_id} (last row {a.last_ts})",
                f"- digest of the earlier rows: {'unchanged' if a.digest_upto == b.digest_upto else 'CHANGED'}",
                f"- integrity_check: {a.integrity}",
            ]
        lines += [f"- {note}" for note in experiment.notes]
        lines += [f"- **verdict: {experiment.verdict}**", ""]
    lines += [_plot_markdown(lab), ""]
    return "\n".join(lines)


def _plot_markdown(lab: Lab) -> str:
    """The rows plot, embedded as a data URI so the report shows in JupyterLab, in the notebook's HTML and
    in any copy of the file, wherever it is opened from."""
    plot = lab.workspace.path(PLOT)
    if not plot.is_file():
        return f"(the plot `{PLOT}` was not written)"
    data = base64.b64encode(plot.read_bytes()).decode("ascii")
    return f"![rows over time, by node, with the failures marked](data:image/png;base64,{data})"
