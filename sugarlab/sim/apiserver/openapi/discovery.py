"""Aggregated discovery (`apidiscovery.k8s.io/v2`), which kube-apiserver serves at `/api` and `/apis`
when asked for it, as kubectl and client-go ≥ 1.30 ask first: every group, version and resource in one
document (staging/src/k8s.io/api/apidiscovery/v2/types.go in kubernetes/kubernetes). A client that does
not ask gets the older per-group documents."""

from __future__ import annotations

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.resources import ResourceType

MEDIA_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
UPDATE_VERBS = ["get", "patch", "update"]
# What a subresource returns when it is not the object's own kind.
SUBRESOURCE_KINDS = {
    "scale": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
    "eviction": {"group": "policy", "version": "v1", "kind": "Eviction"},
    "binding": {"group": "", "version": "v1", "kind": "Binding"},
}


def wants_aggregated(accept: str) -> bool:
    """Whether the first media type of `accept` this server can give is the aggregated list."""
    for offered in accept.split(","):
        kind, *raw = (p.strip() for p in offered.split(";"))
        params = dict(p.partition("=")[::2] for p in raw)
        if (params.get("g"), params.get("v"), params.get("as")) == (
            "apidiscovery.k8s.io",
            "v2",
            "APIGroupDiscoveryList",
        ):
            return True
        if kind in ("application/json", "*/*", "application/*") and "as" not in params:
            return False
    return False


def _resource(rt: ResourceType, subresource_verbs: dict[str, list[str]]) -> Obj:
    doc: Obj = {
        "resource": rt.plural,
        "responseKind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
        "scope": "Namespaced" if rt.namespaced else "Cluster",
        "singularResource": rt.singular_name,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        doc["shortNames"] = list(rt.short_names)
    if rt.categories:
        doc["categories"] = list(rt.categories)
    if rt.subresources:
        doc["subresources"] = [
            {
                "subresource": sub,
                "responseKind": SUBRESOURCE_KINDS.get(sub, doc["responseKind"]),
                "verbs": subresource_verbs.get(sub, UPDATE_VERBS),
            }
            for sub in rt.subresources
        ]
    return doc


def aggregated(
    served: dict[str, dict[str, list[ResourceType]]], core: bool, subresource_verbs: dict[str, list[str]]
) -> Obj:
    """The document of `/api` (`core`) or of `/apis` (every named group)."""
    items = [
        {
            "metadata": {"name": group, "creationTimestamp": None},
            "versions": [
                {
                    "version": version,
                    "resources": [_resource(rt, subresource_verbs) for rt in types],
                    "freshness": "Current",
                }
                for version, types in versions.items()
            ],
        }
        for group, versions in served.items()
        if (group == "") == core
    ]
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items}
