"""kube-scheduler's filters and default scoring, for the simulated cluster.

Filters: node Ready and schedulable, taints (NoSchedule, NoExecute) tolerated, nodeSelector and
required node affinity, resource requests against allocatable, pod count, hard topology spread
constraints (`topology_spread`). Score: LeastAllocated,
with the scheduler's non-zero defaults for pods that request nothing (100m CPU, 200Mi memory),
which is what spreads identical pods across identical nodes.
"""

from __future__ import annotations

import random
from collections import Counter

from kubernetes.utils import parse_quantity

from sugarlab.common.objects import Obj
from sugarlab.sim.apis.pods import requests
from sugarlab.sim.controllers.topology_spread import spread_refusal
from sugarlab.sim.controllers.volumes import SELECTED_NODE, claim_class
from sugarlab.sim.storage import events
from sugarlab.sim.storage.store import Store

DEFAULT_CPU, DEFAULT_MEMORY = 0.1, 200 * 1024 * 1024  # kube-scheduler's non-zero request defaults


def tolerates(tolerations: list[Obj], taint: Obj) -> bool:
    for tol in tolerations:
        if tol.get("effect") and tol["effect"] != taint["effect"]:
            continue
        if tol.get("operator") == "Exists":
            if not tol.get("key") or tol["key"] == taint["key"]:
                return True
        elif tol.get("key") == taint["key"] and tol.get("value", "") == taint.get("value", ""):
            return True
    return False


