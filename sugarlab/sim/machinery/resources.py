"""The resource types the simulated API server serves, as its discovery documents describe them."""

from __future__ import annotations

from dataclasses import dataclass, field

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
READ_VERBS = ("get", "list")
STREAMED_SUBRESOURCES = ("exec", "portforward")  # served only as upgraded (websocket) connections
# Namespaces and Services have no `deletecollection` (their REST storage hides it: kubernetes/kubernetes
# issues #20581 and #98994; `kubectl api-resources -o wide` shows the same).
NO_COLLECTION_DELETE = ("create", "delete", "get", "list", "patch", "update", "watch")
CREATE_ONLY = ("create",)


@dataclass(frozen=True)
class PrinterColumn:
    """One of a CRD version's additionalPrinterColumns (apiextensions.k8s.io/v1 CustomResourceColumnDefinition)."""

    name: str
    type: str
    json_path: str
    priority: int = 0
    description: str = ""
    format: str = ""


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
    # Discovery's categories: `kubectl get all` asks for every resource in category "all".
    categories: tuple[str, ...] = ()
    # A custom resource's table columns (its CRD's additionalPrinterColumns for this version).
    columns: tuple[PrinterColumn, ...] = field(default=(), compare=False)
    singular: str = ""  # discovery's singularName: the kind in lower case unless a CRD names another
    custom: bool = False  # declared by a CustomResourceDefinition

    @property
    def has_generation(self) -> bool:
        return self.custom or self.kind in GENERATION_KINDS

    @property
    def singular_name(self) -> str:
        return self.singular or self.kind.lower()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        return f"{self.group}/{self.plural}" if self.group else self.plural

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"


# Kinds whose REST strategy sets metadata.generation to 1 on create and bumps it when the spec changes
# (PrepareForCreate/PrepareForUpdate in pkg/registry/<group>/<kind>/strategy.go of kubernetes/kubernetes,
# apiextensions-apiserver's for CRDs). Every other kind served here (ConfigMap, Lease, Service, Node, …)
# carries no generation at all.
GENERATION_KINDS = frozenset(
    {
        "Pod",
        "ReplicationController",
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "Ingress",
        "IngressClass",
        "CustomResourceDefinition",
    }
)

ALL = ("all",)
API_EXTENSIONS = ("api-extensions",)


def _core(kind: str, plural: str, namespaced: bool = True, **kw: object) -> ResourceType:
    return ResourceType("", "v1", kind, plural, namespaced, **kw)  # type: ignore[arg-type]


