"""Decode a request body as kube-apiserver decodes it into its Go types, with the schema it publishes.

kube-apiserver decodes JSON with sigs.k8s.io/json (Go's encoding/json, case-sensitive, with a strict
mode): a value of the wrong type is Go's `UnmarshalTypeError` ("json: cannot unmarshal string into
Go struct field PodSpec.spec.containers of type []v1.Container": the struct holding the field, the
field's path from the root without list indices, the Go type); a quantity that does not parse is
`resource.Quantity`'s own error; unknown and duplicate fields are strict decoding errors
(`unknown field "spec.containers[0].foo"`, `duplicate field "metadata.name"`), and the unknown ones
are dropped from the object, whatever `fieldValidation` says.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from sugarlab.common.objects import Obj
from sugarlab.sim.apiserver.openapi import openapi
from sugarlab.sim.machinery.quantity import json_quantity_error

QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
BASE64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


class Fields(dict[str, Any]):
    """A JSON object that remembers the keys it was given more than once."""

    duplicates: tuple[str, ...] = ()


def _pairs(pairs: list[tuple[str, Any]]) -> Fields:
    obj = Fields()
    seen: list[str] = []
    for key, value in pairs:
        if key in obj and key not in seen:
            seen.append(key)
        obj[key] = value
    obj.duplicates = tuple(seen)
    return obj


def parse_json(raw: bytes) -> Any:
    """json.loads, keeping track of duplicate keys (the last one wins, as in Go)."""
    return json.loads(raw, object_pairs_hook=_pairs)


@dataclass
class Decoded:
    obj: Any
    error: str = ""  # the first decoding error, which fails the request whatever fieldValidation says
    strict: list[str] = field(default_factory=list)  # unknown and duplicate fields


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (int, float)):
        return "number"
    return "array" if isinstance(value, list) else "object"


def _go_name(definition: str) -> str:
    package, name = definition.rsplit(".", 2)[-2:]
    return f"{package}.{name}"


def _go_kind(value: Any) -> str:
    """The reflect.Kind of a value in an unstructured (map[string]interface{}) object."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    return "slice" if isinstance(value, list) else "map"


