"""`/openapi/v2` as protobuf: the form client-go's `OpenAPISchema` asks for, and the only one it reads.

kubectl 1.32 falls back to it where the v3 documents do not answer, as for a manifest of
`kind: List` (`kubectl get -o yaml > f; kubectl apply -f f`), whose client-side validation reads v2.
The message is gnostic's `openapi.v2.Document` (github.com/google/gnostic-models, openapiv2/
OpenAPIv2.proto at a84a29ee8efac8d764f8dd251aa316fcaa61c60c); the messages below declare the subset of
its fields this document fills, with the field numbers of that file, and the protobuf runtime encodes
them. Only the definitions are sent: kube-openapi's proto model (what kubectl validates and patches
with) reads nothing else. Vendor extensions travel as YAML text in `Any.yaml`, as gnostic writes them.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message

from sugarlab.common.objects import Obj
from sugarlab.sim.apiserver.openapi import openapi

_F = descriptor_pb2.FieldDescriptorProto
_STRING, _BOOL, _DOUBLE, _INT64, _MESSAGE = _F.TYPE_STRING, _F.TYPE_BOOL, _F.TYPE_DOUBLE, _F.TYPE_INT64, _F.TYPE_MESSAGE
_REPEATED = _F.LABEL_REPEATED

# message -> (field, number, type, repeated, message type)
MESSAGES: dict[str, tuple[tuple[str, int, int, bool, str], ...]] = {
    "Document": (
        ("swagger", 1, _STRING, False, ""),
        ("info", 2, _MESSAGE, False, "Info"),
        ("definitions", 9, _MESSAGE, False, "Definitions"),
    ),
    "Info": (("title", 1, _STRING, False, ""), ("version", 2, _STRING, False, "")),
    "Definitions": (("additional_properties", 1, _MESSAGE, True, "NamedSchema"),),
    "NamedSchema": (("name", 1, _STRING, False, ""), ("value", 2, _MESSAGE, False, "Schema")),
    "Properties": (("additional_properties", 1, _MESSAGE, True, "NamedSchema"),),
    "TypeItem": (("value", 1, _STRING, True, ""),),
    "ItemsItem": (("schema", 1, _MESSAGE, True, "Schema"),),
    "AdditionalPropertiesItem": (("schema", 1, _MESSAGE, False, "Schema"), ("boolean", 2, _BOOL, False, "")),
    "Any": (("yaml", 2, _STRING, False, ""),),
    "NamedAny": (("name", 1, _STRING, False, ""), ("value", 2, _MESSAGE, False, "Any")),
    "Schema": (
        ("_ref", 1, _STRING, False, ""),
        ("format", 2, _STRING, False, ""),
        ("title", 3, _STRING, False, ""),
        ("description", 4, _STRING, False, ""),
        ("maximum", 7, _DOUBLE, False, ""),
        ("minimum", 9, _DOUBLE, False, ""),
        ("max_length", 11, _INT64, False, ""),
        ("min_length", 12, _INT64, False, ""),
        ("pattern", 13, _STRING, False, ""),
        ("max_items", 14, _INT64, False, ""),
        ("min_items", 15, _INT64, False, ""),
        ("unique_items", 16, _BOOL, False, ""),
        ("required", 19, _STRING, True, ""),
        ("additional_properties", 21, _MESSAGE, False, "AdditionalPropertiesItem"),
        ("type", 22, _MESSAGE, False, "TypeItem"),
        ("items", 23, _MESSAGE, False, "ItemsItem"),
        ("all_of", 24, _MESSAGE, True, "Schema"),
        ("properties", 25, _MESSAGE, False, "Properties"),
        ("read_only", 27, _BOOL, False, ""),
        ("vendor_extension", 31, _MESSAGE, True, "NamedAny"),
    ),
}
# JSON keys of a schema carried as plain fields (the rest of the schema keywords are not used).
SCALARS = {
    "$ref": "_ref",
    "format": "format",
    "title": "title",
    "description": "description",
    "maximum": "maximum",
    "minimum": "minimum",
    "maxLength": "max_length",
    "minLength": "min_length",
    "pattern": "pattern",
    "maxItems": "max_items",
    "minItems": "min_items",
    "uniqueItems": "unique_items",
    "readOnly": "read_only",
}


@functools.cache
def _classes() -> dict[str, type[Message]]:
    file = descriptor_pb2.FileDescriptorProto(name="openapiv2/OpenAPIv2.proto", package="openapi.v2", syntax="proto3")
    for name, fields in MESSAGES.items():
        message = file.message_type.add(name=name)
        for field, number, kind, repeated, type_name in fields:
            added = message.field.add(
                name=field, number=number, type=kind, label=_REPEATED if repeated else _F.LABEL_OPTIONAL
            )
            if type_name:
                added.type_name = f".openapi.v2.{type_name}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"openapi.v2.{name}")) for name in MESSAGES
    }


def _schema(schema: Obj, out: Any) -> None:
    for key, field in SCALARS.items():
        if key in schema:
            setattr(out, field, schema[key])
    out.required.extend(schema.get("required", []))
    if "type" in schema:
        out.type.value.extend(schema["type"] if isinstance(schema["type"], list) else [schema["type"]])
    if isinstance(schema.get("items"), dict):
        _schema(schema["items"], out.items.schema.add())
    for part in schema.get("allOf", []):
        _schema(part, out.all_of.add())
    for name, prop in schema.get("properties", {}).items():
        named = out.properties.additional_properties.add(name=name)
        _schema(prop, named.value)
    extra = schema.get("additionalProperties")
    if isinstance(extra, bool):
        out.additional_properties.boolean = extra
    elif isinstance(extra, dict):
        _schema(extra, out.additional_properties.schema)
    for key, value in schema.items():
        if key.startswith("x-"):
            out.vendor_extension.add(name=key).value.yaml = json.dumps(value) + "\n"


@functools.cache
def v2_protobuf() -> bytes:
    spec = openapi.swagger()
    document: Any = _classes()["Document"](swagger=spec["swagger"])  # built at run time: fields unknown to mypy
    document.info.title, document.info.version = spec["info"]["title"], spec["info"]["version"]
    for name, schema in spec["definitions"].items():
        _schema(schema, document.definitions.additional_properties.add(name=name).value)
    serialized: bytes = document.SerializeToString(deterministic=True)
    return serialized


def document_class() -> type[Message]:
    """The Document message, for reading the encoded bytes back."""
    return _classes()["Document"]
