"""Recording core/v1 Events, as the kubelet, scheduler and controllers do."""

from __future__ import annotations

import contextlib
import uuid

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.storage.store import Store


def record(
    store: Store, obj: Obj, reason: str, message: str, component: str, *, warning: bool = False, host: str = ""
) -> None:
    """Best effort, as client-go's event recorder: an event that cannot be stored (its namespace is
    being deleted) is dropped rather than failing the controller that reports it."""
    meta = obj["metadata"]
    now = store.clock.stamp()
    with contextlib.suppress(ApiError):
        store.create(
            store.kind("Event"),
            {
                "metadata": {
                    "name": f"{meta['name']}.{uuid.uuid4().hex[:16]}",
                    "namespace": meta.get("namespace") or "default",
                },
                "involvedObject": {
                    "kind": obj["kind"],
                    "namespace": meta.get("namespace", ""),
                    "name": meta["name"],
                    "uid": meta.get("uid", ""),
                    "apiVersion": obj["apiVersion"],
                    "resourceVersion": meta.get("resourceVersion", ""),
                },
                "reason": reason,
                "message": message,
                "source": {"component": component, **({"host": host} if host else {})},
                "firstTimestamp": now,
                "lastTimestamp": now,
                "count": 1,
                "type": "Warning" if warning else "Normal",
                "eventTime": None,
                "reportingComponent": component,
                "reportingInstance": host,
            },
        )
