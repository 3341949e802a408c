"""Tutorial step 2, "Join new worker nodes": power budget, preflight, join one node at a time, wait.

A worker named in `join_workers` that is already a node of this cluster is a member: it is recorded as
found (since the node's own creationTimestamp) and never dialled. Only the others are opened over SSH,
and the controller only when at least one of them needs joining, so the lab starts on a cluster whose
workers joined long ago, and a rerun of this step joins nothing again.

The join credential is created on the controller at the moment of use and handed straight to the
worker's token file (directory 0700, file 0600). It lives in one local variable of `join_worker`:
it is never a parameter, never printed, never in a frame, an error, a log or an artefact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from sugarlab.common.kubectl import condition, node_ready, parse_time
from sugarlab.hosts import Host
from sugarlab.hosts.factory import open_controller, open_new_workers
from sugarlab.kube.errors import ApiError
from sugarlab.kube.inventory import cluster_now, list_nodes_frame
from sugarlab.kube.wait import Pending, wait_for
from sugarlab.lab.errors import HostError, PowerBudgetExceeded, WaitTimeout
from sugarlab.lab.session import Lab, Verdict
from sugarlab.views.tables import nodes_table

POWER_LIMIT = 0.8  # the tutorial's rule: stay under 80% of the supply's rated output
TOKEN_FILE = "/etc/rancher/k3s/join-credential"
AGENT_STATE = "/var/lib/rancher/k3s/agent"
NODES_AFTER_JOIN = "expansion/nodes-after-join.txt"
WORKERS = "expansion/workers.csv"  # each named worker: joined by this lab or found a member, and its state
JOINED, MEMBER = "joined by this lab", "already a member"
RESULT_COLUMNS = ["worker", "how", "status", "requested", "registered", "ready", "latency_s", "diagnosis"]
NOT_READY_HINTS = (
    "- Time: a node whose clock is off cannot complete TLS with the controller; fix with "
    "`sudo timedatectl set-ntp true` on the worker.\n"
    "- Firewall: the worker must reach the controller on 6443/TCP (API) and the nodes each other on "
    "8472/UDP (flannel VXLAN).\n"
    "- Logs on the worker: `/var/log/syslog`, `/var/lib/rancher/k3s/agent/containerd/containerd.log` "
    "and `journalctl -u k3s-agent`."
)


# -- power budget -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PowerBudget:
    devices: pd.DataFrame  # device, watts, share of the rating
    total_w: float
    rating_w: float

    @property
    def share(self) -> float:
        return self.total_w / self.rating_w

    @property
    def ok(self) -> bool:
        return self.share <= POWER_LIMIT

    def verdict(self) -> str:
        head = f"{self.total_w:.1f} W of {self.rating_w:.0f} W rated = {self.share:.0%}"
        if self.ok:
            return f"**Within budget**: {head}, under the tutorial's 80% rule."
        return (
            f"**Over budget**: {head}, above the tutorial's 80% rule. Source a higher-capacity supply "
            "before proceeding (or set `power_override = True` to join anyway, at your own risk)."
        )


def power_budget(devices: dict[str, float], rating_w: float) -> PowerBudget:
    frame = pd.DataFrame({"device": list(devices), "watts": list(devices.values())})
    frame["share_of_rating"] = frame["watts"] / rating_w
    return PowerBudget(frame, float(frame["watts"].sum()), rating_w)


def check_power(budget: PowerBudget, override: bool) -> None:
    if not budget.ok and not override:
        raise PowerBudgetExceeded(budget.verdict().replace("**", ""))


# -- hosts --------------------------------------------------------------------------------------------
@dataclass
class Hosts:
    controller: Host | None  # None when no worker needs joining
    workers: dict[str, Host]

    def close(self) -> None:
        for host in (self.controller, *self.workers.values()):
            if host is not None:
                host.close()


def open_hosts(lab: Lab, names: list[str]) -> Hosts:
    """The workers `names` that still need a join, and the controller if there is one: simulated machines
    (imaged and booted first) or SSH. No name, no machine: nothing is dialled."""
    api = lab.cluster.api.configuration
    if not names:
        return Hosts(None, {})
    return Hosts(open_controller(lab.params, api), open_new_workers(lab.params, api, names))


# -- members ----------------------------------------------------------------------------------------------
def find_members(lab: Lab) -> dict[str, JoinResult]:
    """The workers of `join_workers` that are already nodes of this cluster, as the API server has them.

    A Ready one is recorded as joined, since the node's creationTimestamp (when it registered; the Ready
    condition's lastTransitionTime is when it last became Ready); one that is not Ready is a member all the
    same: it is not joined again (its agent state is its own), and its step fails with its conditions."""
    nodes = {
        node["metadata"]["name"]: node
        for node in lab.cluster.api.sanitize_for_serialization(lab.cluster.core.list_node().items)
    }
    members = {}
    for name in lab.params.join_workers:
        if (node := nodes.get(name)) is None:
            continue
        registered = parse_time(node["metadata"]["creationTimestamp"])
        ready = condition(node, "Ready")
        if ready is not None and ready.get("status") == "True":
            result = JoinResult(name, None, registered, parse_time(ready["lastTransitionTime"]), "Ready", "", MEMBER)
            detail = f"{name}: already a Ready member since {_when(registered)}; not joined again"
        else:
            diagnosis = (
                f"**{name} is a member of the cluster but not Ready.** It registered {_when(registered)}; it is "
                "not joined again.\n\n"
                + _conditions(node)
                + "\n\nWhat to check, from the tutorial:\n\n"
                + NOT_READY_HINTS
            )
            result = JoinResult(name, None, registered, None, "NotReady", diagnosis, MEMBER)
            detail = diagnosis
        lab.workspace.record_step(f"join {name}", result.status == "Ready", detail)
        members[name] = result
    return members


def to_join(lab: Lab, members: dict[str, JoinResult]) -> list[str]:
    """The named workers that are not members yet, in `join_workers` order."""
    return [name for name in lab.params.join_workers if name not in members]


def members_note(members: dict[str, JoinResult]) -> str:
    """Markdown: the named workers found in the cluster, which this notebook leaves as they are."""
    lines = [
        f"- **{m.worker}**: "
        + ("Ready" if m.status == "Ready" else "**not Ready**")
        + f", registered {_when(m.registered)}"
        for m in members.values()
    ]
    return (
        ("Already members of this cluster, not joined again and not dialled:\n\n" + "\n".join(lines)) if lines else ""
    )


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "at an unknown time"


# -- preflight ----------------------------------------------------------------------------------------
def preflight(lab: Lab, controller: Host | None, workers: dict[str, Host]) -> pd.DataFrame:
    """One row per worker: what must hold before its agent can join (no worker: no row, nothing dialled)."""
    if not workers:
        return pd.DataFrame(columns=["worker", "ssh", "problems", "ready_to_join"])
    if controller is None:
        raise ValueError("the preflight of a worker needs the controller, to compare clocks")
    reference = int(controller.run("date -u +%s").stdout)
    rows = []
    for name, host in workers.items():
        row: dict[str, object] = {"worker": name}
        try:
            row["hostname"] = host.run("hostname").stdout.strip()
            row["arch"] = host.run("uname -m").stdout.strip()
            row["ntp_synchronised"] = host.run("timedatectl show -p NTPSynchronized --value").stdout.strip() == "yes"
            row["clock_offset_s"] = int(host.run("date -u +%s").stdout) - reference
            probe = f"timeout 3 bash -c '</dev/tcp/{lab.params.controller_host}/6443'"
            row["controller_6443"] = host.run(probe, check=False).ok
            row["leftover_agent_state"] = host.run(f"test -e {AGENT_STATE}", check=False).ok
            row["ssh"] = "ok"
        except HostError as error:
            row["ssh"] = str(error)
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["problems"] = [_problems(row) for row in frame.to_dict("records")]
    frame["ready_to_join"] = frame["problems"] == ""
    return frame


def preflight_verdict(checks: pd.DataFrame) -> Verdict:
    """Passed when every new worker is ready to join; the detail names each one's problems."""
    return Verdict(
        bool(checks["ready_to_join"].all()),
        "; ".join(f"{w}: {p}" for w, p in zip(checks["worker"], checks["problems"], strict=True) if p),
    )


