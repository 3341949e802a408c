"""Discovery as kubectl reads it: `kubectl api-resources` lists what a k3s v1.33 server lists for the
groups the simulator serves (names, short names, versions, scope, verbs, categories), short names
resolve, and `kubectl get all` walks the `all` category."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from kubernetes import config

from sugarlab.sim.apiserver.openapi import discovery
from tests.sim.simcluster import KUBECTL, needs_kubectl
from tests.sim.simcluster import kubectl_out as kubectl

pytestmark = needs_kubectl

# `kubectl api-resources` against k3s v1.33 (metrics-server on), for the groups served: NAME, SHORTNAMES,
# APIVERSION, NAMESPACED, KIND, k3s's CRDs and the traefik chart's included. Not served: the groups
# admissionregistration, authorization, certificates, events.k8s.io, flowcontrol, node.k8s.io,
# autoscaling/v1.
API_RESOURCES = """
bindings - v1 true Binding
componentstatuses cs v1 false ComponentStatus
configmaps cm v1 true ConfigMap
endpoints ep v1 true Endpoints
events ev v1 true Event
limitranges limits v1 true LimitRange
namespaces ns v1 false Namespace
nodes no v1 false Node
persistentvolumeclaims pvc v1 true PersistentVolumeClaim
persistentvolumes pv v1 false PersistentVolume
pods po v1 true Pod
podtemplates - v1 true PodTemplate
replicationcontrollers rc v1 true ReplicationController
resourcequotas quota v1 true ResourceQuota
secrets - v1 true Secret
serviceaccounts sa v1 true ServiceAccount
services svc v1 true Service
customresourcedefinitions crd,crds apiextensions.k8s.io/v1 false CustomResourceDefinition
apiservices - apiregistration.k8s.io/v1 false APIService
controllerrevisions - apps/v1 true ControllerRevision
daemonsets ds apps/v1 true DaemonSet
deployments deploy apps/v1 true Deployment
replicasets rs apps/v1 true ReplicaSet
statefulsets sts apps/v1 true StatefulSet
selfsubjectreviews - authentication.k8s.io/v1 false SelfSubjectReview
tokenreviews - authentication.k8s.io/v1 false TokenReview
horizontalpodautoscalers hpa autoscaling/v2 true HorizontalPodAutoscaler
cronjobs cj batch/v1 true CronJob
jobs - batch/v1 true Job
leases - coordination.k8s.io/v1 true Lease
endpointslices - discovery.k8s.io/v1 true EndpointSlice
helmchartconfigs - helm.cattle.io/v1 true HelmChartConfig
helmcharts - helm.cattle.io/v1 true HelmChart
accesscontrolpolicies - hub.traefik.io/v1alpha1 false AccessControlPolicy
aiservices - hub.traefik.io/v1alpha1 true AIService
apiaccesses - hub.traefik.io/v1alpha1 true APIAccess
apibundles - hub.traefik.io/v1alpha1 true APIBundle
apicatalogitems - hub.traefik.io/v1alpha1 true APICatalogItem
apiplans - hub.traefik.io/v1alpha1 true APIPlan
apiportals - hub.traefik.io/v1alpha1 true APIPortal
apiratelimits - hub.traefik.io/v1alpha1 true APIRateLimit
apis - hub.traefik.io/v1alpha1 true API
apiversions - hub.traefik.io/v1alpha1 true APIVersion
managedsubscriptions - hub.traefik.io/v1alpha1 true ManagedSubscription
addons - k3s.cattle.io/v1 true Addon
etcdsnapshotfiles - k3s.cattle.io/v1 false ETCDSnapshotFile
nodes - metrics.k8s.io/v1beta1 false NodeMetrics
pods - metrics.k8s.io/v1beta1 true PodMetrics
ingressclasses - networking.k8s.io/v1 false IngressClass
ingresses ing networking.k8s.io/v1 true Ingress
ipaddresses ip networking.k8s.io/v1 false IPAddress
networkpolicies netpol networking.k8s.io/v1 true NetworkPolicy
servicecidrs - networking.k8s.io/v1 false ServiceCIDR
poddisruptionbudgets pdb policy/v1 true PodDisruptionBudget
clusterrolebindings - rbac.authorization.k8s.io/v1 false ClusterRoleBinding
clusterroles - rbac.authorization.k8s.io/v1 false ClusterRole
rolebindings - rbac.authorization.k8s.io/v1 true RoleBinding
roles - rbac.authorization.k8s.io/v1 true Role
priorityclasses pc scheduling.k8s.io/v1 false PriorityClass
csidrivers - storage.k8s.io/v1 false CSIDriver
csinodes - storage.k8s.io/v1 false CSINode
csistoragecapacities - storage.k8s.io/v1 true CSIStorageCapacity
storageclasses sc storage.k8s.io/v1 false StorageClass
volumeattachments - storage.k8s.io/v1 false VolumeAttachment
ingressroutes - traefik.io/v1alpha1 true IngressRoute
ingressroutetcps - traefik.io/v1alpha1 true IngressRouteTCP
ingressrouteudps - traefik.io/v1alpha1 true IngressRouteUDP
middlewares - traefik.io/v1alpha1 true Middleware
middlewaretcps - traefik.io/v1alpha1 true MiddlewareTCP
serverstransports - traefik.io/v1alpha1 true ServersTransport
serverstransporttcps - traefik.io/v1alpha1 true ServersTransportTCP
tlsoptions - traefik.io/v1alpha1 true TLSOption
tlsstores - traefik.io/v1alpha1 true TLSStore
traefikservices - traefik.io/v1alpha1 true TraefikService
"""
ALL_VERBS = "create,delete,deletecollection,get,list,patch,update,watch"
CATEGORY_ALL = {
    "pods",
    "services",
    "replicationcontrollers",
    "daemonsets",
    "deployments",
    "replicasets",
    "statefulsets",
    "horizontalpodautoscalers",
    "cronjobs",
    "jobs",
}


@pytest.fixture(scope="module")
def kubeconfig(kubeconfig: Path) -> str:
    """The module's simulator (tests/sim/conftest.py), its kubeconfig as the string these tests pass around."""
    return str(kubeconfig)


