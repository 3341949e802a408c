"""Printers of the storage, networking, RBAC, coordination, discovery, scheduling and aggregation kinds,
after pkg/printers/internalversion/printers.go (kubernetes/kubernetes) and kube-aggregator's APIService
table; kinds without a printer get the API server's default table (Name, Created At)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sugarlab.common.kubectl import age
from sugarlab.common.objects import Obj
from sugarlab.sim.apiserver.printers.cells import NONE, UNSET, format_selector, listed
from sugarlab.sim.apiserver.printers.columns import AGE, CREATED_DOC, NAME, Column, Printer

DEFAULT_CLASS = ("storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class")


def _name(obj: Obj) -> str:
    name: str = obj["metadata"]["name"]
    return name


def storage_class_cells(sc: Obj, now: datetime) -> list[Any]:
    annotations = sc["metadata"].get("annotations") or {}
    default = any(annotations.get(a) == "true" for a in DEFAULT_CLASS)
    return [
        _name(sc) + (" (default)" if default else ""),
        sc.get("provisioner", ""),
        sc.get("reclaimPolicy") or "Delete",
        sc.get("volumeBindingMode") or "Immediate",
        bool(sc.get("allowVolumeExpansion")),
        age(sc, now),
    ]


def csi_driver_cells(driver: Obj, now: datetime) -> list[Any]:
    spec = driver.get("spec") or {}
    tokens = spec.get("tokenRequests")
    return [
        _name(driver),
        spec.get("attachRequired", True),
        bool(spec.get("podInfoOnMount")),
        bool(spec.get("storageCapacity")),
        UNSET if tokens is None else ",".join(t["audience"] for t in tokens),
        bool(spec.get("requiresRepublish")),
        ",".join(spec.get("volumeLifecycleModes") or []) or NONE,
        age(driver, now),
    ]


def ingress_cells(ing: Obj, now: datetime) -> list[Any]:
    spec = ing.get("spec") or {}
    rules = spec.get("rules") or []
    hosts = [r["host"] for r in rules if r.get("host")][:3]
    hosts_cell = ",".join(hosts) or "*"
    if len(rules) > 3:
        hosts_cell += f" + {len(rules) - 3} more..."
    balancers = sorted(
        {
            i.get("ip") or i.get("hostname")
            for i in ((ing.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
            if i.get("ip") or i.get("hostname")
        }
    )
    return [
        _name(ing),
        spec.get("ingressClassName") or NONE,
        hosts_cell,
        ",".join(balancers),
        "80, 443" if spec.get("tls") else "80",
        age(ing, now),
    ]


def _subjects(binding: Obj) -> list[str]:
    """rbac.SubjectsStrings: users, groups and `namespace/name` service accounts, each joined by ', '."""
    users, groups, accounts = [], [], []
    for subject in binding.get("subjects") or []:
        if subject.get("kind") == "User":
            users.append(subject["name"])
        elif subject.get("kind") == "Group":
            groups.append(subject["name"])
        elif subject.get("kind") == "ServiceAccount":
            accounts.append(f"{subject.get('namespace', '')}/{subject['name']}")
    return [", ".join(users), ", ".join(groups), ", ".join(accounts)]


def binding_cells(binding: Obj, now: datetime) -> list[Any]:
    ref = binding.get("roleRef") or {}
    return [_name(binding), f"{ref.get('kind', '')}/{ref.get('name', '')}", age(binding, now), *_subjects(binding)]


def slice_cells(eps: Obj, now: datetime) -> list[Any]:
    ports = [str(p["port"]) if p.get("port") is not None else (p.get("name") or "*") for p in eps.get("ports") or []]
    addresses = [a for e in eps.get("endpoints") or [] for a in e.get("addresses") or []]
    return [_name(eps), eps.get("addressType", ""), listed(ports), listed(addresses), age(eps, now)]


def apiservice_cells(svc: Obj, now: datetime) -> list[Any]:
    """kube-aggregator's APIService table: SERVICE is `Local` or `namespace/name`, AVAILABLE its condition."""
    spec = svc.get("spec") or {}
    service = spec.get("service")
    available = next(
        (c for c in (svc.get("status") or {}).get("conditions") or [] if c.get("type") == "Available"), None
    )
    state = "Unknown"
    if available is not None:
        state = available["status"]
        if state != "True" and available.get("reason"):
            state = f"{state} ({available['reason']})"
    return [_name(svc), f"{service['namespace']}/{service['name']}" if service else "Local", state, age(svc, now)]


def ip_address_cells(ip: Obj, now: datetime) -> list[Any]:
    ref = (ip.get("spec") or {}).get("parentRef")
    parent = NONE
    if ref:
        parent = (f"{ref['resource']}.{ref['group']}" if ref.get("group") else ref.get("resource", "")).lower()
        parent += (f"/{ref['namespace']}" if ref.get("namespace") else "") + f"/{ref.get('name', '')}"
    return [_name(ip), parent, age(ip, now)]


def _parameters(ref: Obj | None) -> str:
    """printIngressClass: `Kind.apiGroup/name` of the parameters resource."""
    if not ref:
        return NONE
    group = f".{ref['apiGroup']}" if ref.get("apiGroup") else ""
    return f"{ref['kind']}{group}/{ref['name']}"


