"""The Deployment and ReplicaSet controllers: keep the wanted number of pods of the current template.

A template change starts a new ReplicaSet at full size and scales the old ones to zero (close to
the Recreate strategy; RollingUpdate's gradual surge is not modelled). The current ReplicaSet is the
one whose template equals the Deployment's, ignoring `pod-template-hash`, as the real controller
decides it.
"""

from __future__ import annotations

import copy
import hashlib
import json
from functools import partial

from sugarlab.common.kubectl import pod_ready
from sugarlab.common.objects import Obj
from sugarlab.sim.apis.owned import create_pod, owned, owner_ref
from sugarlab.sim.machinery.names import NAME_ALPHABET
from sugarlab.sim.storage import events
from sugarlab.sim.storage.deletion import delete_object
from sugarlab.sim.storage.store import Store

HASH_LABEL = "pod-template-hash"


def _set_status(obj: Obj, status: Obj) -> None:
    obj["status"] = status


def _scale(replica_set: Obj, replicas: int) -> None:
    replica_set["spec"]["replicas"] = replicas


def _template_key(template: Obj) -> str:
    template = copy.deepcopy(template)
    (template.get("metadata") or {}).get("labels", {}).pop(HASH_LABEL, None)
    return json.dumps(template, sort_keys=True)


def template_hash(template: Obj) -> str:
    digest = hashlib.sha256(_template_key(template).encode()).digest()
    return "".join(NAME_ALPHABET[b % len(NAME_ALPHABET)] for b in digest[:10])


class ReplicaSetController:
    """Also the ReplicationController manager, as kube-controller-manager runs the same code for both."""

    def __init__(self, store: Store, kind: str = "ReplicaSet") -> None:
        self.store, self.kind = store, kind
        self.component = "replicaset-controller" if kind == "ReplicaSet" else "replication-controller"

    def reconcile(self) -> None:
        pods = self.store.view(self.store.kind("Pod"))
        for rs in self.store.view(self.store.kind(self.kind)):
            if "deletionTimestamp" in rs["metadata"]:
                continue
            mine = [
                p
                for p in owned(pods, rs)
                if "deletionTimestamp" not in p["metadata"]
                and p.get("status", {}).get("phase") not in ("Succeeded", "Failed")
            ]
            wanted = rs["spec"].get("replicas", 1)
            for _ in range(wanted - len(mine)):
                mine.append(create_pod(self.store, rs, self.component))
            for pod in sorted(mine, key=lambda p: p["metadata"]["creationTimestamp"], reverse=True)[
                : max(0, len(mine) - wanted)
            ]:
                delete_object(self.store, self.store.kind("Pod"), pod["metadata"]["namespace"], pod["metadata"]["name"])
                mine.remove(pod)
            ready = sum(pod_ready(p) for p in mine)
            status = {
                "replicas": len(mine),
                "fullyLabeledReplicas": len(mine),
                "readyReplicas": ready,
                "availableReplicas": ready,
                "observedGeneration": rs["metadata"].get("generation", 1),
            }
            if rs.get("status") != status:
                self.store.update(
                    self.store.kind(self.kind),
                    rs["metadata"]["namespace"],
                    rs["metadata"]["name"],
                    partial(_set_status, status=status),
                )


class DeploymentController:
    def __init__(self, store: Store) -> None:
        self.store = store

    def reconcile(self) -> None:
        sets = self.store.view(self.store.kind("ReplicaSet"))
        for deployment in self.store.view(self.store.kind("Deployment")):
            if "deletionTimestamp" not in deployment["metadata"]:
                self._sync(deployment, owned(sets, deployment))

    def _sync(self, deployment: Obj, sets: list[Obj]) -> None:
        spec, meta = deployment["spec"], deployment["metadata"]
        key = _template_key(spec["template"])
        current = next((rs for rs in sets if _template_key(rs["spec"]["template"]) == key), None)
        rs_type = self.store.kind("ReplicaSet")
        if current is None:
            current = self._create_set(deployment)
        for rs in sets:
            replicas = spec["replicas"] if rs is current else 0
            if rs["spec"].get("replicas") != replicas:
                self.store.update(
                    rs_type,
                    rs["metadata"]["namespace"],
                    rs["metadata"]["name"],
                    partial(_scale, replicas=replicas),
                )
        counts = [rs.get("status", {}) for rs in sets] or [{}]
        total = sum(c.get("replicas", 0) for c in counts)
        available = sum(c.get("availableReplicas", 0) for c in counts)
        updated = (current.get("status") or {}).get("replicas", 0)
        now = self.store.clock.stamp()
        ok = available >= spec["replicas"] and updated == spec["replicas"]
        missing = max(spec["replicas"] - available, 0)
        status = {
            "observedGeneration": meta.get("generation", 1),
            "replicas": total,
            "updatedReplicas": updated,
            "readyReplicas": sum(c.get("readyReplicas", 0) for c in counts),
            "availableReplicas": available,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True" if ok else "False",
                    "reason": "MinimumReplicasAvailable" if ok else "MinimumReplicasUnavailable",
                    "message": "Deployment has minimum availability."
                    if ok
                    else "Deployment does not have minimum availability.",
                },
                {
                    "type": "Progressing",
                    "status": "True",
                    "reason": "NewReplicaSetAvailable" if ok else "ReplicaSetUpdated",
                    "message": f'ReplicaSet "{current["metadata"]["name"]}" '
                    + ("has successfully progressed." if ok else "is progressing."),
                },
            ],
            **({"unavailableReplicas": missing} if missing else {}),
        }
        previous = deployment.get("status") or {}
        if {k: v for k, v in previous.items() if k != "conditions"} != {
            k: v for k, v in status.items() if k != "conditions"
        } or [c["status"] for c in previous.get("conditions", [])] != [c["status"] for c in status["conditions"]]:
            for condition in status["conditions"]:
                condition.update(lastUpdateTime=now, lastTransitionTime=now)
            self.store.update(
                self.store.kind("Deployment"), meta["namespace"], meta["name"], lambda o: o.update(status=status)
            )

    def _create_set(self, deployment: Obj) -> Obj:
        template = copy.deepcopy(deployment["spec"]["template"])
        pod_hash = template_hash(template)
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
        selector = {**deployment["spec"]["selector"]["matchLabels"], HASH_LABEL: pod_hash}
        name = f"{deployment['metadata']['name']}-{pod_hash}"
        created = self.store.create(
            self.store.kind("ReplicaSet"),
            {
                "metadata": {
                    "name": name,
                    "namespace": deployment["metadata"]["namespace"],
                    "labels": dict(template["metadata"]["labels"]),
                    "ownerReferences": [owner_ref(deployment)],
                },
                "spec": {
                    "replicas": deployment["spec"]["replicas"],
                    "selector": {"matchLabels": selector},
                    "template": template,
                },
                "status": {},
            },
        )
        events.record(
            self.store,
            deployment,
            "ScalingReplicaSet",
            f"Scaled up replica set {name} from 0 to {deployment['spec']['replicas']}",
            "deployment-controller",
        )
        return created
