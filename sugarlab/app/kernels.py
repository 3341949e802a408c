"""The kernels a run executes its notebooks in, with their own stderr in the run folder.

A kernel writes its diagnostics to the stderr it inherits; when a run is interrupted, the kernel being
shut down mid-cell prints tracebacks there that say nothing to the user. So each kernel's stderr goes
to `kernels.log` in the run folder (kept in the archive), and the console keeps the one line the run
prints. nbclient builds its kernel manager from `kernel_manager_class`, which papermill passes through. The
kernels also get the run's own environment variables (the simulator's owner, `sugarlab.kube.simulator`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sugarlab.app.console import QuietKernelManager

LOG = "kernels.log"


def logging_kernel_manager(run_dir: Path, env: Mapping[str, str]) -> type[QuietKernelManager]:
    """A QuietKernelManager whose kernels write their stderr to `run_dir/kernels.log`, with `env` set."""
    log = run_dir / LOG

    class LoggingKernelManager(QuietKernelManager):
        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            with log.open("ab") as handle:  # the kernel keeps its own copy of the descriptor
                kw["stderr"] = handle
                kw["env"] = {**kw.get("env", os.environ), **env}
                await super()._async_launch_kernel(kernel_cmd, **kw)

    return LoggingKernelManager
