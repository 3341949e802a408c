"""Tutorial step 6.1: PodDisruptionBudgets for the critical services that exist, applied and proven.

A budget only governs *voluntary* disruptions, the ones that go through the eviction API
(`kubectl drain`, a cluster upgrade): it cannot stop a Pi losing power. The budget for each workload:

- **several replicas: `maxUnavailable: 1`**. A drain takes one pod at a time and waits for its
  replacement to be Ready before the next; the service keeps serving throughout.
- **one replica of a stateless add-on (k3s runs coredns, traefik and metrics-server with one each):
  `maxUnavailable: 1`**. `minAvailable: 1` on a single replica allows no eviction at all, so every
  `kubectl drain` of that node would wait forever. The budget records the intent and stops a second,
  parallel disruption once the add-on is scaled to two (the real fix for DNS during drains).
- **one replica of a stateful writer (the `nfs-sqlite` StatefulSet): `minAvailable: 1`**, on purpose:
  moving the only writer is a write outage, so a drain must stop and leave the move to an operator
  (`kubectl delete pod`, which a budget does not block).

`prove` shows the eviction API refusing a disruption that would breach a budget (HTTP 429).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from sugarlab.kube.apply import server_side_apply
from sugarlab.kube.wait import Pending, wait_for
from sugarlab.lab.errors import ClusterError, WaitTimeout
from sugarlab.lab.session import Lab

POLICY = "policies/pdb-core-services.yaml"
MANAGED_BY = {"app.kubernetes.io/managed-by": "sugarlab"}


@dataclass(frozen=True)
class Critical:
    namespace: str
    kind: str  # Deployment or StatefulSet
    name: str
    role: str
    stateful: bool = False


CRITICAL = (
    Critical("kube-system", "Deployment", "coredns", "cluster DNS"),
    Critical("kube-system", "Deployment", "traefik", "ingress controller"),
    Critical("kube-system", "Deployment", "metrics-server", "resource metrics (kubectl top)"),
    Critical("edge-ai", "Deployment", "vehicle-detector", "the inference service (notebook 05)"),
    Critical("lab-scale", "StatefulSet", "nfs-sqlite", "the SQLite writer on NFS (notebook 04)", stateful=True),
)


def budget(workload: Critical, replicas: int) -> tuple[dict[str, int], str]:
    """The budget's spec field and why it was chosen (see the module docstring)."""
    if replicas >= 2:
        return {"maxUnavailable": 1}, f"{replicas} replicas: drains go one pod at a time"
    if workload.stateful:
        return {"minAvailable": 1}, "the only writer: drains stop here on purpose, an operator moves it"
    return {"maxUnavailable": 1}, (
        "one replica: minAvailable 1 would block every drain of its node; scale to 2 to keep it up during drains"
    )


