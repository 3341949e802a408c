"""ReplicationControllers: the API server's defaults (pkg/apis/core/v1/defaults.go SetDefaults_ReplicationController);
the replication manager itself is the ReplicaSet controller run on them."""

from __future__ import annotations

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.errors import ApiError


def default_replication_controller(rc: Obj) -> None:
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