def _problems(row: dict[str, object]) -> str:
    if row["ssh"] != "ok":
        return f"unreachable: {row['ssh']}"
    found = []
    if row["hostname"] != row["worker"]:
        found.append(f"hostname is {row['hostname']!r}, planned {row['worker']!r} (set it in /boot/user-data)")
    if row["arch"] not in ("aarch64", "arm64", "x86_64"):
        found.append(f"architecture {row['arch']} has no k3s build")
    if not row["ntp_synchronised"] or abs(float(row["clock_offset_s"])) > 60:  # type: ignore[arg-type]
        found.append(
            f"clock {row['clock_offset_s']} s off the controller's, NTP "
            f"{'on' if row['ntp_synchronised'] else 'off'}: run `sudo timedatectl set-ntp true`"
        )
    if not row["controller_6443"]:
        found.append("cannot reach the controller on 6443/TCP: check the firewall")
    if row["leftover_agent_state"]:
        found.append(f"{AGENT_STATE} is left from an earlier agent: run /usr/local/bin/k3s-agent-uninstall.sh")
    return "; ".join(found)


# -- join -----------------------------------------------------------------------------------------------
def install_command(lab: Lab) -> str:
    """The tutorial's agent install, reading the credential from its file, never from the command line."""
    return (
        f"curl -sfL https://get.k3s.io | K3S_URL=https://{lab.params.controller_host}:6443 "
        f"K3S_TOKEN_FILE={TOKEN_FILE} INSTALL_K3S_EXEC='--node-taint {lab.params.worker_taint}' sh -"
    )