def discover(lab: Lab) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The critical workloads that exist, with their budgets: a plan frame and the PDB manifests."""
    apps = client.AppsV1Api(lab.cluster.api)
    read = {"Deployment": apps.read_namespaced_deployment, "StatefulSet": apps.read_namespaced_stateful_set}
    rows: list[dict[str, Any]] = []
    manifests: list[dict[str, Any]] = []
    for workload in CRITICAL:
        try:
            obj = lab.cluster.api.sanitize_for_serialization(read[workload.kind](workload.name, workload.namespace))
        except ApiException as error:
            if error.status == 404:
                rows.append(
                    {
                        "namespace": workload.namespace,
                        "workload": f"{workload.kind}/{workload.name}",
                        "role": workload.role,
                        "replicas": None,
                        "budget": "",
                        "why": "not in this cluster",
                    }
                )
                continue
            raise ClusterError(
                f"cannot read {workload.kind} {workload.namespace}/{workload.name}: {error.reason}"
            ) from None
        replicas = int(obj["spec"].get("replicas", 1))
        spec, why = budget(workload, replicas)
        name = f"{workload.name}-pdb"
        manifests.append(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": {
                    "name": name,
                    "namespace": workload.namespace,
                    "labels": dict(MANAGED_BY),
                    "annotations": {"sugarlab.io/why": why},
                },
                "spec": {**spec, "selector": obj["spec"]["selector"]},
            }
        )
        rows.append(
            {
                "namespace": workload.namespace,
                "workload": f"{workload.kind}/{workload.name}",
                "role": workload.role,
                "replicas": replicas,
                "budget": ", ".join(f"{k} {v}" for k, v in spec.items()),
                "why": why,
            }
        )
    return pd.DataFrame(rows, columns=["namespace", "workload", "role", "replicas", "budget", "why"]), manifests


def apply(lab: Lab, manifests: list[dict[str, Any]]) -> None:
    """Write `policies/pdb-core-services.yaml` and server-side apply it (`kubectl apply -f`)."""
    lab.workspace.write_text(POLICY, yaml.safe_dump_all(manifests, sort_keys=False))
    for namespace in dict.fromkeys(m["metadata"]["namespace"] for m in manifests):
        server_side_apply(lab.cluster, [m for m in manifests if m["metadata"]["namespace"] == namespace], namespace)


def status(lab: Lab, manifests: list[dict[str, Any]], timeout_s: float = 30.0) -> pd.DataFrame:
    """`kubectl get pdb`: each budget once the disruption controller has counted its pods."""
    policy = client.PolicyV1Api(lab.cluster.api)

    def counted() -> pd.DataFrame | Pending:
        rows, settled = [], True
        for m in manifests:
            pdb = policy.read_namespaced_pod_disruption_budget(m["metadata"]["name"], m["metadata"]["namespace"])
            s = pdb.status
            settled &= bool(
                s and s.observed_generation is not None and s.observed_generation >= (pdb.metadata.generation or 1)
            )
            spec = pdb.spec
            rows.append(
                {
                    "namespace": pdb.metadata.namespace,
                    "name": pdb.metadata.name,
                    "min_available": spec.min_available,
                    "max_unavailable": spec.max_unavailable,
                    "allowed_disruptions": s.disruptions_allowed if s else None,
                    "current_healthy": s.current_healthy if s else None,
                    "desired_healthy": s.desired_healthy if s else None,
                    "expected_pods": s.expected_pods if s else None,
                }
            )
        frame = pd.DataFrame(
            rows,
            columns=[
                "namespace",
                "name",
                "min_available",
                "max_unavailable",
                "allowed_disruptions",
                "current_healthy",
                "desired_healthy",
                "expected_pods",
            ],
        )
        return frame if settled else Pending(value=frame)

    try:
        return wait_for(counted, "the disruption controller to count the budgets' pods", timeout_s)
    except WaitTimeout as late:  # shown as they are: a budget whose pods are not counted yet reads empty
        return late.last.value


def _healthy_pods(lab: Lab, manifest: dict[str, Any]) -> list[Any]:
    labels = manifest["spec"]["selector"].get("matchLabels") or {}
    pods = lab.cluster.core.list_namespaced_pod(
        manifest["metadata"]["namespace"], label_selector=",".join(f"{k}={v}" for k, v in labels.items())
    ).items
    return sorted(
        (
            p
            for p in pods
            if p.metadata.deletion_timestamp is None
            and any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])
        ),
        key=lambda p: p.metadata.name,
    )


def _evict(lab: Lab, budget_name: str, pod: Any) -> dict[str, Any]:
    body = client.V1Eviction(metadata=client.V1ObjectMeta(name=pod.metadata.name, namespace=pod.metadata.namespace))
    row = {
        "budget": budget_name,
        "namespace": pod.metadata.namespace,
        "pod": pod.metadata.name,
        "node": pod.spec.node_name,
    }
    try:
        lab.cluster.core.create_namespaced_pod_eviction(pod.metadata.name, pod.metadata.namespace, body)
    except ApiException as error:
        if error.status != 429:
            raise ClusterError(
                f"eviction of {pod.metadata.namespace}/{pod.metadata.name} failed: {error.status} {error.reason}"
            ) from None
        return row | {"status": 429, "outcome": "refused", "message": _message(error)}
    return row | {
        "status": 201,
        "outcome": "evicted",
        "message": "the pod is deleted gracefully; its controller replaces it",
    }


def _message(error: ApiException) -> str:
    try:
        body = yaml.safe_load(error.body or "{}")
        causes = (body.get("details") or {}).get("causes") or []
        return " ".join([body.get("message", ""), *(c.get("message", "") for c in causes)]).strip()
    except yaml.YAMLError:
        return str(error.reason)


def prove(lab: Lab, manifests: list[dict[str, Any]], budgets: pd.DataFrame) -> pd.DataFrame:
    """Evictions until one is refused: first at a budget that allows none (nothing is disrupted);
    otherwise at the budget with the most healthy pods, evicting what it allows (as a drain would)
    and then one more, which must be refused. Records the `pdb eviction refused` step."""
    by_name = {m["metadata"]["name"]: m for m in manifests}
    ranked = budgets.dropna(subset=["allowed_disruptions"]).sort_values(
        ["allowed_disruptions", "current_healthy"], ascending=[True, False]
    )
    attempts: list[dict[str, Any]] = []
    for row in ranked.itertuples():
        pods = _healthy_pods(lab, by_name[row.name])
        if not pods or (row.allowed_disruptions > 0 and len(pods) <= row.allowed_disruptions):
            continue  # nothing to evict, or evicting what it allows would take the service down
        for pod in pods[: int(row.allowed_disruptions) + 1]:
            attempts.append(_evict(lab, row.name, pod))
            if attempts[-1]["outcome"] == "refused":
                break
        break
    frame = pd.DataFrame(attempts, columns=["budget", "namespace", "pod", "node", "status", "outcome", "message"])
    refused = frame[frame["outcome"] == "refused"]
    lab.workspace.record_step(
        "pdb eviction refused",
        not refused.empty,
        (
            f"{refused.iloc[0]['namespace']}/{refused.iloc[0]['pod']}: 429 {refused.iloc[0]['message']}"
            if not refused.empty
            else "no budget had a pod whose eviction would breach it"
        ),
    )
    return frame
