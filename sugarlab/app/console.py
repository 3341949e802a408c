"""A quiet console for headless runs: the progress bar, one line per notebook, the run folder.

What the libraries under a run would print, and the user cannot act on, is kept out of the terminal:

- papermill's, nbclient's and jupyter_client's logging and Python warnings go to the run's own
  `run.log` (`logged_to`), where they can still be read;
- kernels talk to the runner over IPC (Unix sockets in a private folder) instead of TCP on
  127.0.0.1, which is what ipykernel asks for when it logs `Kernel is running over TCP without
  encryption` (ipykernel `kernelapp.py`, `init_sockets`) on every start;
- a kernel is not interrupted on its way out: jupyter_client's `shutdown_kernel` sends SIGINT before
  its `shutdown_request` (`manager.py`, `_async_shutdown_kernel`), and a kernel still inside a
  message handler then logs `KeyboardInterrupt caught in kernel` (ipykernel `kernelbase.py`) into
  the terminal, after a run that succeeded. The cells have finished and the notebook is saved when
  papermill shuts a kernel down, so the runner has it killed at once (`shutdown_kernel="immediate"`)
  rather than wait a second for its interpreter to tear the workbook's imports down.

A failed notebook is one line in the terminal (`failure_line`); the manifest and the front page keep
the whole message.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from papermill.exceptions import PapermillExecutionError

# The libraries whose records belong in run.log, not in the terminal.
LIBRARIES = ("papermill", "nbclient", "jupyter_client", "traitlets", "nbconvert", "py.warnings")
RUN_LOG = "run.log"
POLL_S = 0.005  # seconds between checks that a stopped kernel has exited


class QuietKernelManager(AsyncKernelManager):
    """A kernel manager for headless runs: IPC transport, and no SIGINT at shutdown (see the module)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._socket_dir = Path(tempfile.mkdtemp(prefix="sugarlab-kernel-"))  # 0700, this user's only
        self.transport = "ipc"
        self.ip = str(self._socket_dir / "ipc")  # absolute: the kernel runs in the notebooks' folder
        self._clients: list[AsyncKernelClient] = []

    def client(self, **kwargs: Any) -> AsyncKernelClient:  # type: ignore[override]  # as AsyncKernelManager says
        """A client of this kernel whose channels close with the kernel's resources, also when whoever
        asked for it leaves them open (nbclient, given a kernel it did not start: `sugarlab.app.kernels`)."""
        made: AsyncKernelClient = super().client(**kwargs)
        self._clients.append(made)
        return made

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        # A killed kernel is gone within milliseconds; polling at jupyter_client's 0.1 s made each stop
        # wait that long after the notebook had finished.
        await super()._async_wait(pollinterval=min(pollinterval, POLL_S))

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:  # set by _async_shutdown_kernel just before it interrupts
            return
        await super()._async_interrupt_kernel()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        if not restart:
            for made in self._clients:
                made.stop_channels()
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._socket_dir, ignore_errors=True)


@contextmanager
def logged_to(log_file: Path) -> Iterator[Path]:
    """Send the libraries' logging and Python's warnings to `log_file` while the block runs, not to the
    terminal; the earlier set-up is restored afterwards."""
    handler = logging.FileHandler(log_file, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    saved = []
    for name in LIBRARIES:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    logging.captureWarnings(True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            yield log_file
    finally:
        logging.captureWarnings(False)
        for logger, level, propagate in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate
        handler.close()


def headline(error: str) -> str:
    """The first line of a failure's message, which names the notebook, the cell and the error."""
    return error.strip().splitlines()[0] if error.strip() else "failed"


def failure_line(error: str, page: Path) -> str:
    """A failed notebook in one terminal line: the headline and where its HTML shows the cell (relative
    to the working directory when it lies below it, as `outputs/<run-id>/html/...`)."""
    try:
        shown = page.relative_to(Path.cwd())
    except ValueError:
        shown = page
    return f"{headline(error)} (see {shown})"


def failure_text(name: str, exc: BaseException) -> str:
    """What the manifest and the front page keep of a failed notebook: a headline naming the notebook,
    the cell and the error, then the rest of the error's message (a diagnosis keeps its lines)."""
    if isinstance(exc, PapermillExecutionError):
        first_line = next((line.strip() for line in exc.source.splitlines() if line.strip()), "")
        message = str(exc.evalue).strip()
        where = f"notebook {name} failed in cell {exc.cell_index} (In [{exc.exec_count}]: {first_line}): {exc.ename}"
    else:
        message = str(exc).strip()
        where = f"notebook {name} failed: {type(exc).__name__}"
    first, _, rest = message.partition("\n")
    return f"{where}: {first}" + (f"\n{rest.rstrip()}" if rest.strip() else "") if message else where
