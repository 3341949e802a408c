"""Cell formats shared by the server-side printers: labels, label selectors, container lists.

Each follows the apimachinery or printers.go helper named beside it (kubernetes/kubernetes), so a
`kubectl get` against the simulator prints what it prints against kube-apiserver. Ages and the pod and
node STATUS come from `sugarlab.common.kubectl`, which the workbook's frames share.
"""

from __future__ import annotations

from sugarlab.common.objects import Obj

NONE = "<none>"
UNSET = "<unset>"


def format_labels(labels: dict[str, str] | None) -> str:
    """labels.FormatLabels: sorted `k=v` pairs, `<none>` when empty."""
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or NONE


def selector_string(selector: Obj | None) -> str:
    """metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key."""
    if not selector:
        return ""
    requirements: list[tuple[str, str]] = [(k, f"{k}={v}") for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], sorted(expr.get("values") or [])
        text = {
            "In": f"{key} in ({','.join(values)})",
            "NotIn": f"{key} notin ({','.join(values)})",
            "Exists": key,
            "DoesNotExist": f"!{key}",
        }[op]
        requirements.append((key, text))
    return ",".join(text for _, text in sorted(requirements, key=lambda r: r[0]))


def format_selector(selector: Obj | None) -> str:
    """metav1.FormatLabelSelector: `<none>` for a missing or empty selector."""
    return selector_string(selector) or NONE


def containers(template_spec: Obj | None) -> tuple[str, str]:
    """printers.go layoutContainerCells: names and images, comma-joined."""
    listed = (template_spec or {}).get("containers") or []
    return ",".join(c.get("name", "") for c in listed), ",".join(c.get("image", "") for c in listed)


def bool_ptr(value: bool | None) -> str:
    """printers.go printBoolPtr."""
    return UNSET if value is None else ("True" if value else "False")


def listed(items: list[str], limit: int = 3) -> str:
    """printers.go listWithMoreString: the first three, then `+ N more...`; `<unset>` when empty."""
    if len(items) > limit:
        return f"{','.join(items[:limit])} + {len(items) - limit} more..."
    return ",".join(items) or UNSET


def access_modes(modes: list[str] | None) -> str:
    """core/helper.GetAccessModesAsString: a fixed order, not the object's."""
    short = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}
    return ",".join(abbrev for mode, abbrev in short.items() if mode in (modes or []))
