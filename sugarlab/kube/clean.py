"""Removing what the lab created: every object carrying the lab's labels, in dependency order.

Workloads go first (their pods with them), then claims, then what claims and pods used (classes,
budgets and other cluster-wide objects), then the namespaces, each stage waited out before the next,
the order `kubectl delete` users follow so nothing is left half-used. Nodes are never the lab's
objects, so the workers stay joined. A claim's volume whose class retains data (`Retain`) outlives
the claim, as Kubernetes keeps it `Released`
(https://kubernetes.io/docs/concepts/storage/persistent-volumes/#retain); clean annotates it as
kept, and `purge` removes it: its reclaim policy is set to `Delete` first, so that a CSI provisioner
deletes the data too (the PV deletion protection finalizer of KEP-2644, on by default since 1.31).
Running it again finds nothing left and does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from kubernetes import dynamic
from kubernetes.client.exceptions import ApiException

from sugarlab.kube.labels import KEPT_ANNOTATION, LAB_SELECTOR
from sugarlab.kube.wait import Pending, wait_for
from sugarlab.lab.cluster import Cluster
from sugarlab.lab.errors import ClusterError

STAGES = ("workloads", "claims", "classes, budgets and other cluster-wide objects", "namespaces")
_CLAIMS, _CLUSTER_WIDE, _NAMESPACES = 1, 2, 3


@dataclass(frozen=True)
class LabObject:
    api_version: str
    kind: str
    namespace: str  # "" when cluster-scoped
    name: str

    @property
    def stage(self) -> int:
        if self.kind == "Namespace":
            return _NAMESPACES
        if self.kind == "PersistentVolumeClaim":
            return _CLAIMS
        return _CLUSTER_WIDE if not self.namespace or self.kind == "PodDisruptionBudget" else 0

    def describe(self) -> str:
        return f"{self.kind} {self.namespace + '/' if self.namespace else ''}{self.name}"


@dataclass(frozen=True)
class Volume:
    name: str
    reclaim_policy: str
    claim: str  # namespace/name of the claim it was bound to

    @property
    def retained(self) -> bool:
        return self.reclaim_policy == "Retain"


@dataclass
class CleanPlan:
    objects: list[LabObject] = field(default_factory=list)  # in deletion order
    volumes: list[Volume] = field(default_factory=list)  # bound to the lab's claims, or kept by an earlier clean
    purge: bool = False

    @property
    def kept(self) -> list[Volume]:
        return [] if self.purge else [v for v in self.volumes if v.retained]

    @property
    def empty(self) -> bool:
        return not self.objects and not (self.purge and self.volumes)

    def lines(self) -> list[str]:
        """What clean will do, stage by stage, as the confirmation shows it."""
        out = []
        for stage, title in enumerate(STAGES):
            chosen = [o.describe() for o in self.objects if o.stage == stage]
            if chosen:
                out.append(f"delete {title}: {', '.join(chosen)}")
        for volume in self.volumes:
            if self.purge and volume.retained:
                out.append(f"purge PersistentVolume {volume.name} (was {volume.claim}; Retain, set to Delete first)")
            elif volume.retained:
                out.append(
                    f"keep PersistentVolume {volume.name} of {volume.claim}: its class retains data "
                    "(--purge deletes it)"
                )
        return out


def plan(cluster: Cluster, purge: bool = False) -> CleanPlan:
    """Find every object labelled as the lab's, and the volumes of its claims."""
    resources = dynamic.DynamicClient(cluster.api).resources
    found: set[LabObject] = set()
    seen: set[tuple[str, str]] = set()
    for kind in resources.search():
        if not _listable(kind) or (kind.group, kind.kind) in seen:
            continue
        seen.add((kind.group, kind.kind))
        for item in _call(partial(kind.get, label_selector=LAB_SELECTOR), f"list {kind.kind}").items:
            meta = item.metadata
            found.add(LabObject(kind.group_version, kind.kind, meta.namespace or "", meta.name))
    objects = sorted(found, key=lambda o: (o.stage, o.kind, o.namespace, o.name))
    return CleanPlan(objects, _volumes(cluster, objects, purge), purge)


