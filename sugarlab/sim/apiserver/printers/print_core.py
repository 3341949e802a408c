"""Printers of the core (`v1`) kinds, after pkg/printers/internalversion/printers.go (kubernetes/kubernetes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sugarlab.common.kubectl import (
    age,
    node_roles,
    node_status,
    pod_status,
    readiness_gates,
    restarts_text,
    since,
)
from sugarlab.common.objects import Obj
from sugarlab.sim.apiserver.printers.cells import NONE, UNSET, access_modes, containers, format_labels
from sugarlab.sim.apiserver.printers.columns import AGE, CONTAINERS, IMAGES, NAME, SELECTOR, Column, Printer


def _name(obj: Obj) -> str:
    name: str = obj["metadata"]["name"]
    return name


# -- pods ---------------------------------------------------------------------------------------------
def pod_cells(pod: Obj, now: datetime) -> list[Any]:
    """printPod: READY, STATUS (the reason kubectl shows, not the phase), RESTARTS with the last restart."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    figures = pod_status(pod)
    ips = status.get("podIPs") or []
    return [
        _name(pod),
        f"{figures.ready}/{figures.total}",
        figures.reason,
        restarts_text(figures, now),
        age(pod, now),
        (ips[0].get("ip") if ips else "") or NONE,
        spec.get("nodeName") or NONE,
        status.get("nominatedNodeName") or NONE,
        readiness_gates(pod),
    ]


def pod_conditions(pod: Obj) -> list[Obj]:
    """printers.go podSuccessConditions and podFailedConditions."""
    phase = (pod.get("status") or {}).get("phase")
    if phase == "Succeeded":
        return [
            {
                "type": "Completed",
                "status": "True",
                "reason": "Succeeded",
                "message": "The pod has completed successfully.",
            }
        ]
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]
    return []


# -- nodes --------------------------------------------------------------------------------------------
def _address(node: Obj, kind: str) -> str:
    return next((a["address"] for a in node.get("status", {}).get("addresses") or [] if a["type"] == kind), NONE)


