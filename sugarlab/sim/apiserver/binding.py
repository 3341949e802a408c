"""Binding a pod to a node, as the scheduler does through `pods/binding` or `POST .../bindings`
(BindingREST in pkg/registry/core/pod/storage/storage.go of kubernetes/kubernetes): the pod gets its
`spec.nodeName`, the binding's annotations and a PodScheduled condition; a pod already bound is a 409."""

from __future__ import annotations

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.storage.store import Store

SUCCESS = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def _problems(binding: Obj) -> list[str]:
    """ValidatePodBinding (pkg/apis/core/validation)."""
    target = binding.get("target") or {}
    problems = []
    if target.get("kind") and target["kind"] != "Node":
        problems.append(f'target.kind: Unsupported value: "{target["kind"]}": supported values: "Node", "<empty>"')
    if not target.get("name"):
        problems.append("target.name: Required value")
    return problems


def _scheduled(pod: Obj, now: str) -> None:
    """podutil.UpdatePodCondition with PodScheduled True: the transition time moves only if the status does."""
    conditions = pod.setdefault("status", {}).setdefault("conditions", [])
    current = next((c for c in conditions if c.get("type") == "PodScheduled"), None)
    if current is None:
        conditions.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": now})
    elif current.get("status") != "True":
        current.update(status="True", lastTransitionTime=now)
        current.pop("reason", None)
        current.pop("message", None)


def bind(store: Store, namespace: str, name: str, binding: Obj) -> Obj:
    """Bind pod `name` (the URL's, or the binding's own for POST .../bindings) as `binding` says."""
    meta = binding.get("metadata") or {}
    if meta.get("name", "") != name:
        raise ApiError.bad_request("name in URL does not match name in Binding object")
    problems = _problems(binding)
    if problems:  # returned as a plain error, which kube-apiserver answers with a 500 of unknown reason
        raise ApiError(500, "", "[" + ", ".join(problems) + "]" if len(problems) > 1 else problems[0])
    rt = store.kind("Pod")
    pod = store.get(rt, namespace, name)
    if pod["metadata"].get("deletionTimestamp"):
        raise ApiError(500, "", f"pod {name} is being deleted, cannot be assigned to a host")
    if meta.get("uid") and meta["uid"] != pod["metadata"]["uid"]:
        raise ApiError(
            500,
            "",
            f"Precondition failed: UID in precondition: {meta['uid']}, UID in object meta: {pod['metadata']['uid']}",
        )
    node = pod["spec"].get("nodeName")
    if node:
        raise ApiError.conflict("pods/binding", name, f'pod {name} is already assigned to node "{node}"')
    if pod["spec"].get("schedulingGates"):
        raise ApiError.conflict("pods/binding", name, f"pod {name} has non-empty .spec.schedulingGates")
    pod["spec"]["nodeName"] = binding["target"]["name"]
    if meta.get("annotations"):
        pod["metadata"]["annotations"] = (pod["metadata"].get("annotations") or {}) | meta["annotations"]
    _scheduled(pod, store.clock.stamp())
    store.replace(rt, pod)
    return dict(SUCCESS)
