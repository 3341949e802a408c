"""`?dryRun=All` on writes: the request is validated and answered as it would be, and nothing is stored.

kube-apiserver runs a dry-run request through every stage (defaulting, validation, admission) and
skips only the write to etcd; the one value it accepts is `All`
(https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run). Here the same handlers run
against a view of the store whose writes answer without storing or notifying watchers.
"""

from __future__ import annotations

import copy
import json
from typing import Any, TypeVar

from starlette.requests import Request

from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.resources import ResourceType
from sugarlab.sim.storage.store import Store

WRITES = ("POST", "PUT", "PATCH", "DELETE")
T = TypeVar("T")


async def requested(request: Request) -> bool:
    """Whether a write asks for a dry run, in its query or, for a delete, in its `DeleteOptions` body
    (where kubectl puts it); a value other than `All` is refused as the apiserver does."""
    if request.method not in WRITES:
        return False
    values = request.query_params.getlist("dryRun")
    if not values and request.method == "DELETE":
        try:
            options = json.loads(await request.body() or b"{}")  # Starlette keeps the body for the handler
        except json.JSONDecodeError:
            options = {}
        values = list(options.get("dryRun") or []) if isinstance(options, dict) else []
    if not values:
        return False
    if values != ["All"]:
        raise ApiError(400, "BadRequest", f'dryRun: Unsupported value: "{values[0]}": supported values: "All"')
    return True


class DryRunStore(Store):
    """The real store's objects, read as they are; writes return what they would store."""

    def __init__(self, real: Store) -> None:  # shares the real store's state, never assigns into it
        self.__dict__.update(real.__dict__)

    def _write(self, kind: str, rt: ResourceType, key: str, obj: dict[str, Any]) -> dict[str, Any]:
        obj["metadata"]["resourceVersion"] = str(self.resource_version)
        return copy.deepcopy(obj)

    def delete(self, rt: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        return self.get(rt, namespace, name)


def view(server: T) -> T:
    """The API server `server` as one request's dry run sees it."""
    dry = copy.copy(server)
    dry.store = DryRunStore(server.store)  # type: ignore[attr-defined]
    return dry
