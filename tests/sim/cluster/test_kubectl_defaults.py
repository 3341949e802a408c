"""What the API server adds to what a user writes, as `kubectl describe` shows it on k3s: a StorageClass's
binding mode and reclaim policy, a Service's IP families, a pod's service-account token volume (and what the
kubelet writes in it), each namespace's `kube-root-ca.crt`; and a cluster started by hand on real time."""

from __future__ import annotations

import base64
import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.sim.simcluster import apply, kubectl, kubectl_out, needs_kubectl, start, stop, wait_for

pytestmark = needs_kubectl
MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
needs_sandbox = pytest.mark.skipif(
    shutil.which("bwrap") is None or shutil.which("busybox") is None,
    reason="bubblewrap and busybox are not installed (`make system-packages`)",
)


def _pod(name: str, **spec: Any) -> dict[str, Any]:
    container = {"name": "c", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 3600"]}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [container], **spec}}


def test_describe_storageclass_shows_the_defaulted_binding_mode_and_reclaim_policy(kubeconfig: Path) -> None:
    apply(
        kubeconfig,
        {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "bare"}, "provisioner": "x"},
    )
    shown = kubectl_out(kubeconfig, "describe", "storageclass", "bare")
    assert re.search(r"^ReclaimPolicy:\s+Delete$", shown, re.M), shown
    assert re.search(r"^VolumeBindingMode:\s+Immediate$", shown, re.M), shown
    # a replace that leaves them out gets the same defaults, so it is no forbidden change
    manifest = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "bare"}}
    done = kubectl(kubeconfig, "replace", "-f", "-", stdin=json.dumps(manifest | {"provisioner": "x"}))
    assert done.returncode == 0, done.stderr


def _service(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def test_services_get_ip_families_as_on_a_single_stack_cluster(kubeconfig: Path) -> None:
    port = [{"port": 80}]
    apply(kubeconfig, _service("plain", selector={"app": "web"}, ports=port))
    apply(kubeconfig, _service("headless", clusterIP="None", selector={"app": "web"}, ports=port))
    apply(kubeconfig, _service("headless-bare", clusterIP="None", ports=port))
    apply(kubeconfig, _service("outside", type="ExternalName", externalName="example.com"))
    specs = {
        s["metadata"]["name"]: s["spec"]
        for s in json.loads(kubectl_out(kubeconfig, "get", "services", "-o", "json"))["items"]
    }
    assert (specs["plain"]["ipFamilies"], specs["plain"]["ipFamilyPolicy"]) == (["IPv4"], "SingleStack")
    assert specs["plain"]["internalTrafficPolicy"] == "Cluster"
    assert (specs["headless"]["ipFamilies"], specs["headless"]["ipFamilyPolicy"]) == (["IPv4"], "SingleStack")
    bare = specs["headless-bare"]
    assert (bare["ipFamilies"], bare["ipFamilyPolicy"]) == (["IPv4", "IPv6"], "RequireDualStack")
    assert "ipFamilies" not in specs["outside"] and "clusterIP" not in specs["outside"]
    shown = kubectl_out(kubeconfig, "describe", "service", "plain")
    assert re.search(r"^IP Family Policy:\s+SingleStack$", shown, re.M), shown
    assert re.search(r"^IP Families:\s+IPv4$", shown, re.M), shown
    # a replace without them keeps them, as the cluster IP
    before = specs["plain"]
    done = kubectl(
        kubeconfig, "replace", "-f", "-", stdin=json.dumps(_service("plain", selector={"a": "b"}, ports=port))
    )
    assert done.returncode == 0, done.stderr
    after = json.loads(kubectl_out(kubeconfig, "get", "service", "plain", "-o", "json"))["spec"]
    assert (after["clusterIP"], after["ipFamilies"], after["ipFamilyPolicy"]) == (
        before["clusterIP"],
        ["IPv4"],
        "SingleStack",
    )


def test_every_namespace_holds_the_root_ca_the_api_serves_with(kubeconfig: Path) -> None:
    kubectl_out(kubeconfig, "create", "namespace", "fresh")
    ca = wait_for(
        "kube-root-ca.crt in the new namespace",
        lambda: kubectl(kubeconfig, "get", "configmap", "kube-root-ca.crt", "-n", "fresh", "-o", "json").stdout,
    )
    served = yaml.safe_load(Path(kubeconfig).read_text())["clusters"][0]["cluster"]["certificate-authority-data"]
    assert json.loads(ca)["data"]["ca.crt"] == base64.b64decode(served).decode()
    kubectl_out(kubeconfig, "delete", "configmap", "kube-root-ca.crt", "-n", "fresh")
    wait_for(
        "kube-root-ca.crt put back",
        lambda: kubectl(kubeconfig, "get", "configmap", "kube-root-ca.crt", "-n", "fresh").returncode == 0,
    )


def test_a_pod_mounts_its_service_account_token_volume(kubeconfig: Path) -> None:
    init = {"name": "i", "image": "busybox:1.36", "command": ["true"]}
    apply(kubeconfig, _pod("tokened", initContainers=[init]))
    pod = json.loads(kubectl_out(kubeconfig, "get", "pod", "tokened", "-o", "json"))
    spec = pod["spec"]
    [volume] = [v for v in spec["volumes"] if v["name"].startswith("kube-api-access-")]
    assert re.fullmatch(r"kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}", volume["name"])
    assert volume["projected"] == {
        "defaultMode": 420,
        "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {
                "downwardAPI": {
                    "items": [
                        {"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}
                    ]
                }
            },
        ],
    }
    mount = {"name": volume["name"], "readOnly": True, "mountPath": MOUNT}
    assert spec["serviceAccountName"] == "default"
    assert [c["volumeMounts"] for c in spec["initContainers"] + spec["containers"]] == [[mount], [mount]]
    shown = kubectl_out(kubeconfig, "describe", "pod", "tokened")
    assert f"{MOUNT} from {volume['name']} (ro)" in shown
    assert "Type:                    Projected (a volume that contains injected data from multiple sources)" in shown
    assert "TokenExpirationSeconds:  3607" in shown


