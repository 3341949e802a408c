"""What kube-apiserver keeps in place by itself, as k3s's embedded API server does:

- the `kubernetes` Service in `default` (ClusterIP 10.43.0.1 on k3s, port 443 to the server's 6443)
  with its Endpoints and EndpointSlice, kept by pkg/controlplane/controller/kubernetesservice and the
  endpoint reconciler;
- an APIService for every group version served (kube-aggregator's autoregister controller), local ones
  (custom resources' too) always Available, metrics.k8s.io through the metrics-server Service;
- the default ServiceCIDR (k3s's 10.43.0.0/16) and an IPAddress for every Service's ClusterIP, as the
  ServiceCIDR allocator (MultiCIDRServiceAllocator, GA in v1.33) records them;
- the status that serves a CustomResourceDefinition (`apiextensions`);
- the post-start hooks' objects: the two system PriorityClasses (pkg/apis/scheduling
  SystemPriorityClasses) and RBAC's `cluster-admin` ClusterRole and its binding to `system:masters`.
All are recreated when deleted, as these controllers and hooks do.
"""

from __future__ import annotations

from sugarlab.common.objects import Obj
from sugarlab.sim.apiserver.apiextensions import establish
from sugarlab.sim.machinery.resources import groups
from sugarlab.sim.machinery.since_boot import FirstPass
from sugarlab.sim.storage.store import Store

API_PORT = 6443  # k3s's --https-listen-port
SERVICE_CIDR = "10.43.0.0/16"  # k3s's --service-cidr
SERVICE_IP = "10.43.0.1"  # its first address
IP_LABELS = {"ipaddress.kubernetes.io/ip-family": "IPv4", "ipaddress.kubernetes.io/managed-by": "ipallocator.k8s.io"}
# groupPriorityMinimum and versionPriority of each built-in group version: kube-apiserver's
# apiVersionPriorities (pkg/controlplane/apiserver/aggregator.go in kubernetes/kubernetes).
PRIORITIES: dict[str, tuple[int, int]] = {
    "v1": (18000, 1),
    "apiregistration.k8s.io/v1": (18000, 15),
    "apps/v1": (17800, 15),
    "authentication.k8s.io/v1": (17700, 15),
    "autoscaling/v2": (17500, 30),
    "batch/v1": (17400, 15),
    "networking.k8s.io/v1": (17200, 15),
    "policy/v1": (17100, 15),
    "rbac.authorization.k8s.io/v1": (17000, 15),
    "storage.k8s.io/v1": (16800, 15),
    "apiextensions.k8s.io/v1": (16700, 15),
    "scheduling.k8s.io/v1": (16600, 15),
    "coordination.k8s.io/v1": (16500, 15),
    "discovery.k8s.io/v1": (16200, 15),
}
PRIORITY_CLASSES = (
    (
        "system-node-critical",
        2000001000,
        "Used for system critical pods that must not be moved from their current node.",
    ),
    (
        "system-cluster-critical",
        2000000000,
        ("Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
    ),
)


def _server_ip(store: Store) -> str | None:
    for node in store.view(store.kind("Node")):
        if "node-role.kubernetes.io/control-plane" in (node["metadata"].get("labels") or {}):
            return next(
                (a["address"] for a in node["status"].get("addresses") or [] if a["type"] == "InternalIP"), None
            )
    return None


def _apiservice(group: str, version: str, stamp: str) -> Obj:
    name = f"{version}.{group}"
    if group == "metrics.k8s.io":  # registered by metrics-server's own manifest, served through its Service
        spec: Obj = {
            "group": group,
            "version": version,
            "groupPriorityMinimum": 100,
            "versionPriority": 100,
            "insecureSkipTLSVerify": True,
            "service": {"namespace": "kube-system", "name": "metrics-server", "port": 443},
        }
        condition = {"reason": "Passed", "message": "all checks passed"}
        labels = {"k8s-app": "metrics-server"}
    else:
        # A CRD's group version is registered by the crdRegistrationController, at priority 1000/100
        # (kube-aggregator pkg/controllers/autoregister and pkg/controlplane/controller/crdregistration).
        builtin = f"{group}/{version}" if group else version
        minimum, priority = PRIORITIES.get(builtin, (1000, 100))
        spec = {"group": group, "version": version, "groupPriorityMinimum": minimum, "versionPriority": priority}
        condition = {"reason": "Local", "message": "Local APIServices are always available"}
        labels = {"kube-aggregator.kubernetes.io/automanaged": "onstart" if builtin in PRIORITIES else "true"}
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": spec,
        "status": {"conditions": [{"type": "Available", "status": "True", "lastTransitionTime": stamp, **condition}]},
    }


