"""Node lifecycle: what the control plane does when a machine loses power, and when it comes back.

As kube-controller-manager's node lifecycle and taint-eviction controllers: once a kubelet has been
silent for the grace period the node's conditions turn Unknown, its pods stop being Ready, and it
gets the `unreachable` NoSchedule and NoExecute taints; a pod that does not tolerate NoExecute is
marked for deletion when its toleration runs out (300 s, from DefaultTolerationSeconds, unless the
pod says otherwise). Nobody is left to finish that deletion, so the pod stays Terminating, and a
StatefulSet will not replace it, until the machine returns or an operator declares the node out of
service (`node.kubernetes.io/out-of-service`, the non-graceful node shutdown procedure), which
force-deletes its pods.
"""

from __future__ import annotations

from datetime import timedelta

from sugarlab.common.kubectl import node_ready, parse_time
from sugarlab.common.objects import Obj
from sugarlab.sim.controllers.scheduler import tolerates
from sugarlab.sim.storage import events
from sugarlab.sim.storage.deletion import delete_object
from sugarlab.sim.storage.store import Store
from sugarlab.sim.world.machines import Machines, mark_ready

GRACE = timedelta(seconds=50)  # --node-monitor-grace-period, 50 s since Kubernetes v1.32
BOOT = timedelta(seconds=45)  # a Pi booting Raspberry Pi OS and starting its k3s agent, roughly
UNREACHABLE = "node.kubernetes.io/unreachable"
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"
PRESSURE = ("MemoryPressure", "DiskPressure", "PIDPressure")


class NodeLifecycle:
    def __init__(self, store: Store, machines: Machines) -> None:
        self.store, self.machines = store, machines

    def reconcile(self) -> None:
        now = self.store.clock.now()
        machines = self.machines.all()
        pods = self.store.view(self.store.kind("Pod"))
        for node in self.store.view(self.store.kind("Node")):
            machine = machines.get(node["metadata"]["name"])
            if machine is None or not machine.power_changed:
                continue
            since = parse_time(machine.power_changed)
            if not machine.powered and now - since >= GRACE and node_ready(node) != "Unknown":
                self._lost(node, pods)
            elif machine.powered and now - since >= BOOT and node_ready(node) == "Unknown":
                self._back(node, pods)
        for node in self.store.view(self.store.kind("Node")):
            self._evict(node, [p for p in pods if p["spec"].get("nodeName") == node["metadata"]["name"]])

    def _lost(self, node: Obj, pods: list[Obj]) -> None:
        stamp = self.store.clock.stamp()

        def unknown(obj: Obj) -> None:
            for condition in obj["status"]["conditions"]:
                if condition["type"] in ("Ready", *PRESSURE):
                    condition.update(
                        status="Unknown",
                        reason="NodeStatusUnknown",
                        lastTransitionTime=stamp,
                        message="Kubelet stopped posting node status.",
                    )
            taints = [t for t in obj["spec"].get("taints") or [] if t["key"] != UNREACHABLE]
            obj["spec"]["taints"] = [
                *taints,
                {"key": UNREACHABLE, "effect": "NoSchedule", "timeAdded": stamp},
                {"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": stamp},
            ]

        name = node["metadata"]["name"]
        updated = self.store.update(self.store.kind("Node"), "", name, unknown)
        events.record(
            self.store, updated, "NodeNotReady", f"Node {name} status is now: NodeNotReady", "node-controller"
        )
        for pod in (
            p for p in pods if p["spec"].get("nodeName") == name and p.get("status", {}).get("phase") == "Running"
        ):
            self._set_ready(pod, False)
            events.record(self.store, pod, "NodeNotReady", "Node is not ready", "node-controller", warning=True)

    def _back(self, node: Obj, pods: list[Obj]) -> None:
        name = node["metadata"]["name"]
        mark_ready(self.store, name, drop_taint=UNREACHABLE)
        for pod in (
            p
            for p in pods
            if p["spec"].get("nodeName") == name
            and p.get("status", {}).get("phase") == "Running"
            and "deletionTimestamp" not in p["metadata"]
        ):
            self._set_ready(pod, True)

    def _set_ready(self, pod: Obj, ready: bool) -> None:
        def change(obj: Obj) -> None:
            for condition in obj["status"].get("conditions", []):
                if condition["type"] in ("Ready", "ContainersReady"):
                    condition.update(status="True" if ready else "False", lastTransitionTime=self.store.clock.stamp())
            for status in obj["status"].get("containerStatuses", []):
                status["ready"] = ready

        self.store.update(self.store.kind("Pod"), pod["metadata"]["namespace"], pod["metadata"]["name"], change)

    def _evict(self, node: Obj, pods: list[Obj]) -> None:
        taints = [t for t in node["spec"].get("taints") or [] if t["effect"] == "NoExecute"]
        if not taints:
            return
        now = self.store.clock.now()
        out_of_service = any(t["key"] == OUT_OF_SERVICE for t in taints) and node_ready(node) != "True"
        for pod in pods:
            meta = pod["metadata"]
            tolerations = pod["spec"].get("tolerations") or []
            if out_of_service and not tolerates(tolerations, next(t for t in taints if t["key"] == OUT_OF_SERVICE)):
                self.store.delete(
                    self.store.kind("Pod"), meta["namespace"], meta["name"]
                )  # forced, no kubelet to wait for
                continue
            if "deletionTimestamp" in meta or pod.get("status", {}).get("phase") in ("Succeeded", "Failed"):
                continue
            due = None
            for taint in taints:
                matching = [t for t in tolerations if tolerates([t], taint)]
                if not matching:
                    due = now
                    break
                seconds = [t["tolerationSeconds"] for t in matching if t.get("tolerationSeconds") is not None]
                if seconds and len(seconds) == len(matching):
                    added = parse_time(taint.get("timeAdded") or self.store.clock.stamp())
                    deadline = added + timedelta(seconds=min(seconds))
                    due = deadline if due is None else min(due, deadline)
            if due is not None and now >= due:
                delete_object(self.store, self.store.kind("Pod"), meta["namespace"], meta["name"])
                events.record(
                    self.store,
                    pod,
                    "TaintManagerEviction",
                    f"Marking for deletion Pod {meta['namespace']}/{meta['name']}",
                    "taint-eviction-controller",
                )
