"""The process a simulator serves, when one was named: once it is gone, the simulator stops itself.

A headless run starts its simulator from a notebook's kernel, in a session of its own so that it outlives the
kernel; if the run is killed outright (SIGKILL, the OOM killer) nothing would stop it. So the run names
itself as the owner and the simulator watches it. A process is named by its pid and its start time (field 22
of `/proc/<pid>/stat`, in clock ticks after boot, proc(5)): a pid the kernel hands out again later belongs to
a process that started later, so it is not taken for the owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

POLL_S = 1.0  # how often the simulator looks for its owner: one read of a small /proc file


@dataclass(frozen=True)
class Owner:
    pid: int
    start_time: int

    def __str__(self) -> str:
        return f"{self.pid}:{self.start_time}"

    @classmethod
    def parse(cls, text: str) -> Owner:
        """`PID:START_TIME`, as `str` writes it; ValueError otherwise."""
        pid, sep, start = text.partition(":")
        if not sep or not pid.isdigit() or not start.isdigit():
            raise ValueError(f"{text!r} is not PID:START_TIME")
        return cls(int(pid), int(start))

    @classmethod
    def of(cls, pid: int) -> Owner:
        """The running process `pid`; ProcessLookupError when there is none."""
        start = start_time(pid)
        if start is None:
            raise ProcessLookupError(pid)
        return cls(pid, start)

    def alive(self) -> bool:
        return start_time(self.pid) == self.start_time


def start_time(pid: int) -> int | None:
    """When process `pid` started, in clock ticks after boot; None when there is no such process (a zombie
    counts as gone: it runs nothing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
    fields = stat[stat.rindex(")") + 2 :].split()
    return None if fields[0] == "Z" else int(fields[19])
