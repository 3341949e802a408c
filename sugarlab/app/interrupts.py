"""Ctrl-C and SIGTERM during a run: the current notebook stops, the run is archived, the simulator
stopped, and the command exits as a shell expects of a process ended by that signal (128 + its
number: 130 for SIGINT, 143 for SIGTERM)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal; `name` is SIGINT or SIGTERM."""

    def __init__(self, name: str = "SIGINT") -> None:
        super().__init__(name)
        self.name = name

    @property
    def exit_code(self) -> int:
        return 128 + int(signal.Signals[self.name])


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """While inside, SIGTERM raises `Interrupted("SIGTERM")` as Ctrl-C raises KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Interrupted("SIGTERM")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def as_interrupted(exc: KeyboardInterrupt) -> Interrupted:
    return exc if isinstance(exc, Interrupted) else Interrupted("SIGINT")
