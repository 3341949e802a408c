"""The resource types the simulated API server serves, as its discovery documents describe them."""

from __future__ import annotations

from dataclasses import dataclass, field

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
READ_VERBS = ("get", "list")


@dataclass(frozen=True)
class ResourceType:
    group: str  # "" for the core group
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    # Field selectors the real API server accepts for this type, beyond metadata.name/namespace.
    fields: tuple[str, ...] = field(default=(), compare=False)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        return f"{self.group}/{self.plural}" if self.group else self.plural

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"


def _core(kind: str, plural: str, namespaced: bool = True, **kw: object) -> ResourceType:
    return ResourceType("", "v1", kind, plural, namespaced, **kw)  # type: ignore[arg-type]


# Field selector support mirrors the field label conversion functions of the real API server
# (pkg/registry/core/*/strategy.go in kubernetes/kubernetes).
RESOURCE_TYPES: tuple[ResourceType, ...] = (
    _core("Namespace", "namespaces", False, short_names=("ns",), subresources=("status",),
          fields=("status.phase",)),
    _core("Node", "nodes", False, short_names=("no",), subresources=("status",),
          fields=("spec.unschedulable",)),
    _core("Pod", "pods", short_names=("po",), subresources=("status", "log", "eviction", "exec", "portforward"),
          fields=("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                  "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName")),
    _core("Event", "events", short_names=("ev",),
          fields=("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                  "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                  "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type")),
    _core("Service", "services", short_names=("svc",), subresources=("status",)),
    _core("ConfigMap", "configmaps", short_names=("cm",)),
    _core("ServiceAccount", "serviceaccounts", short_names=("sa",)),
    _core("PersistentVolumeClaim", "persistentvolumeclaims", short_names=("pvc",), subresources=("status",)),
    _core("PersistentVolume", "persistentvolumes", False, short_names=("pv",), subresources=("status",)),
    ResourceType("apps", "v1", "Deployment", "deployments", True, ("deploy",), ("status", "scale")),
    ResourceType("apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), ("status", "scale")),
    ResourceType("apps", "v1", "DaemonSet", "daemonsets", True, ("ds",), ("status",)),
    ResourceType("apps", "v1", "StatefulSet", "statefulsets", True, ("sts",), ("status", "scale")),
    ResourceType("batch", "v1", "Job", "jobs", True, (), ("status",), fields=("status.successful",)),
    ResourceType("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, ("sc",)),
    ResourceType("storage.k8s.io", "v1", "CSIDriver", "csidrivers", False),
    ResourceType("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True, ("pdb",), ("status",)),
)

# Served by metrics-server through the aggregation layer; computed, never stored.
METRICS_TYPES: tuple[ResourceType, ...] = (
    ResourceType("metrics.k8s.io", "v1beta1", "NodeMetrics", "nodes", False, verbs=READ_VERBS),
    ResourceType("metrics.k8s.io", "v1beta1", "PodMetrics", "pods", True, verbs=READ_VERBS),
)

BY_KIND = {rt.kind: rt for rt in RESOURCE_TYPES}


def groups(metrics_server: bool) -> dict[str, dict[str, list[ResourceType]]]:
    """group -> version -> resource types, as discovery reports them."""
    served: dict[str, dict[str, list[ResourceType]]] = {}
    for rt in RESOURCE_TYPES + (METRICS_TYPES if metrics_server else ()):
        served.setdefault(rt.group, {}).setdefault(rt.version, []).append(rt)
    return served


def find(group: str, version: str, plural: str, metrics_server: bool) -> ResourceType | None:
    for rt in groups(metrics_server).get(group, {}).get(version, []):
        if rt.plural == plural:
            return rt
    return None
