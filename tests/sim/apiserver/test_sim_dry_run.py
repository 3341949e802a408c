"""The simulator honours `dryRun=All` on create, update, patch, apply and delete: it answers as it
would, stores nothing and tells no watcher."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from kubernetes import client, dynamic
from kubernetes.client.exceptions import ApiException

from sugarlab.kube import simulator
from sugarlab.lab.cluster import Cluster
from sugarlab.lab.params import validate_parameters

NO_OPENAPI = ("--validate=false",)  # the simulator serves no OpenAPI document for kubectl's client-side checks
JOB = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "dry", "namespace": "default"},
    "spec": {
        "template": {
            "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox", "command": ["true"]}]}
        }
    },
}


def test_writes_with_dry_run_answer_and_store_nothing(sim: Cluster) -> None:
    core, batch = sim.core, client.BatchV1Api(sim.api)
    before = {n.metadata.name: n.metadata.resource_version for n in core.list_namespace().items}
    made = core.create_namespace({"metadata": {"name": "dry-ns"}}, dry_run="All")
    assert made.metadata.name == "dry-ns" and made.status.phase == "Active"
    job = batch.create_namespaced_job("default", JOB, dry_run="All")
    assert job.spec.completions == 1 and job.metadata.uid  # defaulted as a real create would be
    jobs = dynamic.DynamicClient(sim.api).resources.get(api_version="batch/v1", kind="Job")
    applied = jobs.server_side_apply(body=JOB, namespace="default", field_manager="t", dry_run="All")
    assert applied.metadata.name == "dry"
    with pytest.raises(ApiException) as missing:
        batch.read_namespaced_job("dry", "default")
    assert missing.value.status == 404
    assert "dry-ns" not in {n.metadata.name for n in core.list_namespace().items}

    node = core.list_node().items[0].metadata.name
    patched = core.patch_node(node, {"metadata": {"labels": {"dry": "yes"}}}, dry_run="All")
    assert patched.metadata.labels["dry"] == "yes" and "dry" not in (core.read_node(node).metadata.labels or {})
    pod = core.list_namespaced_pod("kube-system").items[0]
    core.delete_namespaced_pod(pod.metadata.name, "kube-system", dry_run="All")
    assert core.read_namespaced_pod(pod.metadata.name, "kube-system").metadata.deletion_timestamp is None
    assert {n.metadata.name: n.metadata.resource_version for n in core.list_namespace().items} == before

    with pytest.raises(ApiException) as refused:  # validation still runs
        core.create_namespaced_pod(
            "no-such-namespace",
            {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}},
            dry_run="All",
        )
    assert refused.value.status == 404


def test_any_other_dry_run_value_is_refused(sim: Cluster) -> None:
    with pytest.raises(ApiException) as refused:
        sim.core.create_namespace({"metadata": {"name": "x"}}, dry_run="Some")
    assert refused.value.status == 400 and 'supported values: \\"All\\"' in refused.value.body


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_dry_run_server_changes_nothing(tmp_path: Path) -> None:
    params = validate_parameters({"workspace": str(tmp_path), "speed": 120})
    try:
        kubeconfig = str(simulator.start(params))

        def kubectl(*args: str) -> str:
            return subprocess.run(
                ["kubectl", "--kubeconfig", kubeconfig, *args], capture_output=True, text=True, check=True, timeout=60
            ).stdout

        namespace, manifest = tmp_path / "ns.json", tmp_path / "job.json"
        namespace.write_text(json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dry-ns"}}))
        manifest.write_text(json.dumps(JOB))
        assert "namespace/dry-ns created (server dry run)" in kubectl(
            "create", "-f", str(namespace), "--dry-run=server", *NO_OPENAPI
        )
        assert "serverside-applied (server dry run)" in kubectl(
            "apply", "--server-side", "--dry-run=server", "-f", str(manifest), *NO_OPENAPI
        )
        kubectl("create", "namespace", "kept")
        assert "deleted (server dry run)" in kubectl("delete", "namespace", "kept", "--dry-run=server")
        assert "dry-ns" not in kubectl("get", "namespaces", "-o", "name")
        assert kubectl("get", "jobs", "-n", "default", "-o", "name") == ""
        assert "Active" in kubectl("get", "namespace", "kept", "-o", "jsonpath={.status.phase}")
    finally:
        simulator.stop(tmp_path)