def _listable(kind: Any) -> bool:
    verbs = set(getattr(kind, "verbs", None) or ())
    return (
        not kind.kind.endswith("List")
        and getattr(kind, "preferred", True)
        and {"list", "delete"} <= verbs
        and kind.kind != "Node"
    )


def _volumes(cluster: Cluster, objects: list[LabObject], purge: bool) -> list[Volume]:
    claims = {f"{o.namespace}/{o.name}" for o in objects if o.kind == "PersistentVolumeClaim"}
    volumes = []
    for pv in cluster.core.list_persistent_volume().items:
        ref = pv.spec.claim_ref
        claim = f"{ref.namespace}/{ref.name}" if ref else ""
        kept = KEPT_ANNOTATION in (pv.metadata.annotations or {})
        if claim in claims or (purge and kept):
            volumes.append(Volume(pv.metadata.name, pv.spec.persistent_volume_reclaim_policy or "Delete", claim))
    return sorted(volumes, key=lambda v: v.name)


def execute(cluster: Cluster, chosen: CleanPlan, timeout_s: float = 300.0) -> list[str]:
    """Delete the plan's objects stage by stage, waiting (`timeout_s` cluster seconds) for each stage to
    go; return what was done."""
    resources = dynamic.DynamicClient(cluster.api).resources
    done: list[str] = []
    for stage in range(len(STAGES)):
        batch = [o for o in chosen.objects if o.stage == stage]
        for obj in batch:
            kind = resources.get(api_version=obj.api_version, kind=obj.kind)
            where = {"namespace": obj.namespace} if obj.namespace else {}
            _gone_ok(
                partial(kind.delete, name=obj.name, body={"propagationPolicy": "Background"}, **where),
                f"delete {obj.describe()}",
            )
            done.append(f"deleted {obj.describe()}")
        _wait_gone(cluster, resources, batch, timeout_s)
    for volume in chosen.volumes:
        if chosen.purge:
            _purge(cluster, volume)
            done.append(f"purged PersistentVolume {volume.name}")
        elif volume.retained:
            _gone_ok(
                partial(
                    cluster.core.patch_persistent_volume,
                    volume.name,
                    {"metadata": {"annotations": {KEPT_ANNOTATION: volume.claim}}},
                ),
                f"annotate {volume.name}",
            )
            done.append(f"kept PersistentVolume {volume.name} (Retain)")
    return done


def _purge(cluster: Cluster, volume: Volume) -> None:
    what = f"purge PersistentVolume {volume.name}"
    _gone_ok(
        lambda: cluster.core.patch_persistent_volume(
            volume.name, {"spec": {"persistentVolumeReclaimPolicy": "Delete"}}
        ),
        what,
    )
    _gone_ok(lambda: cluster.core.delete_persistent_volume(volume.name), what)


def _wait_gone(cluster: Cluster, resources: Any, batch: list[LabObject], timeout_s: float) -> None:
    """Wait for a stage's objects to go; a pod on a NotReady node stays Terminating until the node returns."""

    def gone() -> bool | Pending:
        left = [o.describe() for o in batch if _exists(resources, o)]
        return Pending(len(batch) - len(left), len(batch), seen=", ".join(left)) if left else True

    if batch:
        wait_for(gone, f"{len(batch)} deleted objects of the lab to go", timeout_s, speed=cluster.speed)


def _exists(resources: Any, obj: LabObject) -> bool:
    kind = resources.get(api_version=obj.api_version, kind=obj.kind)
    where = {"namespace": obj.namespace} if obj.namespace else {}
    try:
        kind.get(name=obj.name, **where)
    except ApiException as error:
        if error.status == 404:
            return False
        raise ClusterError(f"cannot read {obj.describe()}: {error.reason}") from None
    return True


def _call(request: Callable[[], Any], what: str) -> Any:
    try:
        return request()
    except ApiException as error:
        raise ClusterError(f"cannot {what}: {error.status} {error.reason}") from None


def _gone_ok(request: Callable[[], object], what: str) -> None:
    """Run a deleting request; an object already gone (404) is what clean wanted."""
    try:
        request()
    except ApiException as error:
        if error.status != 404:
            raise ClusterError(f"cannot {what}: {error.status} {error.reason}") from None
