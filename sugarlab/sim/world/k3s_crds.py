"""The CustomResourceDefinitions a k3s v1.33 server holds, and the HelmCharts it deploys traefik with.

- k3s's own (k3s-io/k3s pkg/crd/crds.go): `addons` and `etcdsnapshotfiles` in k3s.cattle.io/v1, with their
  printer columns;
- the helm-controller's (k3s-io/helm-controller v0.16.x, pkg/crds/yaml/generated, no short names before
  v0.17): `helmcharts` (status subresource, its printer columns) and `helmchartconfigs` in helm.cattle.io/v1;
- what the `traefik-crd` chart installs (traefik/traefik-helm-chart v34.2.0, `traefik/crds/`, the chart
  behind traefik 3.3.x): ten traefik.io/v1alpha1 kinds and eleven hub.traefik.io/v1alpha1 ones. The
  Gateway API CRDs in the same directory are not bundled before k3s v1.37 (k3s-io/k3s#14564), and the
  traefik.containo.us group went with traefik v3.

Their OpenAPI schemas are not reproduced: every version keeps unknown fields
(`x-kubernetes-preserve-unknown-fields`), so objects are stored as sent.
"""

from __future__ import annotations

from collections.abc import Callable

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.custom_resources import established_status

TRAEFIK_CHART = "34.2.1+up34.2.0"  # k3s v1.33's traefik chart, packaged by k3s-io/k3s-charts
# (name, type, jsonPath, priority) of each declared printer column
Column = tuple[str, str, str, int]
HELMCHART_COLUMNS: tuple[Column, ...] = (
    ("Repo", "string", ".spec.repo", 0),
    ("Chart", "string", ".spec.chart", 0),
    ("Version", "string", ".spec.version", 0),
    ("TargetNamespace", "string", ".spec.targetNamespace", 0),
    ("Bootstrap", "boolean", ".spec.bootstrap", 0),
    ("Failed", "string", ".status.conditions[?(@.type=='Failed')].status", 0),
    ("Job", "string", ".status.jobName", 10),
)
# (group, kind, plural, namespaced, printer columns, status subresource)
Definition = tuple[str, str, str, bool, tuple[Column, ...], bool]
K3S: tuple[Definition, ...] = (
    (
        "k3s.cattle.io",
        "Addon",
        "addons",
        True,
        (("Source", "string", ".spec.source", 0), ("Checksum", "string", ".spec.checksum", 0)),
        False,
    ),
    (
        "k3s.cattle.io",
        "ETCDSnapshotFile",
        "etcdsnapshotfiles",
        False,
        (
            ("SnapshotName", "string", ".spec.snapshotName", 0),
            ("Node", "string", ".spec.nodeName", 0),
            ("Location", "string", ".spec.location", 0),
            ("Size", "string", ".status.size", 0),
            ("CreationTime", "string", ".status.creationTime", 0),
        ),
        True,
    ),
    ("helm.cattle.io", "HelmChart", "helmcharts", True, HELMCHART_COLUMNS, True),
    ("helm.cattle.io", "HelmChartConfig", "helmchartconfigs", True, (), False),
)
TRAEFIK: tuple[Definition, ...] = (
    *(
        ("traefik.io", kind, f"{kind.lower()}s", True, (), False)
        for kind in (
            "IngressRoute",
            "IngressRouteTCP",
            "IngressRouteUDP",
            "Middleware",
            "MiddlewareTCP",
            "ServersTransport",
            "ServersTransportTCP",
            "TLSOption",
            "TLSStore",
            "TraefikService",
        )
    ),
    ("hub.traefik.io", "AccessControlPolicy", "accesscontrolpolicies", False, (), False),
    *(
        ("hub.traefik.io", kind, f"{kind.lower()}s", True, (), False)
        for kind in ("AIService", "APIBundle", "APICatalogItem", "APIPlan", "APIPortal", "APIRateLimit", "API")
    ),
    ("hub.traefik.io", "APIAccess", "apiaccesses", True, (), False),
    (
        "hub.traefik.io",
        "APIVersion",
        "apiversions",
        True,
        (("Title", "string", ".spec.title", 0), ("Release", "string", ".spec.release", 0)),
        False,
    ),
    ("hub.traefik.io", "ManagedSubscription", "managedsubscriptions", True, (), False),
)


def _crd(definition: Definition, meta: Obj, stamp: str) -> Obj:
    group, kind, plural, namespaced, columns, status = definition
    version: Obj = {
        "name": "v1alpha1" if "traefik" in group else "v1",
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
    }
    if columns:
        version["additionalPrinterColumns"] = [
            {"name": n, "type": t, "jsonPath": p, **({"priority": pr} if pr else {})} for n, t, p, pr in columns
        ]
    if status:
        version["subresources"] = {"status": {}}
    crd: Obj = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}", "creationTimestamp": stamp, **meta},
        "spec": {
            "group": group,
            "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()},
            "scope": "Namespaced" if namespaced else "Cluster",
            "versions": [version],
            "conversion": {"strategy": "None"},
        },
    }
    crd["status"] = established_status(crd, stamp)
    return crd


def _helm_chart(name: str, job: str, stamp: str, uid: str) -> Obj:
    return {
        "apiVersion": "helm.cattle.io/v1",
        "kind": "HelmChart",
        "metadata": {
            "name": name,
            "namespace": "kube-system",
            "uid": uid,
            "creationTimestamp": stamp,
            "finalizers": ["wrangler.cattle.io/on-helm-chart-remove"],  # the helm-controller's
        },
        # the chart is served by the k3s server itself; the helm-controller's Job fills in its address
        "spec": {"chart": f"https://%{{KUBERNETES_API}}%/static/charts/{name}-{TRAEFIK_CHART}.tgz"},
        "status": {
            "jobName": job,
            "conditions": [{"type": "JobCreated", "status": "True"}, {"type": "Failed", "status": "False"}],
        },
    }


def k3s_crds(stamp: Callable[[float], str], uid: Callable[[], str]) -> list[Obj]:
    """The CRDs (k3s's at boot, traefik's when its CRD chart's Job ran) and the two traefik HelmCharts,
    `stamp(s)` being the time `s` seconds after the server started; `uid` makes each object's uid."""

    helm_labels = {
        "labels": {"app.kubernetes.io/managed-by": "Helm"},
        "annotations": {"meta.helm.sh/release-name": "traefik-crd", "meta.helm.sh/release-namespace": "kube-system"},
    }
    objects = [_crd(d, {"uid": uid()}, stamp(2)) for d in K3S]
    objects += [_crd(d, {"uid": uid(), **helm_labels}, stamp(40)) for d in TRAEFIK]
    objects += [
        _helm_chart("traefik-crd", "helm-install-traefik-crd", stamp(20), uid()),
        _helm_chart("traefik", "helm-install-traefik", stamp(20), uid()),
    ]
    return objects