def node_cells(node: Obj, now: datetime) -> list[Any]:
    info = node.get("status", {}).get("nodeInfo") or {}
    return [
        _name(node),
        node_status(node),
        node_roles(node["metadata"].get("labels") or {}),
        age(node, now),
        info.get("kubeletVersion", ""),
        _address(node, "InternalIP"),
        _address(node, "ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


# -- services and their endpoints ---------------------------------------------------------------------
def _external_ip(service: Obj) -> str:
    spec, external = service.get("spec") or {}, (service.get("spec") or {}).get("externalIPs") or []
    kind = spec.get("type", "ClusterIP")
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or NONE
    if kind == "LoadBalancer":
        ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        balancers = sorted({i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")})
        return ",".join([*balancers, *external]) or "<pending>"
    if kind == "ExternalName":
        external_name: str = spec.get("externalName", "")
        return external_name
    return "<unknown>"


def service_cells(service: Obj, now: datetime) -> list[Any]:
    spec = service.get("spec") or {}
    ports = ",".join(
        f"{p['port']}:{p['nodePort']}/{p.get('protocol', 'TCP')}"
        if p.get("nodePort")
        else f"{p['port']}/{p.get('protocol', 'TCP')}"
        for p in spec.get("ports") or []
    )
    return [
        _name(service),
        spec.get("type", "ClusterIP"),
        (spec.get("clusterIPs") or [NONE])[0],
        _external_ip(service),
        ports or NONE,
        age(service, now),
        format_labels(spec.get("selector")),
    ]


def endpoints_cell(endpoints: Obj) -> str:
    """printers.go formatEndpoints: `ip:port` for every port of every subset, three at most."""
    subsets = endpoints.get("subsets") or []
    if not subsets:
        return NONE
    shown: list[str] = []
    count = 0
    for subset in subsets:
        addresses = [a["ip"] for a in subset.get("addresses") or []]
        for port in subset.get("ports") or [None]:
            count += len(addresses)
            for ip in addresses:
                if len(shown) < 3:
                    shown.append(ip if port is None else (f"[{ip}]" if ":" in ip else ip) + f":{port['port']}")
    text = ",".join(shown)
    return f"{text} + {count - 3} more..." if count > 3 else text


# -- the rest of the core group ---------------------------------------------------------------------------
def event_cells(event: Obj, now: datetime) -> list[Any]:
    first = (
        since(event.get("firstTimestamp"), now) if event.get("firstTimestamp") else since(event.get("eventTime"), now)
    )
    last = since(event.get("lastTimestamp"), now) if event.get("lastTimestamp") else first
    count = event.get("count") or 1
    if event.get("series"):
        last, count = since(event["series"].get("lastObservedTime"), now), event["series"].get("count", count)
    involved = event.get("involvedObject") or {}
    target = involved.get("kind", "").lower() + (f"/{involved['name']}" if involved.get("name") else "")
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingComponent", "")
    host = source.get("host") or event.get("reportingInstance", "")
    return [
        last,
        event.get("type", ""),
        event.get("reason", ""),
        target,
        involved.get("fieldPath", ""),
        f"{component}, {host}" if host else component,
        (event.get("message") or "").strip(),
        first,
        count,
        _name(event),
    ]


def volume_cells(pv: Obj, now: datetime) -> list[Any]:
    spec, meta = pv.get("spec") or {}, pv["metadata"]
    claim = spec.get("claimRef")
    phase = "Terminating" if "deletionTimestamp" in meta else (pv.get("status") or {}).get("phase", "")
    storage_class = (meta.get("annotations") or {}).get("volume.beta.kubernetes.io/storage-class") or spec.get(
        "storageClassName", ""
    )
    return [
        meta["name"],
        (spec.get("capacity") or {}).get("storage", "0"),
        access_modes(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy", ""),
        phase,
        f"{claim.get('namespace', '')}/{claim.get('name', '')}" if claim else "",
        storage_class,
        spec.get("volumeAttributesClassName") or UNSET,
        (pv.get("status") or {}).get("reason", ""),
        age(pv, now),
        spec.get("volumeMode") or UNSET,
    ]


def claim_cells(pvc: Obj, now: datetime) -> list[Any]:
    spec, meta, status = pvc.get("spec") or {}, pvc["metadata"], pvc.get("status") or {}
    bound = bool(spec.get("volumeName"))
    storage_class = (meta.get("annotations") or {}).get("volume.beta.kubernetes.io/storage-class") or spec.get(
        "storageClassName", ""
    )
    return [
        meta["name"],
        "Terminating" if "deletionTimestamp" in meta else status.get("phase", ""),
        spec.get("volumeName", ""),
        (status.get("capacity") or {}).get("storage", "0") if bound else "",
        access_modes(status.get("accessModes")) if bound else "",
        storage_class,
        spec.get("volumeAttributesClassName") or UNSET,
        age(pvc, now),
        spec.get("volumeMode") or UNSET,
    ]


def controller_cells(rc: Obj, now: datetime) -> list[Any]:
    spec, status = rc.get("spec") or {}, rc.get("status") or {}
    names, images = containers((spec.get("template") or {}).get("spec"))
    return [
        _name(rc),
        spec.get("replicas", 1),
        status.get("replicas", 0),
        status.get("readyReplicas", 0),
        age(rc, now),
        names,
        images,
        format_labels(spec.get("selector")),
    ]


def quota_cells(quota: Obj, now: datetime) -> list[Any]:
    status = quota.get("status") or {}
    hard, used = status.get("hard") or {}, status.get("used") or {}
    requests = [
        f"{r}: {used.get(r, '0')}/{hard[r]}" for r in sorted(hard) if r.split(".")[0] != "limits" or "." not in r
    ]
    limits = [f"{r}: {used.get(r, '0')}/{hard[r]}" for r in sorted(hard) if r.split(".")[0] == "limits" and "." in r]
    return [_name(quota), ", ".join(requests), ", ".join(limits), age(quota, now)]


def template_cells(template: Obj, now: datetime) -> list[Any]:
    inner = template.get("template") or {}
    names, images = containers(inner.get("spec"))
    return [_name(template), names, images, format_labels((inner.get("metadata") or {}).get("labels"))]


def component_status_cells(cs: Obj, now: datetime) -> list[Any]:
    """printComponentStatus: the Healthy condition's status, message and error."""
    healthy = next((c for c in cs.get("conditions") or [] if c.get("type") == "Healthy"), None)
    if healthy is None:
        return [cs["metadata"]["name"], "Unknown", "", ""]
    status = "Healthy" if healthy.get("status") == "True" else "Unhealthy"
    return [cs["metadata"]["name"], status, healthy.get("message", ""), healthy.get("error", "")]


CORE_PRINTERS: dict[str, Printer] = {
    "ComponentStatus": Printer(
        (
            NAME,
            Column("Status", description="Status of the component conditions"),
            Column("Message", description="Message of the component conditions"),
            Column("Error", description="Error of the component conditions"),
        ),
        component_status_cells,
    ),
    "Pod": Printer(
        (
            NAME,
            Column("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
            Column("Status", description="The aggregate status of the containers in this pod."),
            Column(
                "Restarts",
                description="The number of times the containers in this pod have been restarted "
                "and when the last container in this pod has restarted.",
            ),
            AGE,
            Column("IP", priority=1),
            Column("Node", priority=1),
            Column("Nominated Node", priority=1),
            Column("Readiness Gates", priority=1),
        ),
        pod_cells,
        pod_conditions,
    ),
    "Node": Printer(
        (
            NAME,
            Column("Status", description="The status of the node"),
            Column("Roles", description="The roles of the node"),
            AGE,
            Column("Version"),
            Column("Internal-IP", priority=1),
            Column("External-IP", priority=1),
            Column("OS-Image", priority=1),
            Column("Kernel-Version", priority=1),
            Column("Container-Runtime", priority=1),
        ),
        node_cells,
    ),
    "Service": Printer(
        (NAME, Column("Type"), Column("Cluster-IP"), Column("External-IP"), Column("Port(s)"), AGE, SELECTOR),
        service_cells,
    ),
    "Endpoints": Printer((NAME, Column("Endpoints"), AGE), lambda o, now: [_name(o), endpoints_cell(o), age(o, now)]),
    "Event": Printer(
        (
            Column("Last Seen"),
            Column("Type"),
            Column("Reason"),
            Column("Object"),
            Column("Subobject", priority=1),
            Column("Source", priority=1),
            Column("Message"),
            Column("First Seen", priority=1),
            Column("Count", priority=1),
            Column("Name", priority=1, format="name", description=NAME.description),
        ),
        event_cells,
    ),
    "Namespace": Printer(
        (NAME, Column("Status", description="The status of the namespace"), AGE),
        lambda o, now: [_name(o), (o.get("status") or {}).get("phase", ""), age(o, now)],
    ),
    "Secret": Printer(
        (NAME, Column("Type"), Column("Data"), AGE),
        lambda o, now: [_name(o), o.get("type", ""), len(o.get("data") or {}), age(o, now)],
    ),
    "ServiceAccount": Printer(
        (NAME, Column("Secrets"), AGE), lambda o, now: [_name(o), len(o.get("secrets") or []), age(o, now)]
    ),
    "ConfigMap": Printer(
        (NAME, Column("Data"), AGE),
        lambda o, now: [_name(o), len(o.get("data") or {}) + len(o.get("binaryData") or {}), age(o, now)],
    ),
    "PersistentVolume": Printer(
        (
            NAME,
            Column("Capacity"),
            Column("Access Modes"),
            Column("Reclaim Policy"),
            Column("Status"),
            Column("Claim"),
            Column("StorageClass", description="StorageClass of the pv"),
            Column("VolumeAttributesClass", description="VolumeAttributesClass of the pv"),
            Column("Reason"),
            AGE,
            Column("VolumeMode", priority=1),
        ),
        volume_cells,
    ),
    "PersistentVolumeClaim": Printer(
        (
            NAME,
            Column("Status"),
            Column("Volume"),
            Column("Capacity"),
            Column("Access Modes"),
            Column("StorageClass", description="StorageClass of the pvc"),
            Column("VolumeAttributesClass", description="VolumeAttributesClass of the pvc"),
            AGE,
            Column("VolumeMode", priority=1),
        ),
        claim_cells,
    ),
    "ReplicationController": Printer(
        (
            NAME,
            Column("Desired", "integer"),
            Column("Current", "integer"),
            Column("Ready", "integer"),
            AGE,
            CONTAINERS,
            IMAGES,
            SELECTOR,
        ),
        controller_cells,
    ),
    "ResourceQuota": Printer(
        (
            NAME,
            Column(
                "Request", description="Request represents a minimum amount of cpu/memory that a container may consume."
            ),
            Column(
                "Limit",
                description="Limits control the maximum amount of cpu/memory that a "
                "container may use independent of contention on the node.",
            ),
            AGE,
        ),
        quota_cells,
    ),
    "PodTemplate": Printer(
        (
            NAME,
            Column("Containers", description=CONTAINERS.description),
            Column("Images", description=IMAGES.description),
            Column("Pod Labels", description="The labels for the pod template."),
        ),
        template_cells,
    ),
}
