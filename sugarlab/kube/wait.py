"""One way to wait on a cluster: poll until a condition holds, with a progress bar, on the cluster's clock.

A poll returns the result once the condition holds, or `Pending` saying how far along it is. Timeouts
are in cluster seconds: the simulator's clock runs `Cluster.speed` times faster than the wall clock,
so a five-minute rollout on k3s takes five minutes, and `300 / speed` real seconds on the simulator.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tqdm.auto import tqdm

from sugarlab.lab.errors import WaitTimeout

T = TypeVar("T")


@dataclass(frozen=True)
class Pending:
    """A poll's answer while the condition does not hold: `done` of `total` for the bar, `seen` for the
    timeout's message, and `value`, what the caller may still use when time runs out."""

    done: int = 0
    total: int | None = None
    seen: str = ""
    value: Any = None


def wait_for(
    poll: Callable[[], T | Pending],
    what: str,
    timeout: float,
    *,
    speed: float = 1.0,
    interval: float = 0.2,
    progress: bool = False,
) -> T:
    """Call `poll` until it returns something other than `Pending`, and return that.

    `timeout` is in cluster seconds, `interval` in real seconds. After the timeout, one last poll has
    run; `WaitTimeout` then carries its `Pending` as `last`.
    """
    deadline = time.monotonic() + timeout / speed
    with tqdm(desc=what, disable=not progress, leave=False) as bar:
        while True:
            answer = poll()
            if not isinstance(answer, Pending):
                return answer
            bar.total, bar.n = answer.total, answer.done
            bar.refresh()
            if time.monotonic() > deadline:
                raise WaitTimeout(what, timeout, answer)
            time.sleep(interval)
