"""A manifest checked by the cluster itself: server-side apply with `dryRun=All`, nothing stored.

The API server runs defaulting, validation and admission on a dry run and skips only the write
(https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run), so a refusal here is the
refusal the real apply would meet. A namespaced object whose namespace does not exist yet cannot be
dry-run there (the namespace is checked by the server first), so it is checked in `default`, and the
plan says so. A Job that exists is replaced, not updated (its template cannot change), so its check is
the dry-run deletion that comes first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kubernetes import dynamic
from kubernetes.client.exceptions import ApiException

from sugarlab.kube.apply import FIELD_MANAGER
from sugarlab.kube.labels import labelled
from sugarlab.lab.cluster import Cluster

STAND_IN_NAMESPACE = "default"


@dataclass(frozen=True)
class Checked:
    kind: str
    namespace: str
    name: str
    action: str  # creates, updates or replaces
    problem: str = ""  # the server's refusal; empty when the dry run passed
    note: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem

    def describe(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        verdict = (
            "accepted by a server-side dry run" if self.ok else f"REFUSED by a server-side dry run: {self.problem}"
        )
        return f"{self.action} {self.kind} {where}{self.name}: {verdict}{f' ({self.note})' if self.note else ''}"


def check(cluster: Cluster, doc: dict[str, Any]) -> Checked:
    """Dry-run `doc` as the lab would apply it (labelled, as the field manager `sugarlab`)."""
    resources = dynamic.DynamicClient(cluster.api).resources
    kind = resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
    name, namespace = doc["metadata"]["name"], doc["metadata"].get("namespace", "") if kind.namespaced else ""
    body, note, exists = labelled(doc, cluster.run), "", False
    if namespace and not _exists(cluster, resources.get(api_version="v1", kind="Namespace"), namespace, ""):
        note = f"checked in namespace {STAND_IN_NAMESPACE}: {namespace} is created first"
        namespace = STAND_IN_NAMESPACE
        body["metadata"]["namespace"] = namespace
    else:
        exists = _exists(cluster, kind, name, namespace)
    where = {"namespace": namespace} if namespace else {}
    try:
        if exists and doc["kind"] == "Job":
            kind.delete(name=name, body={"propagationPolicy": "Foreground", "dryRun": ["All"]}, **where)
            return Checked(
                doc["kind"], doc["metadata"].get("namespace", ""), name, "replaces", note="deleted, then created"
            )
        kind.server_side_apply(body=body, field_manager=FIELD_MANAGER, force_conflicts=True, dry_run="All", **where)
    except ApiException as error:
        return Checked(
            doc["kind"],
            doc["metadata"].get("namespace", ""),
            name,
            "updates" if exists else "creates",
            _reason(error),
            note,
        )
    return Checked(
        doc["kind"], doc["metadata"].get("namespace", ""), name, "updates" if exists else "creates", note=note
    )


def _exists(cluster: Cluster, kind: Any, name: str, namespace: str) -> bool:
    try:
        kind.get(name=name, **({"namespace": namespace} if namespace else {}))
    except ApiException as error:
        if error.status == 404:
            return False
        raise
    return True


def _reason(error: ApiException) -> str:
    try:
        return f"{error.status} {json.loads(error.body)['message']}"
    except (TypeError, ValueError, KeyError):
        return f"{error.status} {error.reason}"