class ApiServerBootstrap:
    def __init__(self, store: Store, metrics_server: bool) -> None:
        self.store, self.metrics_server, self.boot = store, metrics_server, FirstPass()

    def _ensure(self, kind: str, obj: Obj, owner: Obj | None = None) -> None:
        """Create `obj` if it is missing; on the first pass, as old as `owner` (the cluster, by default)."""
        meta = obj["metadata"]
        if self.store.find(self.store.kind(kind), meta.get("namespace", ""), meta["name"]) is None:
            born = owner or self.store.find(self.store.kind("Namespace"), "", "default")
            self.store.create(self.store.kind(kind), {**obj, "metadata": self.boot.dated(meta, born)})

    def reconcile(self) -> None:
        establish(self.store)
        stamp = self.store.clock.stamp()
        for group, versions in groups(self.metrics_server, self.store.custom_types()).items():
            for version in versions:
                self._ensure("APIService", _apiservice(group, version, stamp))
        for name, value, description in PRIORITY_CLASSES:
            self._ensure(
                "PriorityClass",
                {
                    "metadata": {"name": name},
                    "value": value,
                    "globalDefault": False,
                    "description": description,
                    "preemptionPolicy": "PreemptLowerPriority",
                },
            )
        self._ensure(
            "ClusterRole",
            {
                "metadata": {
                    "name": "cluster-admin",
                    "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
                    "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
                },
                "rules": [
                    {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                    {"nonResourceURLs": ["*"], "verbs": ["*"]},
                ],
            },
        )
        self._ensure(
            "ClusterRoleBinding",
            {
                "metadata": {
                    "name": "cluster-admin",
                    "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
                    "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
                },
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}],
            },
        )
        self._kubernetes_service()
        self._service_addresses()
        self.boot.done()

    def _kubernetes_service(self) -> None:
        server = _server_ip(self.store)
        if server is None or self.store.find(self.store.kind("Namespace"), "", "default") is None:
            return
        self._ensure(
            "Service",
            {
                "metadata": {
                    "name": "kubernetes",
                    "namespace": "default",
                    "labels": {"component": "apiserver", "provider": "kubernetes"},
                },
                "spec": {
                    "ports": [{"name": "https", "protocol": "TCP", "port": 443, "targetPort": API_PORT}],
                    "clusterIP": SERVICE_IP,
                    "clusterIPs": [SERVICE_IP],
                    "type": "ClusterIP",
                    "sessionAffinity": "None",
                    "ipFamilies": ["IPv4"],
                    "ipFamilyPolicy": "SingleStack",
                    "internalTrafficPolicy": "Cluster",
                },
                "status": {"loadBalancer": {}},
            },
        )
        port = {"name": "https", "port": API_PORT, "protocol": "TCP"}
        self._ensure(
            "Endpoints",
            {
                "metadata": {
                    "name": "kubernetes",
                    "namespace": "default",
                    "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
                },
                "subsets": [{"addresses": [{"ip": server}], "ports": [port]}],
            },
        )
        self._ensure(
            "EndpointSlice",
            {
                "metadata": {
                    "name": "kubernetes",
                    "namespace": "default",
                    "labels": {"kubernetes.io/service-name": "kubernetes"},
                },
                "addressType": "IPv4",
                "endpoints": [{"addresses": [server], "conditions": {"ready": True}}],
                "ports": [port],
            },
        )

    def _service_addresses(self) -> None:
        self._ensure(
            "ServiceCIDR",
            {
                "metadata": {"name": "kubernetes"},
                "spec": {"cidrs": [SERVICE_CIDR]},
                "status": {
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "True",
                            "reason": "",
                            "message": "",
                            "lastTransitionTime": self.store.clock.stamp(),
                        }
                    ]
                },
            },
        )
        addresses = self.store.kind("IPAddress")
        wanted: dict[str, tuple[Obj, Obj]] = {}
        for service in self.store.view(self.store.kind("Service")):
            for ip in (service.get("spec") or {}).get("clusterIPs") or []:
                if ip != "None":
                    meta = service["metadata"]
                    wanted[ip] = (
                        {"group": "", "resource": "services", "namespace": meta["namespace"], "name": meta["name"]},
                        service,
                    )
        for ip, (parent, service) in wanted.items():
            self._ensure(
                "IPAddress",
                {"metadata": {"name": ip, "labels": dict(IP_LABELS)}, "spec": {"parentRef": parent}},
                service,
            )
        for held in self.store.view(addresses):
            if held["metadata"]["name"] not in wanted and (held["metadata"].get("labels") or {}) == IP_LABELS:
                self.store.delete(addresses, "", held["metadata"]["name"])
