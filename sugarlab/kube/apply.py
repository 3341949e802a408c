"""Putting the lab's manifests on the cluster: a namespace that may already exist, server-side apply,
and create. Every object goes through here, so every object carries the lab's labels
(`sugarlab.kube.labels`) and `sugarlab clean` can find it."""

from __future__ import annotations

from typing import Any

from kubernetes import dynamic
from kubernetes.client.exceptions import ApiException

from sugarlab.core.errors import ClusterError
from sugarlab.core.lab import Lab
from sugarlab.kube.labels import labelled, run_labels

FIELD_MANAGER = "sugarlab"


def ensure_namespace(lab: Lab, name: str) -> None:
    """Create the namespace, labelled as the lab's; one that already exists is left as it is (a
    namespace the lab did not make is never labelled, so clean never deletes it)."""
    try:
        lab.cluster.core.create_namespace({"metadata": {"name": name, "labels": run_labels(lab.cluster.run)}})
    except ApiException as error:
        if error.status != 409:  # 409 AlreadyExists: a rerun, or the user's own namespace
            raise ClusterError(f"cannot create namespace {name}: {error.reason}") from None


def server_side_apply(lab: Lab, docs: list[dict[str, Any]], namespace: str | None) -> None:
    """Apply each manifest as the field manager `sugarlab`, so a rerun updates what is there.

    `namespace` is created first when missing; None applies cluster-scoped objects (a StorageClass).
    """
    if namespace is not None:
        ensure_namespace(lab, namespace)
    resources = dynamic.DynamicClient(lab.cluster.api).resources
    where = {} if namespace is None else {"namespace": namespace}
    for doc in docs:
        kind = resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
        kind.server_side_apply(body=labelled(doc, lab.cluster.run), field_manager=FIELD_MANAGER,
                               force_conflicts=True, **where)


def create(lab: Lab, doc: dict[str, Any], namespace: str) -> None:
    """Create one namespaced object (a Job, whose template cannot be updated in place), labelled."""
    resources = dynamic.DynamicClient(lab.cluster.api).resources
    kind = resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
    kind.create(body=labelled(doc, lab.cluster.run), namespace=namespace)
