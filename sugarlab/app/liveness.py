"""Whether the process that wrote a run's manifest is still running it.

A run records its runner in the manifest from its first second: the pid, the process's start time and the
boot it ran in (`/proc/sys/kernel/random/boot_id`, new at every boot, proc(5)). A manifest left `running`
by a runner that is gone (SIGKILL, the OOM killer, a power cut) belongs to an interrupted run; a pid that
was handed out again, before or after a reboot, is another process and is not taken for the runner.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sugarlab.sim.owner import Owner

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def this_runner() -> dict[str, Any]:
    """This process, as the manifest records its runner."""
    me = Owner.of(os.getpid())
    return {"pid": me.pid, "start_time": me.start_time, "boot_id": _boot_id()}


def still_running(runner: Mapping[str, Any] | None) -> bool:
    """Whether the runner a manifest records is still alive."""
    if not runner:
        return False
    return runner.get("boot_id") == _boot_id() and Owner(int(runner["pid"]), int(runner["start_time"])).alive()


def _boot_id() -> str | None:
    try:
        return BOOT_ID.read_text().strip()
    except OSError:
        return None