def test_the_token_is_left_out_when_the_pod_or_its_account_says_so_or_the_path_is_taken(kubeconfig: Path) -> None:
    apply(kubeconfig, _pod("opted-out", automountServiceAccountToken=False))
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "quiet"}}
    apply(kubeconfig, account | {"automountServiceAccountToken": False})
    apply(kubeconfig, _pod("quiet", serviceAccountName="quiet"))
    apply(kubeconfig, _pod("quiet-but-asks", serviceAccountName="quiet", automountServiceAccountToken=True))
    own = _pod("own", volumes=[{"name": "mine", "emptyDir": {}}])
    own["spec"]["containers"][0]["volumeMounts"] = [{"name": "mine", "mountPath": MOUNT}]
    apply(kubeconfig, own)

    def volumes(name: str) -> list[str]:
        spec = json.loads(kubectl_out(kubeconfig, "get", "pod", name, "-o", "json"))["spec"]
        return [v["name"] for v in spec.get("volumes") or []]

    assert volumes("opted-out") == volumes("quiet") == []
    assert [v[:16] for v in volumes("quiet-but-asks")] == ["kube-api-access-"]
    assert volumes("own") == ["mine"]
    missing = kubectl(kubeconfig, "apply", "-f", "-", stdin=json.dumps(_pod("nobody", serviceAccountName="nobody")))
    assert missing.returncode == 1
    assert (
        'pods "nobody" is forbidden: error looking up service account default/nobody: '
        'serviceaccount "nobody" not found' in missing.stderr
    )


def test_a_deployments_template_does_not_get_the_volume_and_apply_does_not_fight_it(kubeconfig: Path) -> None:
    labels = {"app": "tpl"}
    deployment: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "tpl"},
        "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": {}}},
    }
    deployment["spec"]["template"]["spec"] = _pod("x")["spec"]
    apply(kubeconfig, deployment)
    stored = json.loads(kubectl_out(kubeconfig, "get", "deployment", "tpl", "-o", "json"))
    assert "volumes" not in stored["spec"]["template"]["spec"]
    assert kubectl(kubeconfig, "diff", "-f", "-", stdin=json.dumps(deployment)).returncode == 0
    pods = wait_for(
        "the deployment's pod",
        lambda: json.loads(kubectl_out(kubeconfig, "get", "pods", "-l", "app=tpl", "-o", "json"))["items"],
    )
    assert any(v["name"].startswith("kube-api-access-") for v in pods[0]["spec"]["volumes"])
    dry = kubectl(kubeconfig, "apply", "--dry-run=server", "-o", "json", "-f", "-", stdin=json.dumps(_pod("dry")))
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["spec"]["volumes"][0]["name"].startswith("kube-api-access-")


@needs_sandbox
def test_the_kubelet_writes_the_token_the_ca_and_the_namespace(kubeconfig: Path) -> None:
    apply(kubeconfig, _pod("reader"))
    assert kubectl(kubeconfig, "wait", "--for=condition=Ready", "pod/reader", "--timeout=60s").returncode == 0
    listing = kubectl_out(kubeconfig, "exec", "reader", "--", "ls", MOUNT)
    assert listing.split() == ["ca.crt", "namespace", "token"]
    assert kubectl_out(kubeconfig, "exec", "reader", "--", "cat", f"{MOUNT}/namespace") == "default"
    ca = kubectl_out(kubeconfig, "exec", "reader", "--", "cat", f"{MOUNT}/ca.crt")
    assert ca.startswith("-----BEGIN CERTIFICATE-----")
    token = kubectl_out(kubeconfig, "exec", "reader", "--", "cat", f"{MOUNT}/token")
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["sub"] == "system:serviceaccount:default:default"
    assert claims["exp"] - claims["iat"] == 3607
    assert claims["kubernetes.io"]["pod"]["name"] == "reader"


def test_a_cluster_started_by_hand_keeps_real_time(tmp_path: Path) -> None:
    """Without `-p speed`, `sugarlab sim start` runs the cluster on real time from the start, so the ages
    kubectl computes itself (`describe` events) are true."""
    from tests.sim.simcluster import _sim

    code, out, err = _sim("start", "--workspace", str(tmp_path), "-p", "sim_workers", "1")
    assert code == 0, err
    config = Path(out.strip().splitlines()[-1])
    try:
        kubectl_out(config, "create", "configmap", "now")
        made = json.loads(kubectl_out(config, "get", "configmap", "now", "-o", "json"))["metadata"]
        created = datetime.fromisoformat(made["creationTimestamp"].replace("Z", "+00:00"))
        assert abs((datetime.now(UTC) - created).total_seconds()) < 30
    finally:
        stop(tmp_path)
    # restarted at the workbook's speed, its clock resumes where it stopped: no head start, no jump back
    config = start(tmp_path, workers=1)
    try:
        kubectl_out(config, "create", "configmap", "later")
        later = json.loads(kubectl_out(config, "get", "configmap", "later", "-o", "json"))["metadata"]
        assert later["creationTimestamp"] >= made["creationTimestamp"]
    finally:
        stop(tmp_path)
