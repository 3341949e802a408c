"""Reading and decoding request bodies as kube-apiserver does: a size limit, JSON, YAML or protobuf by
Content-Type, its decoding messages, and 406 for a client that accepts only what the simulator cannot write.

The limit and the messages are those of k8s.io/apiserver `pkg/endpoints/handlers/rest.go`
(limitedReadBody, transformDecodeError, summarizeData) and `negotiation/errors.go`; a JSON syntax error
reads as Go's encoding/json scanner words it, which k8s.io/apimachinery `serializer/json/meta.go` wraps in
`couldn't get version/kind; json parse error: ...`.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from starlette.requests import Request

from sugarlab.sim.apiserver.wire import proto_decode, typed_json
from sugarlab.sim.apiserver.wire.decoding import parse_json
from sugarlab.sim.apiserver.wire.patch import APPLY_PATCH, PATCH_TYPES
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.resources import ResourceType

MAX_BODY_BYTES = 3 * 1024 * 1024  # kube-apiserver's MaxRequestBodyBytes (k8s.io/apiserver pkg/server/config.go)
SERVED_MEDIA_TYPES = ("application/json",)
OBJECT_MEDIA_TYPES = ("application/json", "application/yaml", proto_decode.MEDIA_TYPE)  # what bodies may be in
ACCEPTABLE = {"", "*/*", "application/*", "application/json"}
# The Go type of the struct k8s.io/apimachinery serializer/json/meta.go reads apiVersion and kind into.
FIND_KIND = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }'


async def read(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, refused with 413 as soon as it grows past `limit` bytes."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError.too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def negotiate(accept: str) -> None:
    """406 when the client accepts none of the media types the simulator writes (it writes no protobuf)."""
    offered = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if not offered & ACCEPTABLE:
        raise ApiError(
            406, "NotAcceptable", f"only the following media types are accepted: {', '.join(SERVED_MEDIA_TYPES)}"
        )


def decoded_into(method: str, rt: ResourceType, subresource: str) -> tuple[str, str]:
    """The kind and API version a handler decodes its body into: DeleteOptions for a DELETE, an Eviction for
    `pods/eviction`, a Binding for `pods/binding`, otherwise the resource's own kind."""
    if method == "DELETE":
        return "DeleteOptions", "v1"
    if subresource == "eviction":
        return "Eviction", "policy/v1"
    if subresource == "binding":
        return "Binding", "v1"
    return rt.kind, rt.api_version


def _summary(body: bytes, limit: int = 30) -> str:
    if not body:
        return "<empty>"
    if body[:1] == b"{":
        return body[:limit].decode(errors="replace") + (" ..." if len(body) > limit else "")
    return body[:limit].hex() + (" ..." if len(body) > limit else "")


def _quote_char(char: str) -> str:
    """encoding/json's quoteChar."""
    if char == "'":
        return "'\\''"
    if char == '"':
        return "'\"'"
    return "'" + json.dumps(char, ensure_ascii=False)[1:-1] + "'"


def _open_container(text: str) -> str:
    """The innermost `{` or `[` still open at the end of `text` (JSON text that parsed so far)."""
    stack: list[str] = []
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
        elif char in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def go_syntax_error(error: json.JSONDecodeError) -> str:
    """The message encoding/json gives for the syntax error Python's decoder found."""
    text, pos, msg = error.doc, error.pos, error.msg
    if pos >= len(text) or msg.startswith("Unterminated string"):
        return "unexpected end of JSON input"
    char = _quote_char(text[pos])
    if msg.startswith("Expecting property name"):
        return f"invalid character {char} looking for beginning of object key string"
    if msg.startswith("Expecting ':'"):
        return f"invalid character {char} after object key"
    if msg.startswith("Expecting ','"):
        inside = "object key:value pair" if _open_container(text[:pos]) == "{" else "array element"
        return f"invalid character {char} after {inside}"
    if msg.startswith("Extra data"):
        return f"invalid character {char} after top-level value"
    if msg.startswith("Invalid control character"):
        return f"invalid character {char} in string literal"
    if msg.startswith("Invalid \\escape"):
        return (
            f"invalid character {_quote_char(text[pos + 1])} in string escape code"
            if pos + 1 < len(text)
            else "unexpected end of JSON input"
        )
    return f"invalid character {char} looking for beginning of value"


def _unrecognized(kind: str, error: str, body: bytes) -> ApiError:
    return ApiError.bad_request(
        f"the object provided is unrecognized (must be of type {kind or 'Object'}): {error} ({_summary(body)})"
    )


def decode(body: bytes, content_type: str, kind: str, api_version: str) -> Any:
    """The body as JSON data; `kind` and `api_version` are the endpoint's (for messages and protobuf defaults)."""
    media = content_type.split(";")[0].strip().lower()
    if kind and media not in (*OBJECT_MEDIA_TYPES, "", *PATCH_TYPES):
        raise ApiError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted "
            f"media types include: {', '.join(OBJECT_MEDIA_TYPES)}",
        )
    if media == proto_decode.MEDIA_TYPE:
        try:
            return proto_decode.decode(body, api_version, kind)
        except ApiError as exc:
            raise _unrecognized(kind, exc.message, body) from None
    if media in ("application/yaml", APPLY_PATCH):
        try:
            data = yaml.safe_load(body)
        except yaml.YAMLError as exc:
            raise _unrecognized(kind, f"error converting YAML to JSON: {_go_yaml_error(exc)}", body) from None
    else:
        data = _json(body, kind)
    if media in ("application/json", "application/yaml", "", APPLY_PATCH):  # a whole object (or apply's intent)
        if data is not None and not isinstance(data, dict):  # SimpleMetaFactory.Interpret's findKind struct
            raise _unrecognized(
                kind,
                f"couldn't get version/kind; json parse error: json: cannot unmarshal "
                f"{typed_json.json_type(data)} into Go value of type {FIND_KIND}",
                body,
            )
        if typed_json.check(data, _text(data, "apiVersion") or api_version, _text(data, "kind") or kind):
            return typed_json.without_nulls(data)
    return data


def _text(data: Any, key: str) -> str:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def _go_yaml_error(error: yaml.YAMLError) -> str:
    """go-yaml's wording, `yaml: line N: problem`, of what PyYAML found."""
    mark = getattr(error, "problem_mark", None)
    problem = (getattr(error, "problem", None) or str(error)).replace(" here", " in this context")
    return f"yaml: line {mark.line + 1}: {problem}" if mark is not None else f"yaml: {problem}"


def _json(body: bytes, kind: str) -> Any:
    try:
        return parse_json(body)
    except UnicodeDecodeError:
        raise _unrecognized(
            kind,
            "couldn't get version/kind; json parse error: invalid character "
            f"{_quote_char(chr(body[0]))} looking for beginning of value",
            body,
        ) from None
    except json.JSONDecodeError as exc:
        raise _unrecognized(
            kind, f"couldn't get version/kind; json parse error: {go_syntax_error(exc)}", body
        ) from None
