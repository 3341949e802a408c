"""The manifests the lab applies, built from parameters alone: no cluster is needed to check them."""

from __future__ import annotations

from sugarlab.lab.params import LabParams, validate_parameters
from sugarlab.payloads.edge_ai import DEFAULT_MODEL_URL
from sugarlab.steps import edge_ai, workload
from sugarlab.steps.operations import fio_bench
from sugarlab.steps.storage import nfs_class, writer


def test_inference_manifests_carry_probes_resources_toleration_and_the_source() -> None:
    deployment, service = edge_ai.deployment_manifests(LabParams(), edge_ai.Tuning())
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"] == {
        "requests": {"cpu": "500m", "memory": "512Mi"},
        "limits": {"cpu": "2", "memory": "1536Mi"},
    }
    assert {e["name"]: e["value"] for e in container["env"]}["HOST"] == "0.0.0.0"
    env = {e["name"]: e["value"] for e in container["env"]}
    assert "MODEL_URL" not in env and env["OFFLINE_MODEL"] == "efficientnet-lite0"  # trained, offline
    resnet = edge_ai.deployment_manifests(LabParams(), edge_ai.Tuning(), "resnet50")[0]["spec"]["template"]["spec"]
    assert {"name": "OFFLINE_MODEL", "value": "resnet50"} in resnet["containers"][0]["env"]
    assert pod["tolerations"][0]["key"] == "sugarkube.io/role"
    assert service["spec"]["ports"] == [{"port": 9000, "targetPort": 9000}]
    configmap = edge_ai.source_configmap()
    mounted = {i["key"]: i["path"] for i in pod["volumes"][0]["configMap"]["items"]}
    assert set(mounted) == set(configmap["data"])
    assert mounted["sugarlab.payloads.edge_ai.app.py"] == "sugarlab/payloads/edge_ai/app.py"


def test_pinned_cpus_make_guaranteed_pods_and_live_downloads_the_tutorials_model() -> None:
    live = validate_parameters({"backend": "live", "edge_pin_cpus": True})
    container = edge_ai.deployment_manifests(live, edge_ai.Tuning(cpu_limit="1"))[0]["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert container["resources"]["requests"] == container["resources"]["limits"] == {"cpu": "1", "memory": "1536Mi"}
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["MODEL_URL"].endswith("resnet50-v2-7.onnx") and env["MODEL_PATH"].startswith("/models/")
    assert "OFFLINE_MODEL" not in env  # no URL publishes the EfficientNet-Lite0 graph


def test_the_model_is_kept_on_the_node_under_a_name_of_its_url() -> None:
    params = validate_parameters({"backend": "live"})
    spec = edge_ai.deployment_manifests(params, edge_ai.Tuning())[0]["spec"]["template"]["spec"]
    models = next(v for v in spec["volumes"] if v["name"] == "models")
    assert models == {"name": "models", "hostPath": {"path": "/var/lib/sugarlab/models", "type": "DirectoryOrCreate"}}
    other = edge_ai.cached_model_name("https://example.org/b/resnet50-v2-7.onnx")
    default = edge_ai.cached_model_name(DEFAULT_MODEL_URL)
    assert default.endswith("-resnet50-v2-7.onnx") and other.endswith("-resnet50-v2-7.onnx") and other != default
    env = {e["name"]: e["value"] for e in spec["containers"][0]["env"]}
    assert env["MODEL_PATH"] == f"/models/{default}"


def test_the_stress_job_tolerates_the_worker_taint_unless_told_not_to() -> None:
    spec = workload.job_manifest(LabParams())["spec"]
    assert spec["parallelism"] == spec["completions"] == 4
    assert spec["template"]["spec"]["tolerations"] == [
        {"key": "sugarkube.io/role", "operator": "Equal", "value": "worker", "effect": "NoSchedule"}
    ]
    assert spec["template"]["spec"]["containers"][0]["args"][-2:] == ["--timeout", "5m"]
    strict = validate_parameters({"tolerate_worker_taint": False})
    assert "tolerations" not in workload.job_manifest(strict)["spec"]["template"]["spec"]


def test_a_fio_job_is_pinned_to_its_node_and_tolerates_its_taints() -> None:
    node = {
        "metadata": {"name": "worker-a", "labels": {"kubernetes.io/hostname": "worker-a"}},
        "spec": {
            "taints": [
                {"key": "sugarkube.io/role", "value": "edge", "effect": "NoSchedule"},
                {"key": "node.kubernetes.io/disk-pressure", "effect": "NoSchedule"},
            ]
        },
    }
    params = validate_parameters({"worker_taint": "sugarkube.io/role=edge:NoSchedule", "fio_volume": "hostPath"})
    job = fio_bench.job_manifest(params, node)
    pod = job["spec"]["template"]["spec"]
    (term,) = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term["matchExpressions"] == [{"key": "kubernetes.io/hostname", "operator": "In", "values": ["worker-a"]}]
    assert [t["key"] for t in pod["tolerations"]] == ["sugarkube.io/role", "node.kubernetes.io/disk-pressure"]
    assert pod["volumes"] == [
        {"name": "data", "hostPath": {"path": "/var/lib/sugarlab/fio", "type": "DirectoryOrCreate"}}
    ]
    assert job["spec"]["backoffLimit"] == 0 and "--iodepth=32" in pod["containers"][0]["command"]


def test_the_sqlite_writer_stays_off_the_controller_and_leaves_a_lost_node_after_eviction_seconds() -> None:
    service, statefulset = writer.manifests(validate_parameters({"eviction_seconds": 12}))
    assert service["spec"]["clusterIP"] == "None"
    pod = statefulset["spec"]["template"]["spec"]
    assert pod["tolerations"][0] == {
        "key": "sugarkube.io/role",
        "operator": "Equal",
        "value": "worker",
        "effect": "NoSchedule",
    }
    assert {t["key"]: t["tolerationSeconds"] for t in pod["tolerations"][1:]} == {
        "node.kubernetes.io/unreachable": 12,
        "node.kubernetes.io/not-ready": 12,
    }
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"] and claim["spec"]["storageClassName"] == "nfs-shared"
    local = writer.manifests(validate_parameters({"storage_class": "local-path", "tolerate_worker_taint": False}))[1]
    assert local["spec"]["volumeClaimTemplates"][0]["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert [t["key"] for t in local["spec"]["template"]["spec"]["tolerations"]] == [
        "node.kubernetes.io/unreachable",
        "node.kubernetes.io/not-ready",
    ]


def test_the_nfs_class_speaks_csi_driver_nfs_terms() -> None:
    csi = nfs_class.Provisioner("csi-driver-nfs", "nfs.csi.k8s.io", "kube-system", "csi-nfs-controller-0", True)
    sc = nfs_class.manifest(validate_parameters({"nfs_mount_options": ["nfsvers=4.1", "hard"]}), csi)
    assert sc["provisioner"] == "nfs.csi.k8s.io" and sc["reclaimPolicy"] == "Retain"
    assert sc["parameters"] == {"server": "192.168.42.50", "share": "/export/sugarkube"}
    assert sc["mountOptions"] == ["nfsvers=4.1", "hard"]
