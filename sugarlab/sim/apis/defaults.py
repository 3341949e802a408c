"""Which defaulting and normalisation each kind goes through (the SetDefaults_* functions of
pkg/apis/*/v1/defaults.go and the REST strategies' PrepareForCreate in kubernetes/kubernetes): on create,
and on every write. A Service's ClusterIP is the API server's own to allocate (`apiserver.services`)."""

from __future__ import annotations

from collections.abc import Callable

from sugarlab.common.objects import Obj
from sugarlab.sim.apis.apps_defaults import (
    default_daemonset,
    default_deployment,
    default_deployment_spec,
    default_statefulset,
    default_statefulset_spec,
)
from sugarlab.sim.apis.batch_defaults import default_cronjob, new_job
from sugarlab.sim.apis.core_defaults import (
    default_claim,
    default_pod,
    default_replication_controller,
    new_namespace,
    normalize_secret,
)


def _priority_class(pc: Obj) -> None:
    pc.setdefault("preemptionPolicy", "PreemptLowerPriority")


def _storage_class(sc: Obj) -> None:
    """SetDefaults_StorageClass (pkg/apis/storage/v1/defaults.go)."""
    sc.setdefault("reclaimPolicy", "Delete")
    sc.setdefault("volumeBindingMode", "Immediate")


NEW: dict[str, Callable[[Obj], None]] = {
    "Pod": default_pod,
    "Deployment": default_deployment,
    "StatefulSet": default_statefulset,
    "PersistentVolumeClaim": default_claim,
    "Job": new_job,
    "Namespace": new_namespace,
    "CronJob": default_cronjob,
    "ReplicationController": default_replication_controller,
    "PriorityClass": _priority_class,
    "DaemonSet": default_daemonset,
}
EVERY_WRITE: dict[str, Callable[[Obj], None]] = {
    "Secret": normalize_secret,
    "Deployment": default_deployment_spec,
    "StatefulSet": default_statefulset_spec,
    "StorageClass": _storage_class,
}


def default_new(kind: str, obj: Obj) -> None:
    """Defaults of a newly created object."""
    if kind in NEW:
        NEW[kind](obj)


def normalize(kind: str, obj: Obj) -> None:
    """What every write of the kind goes through: create, replace and patch."""
    if kind in EVERY_WRITE:
        EVERY_WRITE[kind](obj)