def join_plan(lab: Lab, names: list[str]) -> pd.DataFrame:
    """What joining the workers `names` does, host by host and in order; the credential shows only as its file."""
    steps = [("controller", "sudo k3s token create --print   # the output goes straight to the worker, unseen")]
    for name in names:
        steps += [
            (name, f"sudo install -d -m 700 /etc/rancher/k3s && write {TOKEN_FILE} (mode 600)"),
            (name, f'sudo sh -c "{install_command(lab)}"'),
            ("cluster", f"wait until node {name} is Ready (at most {lab.params.join_timeout:.0f} s)"),
        ]
    return pd.DataFrame(steps if names else [], columns=["where", "command"])


@dataclass(frozen=True)
class JoinResult:
    worker: str
    requested: datetime | None  # None for a member: this lab asked for nothing
    registered: datetime | None
    ready: datetime | None
    status: str  # Ready, NotReady, not registered, or install failed
    diagnosis: str  # markdown; empty when Ready
    how: str = JOINED  # JOINED or MEMBER

    @property
    def latency_s(self) -> float | None:
        """From the install request to Ready; None for a member, whose join this lab did not time."""
        return (self.ready - self.requested).total_seconds() if self.ready and self.requested else None


def join_worker(lab: Lab, controller: Host, worker: Host, progress: bool = True) -> JoinResult:
    credential = controller.run("k3s token create --print", sudo=True).stdout.strip().encode()
    try:
        worker.write_file(TOKEN_FILE, credential, 0o600, dir_mode=0o700, sudo=True)
    finally:
        del credential
    requested = cluster_now(lab.cluster)
    install = worker.run(install_command(lab), sudo=True, check=False, timeout=900)
    if not install.ok:
        return JoinResult(
            worker.name,
            requested,
            None,
            None,
            "install failed",
            diagnose(
                lab,
                worker,
                None,
                f"the install script exited with {install.exit_status}:\n\n```\n{install.stderr.strip()}\n```",
            ),
        )
    node = wait_for_ready(lab, worker.name, progress)
    ready = condition(node, "Ready") if node else None
    if node is None:
        return JoinResult(
            worker.name,
            requested,
            None,
            None,
            "not registered",
            diagnose(lab, worker, None, "the node never registered with the API server"),
        )
    registered = parse_time(node["metadata"]["creationTimestamp"])
    if ready and ready["status"] == "True":
        return JoinResult(worker.name, requested, registered, parse_time(ready["lastTransitionTime"]), "Ready", "")
    return JoinResult(worker.name, requested, registered, None, "NotReady", diagnose(lab, worker, node, ""))


