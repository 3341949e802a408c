"""Putting the lab's manifests on the cluster: a namespace that may already exist, and server-side apply."""

from __future__ import annotations

from typing import Any

from kubernetes import dynamic
from kubernetes.client.exceptions import ApiException

from sugarlab.kube.connect import Cluster
from sugarlab.kube.errors import ApiError

FIELD_MANAGER = "sugarlab"


def ensure_namespace(cluster: Cluster, name: str) -> None:
    try:
        cluster.core.create_namespace({"metadata": {"name": name}})
    except ApiError as error:
        if error.status != 409:  # 409 AlreadyExists: a rerun
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
            kind.server_side_apply(body=doc, field_manager=FIELD_MANAGER, force_conflicts=True, **where)
        except ApiException as error:  # the dynamic client wraps the server's answer in its own class
            name = "/".join([*where.values(), doc["metadata"]["name"]])
            raise ApiError(f"apply {doc['kind']} {name}", error) from None
