"""The simulated cluster, driven through the official Kubernetes client as a user's code would."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client, dynamic, watch
from kubernetes.client.exceptions import ApiException

from sugarlab.lab.cluster import Cluster

SYSTEM_APPS = {"coredns", "local-path-provisioner", "metrics-server", "traefik", "svclb-traefik"}


def _pod(name: str, **spec: object) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}], **spec},
    }


@pytest.fixture(scope="module")
def lab_ns(sim: Cluster) -> str:
    sim.core.create_namespace({"metadata": {"name": "lab-api"}})
    return "lab-api"


def _wait_for(
    sim: Cluster, namespace: str, name: str, condition: Callable[[dict[str, Any]], bool], timeout: int = 20
) -> client.V1Pod:
    stream = watch.Watch().stream(
        sim.core.list_namespaced_pod, namespace, field_selector=f"metadata.name={name}", timeout_seconds=timeout
    )
    for event in stream:
        if condition(event):
            return event["object"]
    raise AssertionError(f"pod {namespace}/{name} never reached the expected state")


def test_discovery_serves_core_apps_and_metrics_groups(sim: Cluster) -> None:
    groups = {g.name for g in client.ApisApi(sim.api).get_api_versions().groups}
    assert {"apps", "batch", "storage.k8s.io", "policy", "metrics.k8s.io"} <= groups
    resources = {r.name for r in sim.core.get_api_resources().resources}
    assert {"nodes", "pods", "pods/log", "namespaces", "events"} <= resources
    # The dynamic client finds its resources through discovery alone.
    nodes = dynamic.DynamicClient(sim.api).resources.get(api_version="v1", kind="Node").get()
    assert [n.metadata.name for n in nodes.items] == ["sugarkube0"]


def test_controller_node_looks_like_a_k3s_pi(sim: Cluster) -> None:
    node = sim.core.read_node("sugarkube0")
    assert node.metadata.labels["node-role.kubernetes.io/control-plane"] == "true"
    assert node.status.node_info.architecture == "arm64"
    assert node.status.node_info.kubelet_version.endswith("+k3s1")
    assert node.status.node_info.container_runtime_version.startswith("containerd://")
    ready = next(c for c in node.status.conditions if c.type == "Ready")
    assert ready.status == "True"
    assert node.status.allocatable["cpu"] == "4"
    assert sim.version == node.status.node_info.kubelet_version


def test_system_pods_run_on_the_controller(sim: Cluster) -> None:
    pods = sim.core.list_pod_for_all_namespaces().items
    running = {
        p.metadata.name.rsplit("-", 2)[0] if "svclb" not in p.metadata.name else "svclb-traefik"
        for p in pods
        if p.status.phase == "Running"
    }
    assert running >= SYSTEM_APPS
    completed = sim.core.list_namespaced_pod("kube-system", field_selector="status.phase=Succeeded").items
    assert sorted(p.metadata.name.rsplit("-", 1)[0] for p in completed) == [
        "helm-install-traefik",
        "helm-install-traefik-crd",
    ]
    dns = sim.core.list_namespaced_pod("kube-system", label_selector="k8s-app in (kube-dns)").items
    assert len(dns) == 1 and dns[0].spec.node_name == "sugarkube0"


def test_unsupported_field_selector_is_rejected_like_the_real_server(sim: Cluster) -> None:
    with pytest.raises(ApiException) as err:
        sim.core.list_pod_for_all_namespaces(field_selector="spec.containers=x")
    assert err.value.status == 400 and "field label not supported" in err.value.body


def test_created_pod_is_scheduled_started_and_recorded(sim: Cluster, lab_ns: str) -> None:
    sim.core.create_namespaced_pod(lab_ns, _pod("web"))
    pod = _wait_for(sim, lab_ns, "web", lambda e: e["object"].status.phase == "Running")
    assert pod.spec.node_name == "sugarkube0"
    assert pod.status.pod_ip.startswith("10.42.0.")
    assert pod.status.qos_class == "BestEffort"
    reasons = {e.reason for e in sim.core.list_namespaced_event(lab_ns, field_selector="involvedObject.name=web").items}
    assert {"Scheduled", "Started"} <= reasons


def test_pod_that_fits_nowhere_stays_pending_with_the_schedulers_reason(sim: Cluster, lab_ns: str) -> None:
    sim.core.create_namespaced_pod(lab_ns, _pod("picky", nodeSelector={"disk": "nvme"}))
    pod = _wait_for(
        sim, lab_ns, "picky", lambda e: any(c.reason == "Unschedulable" for c in (e["object"].status.conditions or []))
    )
    assert pod.status.phase == "Pending"
    message = pod.status.conditions[0].message
    assert message.startswith("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector")


def test_deleted_pod_terminates_gracefully_and_goes(sim: Cluster, lab_ns: str) -> None:
    sim.core.create_namespaced_pod(lab_ns, _pod("short"))
    _wait_for(sim, lab_ns, "short", lambda e: e["object"].status.phase == "Running")
    deleted = sim.core.delete_namespaced_pod("short", lab_ns)
    assert deleted.metadata.deletion_timestamp is not None
    deadline = time.monotonic() + 20
    while True:
        try:
            sim.core.read_namespaced_pod("short", lab_ns)
        except ApiException as err:
            assert err.status == 404 and err.reason == "Not Found"
            break
        assert time.monotonic() < deadline, "the deleted pod never went"
        time.sleep(0.05)


def test_errors_come_back_as_status_objects(sim: Cluster, lab_ns: str) -> None:
    with pytest.raises(ApiException) as missing:
        sim.core.read_namespaced_pod("nope", lab_ns)
    assert missing.value.status == 404 and json.loads(missing.value.body)["reason"] == "NotFound"
    sim.core.create_namespaced_config_map(lab_ns, {"metadata": {"name": "dup"}, "data": {"a": "1"}})
    with pytest.raises(ApiException) as duplicate:
        sim.core.create_namespaced_config_map(lab_ns, {"metadata": {"name": "dup"}})
    assert duplicate.value.status == 409 and "already exists" in duplicate.value.body
    with pytest.raises(ApiException) as invalid:
        sim.core.create_namespaced_config_map(lab_ns, {"metadata": {"name": "Not_Valid"}})
    assert invalid.value.status == 422 and "RFC 1123" in invalid.value.body
    with pytest.raises(ApiException) as no_namespace:
        sim.core.create_namespaced_config_map("ghost", {"metadata": {"name": "x"}})
    assert no_namespace.value.status == 404
    assert json.loads(no_namespace.value.body)["message"] == 'namespaces "ghost" not found'


def test_stale_update_conflicts(sim: Cluster, lab_ns: str) -> None:
    cm = sim.core.create_namespaced_config_map(lab_ns, {"metadata": {"name": "versioned"}, "data": {"v": "1"}})
    sim.core.patch_namespaced_config_map("versioned", lab_ns, {"data": {"v": "2"}})
    cm.data = {"v": "3"}
    with pytest.raises(ApiException) as err:
        sim.core.replace_namespaced_config_map("versioned", lab_ns, cm)
    assert err.value.status == 409 and "has been modified" in err.value.body
    assert sim.core.read_namespaced_config_map("versioned", lab_ns).data == {"v": "2"}


def test_server_side_apply_creates_then_merges(sim: Cluster, lab_ns: str) -> None:
    configmaps = dynamic.DynamicClient(sim.api).resources.get(api_version="v1", kind="ConfigMap")
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "applied", "namespace": lab_ns},
        "data": {"mode": "sim"},
    }
    configmaps.server_side_apply(body=body, field_manager="sugarlab")
    body["data"]["extra"] = "yes"
    applied = configmaps.server_side_apply(body=body, field_manager="sugarlab")
    assert applied.to_dict()["data"] == {"mode": "sim", "extra": "yes"}
    with pytest.raises(ApiException) as err:
        configmaps.server_side_apply(body=body)
    assert err.value.status == 400 and "fieldManager is required" in err.value.body


def test_cordon_by_patch_marks_node_unschedulable(sim: Cluster, lab_ns: str) -> None:
    sim.core.patch_node("sugarkube0", {"spec": {"unschedulable": True}})
    try:
        sim.core.create_namespaced_pod(lab_ns, _pod("cordoned"))
        pod = _wait_for(sim, lab_ns, "cordoned", lambda e: bool(e["object"].status.conditions))
        assert "node.kubernetes.io/unschedulable" in pod.status.conditions[0].message
    finally:
        sim.core.patch_node("sugarkube0", {"spec": {"unschedulable": None}})
    _wait_for(sim, lab_ns, "cordoned", lambda e: e["object"].status.phase == "Running")


def test_watch_resumes_from_a_resource_version(sim: Cluster, lab_ns: str) -> None:
    listed = sim.core.list_namespaced_config_map(lab_ns)
    sim.core.create_namespaced_config_map(lab_ns, {"metadata": {"name": "after-list"}})
    events = list(
        watch.Watch().stream(
            sim.core.list_namespaced_config_map,
            lab_ns,
            resource_version=listed.metadata.resource_version,
            timeout_seconds=1,
        )
    )
    assert [(e["type"], e["object"].metadata.name) for e in events] == [("ADDED", "after-list")]


def test_metrics_api_reports_nodes_and_pods(sim: Cluster) -> None:
    nodes = sim.custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes")["items"]
    assert [n["metadata"]["name"] for n in nodes] == ["sugarkube0"]
    assert nodes[0]["usage"]["cpu"].endswith("n") and nodes[0]["usage"]["memory"].endswith("Ki")
    pods = sim.custom.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", "kube-system", "pods")["items"]
    assert any(p["metadata"]["name"].startswith("coredns-") for p in pods)


def test_pod_logs(sim: Cluster) -> None:
    coredns = sim.core.list_namespaced_pod("kube-system", label_selector="k8s-app=kube-dns").items[0]
    log = sim.core.read_namespaced_pod_log(coredns.metadata.name, "kube-system")
    assert "CoreDNS-" in log


def test_deleting_a_namespace_removes_what_it_holds(sim: Cluster) -> None:
    sim.core.create_namespace({"metadata": {"name": "doomed"}})
    sim.core.create_namespaced_pod("doomed", _pod("tenant"))
    _wait_for(sim, "doomed", "tenant", lambda e: e["object"].status.phase == "Running")
    sim.core.delete_namespace("doomed")
    assert sim.core.read_namespace("doomed").status.phase == "Terminating"
    deadline = time.monotonic() + 20
    while any(ns.metadata.name == "doomed" for ns in sim.core.list_namespace().items):
        assert time.monotonic() < deadline, "the namespace was never removed"
        time.sleep(0.1)
    assert sim.core.list_namespaced_pod("doomed").items == []


def test_kubectl_gets_its_table_columns(sim: Cluster) -> None:
    conf = sim.api.configuration
    response = sim.api.call_api(
        "GET",
        conf.host + "/api/v1/nodes",
        header_params={
            "Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
            "Authorization": conf.auth_settings()["BearerToken"]["value"],
        },
    )
    body = json.loads(response.read())
    assert body["kind"] == "Table"
    assert [c["name"] for c in body["columnDefinitions"] if c["priority"] == 0] == [
        "Name",
        "Status",
        "Roles",
        "Age",
        "Version",
    ]  # kube-apiserver's names; kubectl upper-cases them
    assert body["rows"][0]["cells"][:3] == ["sugarkube0", "Ready", "control-plane,master"]


def _stress_job(name: str, tolerate: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "containers": [
            {
                "name": "stress",
                "image": "ghcr.io/alpine/stress:1.0.4",
                "args": ["--cpu", "1", "--vm", "1", "--vm-bytes", "64M", "--timeout", "2m"],
            }
        ],
    }
    if tolerate:
        spec["tolerations"] = [
            {"key": "sugarkube.io/role", "operator": "Equal", "value": "worker", "effect": "NoSchedule"}
        ]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {"parallelism": 4, "completions": 4, "template": {"spec": spec}},
    }


def _finished_job(cluster: Cluster, name: str) -> client.V1Job:
    batch = client.BatchV1Api(cluster.api)
    for event in watch.Watch().stream(
        batch.list_namespaced_job, "default", field_selector=f"metadata.name={name}", timeout_seconds=30
    ):
        if any(c.type == "Complete" for c in event["object"].status.conditions or []):
            return event["object"]
    raise AssertionError(f"job {name} did not complete")


def test_job_runs_to_completion_spread_over_tolerated_workers(start_sim: Callable[..., Cluster]) -> None:
    cluster = start_sim(sim_workers=2)
    client.BatchV1Api(cluster.api).create_namespaced_job("default", _stress_job("tolerant", tolerate=True))
    job = _finished_job(cluster, "tolerant")
    assert job.status.succeeded == 4
    assert (job.status.completion_time - job.status.start_time).total_seconds() >= 120  # --timeout 2m
    pods = cluster.core.list_namespaced_pod("default", label_selector="job-name=tolerant").items
    assert {p.status.phase for p in pods} == {"Succeeded"}
    assert {p.spec.node_name for p in pods} == {"sugarkube1", "sugarkube2"}
    log = cluster.core.read_namespaced_pod_log(pods[0].metadata.name, "default")
    assert log.splitlines() == [
        "stress: info: [1] dispatching hogs: 1 cpu, 0 io, 1 vm, 0 hdd",
        "stress: info: [1] successful run completed in 120s",
    ]
    client.BatchV1Api(cluster.api).delete_namespaced_job("tolerant", "default")
    deadline = time.monotonic() + 10
    while cluster.core.list_namespaced_pod("default", label_selector="job-name=tolerant").items:
        assert time.monotonic() < deadline, "the garbage collector left the Job's pods behind"
        time.sleep(0.1)


def test_job_without_the_toleration_lands_every_pod_on_the_controller(start_sim: Callable[..., Cluster]) -> None:
    cluster = start_sim(sim_workers=2)
    client.BatchV1Api(cluster.api).create_namespaced_job("default", _stress_job("untolerant", tolerate=False))
    _finished_job(cluster, "untolerant")
    pods = cluster.core.list_namespaced_pod("default", label_selector="job-name=untolerant").items
    assert len(pods) == 4 and {p.spec.node_name for p in pods} == {"sugarkube0"}


def test_job_with_a_restarting_template_is_invalid(sim: Cluster) -> None:
    job = _stress_job("bad", tolerate=False)
    job["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    with pytest.raises(ApiException) as err:
        client.BatchV1Api(sim.api).create_namespaced_job("default", job)
    assert err.value.status == 422 and "restartPolicy" in err.value.body
