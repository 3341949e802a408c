"""Deletion as the API server does it: some objects are only marked, and a controller finishes."""

from __future__ import annotations

from datetime import timedelta

from sugarlab.common.kubectl import format_time
from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.resources import ResourceType
from sugarlab.sim.storage.store import Store


def delete_object(store: Store, rt: ResourceType, namespace: str, name: str, grace: int | None = None) -> Obj:
    """A running pod gets a deletionTimestamp and its kubelet stops it; a namespace turns Terminating
    and the namespace controller empties it; anything else, or grace 0, goes at once."""
    obj = store.get(rt, namespace, name)
    now = store.clock.now()
    if "deletionTimestamp" in obj["metadata"] and grace != 0:
        return obj
    if (
        rt.kind == "Pod"
        and grace != 0
        and obj["spec"].get("nodeName")
        and obj.get("status", {}).get("phase") not in ("Succeeded", "Failed")
    ):
        seconds = obj["spec"].get("terminationGracePeriodSeconds", 30) if grace is None else grace

        def mark(pod: Obj) -> None:
            pod["metadata"]["deletionGracePeriodSeconds"] = seconds
            pod["metadata"]["deletionTimestamp"] = format_time(now + timedelta(seconds=seconds))

        return store.update(rt, namespace, name, mark)
    if rt.kind == "Namespace":

        def terminate(ns: Obj) -> None:
            ns["metadata"]["deletionTimestamp"] = format_time(now)
            ns.setdefault("status", {})["phase"] = "Terminating"

        return store.update(rt, namespace, name, terminate)
    return store.delete(rt, namespace, name)
