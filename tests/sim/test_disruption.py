"""PodDisruptionBudgets for the critical services found in the cluster, and the eviction API refusing a breach."""

from __future__ import annotations

import time
from collections.abc import Callable

import yaml
from kubernetes import client

from sugarlab.lab.session import Lab
from sugarlab.steps.operations import disruption
from sugarlab.steps.operations.disruption import CRITICAL, Critical


def test_budgets_let_drains_proceed_except_where_they_should_stop() -> None:
    coredns, writer = CRITICAL[0], Critical("lab-scale", "StatefulSet", "nfs-sqlite", "writer", stateful=True)
    assert disruption.budget(coredns, 1)[0] == {"maxUnavailable": 1}  # minAvailable 1 would block every drain
    assert disruption.budget(coredns, 3)[0] == {"maxUnavailable": 1}
    assert disruption.budget(writer, 1)[0] == {"minAvailable": 1}  # the only writer: stop and ask
    assert disruption.budget(writer, 2)[0] == {"maxUnavailable": 1}


def _inference_deployment(lab: Lab, replicas: int) -> None:
    lab.cluster.core.create_namespace({"metadata": {"name": "edge-ai"}})
    labels = {"app": "vehicle-detector"}
    client.AppsV1Api(lab.cluster.api).create_namespaced_deployment(
        "edge-ai",
        {
            "metadata": {"name": "vehicle-detector"},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]},
                },
            },
        },
    )
    deadline = time.monotonic() + 30
    while (
        len(
            [
                p
                for p in lab.cluster.core.list_namespaced_pod("edge-ai").items
                if any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])
            ]
        )
        < replicas
    ):
        assert time.monotonic() < deadline, "the Deployment's pods did not become Ready"
        time.sleep(0.2)


def test_budgets_are_applied_and_an_eviction_that_would_breach_one_is_refused(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab()
    _inference_deployment(lab, 2)
    plan, manifests = disruption.discover(lab)
    found = dict(zip(plan["workload"], plan["budget"], strict=True))
    assert (
        found["Deployment/coredns"] == "maxUnavailable 1" and found["Deployment/vehicle-detector"] == "maxUnavailable 1"
    )
    assert plan.set_index("workload").loc["StatefulSet/nfs-sqlite", "why"] == "not in this cluster"
    disruption.apply(lab, manifests)
    written = list(yaml.safe_load_all(lab.workspace.read_text(disruption.POLICY)))
    assert [m["metadata"]["name"] for m in written] == [m["metadata"]["name"] for m in manifests]
    assert written[0]["spec"]["selector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    budgets = disruption.status(lab, manifests)
    inference = budgets.set_index("name").loc["vehicle-detector-pdb"]
    assert (inference.allowed_disruptions, inference.current_healthy, inference.expected_pods) == (1, 2, 2)
    attempts = disruption.prove(lab, manifests, budgets)
    assert list(attempts["outcome"]) == ["evicted", "refused"] and list(attempts["status"]) == [201, 429]
    assert set(attempts["budget"]) == {"vehicle-detector-pdb"}
    assert "disruption budget" in attempts["message"].iloc[1]
    (step,) = [s for s in lab.workspace.steps() if s.step == "pdb eviction refused"]
    assert step.status == "passed" and attempts["pod"].iloc[1] in step.detail
    # Re-applying is idempotent: server-side apply updates the same budgets.
    disruption.apply(lab, manifests)
    assert len(client.PolicyV1Api(lab.cluster.api).list_pod_disruption_budget_for_all_namespaces().items) == len(
        manifests
    )


def test_a_budget_that_allows_nothing_is_proven_without_disrupting_anything(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab()
    _, manifests = disruption.discover(lab)
    (coredns,) = [m for m in manifests if m["metadata"]["name"] == "coredns-pdb"]
    strict = {**coredns, "spec": {"minAvailable": 1, "selector": coredns["spec"]["selector"]}}
    disruption.apply(lab, [strict])
    attempts = disruption.prove(lab, [strict], disruption.status(lab, [strict]))
    assert list(attempts["outcome"]) == ["refused"]
    pod = attempts["pod"].iloc[0]
    assert lab.cluster.core.read_namespaced_pod(pod, "kube-system").metadata.deletion_timestamp is None
