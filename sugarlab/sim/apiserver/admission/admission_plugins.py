"""Admission the simulator applies before a write reaches the store, as kube-apiserver's plugins do."""

from __future__ import annotations

from typing import Any

from sugarlab.sim.apiserver.admission.objectmeta import meta_causes
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.resources import BY_KIND, ResourceType
from sugarlab.sim.storage.store import Store

# NamespaceLifecycle (k8s.io/apiserver pkg/admission/plugin/namespace/lifecycle/admission.go): its immortal
# namespaces are metav1.NamespaceDefault, NamespaceSystem and NamespacePublic; kube-node-lease is not one.
IMMORTAL_NAMESPACES = frozenset({"default", "kube-system", "kube-public"})


def admit_delete(rt: ResourceType, name: str) -> None:
    """Refuse what NamespaceLifecycle refuses: deleting a namespace the cluster cannot live without."""
    if rt.group == "" and rt.kind == "Namespace" and name in IMMORTAL_NAMESPACES:
        raise ApiError.forbidden(rt.plural, name, "this namespace may not be deleted")


def admit_create(store: Store, rt: ResourceType, obj: dict[str, Any]) -> None:
    """What a create meets before anything else reads the object: NamespaceLifecycle (no content in a missing
    or terminating namespace), then ValidateObjectMeta's checks of the name and owner references."""
    meta = obj["metadata"]
    name = meta.get("name") or ""
    if rt.namespaced:
        namespace = meta.get("namespace") or ""
        found = store.find(BY_KIND["Namespace"], "", namespace)
        if found is None:
            raise ApiError.not_found("namespaces", namespace)
        if (found.get("status") or {}).get("phase") == "Terminating":
            cause = {
                "reason": "NamespaceTerminating",
                "message": f"namespace {namespace} is being terminated",
                "field": "metadata.namespace",
            }
            raise ApiError.forbidden(
                rt.plural,
                name,
                f"unable to create new content in namespace {namespace} because it is being terminated",
                rt.group,
                [cause],
            )
    causes = meta_causes(rt.kind, meta)
    if causes:
        raise ApiError.invalid(rt.kind, name, causes, rt.group)
