"""Cell formats shared by the server-side printers: ages, label selectors, container lists.

Each follows the apimachinery or printers.go helper named beside it (kubernetes/kubernetes), so a
`kubectl get` against the simulator prints what it prints against kube-apiserver.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sugarlab.common.objects import Obj

NONE = "<none>"
UNSET = "<unset>"


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(UTC)


def human_duration(d: timedelta) -> str:
    """apimachinery/pkg/util/duration.HumanDuration."""
    seconds = int(d.total_seconds())
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m" if seconds % 60 == 0 else f"{minutes}m{seconds % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def since(stamp: str | None, now: datetime) -> str:
    """printers.go translateTimestampSince: `<unknown>` for a zero time."""
    moment = parse_time(stamp)
    return "<unknown>" if moment is None else human_duration(now - moment)


def age(obj: Obj, now: datetime) -> str:
    return since(obj.get("metadata", {}).get("creationTimestamp"), now)


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