class _Decoder:
    """`unstructured`: report errors as runtime.DefaultUnstructuredConverter does (k8s.io/apimachinery
    pkg/runtime/converter.go), as kube-apiserver's strategic merge patch decodes its result that way."""

    def __init__(self, unstructured: bool = False) -> None:
        self.definitions: Obj = openapi.swagger()["definitions"]
        self.result = Decoded(None)
        self.unstructured = unstructured

    def resolve(self, schema: Obj) -> tuple[str, Obj]:
        ref = schema.get("$ref", "")
        if ref:
            name = ref.removeprefix("#/definitions/")
            return name, self.definitions[name]
        return "", schema

    def go_type(self, schema: Obj) -> str:
        name, resolved = self.resolve(schema)
        if name:
            return _go_name(name)
        kind = resolved.get("type")
        if kind == "array":
            return "[]" + self.go_type(resolved.get("items", {}))
        if kind == "object" and isinstance(resolved.get("additionalProperties"), dict):
            values = resolved["additionalProperties"]
            if values.get("$ref", "").endswith(QUANTITY):
                return "v1.ResourceList"  # the named map type of every quantity map in core/v1
            return "map[string]" + self.go_type(values)
        if kind == "integer":
            integer: str = resolved.get("format", "int64")
            return integer
        if kind == "number":
            return "float64"
        if kind == "boolean":
            return "bool"
        if kind == "string":
            return "[]uint8" if resolved.get("format") == "byte" else "string"
        return "interface {}"

    def fail(self, message: str) -> None:
        if not self.result.error:
            self.result.error = message

    def type_error(self, value: Any, schema: Obj, struct: str, path: str, detail: str = "") -> None:
        if self.unstructured:
            self.fail(self.conversion_error(value, schema))
            return
        what = detail or _json_kind(value)
        where = f"Go struct field {struct}.{path}" if struct else "Go value"
        self.fail(f"json: cannot unmarshal {what} into {where} of type {self.go_type(schema)}")

    def conversion_error(self, value: Any, schema: Obj) -> str:
        resolved = self.resolve(schema)[1]
        kind, source = resolved.get("type"), _go_kind(value)
        if "properties" in resolved:
            return f"cannot restore struct from: {source}"
        if kind == "object":
            return f"cannot restore map from {source}"
        if kind == "array":
            return f"cannot restore slice from {source}"
        target = self.go_type(schema)
        if source in ("int64", "float64") and kind in ("string", "integer"):
            return f"cannot convert {source} to {target}"
        return f"unrecognized type: {target}"

    def value(self, value: Any, schema: Obj, struct: str, path: str, strict_path: str) -> Any:
        name, resolved = self.resolve(schema)
        if value is None:
            return None
        if name == QUANTITY:
            error = json_quantity_error(value)
            if error:
                self.fail(error)
            return value
        if name == INT_OR_STRING:
            if not isinstance(value, str) and not (
                isinstance(value, int) and not isinstance(value, bool) and INT32[0] <= value <= INT32[1]
            ):
                detail = f"number {value}" if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
                self.fail(f"json: cannot unmarshal {detail or _json_kind(value)} into Go value of type int32")
            return value
        kind = resolved.get("type")
        if "properties" in resolved:
            return self.struct(value, schema, name, struct, path, strict_path)
        if kind == "object" and isinstance(resolved.get("additionalProperties"), dict):
            if not isinstance(value, dict):
                self.type_error(value, schema, struct, path)
                return value
            values = resolved["additionalProperties"]
            return {
                k: self.zero(values) if v is None else self.value(v, values, struct, path, f"{strict_path}[{k}]")
                for k, v in value.items()
            }
        if kind == "array":
            if not isinstance(value, list):
                self.type_error(value, schema, struct, path)
                return value
            items = resolved.get("items", {})
            return [
                self.zero(items) if v is None else self.value(v, items, struct, path, f"{strict_path}[{i}]")
                for i, v in enumerate(value)
            ]
        return self.scalar(value, resolved, schema, struct, path)

    def zero(self, schema: Obj) -> Any:
        """What Go leaves in a list element or map value decoded from null: the zero value of its type
        (a Quantity's is written "0", an IntOrString's 0)."""
        name, resolved = self.resolve(schema)
        if name in (QUANTITY, INT_OR_STRING):
            return "0" if name == QUANTITY else 0
        if "properties" in resolved or resolved.get("type") == "object":
            return {}
        return {"array": [], "string": "", "integer": 0, "number": 0, "boolean": False}.get(resolved.get("type", ""))

    def scalar(self, value: Any, resolved: Obj, schema: Obj, struct: str, path: str) -> Any:
        kind = resolved.get("type")
        if kind == "string":
            if not isinstance(value, str):
                self.type_error(value, schema, struct, path)
            elif resolved.get("format") == "byte":
                try:
                    base64.b64decode(value, validate=True)
                except (binascii.Error, ValueError):
                    self.fail(f"illegal base64 data at input byte {_base64_error_at(value)}")
        elif kind == "boolean" and not isinstance(value, bool):
            self.type_error(value, schema, struct, path)
        elif kind == "integer":
            low, high = INT32 if resolved.get("format") == "int32" else INT64
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.type_error(value, schema, struct, path)
            elif isinstance(value, float) and self.unstructured and value == int(value):
                return int(value)  # the converter takes a whole float for an integer
            elif isinstance(value, float) or not low <= value <= high:
                self.type_error(value, schema, struct, path, f"number {value}")
        elif kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            self.type_error(value, schema, struct, path)
        return value

    def struct(self, value: Any, schema: Obj, name: str, struct: str, path: str, strict_path: str) -> Any:
        if not isinstance(value, dict):
            self.type_error(value, schema, struct, path)
            return value
        properties = self.resolve(schema)[1]["properties"]
        own = _go_name(name).split(".")[1] if name else struct
        prefix, strict_prefix = f"{path}." if path else "", f"{strict_path}." if strict_path else ""
        for key in getattr(value, "duplicates", ()):
            self.result.strict.append(f'duplicate field "{strict_prefix}{key}"')
        kept: Obj = {}
        for key, item in value.items():
            if key not in properties:
                self.result.strict.append(f'unknown field "{strict_prefix}{key}"')
                continue
            if item is None:
                # null leaves a field at its zero value: metadata, spec and status of a kind are structs
                # and are written back as {}, a zero metav1.Time as null; the other fields kube-apiserver
                # serves are optional (pointers, omitempty) and are not written.
                if not path and key in ("metadata", "spec", "status"):
                    kept[key] = {}
                elif self.resolve(properties[key])[1].get("format") == "date-time":
                    kept[key] = None
                continue
            kept[key] = self.value(item, properties[key], own, prefix + key, strict_prefix + key)
        if not path and "spec" in properties and "spec" not in kept:
            kept["spec"] = {}  # a kind's spec is a struct, which Go always writes
        return kept


def _base64_error_at(text: str) -> int:
    """Where Go's base64.StdEncoding stops: the first byte outside its alphabet, else the end of the
    last whole quantum (padding and length errors are reported there; an approximation)."""
    for i, char in enumerate(text):
        if char not in BASE64_ALPHABET:
            return i
    return len(text) - len(text) % 4


def decode(definition: str, body: Obj, unstructured: bool = False) -> Decoded:
    """Decode `body` as the type `definition` names (an OpenAPI definition of the served spec)."""
    decoder = _Decoder(unstructured)
    decoder.result.obj = decoder.struct(body, {"$ref": f"#/definitions/{definition}"}, definition, "", "", "")
    return decoder.result
