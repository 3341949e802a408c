"""Defaulting and validation of the core kinds on create or on every write, as kube-apiserver applies them
before storing (pkg/apis/core/v1/defaults.go SetDefaults_*, pkg/apis/core/v1/conversion.go, and the
DefaultTolerationSeconds admission plugin)."""

from __future__ import annotations

import base64

from sugarlab.common.objects import Obj
from sugarlab.sim.apis.pods import qos_class
from sugarlab.sim.machinery.errors import ApiError

# Added by the DefaultTolerationSeconds admission plugin to every pod.
DEFAULT_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
]


def default_pod(pod: Obj) -> None:
    """SetDefaults_Pod and SetDefaults_Container, plus the tolerations and the status a new pod starts with."""
    spec = pod["spec"]
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("priority", 0)
    keys = {t.get("key") for t in spec.get("tolerations") or []}
    spec["tolerations"] = (spec.get("tolerations") or []) + [t for t in DEFAULT_TOLERATIONS if t["key"] not in keys]
    for container in spec["containers"]:
        latest = ":" not in container["image"].rsplit("/", 1)[-1] or container["image"].endswith(":latest")
        container.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
        container.setdefault("resources", {})
    pod["status"] = {"phase": "Pending", "qosClass": qos_class(pod)}


def default_replication_controller(rc: Obj) -> None:
    """SetDefaults_ReplicationController; the replication manager itself is the ReplicaSet controller run on them."""
    spec = rc.setdefault("spec", {})
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    name = rc["metadata"].get("name", "")
    if not template:
        raise ApiError.invalid("ReplicationController", name, [("spec.template", "Required value")])
    spec.setdefault("selector", dict(labels))
    if not spec["selector"] or any(labels.get(k) != v for k, v in spec["selector"].items()):
        raise ApiError.invalid(
            "ReplicationController",
            name,
            [
                (
                    "spec.template.metadata.labels",
                    f"Invalid value: {labels}: `selector` does not match template `labels`",
                )
            ],
        )
    if not rc["metadata"].get("labels"):
        rc["metadata"]["labels"] = dict(labels)
    spec.setdefault("replicas", 1)
    rc["status"] = {"replicas": 0}


def normalize_secret(secret: Obj) -> None:
    """`stringData` is merged into `data`, base64-encoded, and dropped (Convert_v1_Secret_To_core_Secret);
    the type defaults to Opaque."""
    strings = secret.pop("stringData", None) or {}
    if not isinstance(strings, dict) or not all(isinstance(v, str) for v in strings.values()):
        raise ApiError.bad_request(
            'Secret in version "v1" cannot be handled as a Secret: stringData must map keys to strings'
        )
    if strings:
        data = secret.get("data") or {}
        data.update({k: base64.b64encode(v.encode()).decode() for k, v in strings.items()})
        secret["data"] = data
    secret.setdefault("type", "Opaque")


def default_claim(claim: Obj) -> None:
    """The API server's validation of a new claim; it starts Pending."""
    spec, causes = claim.setdefault("spec", {}), []
    if not spec.get("accessModes"):
        causes.append(("spec.accessModes", "Required value: at least 1 access mode is required"))
    if not ((spec.get("resources") or {}).get("requests") or {}).get("storage"):
        causes.append(("spec.resources[storage]", "Required value"))
    if causes:
        raise ApiError.invalid("PersistentVolumeClaim", claim["metadata"].get("name", ""), causes)
    spec.setdefault("volumeMode", "Filesystem")
    claim["status"] = {"phase": "Pending"}


def new_namespace(namespace: Obj) -> None:
    """A new Namespace: Active, and labelled with its own name (the NamespaceDefaultLabelName feature)."""
    namespace["status"] = {"phase": "Active"}
    meta = namespace["metadata"]
    meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta.get("name", "")
