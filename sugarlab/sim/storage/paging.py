"""List `limit` and `continue`, as kube-apiserver pages a list out of etcd.

Items come in etcd's key order (`<namespace>/<name>` under the resource's prefix). A page that
leaves items behind carries an opaque continue token, base64url of
`{"v":"meta.k8s.io/v1","rv":<list resourceVersion>,"start":"<last key>\\x00"}`
(k8s.io/apiserver/pkg/storage/continue.go), and `remainingItemCount` when no selector filtered the
list. Every page of one list shows the cluster as it was at the first page's resourceVersion,
rebuilt from the store's history; once that history no longer reaches back so far (etcd has
compacted it, on a real cluster), the next page is refused with 410 Expired and a token that
continues at the latest state instead (etcd3 store's handleCompactedErrorForPaging). The same history
serves `resourceVersionMatch=Exact`.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.resources import ResourceType
from sugarlab.sim.storage import list_options
from sugarlab.sim.storage.store import Store

INCONSISTENT_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the remainder of the "
    "results. Continuing with the provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may show up in the list."
)
LATEST = -1  # a token's rv that continues at the latest state


class ExpiredContinue(ApiError):
    """410 Expired whose `Status` carries a token that continues the list at the latest state."""

    def __init__(self, token: str) -> None:
        super().__init__(410, "Expired", INCONSISTENT_CONTINUE)
        self.token = token

    def status(self) -> dict[str, Any]:
        body = super().status()
        body["metadata"] = {"continue": self.token}
        return body


@dataclass(frozen=True)
class Page:
    items: list[Obj]
    metadata: dict[str, Any]  # the list's ListMeta: resourceVersion, continue, remainingItemCount


def _key(obj: Obj, namespace: str | None) -> str:
    """The object's etcd key relative to the list's prefix (all namespaces, one, or cluster scope)."""
    meta = obj["metadata"]
    if namespace is None and meta.get("namespace"):
        return f"{meta['namespace']}/{meta['name']}"
    return str(meta["name"])


def encode(rv: int, last_key: str) -> str:
    token = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": last_key + "\x00"}, separators=(",", ":"))
    return base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")


def decode(token: str) -> tuple[int, str]:
    """(resourceVersion, start key) of a continue token; 400 as the etcd3 store answers a bad one."""

    def invalid(why: str) -> ApiError:
        return ApiError.bad_request(f"invalid continue token: {why}")

    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise invalid(f"continue key is not valid: {exc}") from None
    if not isinstance(data, dict) or data.get("v") != "meta.k8s.io/v1":
        raise invalid(
            "continue key is not valid: server does not recognize this encoded version "
            f"{data.get('v', '') if isinstance(data, dict) else ''}"
        )
    if not isinstance(data.get("rv"), int) or data["rv"] == 0:
        raise invalid("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
    if not isinstance(data.get("start"), str) or not data["start"]:
        raise invalid("continue key is not valid: encoded start key empty (version meta.k8s.io/v1)")
    return data["rv"], data["start"]


def _limit(query: Any) -> int:
    raw = query.get("limit")
    try:
        return max(int(raw), 0) if raw else 0
    except ValueError:
        raise ApiError.bad_request(f'invalid limit "{raw}": it must be a number') from None


def snapshot(store: Store, rt: ResourceType, namespace: str | None, rv: int) -> list[Obj] | None:
    """The objects of `rt` as they were at `rv`, or None when the history kept no longer reaches back."""
    events = store.events_since(rv)
    if events is None:
        return None
    objects = {(o["metadata"].get("namespace", ""), o["metadata"]["name"]): o for o in store.list(rt, namespace)}
    for event in reversed(events):
        meta = event.object["metadata"]
        if event.rt != rt or (namespace is not None and meta.get("namespace", "") != namespace):
            continue
        where = (meta.get("namespace", ""), meta["name"])
        if event.previous is None:
            objects.pop(where, None)
        else:
            objects[where] = copy.deepcopy(event.previous)
    return list(objects.values())


def page(store: Store, rt: ResourceType, namespace: str | None, query: Any, matches: Callable[[Obj], bool]) -> Page:
    """The page of the list that `limit` and `continue` in `query` ask for."""
    list_options.validate(query, watching=False)
    limit, token = _limit(query), query.get("continue")
    rv, start = store.resource_version, ""
    objects: list[Obj] | None = None
    asked = list_options.resource_version(query)
    if token and asked:
        raise ApiError.bad_request("specifying resource version is not allowed when using continue")
    if asked > store.resource_version:
        # The watch cache waits a moment for a version it has not seen, then gives up (storage's
        # NewTooLargeResourceVersionError).
        raise ApiError(
            504,
            "Timeout",
            f"Timeout: Too large resource version: {asked}, current: {store.resource_version}",
            {
                "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                "retryAfterSeconds": 1,
            },
        )
    if asked and query.get("resourceVersionMatch") == list_options.EXACT:
        rv, objects = asked, snapshot(store, rt, namespace, asked)
        if objects is None:
            raise ApiError(410, "Expired", "The resourceVersion for the provided list is too old.")
    if token:
        rv, start = decode(token)
        if rv == LATEST:
            rv = store.resource_version
        else:
            objects = snapshot(store, rt, namespace, rv)
            if objects is None:
                raise ExpiredContinue(encode(LATEST, start.rstrip("\x00")))
    if objects is None:
        objects = store.list(rt, namespace)
    keyed = sorted(((_key(o, namespace), o) for o in objects), key=lambda pair: pair[0])
    selected = [(k, o) for k, o in keyed if k >= start and matches(o)]
    metadata: dict[str, Any] = {"resourceVersion": str(rv)}
    if limit and len(selected) > limit:
        metadata["continue"] = encode(rv, selected[limit - 1][0])
        if not {"labelSelector", "fieldSelector"} & {k for k, v in query.items() if v}:
            metadata["remainingItemCount"] = len(selected) - limit
        selected = selected[:limit]
    return Page([o for _, o in selected], metadata)
