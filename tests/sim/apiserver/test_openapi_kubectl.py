"""The simulator's OpenAPI documents, as kubectl 1.32 uses them: `explain`, and `apply -f` of every
manifest Tutorial 13 writes (tests/data/tutorial, extracted verbatim from the tutorial)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from sugarlab.sim.apiserver.openapi import openapi_proto
from tests.sim.simcluster import kubectl, needs_kubectl

TUTORIAL = Path(__file__).resolve().parents[2] / "data" / "tutorial"
pytestmark = needs_kubectl


@pytest.fixture(scope="module")
def kubeconfig(kubeconfig: Path) -> str:
    """The module's simulator (tests/sim/conftest.py), its kubeconfig as the string these tests pass around."""
    return str(kubeconfig)


def raw(api: httpx.Client, path: str, accept: str = "application/json") -> tuple[int, httpx.Headers, bytes]:
    answer = api.get(path, headers={"accept": accept})
    return answer.status_code, answer.headers, answer.content


def test_explain_pod_containers_shows_the_published_field_docs(kubeconfig: str) -> None:
    shown = kubectl(kubeconfig, "explain", "pod.spec.containers")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[:2] == ["KIND:       Pod", "VERSION:    v1"]
    assert "FIELD: containers <[]Container>" in lines
    assert "    List of containers belonging to the pod. Containers cannot currently be" in lines
    fields = {line.split()[0] for line in lines if line.startswith("  ") and not line.startswith("   ")}
    assert {"args", "command", "image", "name", "ports", "resources", "volumeMounts"} <= fields


@pytest.mark.parametrize(
    ("field", "heading"),
    [
        ("deployment.spec.strategy", "FIELD: strategy <DeploymentStrategy>"),
        ("statefulset.spec.volumeClaimTemplates", "FIELD: volumeClaimTemplates <[]PersistentVolumeClaim>"),
        ("storageclass.reclaimPolicy", "FIELD: reclaimPolicy <string>"),
        ("pdb.spec.minAvailable", "FIELD: minAvailable <IntOrString>"),
        ("job.spec.backoffLimit", "FIELD: backoffLimit <integer>"),
        ("node.spec.unschedulable", "FIELD: unschedulable <boolean>"),
        ("svc.spec.ports", "FIELD: ports <[]ServicePort>"),
    ],
)
def test_explain_reaches_every_group_served(kubeconfig: str, field: str, heading: str) -> None:
    shown = kubectl(kubeconfig, "explain", field)
    assert shown.returncode == 0, shown.stderr
    assert heading in shown.stdout.splitlines()


def test_explain_of_an_unknown_field_fails_as_against_k3s(kubeconfig: str) -> None:
    shown = kubectl(kubeconfig, "explain", "pod.spec.containerz")
    assert shown.returncode != 0
    assert 'field "containerz" does not exist' in shown.stderr


