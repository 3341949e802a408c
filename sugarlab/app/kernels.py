"""The kernels a run executes its notebooks in: started ahead, with their own stderr in the run folder.

A kernel writes its diagnostics to the stderr it inherits; when a run is interrupted, the kernel being
shut down mid-cell prints tracebacks there that say nothing to the user. So each kernel's stderr goes
to `kernels.log` in the run folder (kept in the archive), and the console keeps the one line the run
prints. The kernels also get the run's own environment variables (the simulator's owner,
`sugarlab.kube.simulator`).

A fresh kernel costs about two seconds before a notebook's first cell has done its imports (the kernel's
own start, then matplotlib, pandas, the kubernetes client and the workbook), while the notebook before
it mostly waits on its cluster. So each notebook's kernel is started while the notebook before it runs
(`KernelsAhead`), and imports what that notebook's code cells import, into a namespace it then drops:
the notebook still starts from an empty namespace and runs its own imports, which find the modules
loaded. Nothing else of the notebook runs ahead; its parameters are injected as a cell, as before.
The first notebook's kernel starts as the block is entered, and the runner loads what else it needs
(its plots, its report) while that kernel boots.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import nbformat
from IPython.core.inputtransformer2 import TransformerManager
from jupyter_core.utils import run_sync

from sugarlab.app.console import QuietKernelManager

LOG = "kernels.log"
KERNEL = "python3"
# What nbclient passes to a kernel it starts itself (`NotebookClient.ipython_hist_file`): no history file.
HISTORY = "--HistoryManager.hist_file=:memory:"


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


def notebook_imports(notebook: Path) -> str:
    """The import statements at the top level of `notebook`'s code cells, as Python source (a cell with
    IPython syntax, such as `%matplotlib inline`, is read as IPython reads it; one that does not parse is
    skipped, and the notebook reports it when it runs)."""
    cells = nbformat.read(notebook, as_version=4).cells
    transform = TransformerManager().transform_cell
    statements = []
    for cell in cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(transform(cell.source))
        except SyntaxError:
            continue
        statements += [ast.unparse(node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    return "\n".join(statements)


class KernelsAhead:
    """A kernel for each of `notebooks` in turn; while one notebook runs, the next one's kernel starts
    and does that notebook's imports (see the module). Entering the block starts the first notebook's
    kernel; leaving it stops a kernel nobody took."""

    def __init__(self, manager: type[QuietKernelManager], notebooks: Sequence[Path], cwd: Path) -> None:
        self._manager, self._cwd = manager, cwd
        self._waiting = list(notebooks)
        self._next: QuietKernelManager | None = None

    def __enter__(self) -> KernelsAhead:
        self._next = self._start(self._waiting[0]) if self._waiting else None
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self._next is not None:
            stop(self._next)
            self._next = None

    def take(self) -> QuietKernelManager:
        """The started kernel for the next notebook; the one after it starts now."""
        kernel = self._next
        if kernel is None:
            raise RuntimeError("every notebook has taken its kernel")
        self._waiting.pop(0)
        self._next = self._start(self._waiting[0]) if self._waiting else None
        return kernel

    def _start(self, notebook: Path) -> QuietKernelManager:
        kernel = self._manager(kernel_name=KERNEL)
        arguments = [HISTORY]
        imports = notebook_imports(notebook)
        if imports:
            arguments.append(f"--IPKernelApp.exec_lines=exec({imports!r}, {{}})")
        run_sync(kernel.start_kernel)(cwd=str(self._cwd), extra_arguments=arguments)
        return kernel


def stop(kernel: QuietKernelManager) -> None:
    """Stop `kernel` at once (its notebook has finished, or will not run) and remove what it left behind,
    as nbclient does for a kernel it started itself."""

    async def stopped() -> None:
        try:
            if await kernel.is_alive():
                await kernel.shutdown_kernel(now=True)
        finally:
            await kernel.cleanup_resources()

    run_sync(stopped)()
