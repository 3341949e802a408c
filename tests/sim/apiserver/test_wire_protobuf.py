"""Protobuf request bodies, as kubectl (client-go >= 1.32) sends them for built-in kinds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from google.protobuf import message_factory

from sugarlab.sim.apiserver.wire import proto_decode
from tests.sim.simcluster import kubectl, needs_kubectl


def message(full_name: str, /, **fields: Any) -> Any:
    cls = message_factory.GetMessageClass(proto_decode._pool().FindMessageTypeByName(full_name))
    return cls(**fields)


def envelope(api_version: str, kind: str, obj: Any) -> bytes:
    unknown = message("k8s.io.apimachinery.pkg.runtime.Unknown", raw=obj.SerializeToString())
    if kind:
        unknown.typeMeta.apiVersion, unknown.typeMeta.kind = api_version, kind
    serialized: bytes = unknown.SerializeToString()
    return proto_decode.MAGIC + serialized


META, CORE = "k8s.io.apimachinery.pkg.apis.meta.v1", "k8s.io.api.core.v1"


def test_special_types_become_the_json_kube_apiserver_writes() -> None:
    container = message(
        f"{CORE}.Container",
        name="web",
        image="nginx:1.27",
        stdin=False,
        ports=[message(f"{CORE}.ContainerPort", containerPort=80, name="http")],
    )
    container.resources.limits["cpu"].string = "500m"
    probe = container.readinessProbe.handler.httpGet  # ProbeHandler is inline in Probe's JSON
    probe.port.type, probe.port.strVal, probe.path = 1, "http", ""
    spec = message(f"{CORE}.PodSpec", containers=[container], hostNetwork=False, terminationGracePeriodSeconds=0)
    deployment = message("k8s.io.api.apps.v1.Deployment")
    deployment.metadata.name, deployment.metadata.labels["app"] = "web", "web"
    deployment.metadata.creationTimestamp.seconds = 0  # the zero time: null, left out
    deployment.spec.replicas = 0
    deployment.spec.selector.matchLabels["app"] = "web"
    deployment.spec.template.spec.CopyFrom(spec)
    deployment.spec.strategy.rollingUpdate.maxSurge.type, deployment.spec.strategy.rollingUpdate.maxSurge.intVal = 0, 1
    decoded = proto_decode.decode(envelope("apps/v1", "Deployment", deployment), "", "")
    assert decoded == {
        "kind": "Deployment",
        "apiVersion": "apps/v1",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:1.27",
                            "ports": [{"name": "http", "containerPort": 80}],
                            "resources": {"limits": {"cpu": "500m"}},
                            "readinessProbe": {"httpGet": {"port": "http"}},
                        }
                    ],
                    "terminationGracePeriodSeconds": 0,
                }
            },
            "strategy": {"rollingUpdate": {"maxSurge": 1}},
        },
    }


def test_bytes_times_and_durations() -> None:
    secret = message(f"{CORE}.Secret", type="Opaque")
    secret.metadata.name = "token"
    secret.metadata.creationTimestamp.seconds = 1767225600  # 2026-01-01T00:00:00Z
    secret.data["key"] = b"\x00\xffk3s"
    assert proto_decode.decode(envelope("v1", "Secret", secret), "", "") == {
        "kind": "Secret",
        "apiVersion": "v1",
        "type": "Opaque",
        "data": {"key": "AP9rM3M="},
        "metadata": {"name": "token", "creationTimestamp": "2026-01-01T00:00:00Z"},
    }
    lease = message("k8s.io.api.coordination.v1.Lease")
    lease.metadata.name = "sugarkube1"
    lease.spec.renewTime.seconds, lease.spec.renewTime.nanos = 1767225600, 123456789
    lease.spec.leaseDurationSeconds = 40
    decoded = proto_decode.decode(envelope("coordination.k8s.io/v1", "Lease", lease), "", "")
    assert decoded["spec"] == {"renewTime": "2026-01-01T00:00:00.123456Z", "leaseDurationSeconds": 40}
    options = message(f"{META}.DeleteOptions", gracePeriodSeconds=0)
    assert proto_decode.decode(envelope("v1", "DeleteOptions", options), "", "") == {
        "kind": "DeleteOptions",
        "apiVersion": "v1",
        "gracePeriodSeconds": 0,
    }


def test_the_endpoint_supplies_a_missing_kind() -> None:
    namespace = message(f"{CORE}.Namespace")
    namespace.metadata.name = "lab-scale"
    assert proto_decode.decode(envelope("", "", namespace), "v1", "Namespace") == {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": {"name": "lab-scale"},
    }


@needs_kubectl
def test_kubectl_create_namespace(kubeconfig: Path, http: httpx.Client) -> None:
    created = kubectl(kubeconfig, "create", "namespace", "lab-scale", "-v=8")
    assert created.returncode == 0, created.stderr
    assert "namespace/lab-scale created" in created.stdout
    assert "Content-Type: application/vnd.kubernetes.protobuf" in created.stderr  # what makes this test matter
    stored = http.get("/api/v1/namespaces/lab-scale").json()
    assert stored["status"] == {"phase": "Active"}
    assert stored["metadata"]["labels"] == {"kubernetes.io/metadata.name": "lab-scale"}


@needs_kubectl
def test_kubectl_create_job_with_a_command(kubeconfig: Path, http: httpx.Client) -> None:
    created = kubectl(
        kubeconfig,
        "create",
        "job",
        "fio",
        "--image=ghcr.io/sugarkube/fio:3.36",
        "--",
        "fio",
        "--name=randread",
        "--rw=randread",
        "--bs=4k",
        "--size=16M",
    )
    assert created.returncode == 0, created.stderr
    job = http.get("/apis/batch/v1/namespaces/default/jobs/fio").json()
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert (container["name"], container["image"]) == ("fio", "ghcr.io/sugarkube/fio:3.36")
    assert container["command"] == ["fio", "--name=randread", "--rw=randread", "--bs=4k", "--size=16M"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


@needs_kubectl
def test_kubectl_drain_evicts_through_the_eviction_subresource(kubeconfig: Path, http: httpx.Client) -> None:
    created = kubectl(kubeconfig, "create", "deployment", "web", "--image=nginx:1.27", "--replicas=2")
    assert created.returncode == 0, created.stderr
    wait = kubectl(
        kubeconfig, "wait", "--for=jsonpath={.status.phase}=Running", "pod", "-l", "app=web", "--timeout=60s"
    )
    assert wait.returncode == 0, wait.stderr
    node = http.get("/api/v1/namespaces/default/pods", params={"labelSelector": "app=web"}).json()["items"][0]["spec"][
        "nodeName"
    ]
    try:
        drained = kubectl(
            kubeconfig, "drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=90s", "-v=6"
        )
        assert drained.returncode == 0, drained.stderr
        assert f"node/{node} drained" in drained.stdout
        evictions = [line for line in drained.stderr.splitlines() if "/eviction" in line and "201 Created" in line]
        assert evictions, "kubectl drain deleted pods instead of evicting them"
        assert "evicted" in drained.stdout
    finally:
        kubectl(kubeconfig, "uncordon", node)


def test_garbage_protobuf_gets_kube_apiservers_400(http: httpx.Client) -> None:
    answer = http.post(
        "/api/v1/namespaces", content=b'{"kind":"Namespace"}', headers={"Content-Type": proto_decode.MEDIA_TYPE}
    )
    assert (answer.status_code, answer.json()["message"]) == (
        400,
        (
            "the object provided is unrecognized (must be of type Namespace): provided data does not appear to be a "
            'protobuf message, expected prefix [107 56 115 0] ({"kind":"Namespace"})'
        ),
    )
    truncated = http.post(
        "/api/v1/namespaces",
        content=proto_decode.MAGIC + b"\x0a\x05ab",
        headers={"Content-Type": proto_decode.MEDIA_TYPE},
    )
    assert (truncated.status_code, truncated.json()["reason"]) == (400, "BadRequest")


def test_a_client_that_accepts_only_protobuf_gets_406(http: httpx.Client) -> None:
    answer = http.get("/api/v1/nodes", headers={"Accept": proto_decode.MEDIA_TYPE})
    assert (answer.status_code, answer.content) == (
        406,
        (
            b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"only the following media '
            b'types are accepted: application/json","reason":"NotAcceptable","code":406}\n'
        ),
    )
    both = http.get("/api/v1/nodes", headers={"Accept": f"{proto_decode.MEDIA_TYPE}, application/json"})
    assert (both.status_code, both.headers["content-type"]) == (200, "application/json")


@needs_kubectl
def test_kubectl_create_service_and_configmap(kubeconfig: Path, http: httpx.Client) -> None:
    service = kubectl(kubeconfig, "create", "service", "clusterip", "vehicle-detector", "--tcp=9000:8000")
    assert service.returncode == 0, service.stderr
    port = http.get("/api/v1/namespaces/default/services/vehicle-detector").json()["spec"]["ports"][0]
    assert (port["port"], port["targetPort"], port["protocol"]) == (9000, 8000, "TCP")
    config = kubectl(
        kubeconfig, "create", "configmap", "tuning", "--from-literal=threads=4", "--from-literal=model=yolov8n"
    )
    assert config.returncode == 0, config.stderr
    assert http.get("/api/v1/namespaces/default/configmaps/tuning").json()["data"] == {
        "threads": "4",
        "model": "yolov8n",
    }
