"""What kube-apiserver does with an object between reading the request body and storing it:
decode it against its type (400), honour `fieldValidation` (Strict: 400, Warn: a `Warning` header per
unknown or duplicate field, Ignore: silence; unknown fields are dropped in every case), and validate
the result (422).

The flow and messages follow k8s.io/apiserver pkg/endpoints/handlers (v1.33): create.go and update.go
turn a decoding error into `<Kind> in version "<v>" cannot be handled as a <Kind>: <error>`
(`transformDecodeError`), patch.go reports one in the patched object as an `Invalid` error on the
field `patch`, and an empty `fieldValidation` means Warn (`fieldValidation` in rest.go).
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sugarlab.common.objects import Obj
from sugarlab.sim.apiserver.admission.validation import not_supported, validate
from sugarlab.sim.apiserver.openapi import openapi
from sugarlab.sim.apiserver.wire.decoding import Decoded, decode
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.resources import ResourceType

STRICT, WARN, IGNORE = "Strict", "Warn", "Ignore"
OPTIONS_KIND = {"POST": "CreateOptions", "PUT": "UpdateOptions", "PATCH": "PatchOptions"}


@dataclass
class _Request:
    method: str = "GET"
    directive: str = ""
    warnings: list[str] = field(default_factory=list)


_current: ContextVar[_Request | None] = ContextVar("sim_request", default=None)


def _state() -> _Request:
    return _current.get() or _Request()


def with_warnings(app: ASGIApp) -> ASGIApp:
    """Remember each request's method and `fieldValidation`, and send the warnings raised while
    answering it as `Warning: 299 - "<text>"` headers (k8s.io/apiserver pkg/warning)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode(), keep_blank_values=True)
        state = _Request(scope["method"], (query.get("fieldValidation") or [""])[0])
        _current.set(state)

        async def send_warned(message: Message) -> None:
            if message["type"] == "http.response.start" and state.warnings:
                headers = [(b"warning", f"299 - {json.dumps(w)}".encode()) for w in dict.fromkeys(state.warnings)]
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await app(scope, receive, send_warned)

    return wrapped


def warn(text: str) -> None:
    """Send `text` with the current response as a `Warning` header."""
    _state().warnings.append(text)


def _directive() -> str:
    state = _state()
    if state.directive not in ("", IGNORE, WARN, STRICT):
        kind = OPTIONS_KIND.get(state.method, "CreateOptions")
        error = not_supported("fieldValidation", state.directive, ("", IGNORE, STRICT, WARN))
        raise ApiError(
            422,
            "Invalid",
            f'{kind}.meta.k8s.io "" is invalid: {error.field}: {error.body}',
            {
                "group": "meta.k8s.io",
                "kind": kind,
                "causes": [{"reason": error.reason, "message": error.body, "field": error.field}],
            },
        )
    return state.directive or WARN


@cache
def _definitions() -> dict[tuple[str, str, str], str]:
    found = {}
    for name, schema in openapi.swagger()["definitions"].items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            found[(gvk["group"], gvk["version"], gvk["kind"])] = name
    return found


def _decode(rt: ResourceType, body: Obj, unstructured: bool = False) -> Decoded | None:
    definition = _definitions().get((rt.group, rt.version, rt.kind))
    return decode(definition, body, unstructured) if definition else None


def go_print(value: Any) -> str:
    """Go's `%+v` of a value decoded into interface{} (maps print with sorted keys)."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_print(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_print(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value == int(value) and abs(value) < 1e21:
        return str(int(value))
    return str(value)


def _strict_message(errors: list[str]) -> str:
    return "strict decoding error: " + ", ".join(errors)


def decode_body(rt: ResourceType, body: Obj) -> Obj:
    """The object a create, update or apply body decodes to, or kube-apiserver's 400."""
    directive = _directive()
    decoded = _decode(rt, body)
    if decoded is None:
        return body
    prefix = f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: '
    if decoded.error:
        raise ApiError.bad_request(prefix + decoded.error)
    if decoded.strict and directive == STRICT:
        raise ApiError.bad_request(prefix + _strict_message(decoded.strict))
    if directive == WARN:
        _state().warnings.extend(decoded.strict)
    obj: Obj = decoded.obj
    return obj


def decode_patched(rt: ResourceType, patched: Obj, strategic_patch: Any = None) -> Obj:
    """The object a patch produced, decoded, or the 422 kube-apiserver's patch handler gives. A
    strategic merge patch (`strategic_patch`, the request body) is merged as unstructured maps and
    converted to the type with the unstructured converter, and the error shows the patch, not the
    result (`applyPatchToObject` in patch.go)."""
    directive = _directive()
    strategic = strategic_patch is not None
    decoded = _decode(rt, patched, unstructured=strategic)
    if decoded is None:
        return patched
    problem = decoded.error or (_strict_message(decoded.strict) if decoded.strict and directive == STRICT else "")
    if problem:
        shown = json.dumps(go_print(strategic_patch) if strategic else json.dumps(patched, separators=(",", ":")))
        body = f"Invalid value: {shown}: {problem}"
        raise ApiError(
            422,
            "Invalid",
            f' "" is invalid: patch: {body}',
            {"causes": [{"reason": "FieldValueInvalid", "message": body, "field": "patch"}]},
        )
    if directive == WARN:
        _state().warnings.extend(decoded.strict)
    obj: Obj = decoded.obj
    return obj


def admit(rt: ResourceType, obj: Obj, old: Obj | None = None) -> Obj:
    """Validate an object about to be stored, or to replace `old` (raises the 422), and return it."""
    validate(rt, obj, old)
    return obj