def node_taints(node: Obj) -> list[Obj]:
    taints = list(node.get("spec", {}).get("taints") or [])
    if node.get("spec", {}).get("unschedulable"):
        taints.append({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"})
    ready = next((c for c in node.get("status", {}).get("conditions", []) if c["type"] == "Ready"), None)
    if not ready or ready["status"] != "True":
        taints.append({"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"})
    return taints


def _expression_matches(expr: Obj, labels: dict[str, str]) -> bool:
    key, op, values = expr["key"], expr["operator"], expr.get("values") or []
    if op == "In":
        return labels.get(key) in values
    if op == "NotIn":
        return labels.get(key) not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op in ("Gt", "Lt") and key in labels:
        number, bound = int(labels[key]), int(values[0])
        return number > bound if op == "Gt" else number < bound
    return False


def affinity_matches(pod: Obj, node: Obj) -> bool:
    labels = node["metadata"].get("labels") or {}
    selector = pod["spec"].get("nodeSelector") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return False
    required = ((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = required.get("nodeSelectorTerms") or []
    return not terms or any(
        all(_expression_matches(e, labels) for e in term.get("matchExpressions") or []) for term in terms
    )


def _tolerated(pod: Obj, node: Obj) -> bool:
    tolerations = pod["spec"].get("tolerations") or []
    return all(
        tolerates(tolerations, taint) for taint in node_taints(node) if taint["effect"] in ("NoSchedule", "NoExecute")
    )


def _volume_fits(pv: Obj, node: Obj) -> bool:
    terms = (((pv["spec"].get("nodeAffinity") or {}).get("required") or {}).get("nodeSelectorTerms")) or []
    labels = node["metadata"].get("labels") or {}
    return not terms or any(all(_expression_matches(e, labels) for e in t.get("matchExpressions") or []) for t in terms)


def _taint_text(taint: Obj) -> str:
    return f"{{{taint['key']}: {taint.get('value', '')}}}" if taint.get("value") else f"{{{taint['key']}: }}"


class Scheduler:
    def __init__(self, store: Store, seed: int) -> None:
        self.store, self.seed = store, seed

    def reconcile(self) -> None:
        pending = [
            p
            for p in self.store.view(self.store.kind("Pod"))
            if not p["spec"].get("nodeName")
            and "deletionTimestamp" not in p["metadata"]
            and p.get("status", {}).get("phase") not in ("Succeeded", "Failed")
            and p["spec"].get("schedulerName", "default-scheduler") == "default-scheduler"
        ]
        for pod in pending:  # one at a time, each seeing where the previous ones went
            self.schedule(pod, self.store.view(self.store.kind("Pod")))

    def _volumes(self, pod: Obj) -> tuple[str, list[Obj], list[Obj]]:
        """Why the pod's claims keep it from scheduling ("" if not), claims waiting for a node, bound volumes."""
        waiting, bound = [], []
        for volume in pod["spec"].get("volumes") or []:
            ref = volume.get("persistentVolumeClaim")
            if not ref:
                continue
            claim = self.store.find(
                self.store.kind("PersistentVolumeClaim"), pod["metadata"]["namespace"], ref["claimName"]
            )
            if claim is None:
                return f'persistentvolumeclaim "{ref["claimName"]}" not found', [], []
            if claim["spec"].get("volumeName"):
                pv = self.store.find(self.store.kind("PersistentVolume"), "", claim["spec"]["volumeName"])
                bound += [pv] if pv else []
                continue
            sc = self.store.find(self.store.kind("StorageClass"), "", claim_class(self.store, claim))
            if not sc or sc.get("volumeBindingMode") != "WaitForFirstConsumer":
                return "pod has unbound immediate PersistentVolumeClaims", [], []
            waiting.append(claim)
        return "", waiting, bound

    def schedule(self, pod: Obj, pods: list[Obj]) -> None:
        nodes = self.store.view(self.store.kind("Node"))
        blocked, waiting, bound = self._volumes(pod)
        if blocked:
            self._unschedulable(pod, len(nodes), Counter(), blocked)
            return
        if any(SELECTED_NODE in (c["metadata"].get("annotations") or {}) for c in waiting):
            return  # the provisioner is making the volume on the node chosen for it
        cpu, memory = requests(pod)
        reasons: Counter[str] = Counter()
        fits: list[tuple[float, Obj]] = []
        for node in nodes:
            reason = self._filter(pod, node, pods, cpu, memory) or spread_refusal(
                pod, node, nodes, pods, lambda n: affinity_matches(pod, n), lambda n: _tolerated(pod, n)
            )
            if not reason and not all(_volume_fits(pv, node) for pv in bound):
                reason = "node(s) had volume node affinity conflict"
            if reason:
                reasons[reason] += 1
                continue
            fits.append((self._score(node, pods, cpu, memory), node))
        if not fits:
            self._unschedulable(pod, len(nodes), reasons)
            return
        best = max(score for score, _ in fits)
        candidates = sorted(n["metadata"]["name"] for score, n in fits if score == best)
        chosen = random.Random(f"{self.seed}:{pod['metadata']['uid']}").choice(candidates)
        rt = self.store.kind("Pod")
        if waiting:  # WaitForFirstConsumer: the volume is made on the chosen node before the pod binds
            for claim in waiting:
                self.store.update(
                    self.store.kind("PersistentVolumeClaim"),
                    claim["metadata"]["namespace"],
                    claim["metadata"]["name"],
                    lambda c: c["metadata"].setdefault("annotations", {}).update({SELECTED_NODE: chosen}),
                )
            return

        def bind(obj: Obj) -> None:
            obj["spec"]["nodeName"] = chosen
            obj.setdefault("status", {})["phase"] = "Pending"
            obj["status"]["conditions"] = [
                {
                    "type": "PodScheduled",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": self.store.clock.stamp(),
                }
            ]

        scheduled = self.store.update(rt, pod["metadata"]["namespace"], pod["metadata"]["name"], bind)
        meta = scheduled["metadata"]
        events.record(
            self.store,
            scheduled,
            "Scheduled",
            f"Successfully assigned {meta['namespace']}/{meta['name']} to {chosen}",
            "default-scheduler",
        )

    def _filter(self, pod: Obj, node: Obj, pods: list[Obj], cpu: float, memory: int) -> str:
        tolerations = pod["spec"].get("tolerations") or []
        for taint in node_taints(node):
            if taint["effect"] in ("NoSchedule", "NoExecute") and not tolerates(tolerations, taint):
                return f"node(s) had untolerated taint {_taint_text(taint)}"
        if not affinity_matches(pod, node):
            return "node(s) didn't match Pod's node affinity/selector"
        allocatable = node["status"]["allocatable"]
        on_node = [
            p
            for p in pods
            if p["spec"].get("nodeName") == node["metadata"]["name"]
            and p.get("status", {}).get("phase") not in ("Succeeded", "Failed")
        ]
        if len(on_node) + 1 > int(allocatable.get("pods", "110")):
            return "Too many pods"
        used_cpu = sum(requests(p)[0] for p in on_node)
        used_memory = sum(requests(p)[1] for p in on_node)
        if used_cpu + cpu > float(parse_quantity(allocatable["cpu"])):
            return "Insufficient cpu"
        if used_memory + memory > int(parse_quantity(allocatable["memory"])):
            return "Insufficient memory"
        return ""

    def _score(self, node: Obj, pods: list[Obj], cpu: float, memory: int) -> float:
        allocatable = node["status"]["allocatable"]
        cap_cpu, cap_memory = float(parse_quantity(allocatable["cpu"])), int(parse_quantity(allocatable["memory"]))
        used_cpu, used_memory = cpu or DEFAULT_CPU, memory or DEFAULT_MEMORY
        for p in pods:
            if p["spec"].get("nodeName") == node["metadata"]["name"] and p.get("status", {}).get("phase") not in (
                "Succeeded",
                "Failed",
            ):
                req_cpu, req_memory = requests(p)
                used_cpu += req_cpu or DEFAULT_CPU
                used_memory += req_memory or DEFAULT_MEMORY
        return ((1 - min(used_cpu / cap_cpu, 1)) + (1 - min(used_memory / cap_memory, 1))) / 2

    def _unschedulable(self, pod: Obj, total: int, reasons: Counter[str], detail: str = "") -> None:
        detail = detail or ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
        message = (
            f"0/{total} nodes are available: {detail}. preemption: 0/{total} nodes are available: "
            f"{total} Preemption is not helpful for scheduling."
        )
        current: Obj = next((c for c in pod.get("status", {}).get("conditions", []) if c["type"] == "PodScheduled"), {})
        if current.get("message") == message:
            return

        def mark(obj: Obj) -> None:
            obj.setdefault("status", {})["phase"] = "Pending"
            obj["status"]["conditions"] = [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": message,
                    "lastProbeTime": None,
                    "lastTransitionTime": self.store.clock.stamp(),
                }
            ]

        updated = self.store.update(self.store.kind("Pod"), pod["metadata"]["namespace"], pod["metadata"]["name"], mark)
        events.record(self.store, updated, "FailedScheduling", message, "default-scheduler", warning=True)
