"""Tables of custom resources: Name, then the CRD version's additionalPrinterColumns, each cell found by
its JSONPath and typed as the column says (apiextensions-apiserver pkg/registry/customresource/tableconvertor,
`New` and `cellForJSONValue`).

CRDs may only use simple JSONPaths (`.a.b`, `[n]`, `[?(@.k=='v')]` filters); those are what is read here.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from typing import Any

from sugarlab.common.kubectl import since
from sugarlab.common.objects import Obj
from sugarlab.sim.apiserver.printers.columns import NAME, Column, Printer
from sugarlab.sim.machinery.resources import PrinterColumn

_STEP = re.compile(r"\.([^.\[]+)|\[\?\(@\.([^=]+)==['\"]([^'\"]*)['\"]\)\]|\[(\d+)\]")
_MISSING = object()


def _steps(path: str) -> list[tuple[str, ...]]:
    steps: list[tuple[str, ...]] = []
    pos = 0
    while pos < len(path):
        match = _STEP.match(path, pos)
        if match is None:
            raise ValueError(f"unsupported JSONPath {path!r}")
        key, filter_key, filter_value, index = match.groups()
        if key is not None:
            steps.append(("key", key))
        elif index is not None:
            steps.append(("index", index))
        else:
            steps.append(("filter", filter_key, filter_value))
        pos = match.end()
    return steps


def find(obj: Any, path: str) -> Any:
    """The first value `path` finds in `obj`, or _MISSING (a filter keeps the first element that matches)."""
    value = obj
    for step in _steps(path.strip().strip("{}")):
        if step[0] == "key" and isinstance(value, dict) and step[1] in value:
            value = value[step[1]]
        elif step[0] == "index" and isinstance(value, list) and int(step[1]) < len(value):
            value = value[int(step[1])]
        elif step[0] == "filter" and isinstance(value, list):
            value = next((v for v in value if isinstance(v, dict) and str(v.get(step[1])) == step[2]), _MISSING)
            if value is _MISSING:
                return _MISSING
        else:
            return _MISSING
    return value


def _string(value: Any) -> str:
    """How k8s.io/client-go's jsonpath prints a value: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _cell(kind: str, value: Any, now: datetime) -> Any:
    if kind == "string":
        return _string(value)
    if kind == "integer" and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "date" and isinstance(value, str):
        try:
            return since(value, now)
        except ValueError:
            return "<invalid>"
    return None


@cache
def custom_printer(columns: tuple[PrinterColumn, ...]) -> Printer:
    def cells(obj: Obj, now: datetime) -> list[Any]:
        row: list[Any] = [obj["metadata"]["name"]]
        for column in columns:
            value = find(obj, column.json_path)
            row.append(None if value is _MISSING or value is None else _cell(column.type, value, now))
        return row

    headers = tuple(Column(c.name, c.type, c.priority, c.description, c.format) for c in columns)
    return Printer((NAME, *headers), cells)
