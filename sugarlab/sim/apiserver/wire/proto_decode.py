"""Request bodies in `application/vnd.kubernetes.protobuf`, decoded as kube-apiserver decodes them.

The wire format is that of k8s.io/apimachinery `pkg/runtime/serializer/protobuf/protobuf.go`: the magic
bytes `k8s\\x00`, then a `runtime.Unknown` message (typeMeta = 1 with apiVersion and kind, raw = 2 holding
the object's own message, contentEncoding = 3, contentType = 4). Where typeMeta leaves the kind or version
out, the endpoint's fill it in (copyKindDefaults). Messages are parsed by the `protobuf` runtime against
`proto/k8s.binpb`, the FileDescriptorSet that `tools/k8s_protos.py` compiles from the published
`generated.proto` files, and then written as the JSON kube-apiserver would make of the same Go struct:
special types as their MarshalJSON writes them, zero values dropped where the Go field is `omitempty`
and not a pointer (`proto/k8s-fields.json`).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.durations import go_duration
from sugarlab.sim.machinery.errors import ApiError

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"
META = "k8s.io.apimachinery.pkg.apis.meta.v1"
RUNTIME = "k8s.io.apimachinery.pkg.runtime"


@functools.cache
def _pool() -> descriptor_pool.DescriptorPool:
    data = resources.files("sugarlab.sim").joinpath("proto", "k8s.binpb").read_bytes()
    pool = descriptor_pool.DescriptorPool()
    for file in descriptor_pb2.FileDescriptorSet.FromString(data).file:
        pool.Add(file)
    return pool


@functools.cache
def _fields() -> dict[str, dict[str, list[Any]]]:
    text = resources.files("sugarlab.sim").joinpath("proto", "k8s-fields.json").read_text()
    fields: dict[str, dict[str, list[Any]]] = json.loads(text)
    return fields


def _message(full_name: str, data: bytes) -> Any:
    message = message_factory.GetMessageClass(_pool().FindMessageTypeByName(full_name))()
    message.ParseFromString(data)
    return message


def package(api_version: str) -> str:
    """The protobuf package of an API version: `apps/v1` -> k8s.io.api.apps.v1, `v1` -> k8s.io.api.core.v1,
    `rbac.authorization.k8s.io/v1` -> k8s.io.api.rbac.v1 (the Go package's directory, as go-to-protobuf names it)."""
    group, _, version = api_version.rpartition("/")
    return f"k8s.io.api.{group.split('.')[0] if group else 'core'}.{version}"


def _time(message: Any, micro: bool) -> str | None:
    seconds, nanos = message.seconds, message.nanos
    if seconds == 0 and nanos == 0:
        return None  # the zero time marshals as null
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    if micro:
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos // 1000:06d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _raw_object(raw: bytes) -> Any:
    if not raw:
        return None
    if raw.startswith(MAGIC):
        return decode(raw, "", "")
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError.bad_request(f"embedded object is neither JSON nor protobuf: {raw[:30]!r}") from None


# Types whose Go MarshalJSON writes something other than their fields.
_SPECIAL: dict[str, Callable[[Any], Any]] = {
    "k8s.io.apimachinery.pkg.api.resource.Quantity": lambda m: m.string,
    f"{META}.Time": lambda m: _time(m, micro=False),
    f"{META}.MicroTime": lambda m: _time(m, micro=True),
    f"{META}.Duration": lambda m: go_duration(m.duration),
    f"{META}.FieldsV1": lambda m: json.loads(m.Raw) if m.Raw else None,
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": lambda m: m.strVal if m.type == 1 else m.intVal,
    f"{RUNTIME}.RawExtension": lambda m: _raw_object(m.raw),
}


def _scalar(field: FieldDescriptor, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return to_json(value)
    if field.type == FieldDescriptor.TYPE_BYTES:
        return base64.b64encode(value).decode()  # []byte marshals as base64
    return value


def to_json(message: Any) -> Any:
    """The JSON kube-apiserver writes for the Go struct this message encodes."""
    descriptor: Descriptor = message.DESCRIPTOR
    special = _SPECIAL.get(descriptor.full_name)
    if special is not None:
        return special(message)
    known = _fields().get(descriptor.full_name, {})
    out: Obj = {}
    for field, value in message.ListFields():
        json_name, keep_zero = known.get(field.name, (field.name, False))
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            out[json_name] = {key: _scalar(value_field, item) for key, item in value.items()}
        elif field.is_repeated:
            out[json_name] = [_scalar(field, item) for item in value]
        else:
            converted = _scalar(field, value)
            if converted is None or (
                field.type != FieldDescriptor.TYPE_MESSAGE and not keep_zero and not converted
            ):  # "", 0 and false: the zero values omitempty drops
                continue
            if json_name:
                out[json_name] = converted
            else:  # an embedded Go struct (ProbeHandler in Probe, VolumeSource in Volume) is written inline
                out.update(converted)
    return out


def decode(body: bytes, api_version: str, kind: str) -> Obj:
    """The object a protobuf request body holds, as JSON; `api_version` and `kind` are the endpoint's."""
    if len(body) < len(MAGIC) or not body.startswith(MAGIC):
        raise ApiError.bad_request(
            "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
        )
    if len(body) == len(MAGIC):
        raise ApiError.bad_request("empty body")
    try:
        unknown = _message(f"{RUNTIME}.Unknown", body[len(MAGIC) :])
        type_meta = unknown.typeMeta
        api_version, kind = type_meta.apiVersion or api_version, type_meta.kind or kind
        if not kind:
            raise ApiError.bad_request(
                "Object 'Kind' is missing in '<protobuf encoded body - must provide default type>'"
            )
        names = [f"{package(api_version)}.{kind}", f"{META}.{kind}"]
        descriptor = next((n for n in names if known(n)), None)
        if descriptor is None:
            raise ApiError.bad_request(f'no kind "{kind}" is registered for version "{api_version}"')
        obj = to_json(_message(descriptor, unknown.raw))
    except DecodeError:
        # What gogo-generated Unmarshal code reports for a truncated or corrupt message.
        raise ApiError.bad_request("unexpected EOF") from None
    return {"kind": kind, "apiVersion": api_version, **obj}


def known(full_name: str) -> bool:
    try:
        _pool().FindMessageTypeByName(full_name)
    except KeyError:
        return False
    return True
