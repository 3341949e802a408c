"""Go's `time.Duration` as text, which Kubernetes prints in messages and marshals in some fields."""

from __future__ import annotations


def go_duration(nanoseconds: int) -> str:
    """time.Duration.String(): `1h2m3.5s`, `1.5s`, `250ms`, `0s`."""
    if nanoseconds == 0:
        return "0s"
    sign, n = ("-" if nanoseconds < 0 else ""), abs(nanoseconds)
    if n < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if n >= size:
                return sign + f"{n / size:.9f}".rstrip("0").rstrip(".") + unit
    hours, rest = divmod(n, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    seconds = f"{rest / 1e9:.9f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    return f"{sign}{minutes}m{seconds}" if minutes else sign + seconds
