"""Regenerate the simulator's OpenAPI documents from Kubernetes' published spec.

Source: the OpenAPI v2 spec kube-apiserver v1.33 publishes (kubernetes/kubernetes
`api/openapi-spec/swagger.json` on release-1.33), as copied into github.com/kubernetes-client/python
at commit 1cc7ca51bed5b924f5d35c91c1f3578158a703c0 (`kubernetes/swagger.json.unprocessed`, whose
scripts/constants.py names KUBERNETES_BRANCH = "release-1.33").

It keeps the kinds the simulator serves, the paths that act on them and every definition they
reach, and writes `sugarlab/sim/schema_data/swagger.json.gz`. The OpenAPI v3 documents the simulator
serves per group-version are derived from this one at run time (`sugarlab.sim.apiserver.openapi.openapi`), as
kube-apiserver derives both from the same definitions.

    git -C <python-client-clone> show 1cc7ca51bed5b924f5d35c91c1f3578158a703c0:kubernetes/swagger.json.unprocessed > swagger.json
    python tools/trim_openapi.py swagger.json
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "sugarlab" / "sim" / "schema_data" / "swagger.json.gz"

# (group, version, kind) of every kind a k3s cluster serves that the simulator stores, and the kinds
# its subresources take and return.
SERVED = (
    {
        ("", "v1", kind)
        for kind in (
            "Binding",
            "ComponentStatus",
            "ConfigMap",
            "Endpoints",
            "Event",
            "LimitRange",
            "Namespace",
            "Node",
            "PersistentVolume",
            "PersistentVolumeClaim",
            "Pod",
            "ReplicationController",
            "ResourceQuota",
            "Secret",
            "Service",
            "ServiceAccount",
        )
    }
    | {("apps", "v1", kind) for kind in ("ControllerRevision", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet")}
    | {
        ("batch", "v1", "CronJob"),
        ("batch", "v1", "Job"),
        ("autoscaling", "v1", "Scale"),
        ("policy", "v1", "PodDisruptionBudget"),
        ("policy", "v1", "Eviction"),
        ("storage.k8s.io", "v1", "StorageClass"),
        ("storage.k8s.io", "v1", "CSIDriver"),
        ("coordination.k8s.io", "v1", "Lease"),
        ("discovery.k8s.io", "v1", "EndpointSlice"),
        ("networking.k8s.io", "v1", "Ingress"),
        ("networking.k8s.io", "v1", "IngressClass"),
        ("networking.k8s.io", "v1", "NetworkPolicy"),
        ("scheduling.k8s.io", "v1", "PriorityClass"),
        ("apiregistration.k8s.io", "v1", "APIService"),
        ("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
        ("authentication.k8s.io", "v1", "TokenReview"),
        ("authentication.k8s.io", "v1", "SelfSubjectReview"),
    }
    | {
        ("rbac.authorization.k8s.io", "v1", kind)
        for kind in ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
    }
)
# Definitions every group-version document carries (the Status of errors, list and delete options).
ALWAYS = (
    "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
    "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList",
    "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
    "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
)


def _gvk(value: Any) -> set[tuple[str, str, str]]:
    items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    return {(g.get("group", ""), g.get("version", ""), g.get("kind", "")) for g in items}


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            found.add(ref.removeprefix("#/definitions/"))
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _served_group_version(path: str) -> bool:
    served = {f"/api/{v}/" if not g else f"/apis/{g}/{v}/" for g, v, _ in SERVED}
    return any(path.startswith(prefix) or path + "/" == prefix for prefix in served)


def trim(spec: dict[str, Any]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path, item in spec["paths"].items():
        if "/watch/" in path or not _served_group_version(path):
            continue  # the deprecated watch paths add nothing a client uses
        ops = {
            m: op
            for m, op in item.items()
            if m == "parameters"
            or _gvk(op.get("x-kubernetes-group-version-kind")) & SERVED
            or (op.get("operationId", "").startswith("getAPIResources"))
        }
        if set(ops) - {"parameters"}:
            paths[path] = ops
    used: set[str] = {
        name for name, d in spec["definitions"].items() if _gvk(d.get("x-kubernetes-group-version-kind")) & SERVED
    }
    used |= set(ALWAYS)
    _refs(paths, used)
    params: dict[str, Any] = {}
    for item in paths.values():
        for op in item.values():
            for param in op if isinstance(op, list) else op.get("parameters", []):
                ref = param.get("$ref", "")
                if ref.startswith("#/parameters/"):
                    name = ref.removeprefix("#/parameters/")
                    params[name] = spec["parameters"][name]
    _refs(params, used)
    definitions: dict[str, Any] = {}
    pending = sorted(used)
    while pending:
        name = pending.pop()
        if name in definitions:
            continue
        definitions[name] = spec["definitions"][name]
        more: set[str] = set()
        _refs(definitions[name], more)
        pending.extend(sorted(more - definitions.keys()))
    return {
        "swagger": spec["swagger"],
        "info": spec["info"],
        "paths": dict(sorted(paths.items())),
        "definitions": dict(sorted(definitions.items())),
        "parameters": dict(sorted(params.items())),
        "securityDefinitions": spec["securityDefinitions"],
        "security": spec["security"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("swagger", type=Path, help="kube-apiserver's api/openapi-spec/swagger.json")
    args = parser.parse_args()
    trimmed = trim(json.loads(args.swagger.read_text()))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(trimmed, separators=(",", ":"), sort_keys=False).encode()
    OUT.write_bytes(gzip.compress(data, 9, mtime=0))
    print(
        f"{OUT}: {len(trimmed['paths'])} paths, {len(trimmed['definitions'])} definitions, "
        f"{len(data)} bytes, {OUT.stat().st_size} gzipped"
    )


if __name__ == "__main__":
    main()
