"""The downward API: fields of a pod, as the kubelet resolves them for env vars and volume files."""

from __future__ import annotations

from sugarlab.common.objects import Obj


def pod_field(pod: Obj, path: str) -> str:
    """A `fieldRef`'s value: the pod fields the kubelet resolves (podFieldSelectorRuntimeValue in
    pkg/kubelet/kubelet_pods.go, then fieldpath.ExtractFieldPathAsString for the metadata ones)."""
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    simple = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName"),
        "status.hostIP": status.get("hostIP"),
        "status.podIP": status.get("podIP"),
    }
    if path in simple:
        return str(simple[path] or "")
    for bag in ("labels", "annotations"):
        if path == f"metadata.{bag}":  # the whole map, one `key="value"` a line (fieldpath.FormatMap)
            return "\n".join(f'{key}="{value}"' for key, value in sorted((meta.get(bag) or {}).items()))
        prefix = f"metadata.{bag}['"
        if path.startswith(prefix) and path.endswith("']"):
            return str((meta.get(bag) or {}).get(path[len(prefix) : -2], ""))
    return ""
