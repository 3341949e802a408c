"""The StatefulSet controller: stable pod names, one claim per pod and template, ordered rollout.

As pkg/controller/statefulset with the default OrderedReady policy: pod `<set>-<i>` is created only
when every lower ordinal is Running and Ready; a pod that is gone is recreated under the same name
(only once the old one is fully deleted, so two never run at once), and it mounts the same claims
`<template>-<set>-<i>`, which outlive the pods (the default Retain claim policy). A template change
replaces pods from the highest ordinal down, one at a time.
"""

from __future__ import annotations

import copy

from sugarlab.common.kubectl import pod_ready
from sugarlab.common.objects import Obj
from sugarlab.sim.apis.core_defaults import default_pod
from sugarlab.sim.apis.owned import owned, owner_ref
from sugarlab.sim.apis.service_accounts import admit_pod
from sugarlab.sim.controllers.replicas import template_hash
from sugarlab.sim.storage import events
from sugarlab.sim.storage.deletion import delete_object
from sugarlab.sim.storage.store import Store

REVISION_LABEL = "controller-revision-hash"


def _running_and_ready(pod: Obj) -> bool:
    """pkg/controller/statefulset/stateful_set_utils.go isRunningAndReady."""
    return pod.get("status", {}).get("phase") == "Running" and pod_ready(pod)


class StatefulSetController:
    def __init__(self, store: Store) -> None:
        self.store = store

    def reconcile(self) -> None:
        pods = self.store.view(self.store.kind("Pod"))
        for sts in self.store.view(self.store.kind("StatefulSet")):
            if "deletionTimestamp" not in sts["metadata"]:
                self._sync(sts, {p["metadata"]["name"]: p for p in owned(pods, sts)})

    def _sync(self, sts: Obj, pods: dict[str, Obj]) -> None:
        meta, spec = sts["metadata"], sts["spec"]
        name, replicas = meta["name"], spec.get("replicas", 1)
        revision = f"{name}-{template_hash(spec['template'])}"
        ordered = spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady"
        for i in range(replicas):
            pod = pods.get(f"{name}-{i}")
            if pod is None:
                if not self.store.find(self.store.kind("Pod"), meta["namespace"], f"{name}-{i}"):
                    pods[f"{name}-{i}"] = self._create(sts, i, revision)
                if ordered:
                    break
            elif (
                pod.get("status", {}).get("phase") in ("Succeeded", "Failed")
                and "deletionTimestamp" not in pod["metadata"]
            ):
                delete_object(self.store, self.store.kind("Pod"), meta["namespace"], pod["metadata"]["name"], 0)
                break
            elif ordered and not _running_and_ready(pod):
                break
        extra = sorted(
            (p for n, p in pods.items() if int(n.rsplit("-", 1)[1]) >= replicas),
            reverse=True,
            key=lambda p: int(p["metadata"]["name"].rsplit("-", 1)[1]),
        )
        live = [p for p in pods.values() if "deletionTimestamp" not in p["metadata"]]
        if extra and "deletionTimestamp" not in extra[0]["metadata"]:
            self._delete(sts, extra[0])
        elif len(live) == replicas and all(_running_and_ready(p) for p in live):
            outdated = [p for p in live if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) != revision]
            if outdated:
                self._delete(sts, max(outdated, key=lambda p: int(p["metadata"]["name"].rsplit("-", 1)[1])))
        self._status(sts, list(pods.values()), revision)

    def _create(self, sts: Obj, ordinal: int, revision: str) -> Obj:
        meta, spec = sts["metadata"], sts["spec"]
        pod_name = f"{meta['name']}-{ordinal}"
        template = copy.deepcopy(spec["template"])
        for claim in spec.get("volumeClaimTemplates") or []:
            self._ensure_claim(sts, claim, ordinal, pod_name)
        pod_spec = template["spec"]
        volumes = pod_spec.setdefault("volumes", [])
        for claim in spec.get("volumeClaimTemplates") or []:
            claim_name = f"{claim['metadata']['name']}-{meta['name']}-{ordinal}"
            volumes[:] = [v for v in volumes if v["name"] != claim["metadata"]["name"]]
            volumes.append({"name": claim["metadata"]["name"], "persistentVolumeClaim": {"claimName": claim_name}})
        pod_spec.update(hostname=pod_name, **({"subdomain": spec["serviceName"]} if spec.get("serviceName") else {}))
        labels = {
            **((template.get("metadata") or {}).get("labels") or {}),
            REVISION_LABEL: revision,
            "statefulset.kubernetes.io/pod-name": pod_name,
            "apps.kubernetes.io/pod-index": str(ordinal),
        }
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "spec": pod_spec,
            "metadata": {
                "name": pod_name,
                "namespace": meta["namespace"],
                "labels": labels,
                "ownerReferences": [owner_ref(sts)],
                **(
                    {"annotations": template["metadata"]["annotations"]}
                    if (template.get("metadata") or {}).get("annotations")
                    else {}
                ),
            },
        }
        default_pod(pod)
        admit_pod(self.store, pod, require_account=False)
        created = self.store.create(self.store.kind("Pod"), pod)
        events.record(
            self.store,
            sts,
            "SuccessfulCreate",
            f"create Pod {pod_name} in StatefulSet {meta['name']} successful",
            "statefulset-controller",
        )
        return created

    def _ensure_claim(self, sts: Obj, template: Obj, ordinal: int, pod_name: str) -> None:
        meta = sts["metadata"]
        claim_name = f"{template['metadata']['name']}-{meta['name']}-{ordinal}"
        claims = self.store.kind("PersistentVolumeClaim")
        if self.store.find(claims, meta["namespace"], claim_name):
            return
        selector = (sts["spec"].get("selector") or {}).get("matchLabels") or {}
        self.store.create(
            claims,
            {
                "metadata": {
                    "name": claim_name,
                    "namespace": meta["namespace"],
                    "labels": {**(template["metadata"].get("labels") or {}), **selector},
                },
                "spec": {"volumeMode": "Filesystem", **copy.deepcopy(template["spec"])},
                "status": {"phase": "Pending"},
            },
        )
        events.record(
            self.store,
            sts,
            "SuccessfulCreate",
            f"create Claim {claim_name} Pod {pod_name} in StatefulSet {meta['name']} success",
            "statefulset-controller",
        )

    def _delete(self, sts: Obj, pod: Obj) -> None:
        delete_object(self.store, self.store.kind("Pod"), pod["metadata"]["namespace"], pod["metadata"]["name"])
        events.record(
            self.store,
            sts,
            "SuccessfulDelete",
            f"delete Pod {pod['metadata']['name']} in StatefulSet {sts['metadata']['name']} successful",
            "statefulset-controller",
        )

    def _status(self, sts: Obj, pods: list[Obj], revision: str) -> None:
        live = [p for p in pods if "deletionTimestamp" not in p["metadata"]]
        current = sum((p["metadata"].get("labels") or {}).get(REVISION_LABEL) == revision for p in live)
        ready = sum(_running_and_ready(p) for p in live)
        status = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(live),
            "readyReplicas": ready,
            "currentReplicas": current,
            "updatedReplicas": current,
            "availableReplicas": ready,
            "currentRevision": revision,
            "updateRevision": revision,
            "collisionCount": 0,
        }
        if sts.get("status") != status:
            self.store.update(
                self.store.kind("StatefulSet"),
                sts["metadata"]["namespace"],
                sts["metadata"]["name"],
                lambda o: o.update(status=status),
            )
