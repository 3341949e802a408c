"""Putting the lab's manifests on the cluster: a namespace that may already exist, server-side apply,
and create. Every object goes through here, so every object carries the lab's labels
(`sugarlab.kube.labels`) and `sugarlab clean` can find it."""

from __future__ import annotations

from typing import Any

from kubernetes import dynamic
from kubernetes.client.exceptions import ApiException

from sugarlab.kube.errors import ApiError
from sugarlab.kube.labels import labelled, run_labels
from sugarlab.lab.cluster import Cluster

FIELD_MANAGER = "sugarlab"


def ensure_namespace(cluster: Cluster, name: str) -> None:
    """Create the namespace, labelled as the lab's; one that already exists is left as it is (a
    namespace the lab did not make is never labelled, so clean never deletes it)."""
    try:
        cluster.core.create_namespace({"metadata": {"name": name, "labels": run_labels(cluster.run)}})
    except ApiError as error:
        if error.status != 409:  # 409 AlreadyExists: a rerun, or the user's own namespace
            raise


def server_side_apply(cluster: Cluster, docs: list[dict[str, Any]], namespace: str | None) -> None:
    """Apply each manifest as the field manager `sugarlab`, so a rerun updates what is there.

    `namespace` is created first when missing; None applies cluster-scoped objects (a StorageClass).
    """
    if namespace is not None:
        ensure_namespace(cluster, namespace)
    resources = dynamic.DynamicClient(cluster.api).resources
    where = {} if namespace is None else {"namespace": namespace}
    for doc in docs:
        kind = resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
        try:
            kind.server_side_apply(
                body=labelled(doc, cluster.run), field_manager=FIELD_MANAGER, force_conflicts=True, **where
            )
        except ApiException as error:  # the dynamic client wraps the server's answer in its own class
            name = "/".join([*where.values(), doc["metadata"]["name"]])
            raise ApiError(f"apply {doc['kind']} {name}", error) from None


def create(cluster: Cluster, doc: dict[str, Any], namespace: str) -> None:
    """Create one namespaced object (a Job, whose template cannot be updated in place), labelled."""
    kind = dynamic.DynamicClient(cluster.api).resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
    try:
        kind.create(body=labelled(doc, cluster.run), namespace=namespace)
    except ApiException as error:
        raise ApiError(f"create {doc['kind']} {namespace}/{doc['metadata']['name']}", error) from None
