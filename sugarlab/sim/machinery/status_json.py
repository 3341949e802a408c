"""JSON as kube-apiserver writes it: Go's encoding/json with a trailing newline.

k8s.io/apimachinery `pkg/runtime/serializer/json` encodes through `json.NewEncoder(w).Encode`, which
writes compact JSON, escapes `<`, `>`, `&`, U+2028 and U+2029 (SetEscapeHTML is on by default), keeps
other non-ASCII text as UTF-8, and ends the document with a newline.
"""

from __future__ import annotations

import json
from typing import Any

_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def go_json(value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in _GO_ESCAPES.items():
        text = text.replace(char, escape)  # these characters occur only inside JSON strings
    return (text + "\n").encode()
