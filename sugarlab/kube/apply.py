"""Putting the lab's manifests on the cluster: a namespace that may already exist, and server-side apply."""

from __future__ import annotations

from typing import Any

from kubernetes import dynamic
from kubernetes.client.exceptions import ApiException

from sugarlab.core.errors import ClusterError
from sugarlab.core.lab import Lab


def ensure_namespace(lab: Lab, name: str) -> None:
    try:
        lab.cluster.core.create_namespace({"metadata": {"name": name}})
    except ApiException as error:
        if error.status != 409:
            raise ClusterError(f"cannot create namespace {name}: {error.reason}") from None


def server_side_apply(lab: Lab, docs: list[dict[str, Any]], namespace: str) -> None:
    """Apply each manifest as the field manager `sugarlab`, so a rerun updates what is there."""
    ensure_namespace(lab, namespace)
    resources = dynamic.DynamicClient(lab.cluster.api).resources
    for doc in docs:
        kind = resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
        kind.server_side_apply(body=doc, namespace=namespace, field_manager="sugarlab", force_conflicts=True)
