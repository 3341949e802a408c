"""The cluster's clock: it runs `speed` times faster than real time, and never ahead of the wall clock.

A five-minute Job at speed 60 finishes in five real seconds. Clients also compute ages from their own
clock (kubectl's `describe` events, `get --watch` rows): a timestamp ahead of theirs prints as
`<invalid>`. So a new cluster's clock starts `HEAD_START` behind the wall clock and gains on it at
`speed`; once it has caught up it keeps to the wall clock, and time runs at real speed. The cost:
ages kubectl computes itself read up to `HEAD_START` too old, and after about
HEAD_START / (speed - 1) of real time (12 minutes at speed 60) waits take real time. The clock
resumes where it stopped when the simulator restarts, so a cluster's timeline never jumps.

A cluster started by hand (`sugarlab sim start` without `-p speed`) runs on real time, speed 1, and a new
one starts without a head start: the ages kubectl computes itself then agree with the server's. The
workbook's runs keep the accelerated clock they need. A cluster seeded at speed 60 and then started by
hand resumes where its clock stopped, still behind the wall clock by what was left of its head start.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sugarlab.common.kubectl import format_time

HEAD_START = timedelta(hours=12)  # a full `sugarlab run` spends about four cluster hours at speed 60


def wall_now() -> datetime:
    return datetime.now(UTC)


class VirtualClock:
    def __init__(self, start: datetime, speed: float) -> None:
        self.speed = speed
        self._start = start
        self._real_start = time.monotonic()

    def now(self) -> datetime:
        fast = self._start + timedelta(seconds=(time.monotonic() - self._real_start) * self.speed)
        wall = wall_now()
        if self._start >= wall:  # a cluster whose clock already ran ahead keeps its pace rather than stopping
            return fast
        return min(fast, wall)

    def rate(self) -> float:
        """How many cluster seconds pass in a real second from now on: `speed` until it catches up, then 1."""
        return self.speed if wall_now() - self.now() > timedelta(seconds=self.speed) else 1.0

    def stamp(self) -> str:
        """Now, as the API server writes timestamps (RFC 3339, seconds)."""
        return format_time(self.now())
