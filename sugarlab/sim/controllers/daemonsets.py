"""The DaemonSet controller: one pod of each DaemonSet on every node that should run it.

As pkg/controller/daemon in kubernetes/kubernetes: a node should run a daemon pod when the pod's
nodeSelector and required node affinity match it and the pod tolerates the node's NoSchedule and
NoExecute taints, counting the tolerations the controller adds to every daemon pod
(daemon/util's `AddOrUpdateDaemonPodTolerations`: not-ready and unreachable NoExecute, the
pressure and unschedulable NoSchedule taints, network-unavailable for host-network pods). Each pod
is pinned to its node by required node affinity on `metadata.name` (`ReplaceDaemonSetPodNodeNameNodeAffinity`);
the simulator's scheduler does not read `matchFields`, so the pod is bound to the node at once.
A node that joins gets its pods; a node that goes away loses them.
"""

from __future__ import annotations

from sugarlab.common.kubectl import pod_ready
from sugarlab.common.objects import Obj
from sugarlab.sim.apis.owned import create_pod, owned
from sugarlab.sim.controllers.scheduler import affinity_matches, node_taints, tolerates
from sugarlab.sim.storage.deletion import delete_object
from sugarlab.sim.storage.store import Store

COMPONENT = "daemonset-controller"
DAEMON_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]
HOST_NETWORK_TOLERATION = {
    "key": "node.kubernetes.io/network-unavailable",
    "operator": "Exists",
    "effect": "NoSchedule",
}


def daemon_tolerations(spec: Obj) -> list[Obj]:
    added = [*DAEMON_TOLERATIONS, *([HOST_NETWORK_TOLERATION] if spec.get("hostNetwork") else [])]
    own = list(spec.get("tolerations") or [])
    return own + [t for t in added if not any(o.get("key") == t["key"] and o.get("effect") == t["effect"] for o in own)]


def should_run(daemonset: Obj, node: Obj, effects: tuple[str, ...] = ("NoSchedule", "NoExecute")) -> bool:
    """daemon's `NodeShouldRunDaemonPod`: a new pod needs NoSchedule and NoExecute taints tolerated; a
    running one stays while its NoExecute taints are (pass `effects=("NoExecute",)`)."""
    spec = daemonset["spec"]["template"]["spec"]
    tolerations = daemon_tolerations(spec)
    return affinity_matches({"spec": spec}, node) and all(
        tolerates(tolerations, taint) for taint in node_taints(node) if taint.get("effect") in effects
    )


def _pinned(daemonset: Obj, node_name: str) -> Obj:
    """The DaemonSet with its template pinned to one node, as the controller creates each pod."""
    template = daemonset["spec"]["template"]
    spec = {
        **template["spec"],
        "tolerations": daemon_tolerations(template["spec"]),
        "nodeName": node_name,
        "affinity": {
            **(template["spec"].get("affinity") or {}),
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
                    ]
                }
            },
        },
    }
    return {**daemonset, "spec": {**daemonset["spec"], "template": {**template, "spec": spec}}}


class DaemonSetController:
    def __init__(self, store: Store) -> None:
        self.store = store

    def reconcile(self) -> None:
        nodes = self.store.view(self.store.kind("Node"))
        pods = self.store.view(self.store.kind("Pod"))
        for daemonset in self.store.view(self.store.kind("DaemonSet")):
            if "deletionTimestamp" in daemonset["metadata"]:
                continue
            mine = [p for p in owned(pods, daemonset) if "deletionTimestamp" not in p["metadata"]]
            wanted = {n["metadata"]["name"] for n in nodes if should_run(daemonset, n)}
            kept = {n["metadata"]["name"] for n in nodes if should_run(daemonset, n, ("NoExecute",))}
            placed: dict[str, Obj] = {}
            for pod in mine:
                node = pod["spec"].get("nodeName", "")
                if node not in kept or node in placed:  # off a node it may not run on, or a duplicate
                    delete_object(
                        self.store, self.store.kind("Pod"), pod["metadata"]["namespace"], pod["metadata"]["name"]
                    )
                else:
                    placed[node] = pod
            generation = str(daemonset["metadata"].get("generation", 1))
            for node in sorted(wanted - set(placed)):  # wanted (NoSchedule tolerated) is within kept
                placed[node] = create_pod(
                    self.store, _pinned(daemonset, node), COMPONENT, {"pod-template-generation": generation}
                )
            self._status(daemonset, wanted | set(placed), list(placed.values()))

    def _status(self, daemonset: Obj, wanted: set[str], pods: list[Obj]) -> None:
        ready = sum(pod_ready(p) for p in pods)
        status = {
            "currentNumberScheduled": len(pods),
            "desiredNumberScheduled": len(wanted),
            "numberAvailable": ready,
            "numberMisscheduled": 0,
            "numberReady": ready,
            "observedGeneration": daemonset["metadata"].get("generation", 1),
            "updatedNumberScheduled": len(pods),
        }
        if len(pods) > ready:
            status["numberUnavailable"] = len(pods) - ready
        if daemonset.get("status") != status:
            self.store.update(
                self.store.kind("DaemonSet"),
                daemonset["metadata"]["namespace"],
                daemonset["metadata"]["name"],
                lambda o: o.update(status=status),
            )
