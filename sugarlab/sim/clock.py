"""A virtual clock: simulated time runs `speed` times faster than real time.

A five-minute Job at speed 60 finishes in five real seconds. The clock resumes where it stopped
when the simulator restarts, so a cluster's timeline never jumps.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone


class VirtualClock:
    def __init__(self, start: datetime, speed: float) -> None:
        self.speed = speed
        self._start = start
        self._real_start = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(time.monotonic() - self._real_start) * self.speed)

    def stamp(self) -> str:
        """Now, as the API server writes timestamps (RFC 3339, seconds)."""
        return format_time(self.now())


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
