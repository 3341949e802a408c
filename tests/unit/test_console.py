"""A quiet console: a run prints its progress bar, one line per notebook and the run folder, nothing a
user cannot act on (no kernel transport warning, no KeyboardInterrupt from a kernel's shutdown, no
library logging), and a failed notebook as one line."""

from __future__ import annotations

import asyncio
import logging
import stat
from pathlib import Path

import pytest
from papermill.exceptions import PapermillExecutionError

from sugarlab.app.cli import main
from sugarlab.app.console import QuietKernelManager, failure_line, failure_text, logged_to

NOTEBOOKS = Path(__file__).parents[1] / "data" / "notebooks"
NOISE = ("without encryption", "KeyboardInterrupt", "Traceback", "WARNING", "INFO")


def test_a_run_prints_a_line_per_notebook_and_one_line_for_the_failure(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--notebooks-dir", str(NOTEBOOKS), "--output-dir", "outputs"]) == 1
    out, err = capfd.readouterr()  # file descriptors: the kernels' own output is caught too
    terminal = out + err
    assert not [word for word in NOISE if word in terminal], terminal
    lines = [line for line in terminal.replace("\r", "\n").splitlines() if line.strip() and "%|" not in line]
    assert [line.split(":")[0] for line in lines] == ["01-write", "02-fail", "run folder", "archive", "sugarlab"]
    assert lines[0].startswith("01-write: succeeded in ") and lines[1].startswith("02-fail: failed in ")
    run_id = lines[2].rsplit("/", 1)[1]
    assert lines[4] == (
        'sugarlab: error: notebook 02-fail failed in cell 4 (In [4]: raise RuntimeError(f"boom from '
        '02-fail ({answer})")): RuntimeError: boom from 02-fail (42) '
        f"(see outputs/{run_id}/html/02-fail.html); after a fix, resume with: sugarlab run --resume "
        f"{tmp_path / 'outputs' / run_id}"
    )
    log = (tmp_path / "outputs" / run_id / "run.log").read_text()
    assert "papermill: Executing notebook with kernel: python3" in log


def test_a_failure_keeps_its_lines_for_the_page_and_one_for_the_terminal(tmp_path: Path) -> None:
    error = PapermillExecutionError(
        5,
        3,
        "\n  storage_lab.wait_ready(lab)\n",
        "StoragePending",
        "nfs-sqlite-0 not Ready after 600 s\n\n- check the claim\n- check the NAS",
        [],
    )
    text = failure_text("04-storage", error)
    assert text.splitlines() == [
        "notebook 04-storage failed in cell 5 (In [3]: storage_lab.wait_ready(lab)): "
        "StoragePending: nfs-sqlite-0 not Ready after 600 s",
        "",
        "- check the claim",
        "- check the NAS",
    ]
    line = failure_line(text, tmp_path / "html" / "04-storage.html")
    assert "\n" not in line and line.endswith(f"(see {tmp_path}/html/04-storage.html)")


def test_kernels_listen_on_private_ipc_sockets_and_leave_nothing_behind() -> None:
    manager = QuietKernelManager(kernel_name="python3")
    folder = Path(manager.ip).parent
    assert manager.transport == "ipc" and Path(manager.ip).is_absolute()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700

    async def start_and_stop() -> None:
        await manager.start_kernel()
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
        finally:
            client.stop_channels()
            await manager.shutdown_kernel()

    asyncio.run(start_and_stop())
    assert not folder.exists()


def test_library_logging_goes_to_the_run_log_and_is_restored(tmp_path: Path) -> None:
    logger = logging.getLogger("papermill")
    before = (logger.level, logger.propagate, list(logger.handlers))
    with logged_to(tmp_path / "run.log"):
        logger.warning("Passed unknown parameter: x")
    assert "WARNING papermill: Passed unknown parameter: x" in (tmp_path / "run.log").read_text()
    assert (logger.level, logger.propagate, list(logger.handlers)) == before
