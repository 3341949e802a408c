"""`componentstatuses`, deprecated since v1.19 but still served (pkg/registry/core/componentstatus/rest.go):
probed when read, never stored. kube-apiserver probes the scheduler and the controller manager on
127.0.0.1 and each storage backend; on k3s all three run in the server process and the backend is kine,
so every one answers `ok` while the server does (`kubectl get cs` on v1.28+: scheduler, controller-manager
and etcd-0 Healthy with message `ok`, kubernetes/kubernetes#128594)."""

from __future__ import annotations

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.errors import ApiError

COMPONENTS = ("scheduler", "controller-manager", "etcd-0")
# What kube-apiserver says about any request to a deprecated API (k8s.io/apiserver pkg/endpoints/deprecation).
DEPRECATED = "v1 ComponentStatus is deprecated in v1.19+"


def component(name: str) -> Obj:
    if name not in COMPONENTS:  # rest.go answers with a plain error, hence a 500
        raise ApiError(500, "", f"Component not found: {name}")
    return {
        "kind": "ComponentStatus",
        "apiVersion": "v1",
        "metadata": {"name": name, "creationTimestamp": None},
        "conditions": [{"type": "Healthy", "status": "True", "message": "ok"}],
    }


def component_list() -> Obj:
    items = [{k: v for k, v in component(n).items() if k not in ("kind", "apiVersion")} for n in COMPONENTS]
    return {"kind": "ComponentStatusList", "apiVersion": "v1", "metadata": {}, "items": items}