def wide_rows(text: str) -> dict[tuple[str, str], dict[str, str]]:
    header, *lines = text.rstrip("\n").splitlines()
    names = re.split(r"\s{2,}", header.strip())
    starts = [header.index(name) for name in names]
    table = [
        {n: line[a:b].strip() for n, a, b in zip(names, starts, [*starts[1:], None], strict=True)} for line in lines
    ]
    return {(r["NAME"], r["APIVERSION"]): r for r in table}


def test_api_resources_lists_what_k3s_lists(kubeconfig: str) -> None:
    listed = [line.split() for line in kubectl(kubeconfig, "api-resources", "--no-headers").splitlines()]
    rows = [r if len(r) == 5 else [r[0], "-", *r[1:]] for r in listed]
    assert rows == [line.split() for line in API_RESOURCES.strip().splitlines()]


def test_verbs_and_categories_are_kube_apiservers(kubeconfig: str) -> None:
    table = wide_rows(kubectl(kubeconfig, "api-resources", "-o", "wide"))
    assert table[("namespaces", "v1")]["VERBS"] == "create,delete,get,list,patch,update,watch"
    assert table[("services", "v1")]["VERBS"] == "create,delete,get,list,patch,update,watch"
    assert table[("nodes", "metrics.k8s.io/v1beta1")]["VERBS"] == "get,list"
    assert table[("componentstatuses", "v1")]["VERBS"] == "get,list"
    for key in [("bindings", "v1"), ("tokenreviews", "authentication.k8s.io/v1")]:
        assert table[key]["VERBS"] == "create"
    assert table[("helmcharts", "helm.cattle.io/v1")]["VERBS"] == ALL_VERBS
    for key in [
        ("secrets", "v1"),
        ("leases", "coordination.k8s.io/v1"),
        ("roles", "rbac.authorization.k8s.io/v1"),
        ("cronjobs", "batch/v1"),
        ("endpointslices", "discovery.k8s.io/v1"),
    ]:
        assert table[key]["VERBS"] == ALL_VERBS
    assert {name for (name, _), r in table.items() if r["CATEGORIES"] == "all"} == CATEGORY_ALL
    assert {name for (name, _), r in table.items() if r["CATEGORIES"] == "api-extensions"} == {
        "customresourcedefinitions",
        "apiservices",
    }