def default_cells(obj: Obj, now: datetime) -> list[Any]:
    return [_name(obj), obj["metadata"].get("creationTimestamp", "")]


# The API server's default table (rest.NewDefaultTableConvertor in k8s.io/apiserver).
DEFAULT = Printer((NAME, Column("Created At", "date", description=CREATED_DOC)), default_cells)

CLUSTER_PRINTERS: dict[str, Printer] = {
    "StorageClass": Printer(
        (
            NAME,
            Column("Provisioner"),
            Column("ReclaimPolicy"),
            Column("VolumeBindingMode"),
            Column("AllowVolumeExpansion"),
            AGE,
        ),
        storage_class_cells,
    ),
    "CSIDriver": Printer(
        (
            NAME,
            Column("AttachRequired", "boolean"),
            Column("PodInfoOnMount", "boolean"),
            Column("StorageCapacity", "boolean"),
            Column("TokenRequests"),
            Column("RequiresRepublish", "boolean"),
            Column("Modes"),
            AGE,
        ),
        csi_driver_cells,
    ),
    "CSINode": Printer(
        (
            NAME,
            Column(
                "Drivers", "integer", description="Drivers indicates the number of CSI drivers registered on the node"
            ),
            AGE,
        ),
        lambda o, now: [_name(o), len((o.get("spec") or {}).get("drivers") or []), age(o, now)],
    ),
    "CSIStorageCapacity": Printer(
        (NAME, Column("StorageClassName"), Column("Capacity")),
        lambda o, now: [_name(o), o.get("storageClassName", ""), o.get("capacity") or UNSET],
    ),
    "VolumeAttachment": Printer(
        (NAME, Column("Attacher", format="name"), Column("PV"), Column("Node"), Column("Attached", "boolean"), AGE),
        lambda o, now: [
            _name(o),
            o["spec"].get("attacher", ""),
            (o["spec"].get("source") or {}).get("persistentVolumeName", ""),
            o["spec"].get("nodeName", ""),
            bool((o.get("status") or {}).get("attached")),
            age(o, now),
        ],
    ),
    "Ingress": Printer(
        (
            NAME,
            Column(
                "Class",
                description="The name of the IngressClass resource that should be used for additional configuration",
            ),
            Column("Hosts", description="Hosts that incoming requests are matched against before the ingress rule"),
            Column("Address", description="Address is a list containing ingress points for the load-balancer"),
            Column("Ports", description="Ports of TLS configurations that open"),
            AGE,
        ),
        ingress_cells,
    ),
    "IngressClass": Printer(
        (
            NAME,
            Column("Controller", description="Controller that is responsible for handling this class"),
            Column("Parameters", description="A reference to a resource with additional parameters"),
            AGE,
        ),
        lambda o, now: [
            _name(o),
            (o.get("spec") or {}).get("controller", ""),
            _parameters((o.get("spec") or {}).get("parameters")),
            age(o, now),
        ],
    ),
    "NetworkPolicy": Printer(
        (NAME, Column("Pod-Selector"), AGE),
        lambda o, now: [_name(o), format_selector((o.get("spec") or {}).get("podSelector")), age(o, now)],
    ),
    "IPAddress": Printer((NAME, Column("ParentRef")), ip_address_cells),
    "ServiceCIDR": Printer(
        (NAME, Column("CIDRs"), AGE),
        lambda o, now: [_name(o), ",".join((o.get("spec") or {}).get("cidrs") or []), age(o, now)],
    ),
    "RoleBinding": Printer(
        (
            NAME,
            Column("Role"),
            AGE,
            Column("Users", priority=1, description="Users in the roleBinding"),
            Column("Groups", priority=1, description="Groups in the roleBinding"),
            Column("ServiceAccounts", priority=1, description="ServiceAccounts in the roleBinding"),
        ),
        binding_cells,
    ),
    "ClusterRoleBinding": Printer(
        (
            NAME,
            Column("Role"),
            AGE,
            Column("Users", priority=1, description="Users in the clusterRoleBinding"),
            Column("Groups", priority=1, description="Groups in the clusterRoleBinding"),
            Column("ServiceAccounts", priority=1, description="ServiceAccounts in the clusterRoleBinding"),
        ),
        binding_cells,
    ),
    "Lease": Printer(
        (NAME, Column("Holder"), AGE),
        lambda o, now: [_name(o), (o.get("spec") or {}).get("holderIdentity") or "", age(o, now)],
    ),
    "EndpointSlice": Printer((NAME, Column("AddressType"), Column("Ports"), Column("Endpoints"), AGE), slice_cells),
    "PriorityClass": Printer(
        (NAME, Column("Value", "integer"), Column("Global-Default", "boolean"), AGE, Column("PreemptionPolicy")),
        lambda o, now: [
            _name(o),
            o.get("value", 0),
            bool(o.get("globalDefault")),
            age(o, now),
            o.get("preemptionPolicy") or "",
        ],
    ),
    "APIService": Printer((NAME, Column("Service"), Column("Available"), AGE), apiservice_cells),
}
