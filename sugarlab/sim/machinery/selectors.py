"""Label and field selectors, with the syntax and errors of the real API server."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from sugarlab.sim.machinery.errors import ApiError

Matcher = Callable[[dict[str, Any]], bool]
_T = TypeVar("_T")
_V = TypeVar("_V")

_SET_RE = re.compile(r"^\s*(!?)([\w./-]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$")
_EQ_RE = re.compile(r"^\s*([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)\s*$")


def _split_terms(selector: str) -> list[str]:
    """Split on commas that are not inside the parentheses of a set expression."""
    terms, depth, current = [], 0, ""
    for char in selector:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return [t for t in terms if t.strip()]


def _bind(test: Callable[[_T, str, _V], bool], key: str, value: _V) -> Callable[[_T], bool]:
    """`test` with its key and value bound now, not when the loop has moved on."""
    return lambda subject: test(subject, key, value)


def label_matcher(selector: str | None) -> Matcher:
    if not selector:
        return lambda obj: True
    checks: list[Callable[[dict[str, str]], bool]] = []
    for term in _split_terms(selector):
        if eq := _EQ_RE.match(term):
            key, op, value = eq.groups()
            if op == "!=":
                checks.append(_bind(lambda labels, k, v: labels.get(k) != v, key, value))
            else:
                checks.append(_bind(lambda labels, k, v: labels.get(k) == v, key, value))
        elif st := _SET_RE.match(term):
            negate, key, op, values = st.groups()
            wanted = {v.strip() for v in (values or "").split(",") if v.strip()}
            if op == "in":
                checks.append(_bind(lambda labels, k, w: labels.get(k) in w, key, wanted))
            elif op == "notin":
                checks.append(_bind(lambda labels, k, w: labels.get(k) not in w, key, wanted))
            elif negate:
                checks.append(_bind(lambda labels, k, _: k not in labels, key, None))
            else:
                checks.append(_bind(lambda labels, k, _: k in labels, key, None))
        else:
            raise ApiError.bad_request(f"unable to parse requirement: invalid label selector {term!r}")
    return lambda obj: all(check(obj.get("metadata", {}).get("labels") or {}) for check in checks)


def field_value(obj: dict[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def field_matcher(selector: str | None, supported: tuple[str, ...], kind: str) -> Matcher:
    if not selector:
        return lambda obj: True
    checks: list[Matcher] = []
    for term in _split_terms(selector):
        eq = _EQ_RE.match(term)
        if not eq:
            raise ApiError.bad_request(f"invalid field selector: {term!r}")
        path, op, value = eq.groups()
        if path not in ("metadata.name", "metadata.namespace", *supported):
            raise ApiError.bad_request(f"field label not supported: {path}", reason="BadRequest")
        if op == "!=":
            checks.append(_bind(lambda obj, p, v: field_value(obj, p) != v, path, value))
        else:
            checks.append(_bind(lambda obj, p, v: field_value(obj, p) == v, path, value))
    return lambda obj: all(check(obj) for check in checks)


def selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """A metav1.LabelSelector object (matchLabels and matchExpressions) against a label set."""
    if selector is None:
        return False
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], set(expr.get("values") or [])
        if (
            (op == "In" and labels.get(key) not in values)
            or (op == "NotIn" and labels.get(key) in values)
            or (op == "Exists" and key not in labels)
            or (op == "DoesNotExist" and key in labels)
        ):
            return False
    return True
