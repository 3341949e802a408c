"""JSON bodies checked against the Go types kube-apiserver decodes them into.

kube-apiserver unmarshals a JSON body into the kind's Go struct (sigs.k8s.io/json, a fork of
encoding/json); a value of the wrong JSON type fails there with an UnmarshalTypeError, `json: cannot
unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container`, which the
create and update handlers answer with 400 `Pod in version "v1" cannot be handled as a Pod: ...`
(transformDecodeError in k8s.io/apiserver `pkg/endpoints/handlers/rest.go`). The Go types are read
from the same descriptors the protobuf decoder uses: messages are the Go structs, and the types whose
MarshalJSON is special take what their UnmarshalJSON takes.
"""

from __future__ import annotations

import json
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from sugarlab.sim.apiserver.wire import proto_decode
from sugarlab.sim.apiserver.wire.decoding import Fields
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.names import go_quote

_INTS = {
    FieldDescriptor.TYPE_INT32: "int32",
    FieldDescriptor.TYPE_INT64: "int64",
    FieldDescriptor.TYPE_UINT32: "uint32",
    FieldDescriptor.TYPE_UINT64: "uint64",
    FieldDescriptor.TYPE_SINT32: "int32",
    FieldDescriptor.TYPE_SINT64: "int64",
}
_FLOATS = {FieldDescriptor.TYPE_DOUBLE: "float64", FieldDescriptor.TYPE_FLOAT: "float32"}
# What the UnmarshalJSON of the special types accepts (besides null).
_SPECIAL: dict[str, tuple[type, ...]] = {
    "k8s.io.apimachinery.pkg.api.resource.Quantity": (str, int, float),
    f"{proto_decode.META}.Time": (str,),
    f"{proto_decode.META}.MicroTime": (str,),
    f"{proto_decode.META}.Duration": (str,),
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": (str, int),
    f"{proto_decode.META}.FieldsV1": (dict, list, str, int, float, bool),
    f"{proto_decode.RUNTIME}.RawExtension": (dict, list, str, int, float, bool),  # any JSON at all
}


QUANTITY_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
# The Go value the UnmarshalJSON of a special type decodes a non-string into (intstr.IntOrString: its IntVal;
# metav1.Time, MicroTime, Duration: a string).
_SPECIAL_INNER = {"k8s.io.apimachinery.pkg.util.intstr.IntOrString": "int32"}


class TypeMismatch(Exception):
    pass


def json_type(value: Any, into_int: bool = False) -> str:
    """UnmarshalTypeError.Value: the JSON type, with the literal of a number an integer cannot hold."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, float) and into_int:
        return f"number {value!r}"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _go_package(message: Descriptor) -> str:
    return str(message.file.package).rsplit(".", 1)[-1]


def _map_entry(field: FieldDescriptor) -> Descriptor | None:
    """The entry message (key and value) of a map field; None for any other field."""
    entry = field.message_type
    return entry if entry is not None and entry.GetOptions().map_entry else None


def _go_type(field: FieldDescriptor, element: bool = False) -> str:
    """The Go type name of a field as reflect's String() writes it: []v1.Container, map[string]string, int32."""
    if field.is_repeated and not element:
        if (map_entry := _map_entry(field)) is not None:
            key, value = map_entry.fields_by_name["key"], map_entry.fields_by_name["value"]
            return f"map[{_go_type(key)}]{_go_type(value)}"
        return f"[]{_go_type(field, element=True)}"
    if field.message_type is not None:
        return f"{_go_package(field.message_type)}.{field.message_type.name}"
    if field.type in _INTS:
        return _INTS[field.type]
    if field.type in _FLOATS:
        return _FLOATS[field.type]
    return {FieldDescriptor.TYPE_BOOL: "bool", FieldDescriptor.TYPE_BYTES: "[]uint8"}.get(field.type, "string")


def _fits(field: FieldDescriptor, value: Any) -> bool:
    if field.message_type is not None:
        special = _SPECIAL.get(field.message_type.full_name)
        if special is None:
            return isinstance(value, dict)
        return bool in special if isinstance(value, bool) else isinstance(value, special)
    if field.type == FieldDescriptor.TYPE_BOOL:
        return isinstance(value, bool)
    if field.type in _INTS:
        return isinstance(value, int) and not isinstance(value, bool)
    if field.type in _FLOATS:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, str)