# The rest of what `kubectl api-resources` lists on k3s v1.33 for the groups served here (short names,
# categories and verbs as kube-apiserver's discovery reports them; the REST storage of each kind in
# pkg/registry/*/*/storage/storage.go of kubernetes/kubernetes declares them).
K3S_KINDS: tuple[ResourceType, ...] = (
    _core("Binding", "bindings", verbs=CREATE_ONLY),
    _core("ComponentStatus", "componentstatuses", False, short_names=("cs",), verbs=READ_VERBS),
    _core("Secret", "secrets"),
    _core("Endpoints", "endpoints", short_names=("ep",)),
    _core("LimitRange", "limitranges", short_names=("limits",)),
    _core("ResourceQuota", "resourcequotas", short_names=("quota",), subresources=("status",)),
    _core(
        "ReplicationController",
        "replicationcontrollers",
        short_names=("rc",),
        subresources=("status", "scale"),
        categories=ALL,
    ),
    _core("PodTemplate", "podtemplates"),
    ResourceType("apps", "v1", "ControllerRevision", "controllerrevisions", True),
    ResourceType("batch", "v1", "CronJob", "cronjobs", True, ("cj",), ("status",), categories=ALL),
    ResourceType(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        True,
        ("hpa",),
        ("status",),
        categories=ALL,
    ),
    ResourceType("coordination.k8s.io", "v1", "Lease", "leases", True),
    ResourceType("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", True),
    ResourceType("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False),
    ResourceType("networking.k8s.io", "v1", "Ingress", "ingresses", True, ("ing",), ("status",)),
    ResourceType("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True, ("netpol",)),
    ResourceType("networking.k8s.io", "v1", "IPAddress", "ipaddresses", False, ("ip",)),
    ResourceType("networking.k8s.io", "v1", "ServiceCIDR", "servicecidrs", False, (), ("status",)),
    ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False),
    ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    ResourceType("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True),
    ResourceType("rbac.authorization.k8s.io", "v1", "Role", "roles", True),
    ResourceType("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False, ("pc",)),
    ResourceType("storage.k8s.io", "v1", "CSINode", "csinodes", False),
    ResourceType("storage.k8s.io", "v1", "CSIStorageCapacity", "csistoragecapacities", True),
    ResourceType("storage.k8s.io", "v1", "VolumeAttachment", "volumeattachments", False, (), ("status",)),
    ResourceType(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        ("crd", "crds"),
        ("status",),
        categories=API_EXTENSIONS,
    ),
    ResourceType(
        "apiregistration.k8s.io", "v1", "APIService", "apiservices", False, (), ("status",), categories=API_EXTENSIONS
    ),
    ResourceType("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", False, verbs=CREATE_ONLY),
    ResourceType("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", False, verbs=CREATE_ONLY),
)
# Kinds answered by the API server without storing anything (pkg/registry's REST implementations that
# have no generic store behind them): a Binding updates its pod, a ComponentStatus is probed when read,
# a review is answered in its response.
UNSTORED_KINDS = frozenset({"Binding", "ComponentStatus", "SelfSubjectReview", "TokenReview"})

# Field selector support mirrors the field label conversion functions of the real API server
# (pkg/registry/core/*/strategy.go in kubernetes/kubernetes).
RESOURCE_TYPES: tuple[ResourceType, ...] = (
    _core(
        "Namespace",
        "namespaces",
        False,
        short_names=("ns",),
        subresources=("status",),
        fields=("status.phase",),
        verbs=NO_COLLECTION_DELETE,
    ),
    _core("Node", "nodes", False, short_names=("no",), subresources=("status",), fields=("spec.unschedulable",)),
    _core(
        "Pod",
        "pods",
        short_names=("po",),
        subresources=("status", "binding", "log", "eviction", "exec", "portforward"),
        fields=(
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ),
        categories=ALL,
    ),
    _core(
        "Event",
        "events",
        short_names=("ev",),
        fields=(
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ),
    ),
    _core(
        "Service",
        "services",
        short_names=("svc",),
        subresources=("status",),
        verbs=NO_COLLECTION_DELETE,
        categories=ALL,
    ),
    _core("ConfigMap", "configmaps", short_names=("cm",)),
    _core("ServiceAccount", "serviceaccounts", short_names=("sa",)),
    _core("PersistentVolumeClaim", "persistentvolumeclaims", short_names=("pvc",), subresources=("status",)),
    _core("PersistentVolume", "persistentvolumes", False, short_names=("pv",), subresources=("status",)),
    ResourceType("apps", "v1", "Deployment", "deployments", True, ("deploy",), ("status", "scale"), categories=ALL),
    ResourceType("apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), ("status", "scale"), categories=ALL),
    ResourceType("apps", "v1", "DaemonSet", "daemonsets", True, ("ds",), ("status",), categories=ALL),
    ResourceType("apps", "v1", "StatefulSet", "statefulsets", True, ("sts",), ("status", "scale"), categories=ALL),
    ResourceType("batch", "v1", "Job", "jobs", True, (), ("status",), fields=("status.successful",), categories=ALL),
    ResourceType("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, ("sc",)),
    ResourceType("storage.k8s.io", "v1", "CSIDriver", "csidrivers", False),
    ResourceType("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True, ("pdb",), ("status",)),
    *K3S_KINDS,
)

# Served by metrics-server through the aggregation layer; computed, never stored.
METRICS_TYPES: tuple[ResourceType, ...] = (
    ResourceType("metrics.k8s.io", "v1beta1", "NodeMetrics", "nodes", False, verbs=READ_VERBS),
    ResourceType("metrics.k8s.io", "v1beta1", "PodMetrics", "pods", True, verbs=READ_VERBS),
)

BY_KIND = {rt.kind: rt for rt in RESOURCE_TYPES}


def groups(metrics_server: bool, custom: tuple[ResourceType, ...] = ()) -> dict[str, dict[str, list[ResourceType]]]:
    """group -> version -> resource types, as discovery reports them: the built-in ones, metrics-server's,
    then those of the custom resource definitions (`custom`)."""
    served: dict[str, dict[str, list[ResourceType]]] = {}
    for rt in RESOURCE_TYPES + (METRICS_TYPES if metrics_server else ()) + custom:
        served.setdefault(rt.group, {}).setdefault(rt.version, []).append(rt)
    return served


def find(
    group: str, version: str, plural: str, metrics_server: bool, custom: tuple[ResourceType, ...] = ()
) -> ResourceType | None:
    for rt in groups(metrics_server, custom).get(group, {}).get(version, []):
        if rt.plural == plural:
            return rt
    return None
