"""What a k3s server answers beyond its stored built-in kinds, driven with the real kubectl and the official
client: `kubectl get cs` with the deprecation warning, pods bound through `bindings` and `pods/binding` as the
scheduler binds them, TokenReviews and `kubectl auth whoami`, k3s's CRDs and the traefik HelmCharts, and
custom resources served, printed and cleaned up from their definitions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from tests.sim.simcluster import kubectl, kubectl_out, needs_kubectl, wait_for

pytestmark = needs_kubectl


def _token(kubeconfig: Path) -> str:
    token: str = yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]["token"]
    return token


def test_get_cs_answers_three_healthy_components_with_the_deprecation_warning(kubeconfig: Path) -> None:
    done = kubectl(kubeconfig, "get", "cs")
    assert done.returncode == 0, done.stderr
    assert "Warning: v1 ComponentStatus is deprecated in v1.19+" in done.stderr
    rows = [line.split() for line in done.stdout.splitlines()]
    assert rows[0] == ["NAME", "STATUS", "MESSAGE", "ERROR"]
    assert sorted(rows[1:]) == [
        ["controller-manager", "Healthy", "ok"],
        ["etcd-0", "Healthy", "ok"],
        ["scheduler", "Healthy", "ok"],
    ]
    one = json.loads(kubectl_out(kubeconfig, "get", "componentstatus", "etcd-0", "-o", "json"))
    assert one["conditions"] == [{"type": "Healthy", "status": "True", "message": "ok"}]
    refused = kubectl(kubeconfig, "delete", "cs", "etcd-0")
    assert refused.returncode != 0
    assert "(MethodNotAllowed): the server does not allow this method on the requested resource" in refused.stderr


def _unscheduled_pod(kubeconfig: Path, name: str) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "schedulerName": "my-scheduler",  # no scheduler of that name runs: only a binding places it
            "tolerations": [{"operator": "Exists"}],
            "containers": [{"name": "c", "image": "busybox:1.36", "command": ["sleep", "3600"]}],
        },
    }
    kubectl_out(kubeconfig, "create", "-f", "-", stdin=json.dumps(pod))


def test_a_binding_places_a_pod_once(kubeconfig: Path) -> None:
    _unscheduled_pod(kubeconfig, "bound-by-hand")
    binding = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": "bound-by-hand", "namespace": "default"},
        "target": {"apiVersion": "v1", "kind": "Node", "name": "sugarkube1"},
    }
    kubectl_out(kubeconfig, "create", "-f", "-", stdin=json.dumps(binding))
    pod = json.loads(kubectl_out(kubeconfig, "get", "pod", "bound-by-hand", "-o", "json"))
    assert pod["spec"]["nodeName"] == "sugarkube1"
    assert {"type": "PodScheduled", "status": "True"}.items() <= next(
        c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled"
    ).items()
    again = kubectl(kubeconfig, "create", "-f", "-", stdin=json.dumps(binding | {"target": {"name": "sugarkube2"}}))
    assert again.returncode != 0
    assert (
        'Operation cannot be fulfilled on pods/binding "bound-by-hand": pod bound-by-hand is already assigned to node "sugarkube1"'
        in again.stderr
    )
    wait_for(
        "the bound pod to run",
        lambda: kubectl_out(kubeconfig, "get", "pod", "bound-by-hand", "-o", "jsonpath={.status.phase}") == "Running",
    )


def test_the_official_client_binds_through_the_pod_subresource(kubeconfig: Path) -> None:
    _unscheduled_pod(kubeconfig, "bound-by-client")
    api = client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    body = client.V1Binding(
        metadata=client.V1ObjectMeta(name="bound-by-client"), target=client.V1ObjectReference(name="sugarkube2")
    )
    # the generated client cannot read the Status the server answers as a V1Binding, so ask for it raw
    answer = api.create_namespaced_pod_binding("bound-by-client", "default", body, _preload_content=False)
    assert json.loads(answer.data)["status"] == "Success"
    assert api.read_namespaced_pod("bound-by-client", "default").spec.node_name == "sugarkube2"
    with pytest.raises(ApiException) as missing:
        api.create_namespaced_pod_binding(
            "no-such-pod",
            "default",
            client.V1Binding(
                metadata=client.V1ObjectMeta(name="no-such-pod"), target=client.V1ObjectReference(name="sugarkube2")
            ),
            _preload_content=False,
        )
    assert missing.value.status == 404


def test_a_token_review_tells_the_simulators_token_from_another(kubeconfig: Path) -> None:
    def review(token: str) -> dict[str, object]:
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}}
        answer: dict[str, object] = json.loads(
            kubectl_out(kubeconfig, "create", "-f", "-", "-o", "json", stdin=json.dumps(body))
        )["status"]
        return answer

    assert review(_token(kubeconfig)) == {
        "authenticated": True,
        "user": {"username": "system:admin", "groups": ["system:masters", "system:authenticated"]},
        "audiences": ["https://kubernetes.default.svc.cluster.local", "k3s"],
    }
    assert review("not-the-token") == {"user": {}}
    whoami = kubectl_out(kubeconfig, "auth", "whoami")
    assert re.search(r"^Username\s+system:admin$", whoami, re.MULTILINE)


def test_k3s_crds_and_the_traefik_helm_charts_are_there(kubeconfig: Path) -> None:
    crds = kubectl_out(kubeconfig, "get", "crd", "-o", "name").split()
    assert len(crds) == 25
    assert "customresourcedefinition.apiextensions.k8s.io/helmcharts.helm.cattle.io" in crds
    assert "customresourcedefinition.apiextensions.k8s.io/ingressroutes.traefik.io" in crds
    lines = kubectl_out(kubeconfig, "get", "helmcharts", "-A").splitlines()
    assert lines[0].split() == [
        "NAMESPACE",
        "NAME",
        "REPO",
        "CHART",
        "VERSION",
        "TARGETNAMESPACE",
        "BOOTSTRAP",
        "FAILED",
    ]
    assert [line.split()[:2] for line in lines[1:]] == [["kube-system", "traefik"], ["kube-system", "traefik-crd"]]
    assert lines[1].split()[2].endswith("/static/charts/traefik-34.2.1+up34.2.0.tgz")
    wide = kubectl_out(kubeconfig, "get", "helmcharts", "-n", "kube-system", "-o", "wide").splitlines()
    assert wide[0].split()[-1] == "JOB" and wide[1].split()[-1] == "helm-install-traefik"


INGRESS_ROUTE = {
    "apiVersion": "traefik.io/v1alpha1",
    "kind": "IngressRoute",
    "metadata": {"name": "whoami", "namespace": "default"},
    "spec": {
        "entryPoints": ["web"],
        "routes": [{"match": "Host(`whoami.lan`)", "kind": "Rule", "services": [{"name": "whoami", "port": 80}]}],
    },
}


def test_custom_resources_are_stored_listed_and_printed(kubeconfig: Path) -> None:
    kubectl_out(kubeconfig, "apply", "-f", "-", stdin=json.dumps(INGRESS_ROUTE))
    lines = kubectl_out(kubeconfig, "get", "ingressroutes").splitlines()
    assert lines[0].split() == ["NAME", "AGE"] and lines[1].split()[0] == "whoami"
    api = client.CustomObjectsApi(config.new_client_from_config(config_file=str(kubeconfig)))
    listed = api.list_namespaced_custom_object("traefik.io", "v1alpha1", "default", "ingressroutes")
    (item,) = listed["items"]
    assert item["spec"] == INGRESS_ROUTE["spec"] and item["metadata"]["generation"] == 1
    api.patch_namespaced_custom_object(
        "traefik.io", "v1alpha1", "default", "ingressroutes", "whoami", {"spec": {"entryPoints": ["websecure"]}}
    )
    assert (
        api.get_namespaced_custom_object("traefik.io", "v1alpha1", "default", "ingressroutes", "whoami")["metadata"][
            "generation"
        ]
        == 2
    )


def test_a_new_crd_is_served_at_once_and_its_deletion_takes_its_objects(kubeconfig: Path) -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Cluster",
            "names": {"kind": "Widget", "plural": "widgets", "shortNames": ["wd"], "categories": ["all"]},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                    "additionalPrinterColumns": [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"}],
                }
            ],
        },
    }
    kubectl_out(kubeconfig, "apply", "-f", "-", stdin=json.dumps(crd))
    established = kubectl_out(
        kubeconfig,
        "get",
        "crd",
        "widgets.example.com",
        "-o",
        "jsonpath={.status.conditions[?(@.type=='Established')].status}",
    )
    assert established == "True"
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": {"size": 3}}
    kubectl_out(kubeconfig, "create", "-f", "-", stdin=json.dumps(widget))
    assert kubectl_out(kubeconfig, "get", "wd").splitlines()[1].split() == ["w1", "3"]
    assert "widget.example.com/w1" in kubectl_out(kubeconfig, "get", "all", "-o", "name").split()
    misnamed = kubectl(
        kubeconfig, "create", "-f", "-", stdin=json.dumps(crd | {"metadata": {"name": "gadgets.example.com"}})
    )
    assert (
        'metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group'
        in misnamed.stderr
    )
    kubectl_out(kubeconfig, "delete", "crd", "widgets.example.com")
    gone = kubectl(kubeconfig, "get", "widgets.example.com")
    assert gone.returncode != 0
    kubectl_out(kubeconfig, "apply", "-f", "-", stdin=json.dumps(crd))
    assert kubectl_out(kubeconfig, "get", "widgets", "-o", "name") == ""
    kubectl_out(kubeconfig, "delete", "crd", "widgets.example.com")