def wait_for_ready(lab: Lab, name: str, progress: bool = True) -> dict[str, Any] | None:
    """Poll node `name` until Ready or the timeout; the node as last seen, or None if it never appeared."""

    def ready() -> dict[str, Any] | Pending:
        try:
            node = lab.cluster.api.sanitize_for_serialization(lab.cluster.core.read_node(name))
        except ApiError as error:
            if error.status != 404:  # not registered yet
                raise
            return Pending(0, 2, "not registered")
        if node_ready(node) == "True":
            return dict(node)
        return Pending(1, 2, "registered, not Ready", value=node)

    try:
        return wait_for(
            ready, f"{name}: registered, Ready", lab.params.join_timeout, speed=lab.cluster.speed, progress=progress
        )
    except WaitTimeout as late:
        last_seen: dict[str, Any] | None = late.last.value
        return last_seen


def diagnose(lab: Lab, worker: Host, node: dict[str, Any] | None, what: str) -> str:
    """Markdown: what went wrong, the node's own conditions, the agent's log, and the tutorial's hints."""
    parts = [f"**{worker.name} did not become Ready.** {what}".strip()]
    if node is not None:
        parts.append(_conditions(node))
    try:
        journal = worker.run("journalctl -u k3s-agent --no-pager -n 20", sudo=True, check=False).stdout.strip()
    except HostError as error:
        journal = f"(could not read it: {error})"
    parts.append(f"Last lines of the agent's log (`journalctl -u k3s-agent`):\n\n```\n{journal}\n```")
    parts.append("What to check, from the tutorial:\n\n" + NOT_READY_HINTS)
    return "\n\n".join(parts)


def _conditions(node: dict[str, Any]) -> str:
    conditions = node.get("status", {}).get("conditions", [])
    return "Node conditions:\n\n" + "\n".join(
        f"- {c['type']} = {c['status']} ({c.get('reason', '')}): {c.get('message', '')}" for c in conditions
    )


def may_change_cluster(lab: Lab) -> bool:
    """Mutating steps run on the simulator always, on a live cluster only with `apply = True`."""
    return lab.cluster.rehearsal or lab.params.apply


def join_all(lab: Lab, controller: Host | None, workers: dict[str, Host], progress: bool = True) -> pd.DataFrame:
    """Join each worker in turn, waiting for each before the next (the tutorial: one node at a time). The bar
    counts the workers that became Ready: one that did not leaves it short, red in a notebook."""
    results = []
    with tqdm(total=len(workers), desc="joining", unit="node", disable=not progress) as bar:
        for name, host in workers.items():
            if controller is None:
                raise ValueError("joining a worker needs the controller, to create its join credential")
            result = join_worker(lab, controller, host, progress)
            results.append(result)
            lab.workspace.record_step(
                f"join {name}",
                result.status == "Ready",
                result.diagnosis or f"Ready {result.latency_s:.0f} s after the install was requested",
            )
            bar.update(result.status == "Ready")
    return results_frame(lab, results)


def results_frame(lab: Lab, results: list[JoinResult]) -> pd.DataFrame:
    frame = pd.DataFrame([{**vars(r), "latency_s": r.latency_s} for r in results], columns=RESULT_COLUMNS)
    frame.attrs["provenance"] = lab.cluster.provenance
    return frame


def save_workers(lab: Lab, members: dict[str, JoinResult], joined: pd.DataFrame | None) -> pd.DataFrame:
    """Every named worker, members first, then those this run joined: `expansion/workers.csv`, which the
    report judges the expansion by (the lab's own record, not a difference with the baseline)."""
    parts = [f for f in (results_frame(lab, list(members.values())), joined) if f is not None and len(f)]
    frame = pd.concat(parts, ignore_index=True) if parts else results_frame(lab, [])
    frame.attrs["provenance"] = lab.cluster.provenance
    lab.workspace.write_text(
        WORKERS, frame.drop(columns="diagnosis").assign(provenance=lab.cluster.provenance).to_csv(index=False)
    )
    return frame


def save_nodes(lab: Lab) -> pd.DataFrame:
    nodes = list_nodes_frame(lab.cluster)
    lab.workspace.write_text(NODES_AFTER_JOIN, nodes_table(nodes))
    return nodes