def test_v3_discovery_names_each_group_version_by_hash(http: httpx.Client) -> None:
    status, _, body = raw(http, "/openapi/v3")
    paths = json.loads(body)["paths"]
    assert status == 200
    assert {
        "api/v1",
        "apis/apps/v1",
        "apis/batch/v1",
        "apis/policy/v1",
        "apis/storage.k8s.io/v1",
        "apis/coordination.k8s.io/v1",
        "apis/discovery.k8s.io/v1",
        "apis/rbac.authorization.k8s.io/v1",
        "apis/networking.k8s.io/v1",
        "apis/scheduling.k8s.io/v1",
        "apis/apiregistration.k8s.io/v1",
        "apis/apiextensions.k8s.io/v1",
    } <= set(paths)
    url = paths["apis/apps/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/apps/v1?hash=")
    status, headers, body = raw(http, url)
    doc = json.loads(body)
    assert status == 200 and headers["Cache-Control"] == "public, immutable"
    assert doc["openapi"].startswith("3.")
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    # What kubectl's apply looks for: the kind, strategic merge patch, and server-side field validation.
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "kind": "Deployment", "version": "v1"}
    assert "application/strategic-merge-patch+json" in patch["requestBody"]["content"]
    assert "fieldValidation" in {p["name"] for p in patch["parameters"]}
    containers = doc["components"]["schemas"]["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"


def test_a_stale_v3_hash_is_sent_on_to_the_current_document(http: httpx.Client) -> None:
    status, headers, _ = raw(http, "/openapi/v3/api/v1?hash=0123")
    assert status == 301
    assert headers["Location"].startswith("/openapi/v3/api/v1?hash=") and not headers["Location"].endswith("=0123")


def test_v2_is_served_as_json_and_as_gnostic_protobuf(http: httpx.Client) -> None:
    status, _, body = raw(http, "/openapi/v2")
    spec = json.loads(body)
    assert status == 200 and spec["swagger"] == "2.0"
    assert {
        "io.k8s.api.core.v1.Pod",
        "io.k8s.api.apps.v1.Deployment",
        "io.k8s.api.core.v1.Secret",
        "io.k8s.api.rbac.v1.ClusterRole",
        "io.k8s.api.networking.v1.Ingress",
    } <= set(spec["definitions"])
    # client-go's OpenAPISchema asks for protobuf only, under the name with '@'
    status, headers, body = raw(
        http, "/openapi/v2", accept="application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
    )
    assert status == 200
    assert headers["content-type"] == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    document: Any = openapi_proto.document_class()()  # a message class built at run time: fields unknown to mypy
    document.ParseFromString(body)
    definitions = {d.name: d.value for d in document.definitions.additional_properties}
    assert set(definitions) == set(spec["definitions"])
    containers = next(
        p.value
        for p in definitions["io.k8s.api.core.v1.PodSpec"].properties.additional_properties
        if p.name == "containers"
    )
    assert containers.items.schema[0]._ref == "#/definitions/io.k8s.api.core.v1.Container"
    assert {(e.name, e.value.yaml) for e in containers.vendor_extension} >= {
        ("x-kubernetes-patch-merge-key", '"name"\n'),
        ("x-kubernetes-patch-strategy", '"merge"\n'),
    }
    assert raw(http, "/openapi/v2", accept="application/xml")[0] == 406


def test_kubectl_reads_v2_where_it_needs_it(kubeconfig: str, tmp_path: Path) -> None:
    # A List, as `kubectl get -o yaml` writes one, is validated on the client against v2.
    listed = kubectl(kubeconfig, "get", "storageclass", "-o", "yaml")
    path = tmp_path / "classes.yaml"
    path.write_text(listed.stdout)
    applied = kubectl(kubeconfig, "apply", "-f", str(path))
    assert applied.returncode == 0, applied.stderr
    assert "storageclass.storage.k8s.io/local-path configured" in applied.stdout.splitlines()
    path.write_text(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n"
        "    name: listed\n  dta: {}\n"
    )
    refused = kubectl(kubeconfig, "apply", "-f", str(path))
    assert refused.stderr == (
        f'error: error validating "{path}": error validating data: ValidationError(ConfigMap): '
        'unknown field "dta" in io.k8s.api.core.v1.ConfigMap; if you choose to ignore these '
        "errors, turn validation off with --validate=false\n"
    )
    explained = kubectl(kubeconfig, "explain", "pods.spec.containers.ports", "--output=plaintext-openapiv2")
    assert explained.stdout.splitlines()[:4] == ["KIND:     Pod", "VERSION:  v1", "", "RESOURCE: ports <[]Object>"]


NAMESPACES = (
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: lab-scale\n---\n"
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: edge-ai\n"
)


@pytest.fixture(scope="module")
def namespaces(kubeconfig: str) -> None:
    made = kubectl(kubeconfig, "apply", "-f", "-", stdin=NAMESPACES)
    assert made.returncode == 0, made.stderr


@pytest.mark.parametrize(
    ("manifest", "created"),
    [
        ("stress-load-job.yaml", ["job.batch/stress-load created"]),
        ("nfs-storageclass.yaml", ["storageclass.storage.k8s.io/nfs-shared created"]),
        ("statefulset-sqlite.yaml", ["statefulset.apps/nfs-sqlite created"]),
        ("vehicle-detector-configmap.yaml", ["configmap/vehicle-detector-code created"]),
        ("edge-ai-deployment.yaml", ["deployment.apps/vehicle-detector created", "service/vehicle-detector created"]),
    ],
)
def test_kubectl_applies_every_manifest_the_tutorial_writes(
    kubeconfig: str, namespaces: None, tmp_path: Path, manifest: str, created: list[str]
) -> None:
    path = TUTORIAL / manifest
    if manifest == "vehicle-detector-configmap.yaml":
        # The tutorial renders this one from its inference script with a client-side dry run.
        rendered = kubectl(
            kubeconfig,
            "create",
            "configmap",
            "vehicle-detector-code",
            "-n",
            "edge-ai",
            f"--from-file=inference-app.py={TUTORIAL / 'inference-app.py'}",
            "--dry-run=client",
            "-o",
            "yaml",
        )
        path = tmp_path / manifest
        path.write_text(rendered.stdout)
    applied = kubectl(kubeconfig, "apply", "-f", str(path))
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.splitlines() == created
    assert "Warning" not in applied.stderr and "openapi" not in applied.stderr
    again = kubectl(kubeconfig, "apply", "-f", str(path))
    # The rendered ConfigMap carries `creationTimestamp: null`, so kubectl's patch is never empty and
    # it reports "configured" against any API server; the others are unchanged.
    unchanged = " configured" if manifest == "vehicle-detector-configmap.yaml" else " unchanged"
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [line.replace(" created", unchanged) for line in created]
