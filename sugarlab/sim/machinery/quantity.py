"""Which strings kube-apiserver accepts as a `resource.Quantity`, and its messages for the others.

Follows `ParseQuantity` and `parseQuantityString` in k8s.io/apimachinery pkg/api/resource/quantity.go
(v0.33): sign, digits, an optional fraction, then a suffix that is binary (Ki … Ei), decimal SI
(n u m "" k M G T P E) or a decimal exponent (e3, E-2).
"""

from __future__ import annotations

import re

SPLIT_RE = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
FORMAT_WRONG = f"quantities must match the regular expression '{SPLIT_RE}'"
BAD_SUFFIX = "unable to parse quantity's suffix"
SUFFIXES = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "", "k", "M", "G", "T", "P", "E"}
EXPONENT = re.compile(r"^[eE][-+]?[0-9]+$")
SCAN = re.compile(r"^[+-]?[0-9]*(\.[0-9]*)?(?P<suffix>[eEinumkKMGTP]*[-+]?[0-9]*)$")


def quantity_error(text: str) -> str | None:
    """None when `text` parses as a quantity, else the error ParseQuantity returns."""
    if not text:
        return FORMAT_WRONG
    if text == "0":
        return None
    scanned = SCAN.match(text)
    if scanned is None:
        return FORMAT_WRONG
    suffix = scanned.group("suffix")
    if suffix in SUFFIXES or EXPONENT.match(suffix):
        return None
    return BAD_SUFFIX


def json_quantity_error(value: object) -> str | None:
    """The error `Quantity.UnmarshalJSON` gives for a decoded JSON value (it parses the raw text,
    quotes removed and spaces trimmed)."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float, str)):
        text = str(value).strip()
    else:
        return FORMAT_WRONG
    return quantity_error(text)