def _by_json_name(message: Descriptor) -> dict[str, FieldDescriptor]:
    """JSON name -> field, with the fields of inline embedded structs lifted up."""
    known = proto_decode._fields().get(message.full_name, {})
    named: dict[str, FieldDescriptor] = {}
    for field in message.fields:
        json_name = known.get(field.name, (field.name, False))[0]
        if json_name:
            named[json_name] = field
        elif field.message_type is not None:
            named.update(_by_json_name(field.message_type))
    return named


def _mismatch(parent: Descriptor, where: str, value: Any, go_type: str) -> TypeMismatch:
    into_int = go_type in _INTS.values()
    return TypeMismatch(
        f"json: cannot unmarshal {json_type(value, into_int)} into Go struct field "
        f"{parent.name}.{where} of type {go_type}"
    )


def _check(message: Descriptor, value: dict[str, Any], path: str) -> None:
    fields = _by_json_name(message)
    for key, item in value.items():
        field = fields.get(key)
        if field is None or item is None:
            continue  # unknown fields are a matter of field validation; null is every field's zero value
        where = f"{path}.{key}" if path else key
        if (map_entry := _map_entry(field)) is not None:
            if not isinstance(item, dict):
                raise _mismatch(message, where, item, _go_type(field))
            for entry in item.values():
                _check_one(message, map_entry.fields_by_name["value"], entry, where)
        elif field.is_repeated:
            if not isinstance(item, list):
                raise _mismatch(message, where, item, _go_type(field))
            for entry in item:
                _check_one(message, field, entry, where)
        else:
            _check_one(message, field, item, where)


def _check_one(parent: Descriptor, field: FieldDescriptor, value: Any, where: str) -> None:
    if value is None:
        return
    if not _fits(field, value):
        special = field.message_type.full_name if field.message_type is not None else ""
        if special == "k8s.io.apimachinery.pkg.api.resource.Quantity":
            raise TypeMismatch(QUANTITY_ERROR)
        inner = _SPECIAL_INNER.get(special, "string") if special in _SPECIAL else _go_type(field, element=True)
        raise _mismatch(parent, where, value, inner)
    if field.message_type is not None and isinstance(value, dict) and field.message_type.full_name not in _SPECIAL:
        _check(field.message_type, value, where)


def check(obj: Any, api_version: str, kind: str) -> bool:
    """Raise kube-apiserver's 400 when a value of `obj` has a JSON type its Go field cannot take; say whether
    `kind` is a built-in kind (one with Go types) at all."""
    if not isinstance(obj, dict) or not kind:
        return False
    names = (f"{proto_decode.package(api_version)}.{kind}", f"{proto_decode.META}.{kind}")  # DeleteOptions: meta
    message = next((proto_decode._pool().FindMessageTypeByName(n) for n in names if proto_decode.known(n)), None)
    if message is None:
        return False
    try:
        _check(message, {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}, "")
    except TypeMismatch as exc:
        version = api_version.rpartition("/")[2]
        raise ApiError.bad_request(f'{kind} in version "{version}" cannot be handled as a {kind}: {exc}') from None
    return True


def without_nulls(value: Any) -> Any:
    """What decoding into Go structs makes of `null`: the field's zero value, so the field is simply absent."""
    if isinstance(value, Fields):  # keeps the keys it was given twice, for fieldValidation
        kept = Fields((k, without_nulls(v)) for k, v in value.items() if v is not None)
        kept.duplicates = value.duplicates
        return kept
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def check_patched(obj: Any, api_version: str, kind: str) -> None:
    """Raise what the patch handler answers when the patched object no longer decodes: a 422 on `patch`
    (jsonPatcher.applyPatchToCurrentObject in k8s.io/apiserver `pkg/endpoints/handlers/patch.go`)."""
    try:
        check(obj, api_version, kind)
    except ApiError as exc:
        patched = json.dumps(obj, separators=(",", ":"))
        detail = exc.message.split(": ", 1)[1]
        raise ApiError.invalid("", "", [("patch", f"Invalid value: {go_quote(patched)}: {detail}")]) from None
