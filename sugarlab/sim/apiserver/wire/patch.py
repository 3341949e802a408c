"""PATCH bodies the official clients send: JSON patch, merge patch, strategic merge and apply.

Strategic merge and server-side apply are approximated: maps merge recursively, lists of objects
that all carry a `name` merge by name (as containers, ports and volumes do), other lists replace.
Apply does not track managedFields, so a field dropped from a later apply is kept, not removed.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch

from sugarlab.sim.machinery.errors import ApiError

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)


def _merge(target: Any, patch: Any, by_name: bool) -> Any:
    if isinstance(patch, dict):
        result = dict(target) if isinstance(target, dict) else {}
        for key, value in patch.items():
            if by_name and key.startswith("$"):
                _directive(result, key, value)
            elif value is None:
                result.pop(key, None)
            else:
                result[key] = _merge(result.get(key), value, by_name)
        return result
    if by_name and _named_list(patch) and _named_list(target):
        merged = {item["name"]: item for item in target}
        for item in patch:
            if item.get("$patch") == "delete":
                merged.pop(item["name"], None)
            else:
                merged[item["name"]] = _merge(merged.get(item["name"]), item, by_name)
        return list(merged.values())
    return copy.deepcopy(patch)


def _directive(result: dict[str, Any], key: str, value: Any) -> None:
    """The strategic merge patch directives kubectl sends (k8s.io/apimachinery
    pkg/util/strategicpatch): `$deleteFromPrimitiveList/<field>` removes values from a list of
    scalars; `$setElementOrder/<field>`, `$retainKeys` and `$patch` on a map are not modelled (the
    order and the keys of the merge are kept), and none of them is stored."""
    prefix = "$deleteFromPrimitiveList/"
    if key.startswith(prefix) and isinstance(result.get(key[len(prefix) :]), list) and isinstance(value, list):
        result[key[len(prefix) :]] = [v for v in result[key[len(prefix) :]] if v not in value]


def _named_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, dict) and "name" in v for v in value)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    return _merge(target, patch, by_name=False)


def strategic_merge(target: Any, patch: Any) -> Any:
    return _merge(target, patch, by_name=True)


def apply_patch(content_type: str, current: dict[str, Any], body: Any) -> dict[str, Any]:
    """Return the patched copy of `current`; `current` is left unchanged."""
    if content_type == JSON_PATCH:
        if not isinstance(body, list):
            raise ApiError.bad_request("json patch must be a list of operations")
        try:
            patched: dict[str, Any] = jsonpatch.apply_patch(current, body)
            return patched
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
            raise ApiError(422, "Invalid", f"the json patch could not be applied: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError.bad_request(f"a {content_type} body must be an object")
    merged: dict[str, Any] = (
        merge_patch(current, body) if content_type == MERGE_PATCH else strategic_merge(current, body)
    )
    return merged
