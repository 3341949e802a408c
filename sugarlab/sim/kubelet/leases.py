"""Node heartbeats: each kubelet holds a Lease named after its node in `kube-node-lease` and renews it.

As pkg/kubelet/nodelease in kubernetes/kubernetes: `leaseDurationSeconds` is 40 (the kubelet's
`nodeLeaseDurationSeconds` default) and the lease is renewed every quarter of that, 10 s of cluster
time; it is owned by its Node. A powered-off machine's kubelet renews nothing, so its `renewTime`
goes stale, which is what `kubectl describe node` shows under `Lease:`.

The kubelet also posts its node's status: it recomputes it every 10 s but, while nothing changed,
posts it only every `nodeStatusReportFrequency` (5 minutes, pkg/kubelet/apis/config/v1beta1's
defaults), each post stamping every condition's `lastHeartbeatTime`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sugarlab.common.kubectl import format_time, parse_time
from sugarlab.sim.machinery.since_boot import FirstPass
from sugarlab.sim.storage.store import Store
from sugarlab.sim.world.machines import powered_off

NAMESPACE = "kube-node-lease"
DURATION_S = 40
RENEW = timedelta(seconds=DURATION_S / 4)
STATUS_REPORT = timedelta(minutes=5)


def micro_time(moment: datetime) -> str:
    """metav1.MicroTime as it is serialized: RFC 3339 with microseconds."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class NodeLeases:
    def __init__(self, store: Store) -> None:
        self.store, self.boot = store, FirstPass()

    def reconcile(self) -> None:
        leases, now = self.store.kind("Lease"), self.store.clock.now()
        if self.store.find(self.store.kind("Namespace"), "", NAMESPACE) is None:
            return
        off = powered_off(self.store)
        for node in self.store.view(self.store.kind("Node")):
            name = node["metadata"]["name"]
            if name in off:
                continue
            self._heartbeat(node, now)
            lease = self.store.find(leases, NAMESPACE, name)
            spec = {"holderIdentity": name, "leaseDurationSeconds": DURATION_S, "renewTime": micro_time(now)}
            if lease is None:
                self.store.create(
                    leases,
                    {
                        "metadata": self.boot.dated(
                            {
                                "name": name,
                                "namespace": NAMESPACE,
                                "ownerReferences": [
                                    {"apiVersion": "v1", "kind": "Node", "name": name, "uid": node["metadata"]["uid"]}
                                ],
                            },
                            node,
                        ),
                        "spec": spec,
                    },
                )
                continue
            renewed = (lease.get("spec") or {}).get("renewTime")
            if not renewed or now - parse_time(renewed) >= RENEW:
                lease["spec"] = (lease.get("spec") or {}) | spec
                self.store.replace(leases, lease)
        self.boot.done()

    def _heartbeat(self, node: dict[str, Any], now: datetime) -> None:
        conditions = node.get("status", {}).get("conditions") or []
        ready = next((c for c in conditions if c["type"] == "Ready"), None)
        if ready is None or ready["status"] != "True":  # node lifecycle owns a node that is not Ready
            return
        beat = ready.get("lastHeartbeatTime")
        if beat and now - parse_time(beat) < STATUS_REPORT:
            return

        def post(obj: dict[str, Any]) -> None:
            for condition in obj["status"]["conditions"]:
                condition["lastHeartbeatTime"] = format_time(now)

        self.store.update(self.store.kind("Node"), "", node["metadata"]["name"], post)