@pytest.mark.parametrize(
    "short",
    [
        "po",
        "svc",
        "deploy",
        "sts",
        "pvc",
        "pv",
        "sc",
        "pdb",
        "cj",
        "rc",
        "sa",
        "ep",
        "ns",
        "no",
        "cm",
        "ev",
        "ds",
        "rs",
        "ing",
        "netpol",
        "quota",
        "limits",
        "pc",
        "crd",
        "crds",
        "hpa",
        "ip",
        "cs",
    ],
)
def test_short_names_resolve(kubeconfig: str, short: str) -> None:
    kubectl(kubeconfig, "get", short, "-A")


def test_get_all_walks_the_all_category(kubeconfig: str) -> None:
    kubectl(
        kubeconfig,
        "create",
        "--validate=false",
        "-f",
        "-",
        stdin=json.dumps(
            {
                "apiVersion": "v1",
                "kind": "List",
                "items": [
                    {
                        "apiVersion": "batch/v1",
                        "kind": "CronJob",
                        "metadata": {"name": "nightly", "namespace": "default"},
                        "spec": {
                            "schedule": "0 3 * * *",
                            "jobTemplate": {
                                "spec": {
                                    "template": {
                                        "spec": {
                                            "restartPolicy": "Never",
                                            "containers": [{"name": "c", "image": "busybox:1.36"}],
                                        }
                                    }
                                }
                            },
                        },
                    },
                    {
                        "apiVersion": "v1",
                        "kind": "ReplicationController",
                        "metadata": {"name": "legacy", "namespace": "default"},
                        "spec": {
                            "replicas": 0,
                            "template": {
                                "metadata": {"labels": {"app": "legacy"}},
                                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
                            },
                        },
                    },
                ],
            }
        ),
    )
    text = kubectl(kubeconfig, "get", "all", "-A")
    names = {line.split()[1].split("/")[0] for line in text.splitlines() if line and not line.startswith("NAMESPACE")}
    assert names == {
        "pod",
        "service",
        "daemonset.apps",
        "deployment.apps",
        "replicaset.apps",
        "job.batch",
        "cronjob.batch",
        "replicationcontroller",
    }
    assert re.search(
        r"^default\s+service/kubernetes\s+ClusterIP\s+10\.43\.0\.1\s+<none>\s+443/TCP\s", text, re.MULTILINE
    )
    assert re.search(
        r"^default\s+cronjob\.batch/nightly\s+0 3 \* \* \*\s+<none>\s+False\s+0\s+<none>\s", text, re.MULTILINE
    )


def test_aggregated_discovery_is_served_to_clients_that_ask(kubeconfig: str) -> None:
    api = config.new_client_from_config(config_file=kubeconfig)
    method, url, headers, body, _ = api.param_serialize(
        "GET",
        "/apis",
        auth_settings=["BearerToken"],
        header_params={"Accept": f"{discovery.MEDIA_TYPE},application/json"},
    )
    answer = api.call_api(method, url, headers, body)
    assert answer.getheader("content-type") == discovery.MEDIA_TYPE
    document = json.loads(answer.read())
    apps = next(g for g in document["items"] if g["metadata"]["name"] == "apps")
    (v1,) = apps["versions"]
    deployments = next(r for r in v1["resources"] if r["resource"] == "deployments")
    assert deployments["scope"] == "Namespaced" and deployments["shortNames"] == ["deploy"]
    assert deployments["categories"] == ["all"] and deployments["verbs"] == ALL_VERBS.split(",")
    assert {s["subresource"]: s["responseKind"]["kind"] for s in deployments["subresources"]} == {
        "status": "Deployment",
        "scale": "Scale",
    }
    method, url, headers, body, _ = api.param_serialize(
        "GET", "/apis", auth_settings=["BearerToken"], header_params={"Accept": "application/json"}
    )
    assert json.loads(api.call_api(method, url, headers, body).read())["kind"] == "APIGroupList"
    trace = subprocess.run(
        [
            str(KUBECTL),
            "--kubeconfig",
            kubeconfig,
            "--cache-dir",
            str(Path(kubeconfig).parent / "cache"),
            "get",
            "pods",
            "-v=6",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    assert re.findall(r'verb="GET" url="[^"]*?(/apis?|/apis?/[^"?]*)\?timeout', trace) == ["/api", "/apis"]
