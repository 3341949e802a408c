"""Defaulting and validation of the apps/v1 kinds (pkg/apis/apps/v1/defaults.go SetDefaults_Deployment,
SetDefaults_StatefulSet, SetDefaults_DaemonSet, and the selector checks of pkg/apis/apps/validation)."""

from __future__ import annotations

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.errors import ApiError


def default_deployment(deployment: Obj) -> None:
    spec = deployment.setdefault("spec", {})
    name = deployment["metadata"].get("name", "")
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not selector or any(labels.get(k) != v for k, v in selector.items()):
        raise ApiError.invalid(
            "Deployment",
            name,
            [("spec.template.metadata.labels", "Invalid value: `selector` does not match template `labels`")],
            "apps",
        )
    default_deployment_spec(deployment)
    deployment["status"] = {}


def default_deployment_spec(deployment: Obj) -> None:
    """SetDefaults_Deployment (pkg/apis/apps/v1/defaults.go), applied on every write as the API server decodes
    each one: a patch that removes `replicas` leaves 1."""
    spec = deployment.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    spec.setdefault(
        "strategy", {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    )


def default_statefulset(sts: Obj) -> None:
    spec = sts.setdefault("spec", {})
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not selector or any(labels.get(k) != v for k, v in selector.items()):
        raise ApiError.invalid(
            "StatefulSet",
            sts["metadata"].get("name", ""),
            [("spec.template.metadata.labels", "Invalid value: `selector` does not match template `labels`")],
            "apps",
        )
    default_statefulset_spec(sts)
    sts["status"] = {"replicas": 0, "availableReplicas": 0}


def default_statefulset_spec(sts: Obj) -> None:
    """SetDefaults_StatefulSet (pkg/apis/apps/v1/defaults.go), applied on every write like the Deployment's."""
    spec = sts.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    spec.setdefault("updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})


def default_daemonset(daemonset: Obj) -> None:
    """SetDefaults_DaemonSet (pkg/apis/apps/v1/defaults.go): RollingUpdate with maxUnavailable 1, maxSurge 0."""
    spec = daemonset.setdefault("spec", {})
    strategy = spec.setdefault("updateStrategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        strategy.setdefault("rollingUpdate", {}).setdefault("maxUnavailable", 1)
        strategy["rollingUpdate"].setdefault("maxSurge", 0)
    spec.setdefault("revisionHistoryLimit", 10)
