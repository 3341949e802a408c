"""ListOptions checks, as kube-apiserver makes them before a list or watch reaches storage
(k8s.io/apimachinery/pkg/apis/meta/internalversion/validation, ValidateListOptions, with the WatchList
feature gate off as on a 1.33 server). Failures are a 422 on `ListOptions.meta.k8s.io ""`."""

from __future__ import annotations

from typing import Any

from sugarlab.sim.machinery.errors import ApiError

NOT_OLDER_THAN, EXACT = "NotOlderThan", "Exact"


def _forbidden(why: str) -> str:
    return f"Forbidden: {why}"


def validate(query: Any, watching: bool) -> None:
    errors: list[tuple[str, str]] = []
    match = query.get("resourceVersionMatch") or ""
    initial = query.get("sendInitialEvents")
    if watching:
        if initial is not None:
            if match != NOT_OLDER_THAN:
                errors.append(
                    (
                        "resourceVersionMatch",
                        _forbidden(f"sendInitialEvents requires setting resourceVersionMatch to {NOT_OLDER_THAN}"),
                    )
                )
            errors.append(
                (
                    "sendInitialEvents",
                    _forbidden("sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled"),
                )
            )
        if match:
            if initial is None:
                errors.append(
                    (
                        "resourceVersionMatch",
                        _forbidden("resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"),
                    )
                )
            if match != NOT_OLDER_THAN:
                errors.append(
                    ("resourceVersionMatch", f'Unsupported value: "{match}": supported values: "{NOT_OLDER_THAN}"')
                )
            if query.get("continue"):
                errors.append(
                    ("resourceVersionMatch", _forbidden("resourceVersionMatch is forbidden when continue is provided"))
                )
    else:
        if match:
            if not query.get("resourceVersion"):
                errors.append(
                    (
                        "resourceVersionMatch",
                        _forbidden("resourceVersionMatch is forbidden unless resourceVersion is provided"),
                    )
                )
            if query.get("continue"):
                errors.append(
                    ("resourceVersionMatch", _forbidden("resourceVersionMatch is forbidden when continue is provided"))
                )
            if match not in (EXACT, NOT_OLDER_THAN):
                errors.append(
                    (
                        "resourceVersionMatch",
                        f'Unsupported value: "{match}": supported values: "{EXACT}", "{NOT_OLDER_THAN}", ""',
                    )
                )
            if match == EXACT and query.get("resourceVersion") == "0":
                errors.append(
                    (
                        "resourceVersionMatch",
                        _forbidden('resourceVersionMatch "exact" is forbidden for resourceVersion "0"'),
                    )
                )
        if initial is not None:
            errors.append(("sendInitialEvents", _forbidden("sendInitialEvents is forbidden for list")))
    if errors:
        # field.ErrorList's aggregate: one error as it is, several in brackets.
        listed = [f"{f}: {m}" for f, m in errors]
        text = listed[0] if len(listed) == 1 else "[" + ", ".join(listed) + "]"
        raise ApiError(
            422,
            "Invalid",
            f'ListOptions.meta.k8s.io "" is invalid: {text}',
            {
                "group": "meta.k8s.io",
                "kind": "ListOptions",
                "causes": [
                    {
                        "reason": "FieldValueForbidden" if m.startswith("Forbidden") else "FieldValueNotSupported",
                        "message": m,
                        "field": f,
                    }
                    for f, m in errors
                ],
            },
        )


def resource_version(query: Any) -> int:
    """The request's resourceVersion as a number (0 when absent); 400 when it is not one."""
    raw = query.get("resourceVersion") or "0"
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ApiError.bad_request(
            f'resourceVersion: Invalid value: "{raw}": strconv.ParseUint: parsing "{raw}": invalid syntax'
        )
    return value
