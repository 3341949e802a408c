"""Admission the simulator applies before a write reaches the store, as kube-apiserver's plugins do."""

from __future__ import annotations

from typing import Any

from sugarlab.sim.errors import ApiError
from sugarlab.sim.names import name_causes
from sugarlab.sim.resources import ResourceType

# NamespaceLifecycle's immortal namespaces (k8s.io/apiserver pkg/admission/plugin/namespace/lifecycle/
# admission.go: metav1.NamespaceDefault, NamespaceSystem, NamespacePublic; kube-node-lease is not one).
IMMORTAL_NAMESPACES = frozenset({"default", "kube-system", "kube-public"})


def admit_delete(rt: ResourceType, name: str) -> None:
    """Refuse what NamespaceLifecycle refuses: deleting a namespace the cluster cannot live without."""
    if rt.group == "" and rt.kind == "Namespace" and name in IMMORTAL_NAMESPACES:
        raise ApiError.forbidden(rt.plural, name, "this namespace may not be deleted")


def admit_create(rt: ResourceType, obj: dict[str, Any]) -> None:
    """Refuse an object without a usable name before anything else reads it (ValidateObjectMeta comes first)."""
    meta = obj["metadata"]
    if not meta.get("generateName"):
        causes = name_causes(rt.kind, meta.get("name") or "")
        if causes:
            raise ApiError.invalid(rt.kind, meta.get("name") or "", causes, rt.group)
