"""The headless progress line: the running notebook, what its lab is doing now, and its code cell.

    04-storage · drain-node (3 of 5):  71%|███████   | 5/7 [12:03<04:10, cell 9 of 12]

The description is the notebook and the lab's current activity (`Lab.doing`, which every `Lab.step` sets;
"(3 of 5)" is the activity's own count, here the third of five failover experiments), read from the
workspace's `.sugarlab/doing.json` once a second on a thread, so it changes while a long cell runs. The
postfix is the code cell executing out of the notebook's code cells (papermill's injected parameters cell
counts), told by papermill's `cell_start` through the engine registered here. Nothing is logged; on a
terminal the line is redrawn every second (its clock runs), elsewhere only when what it shows changes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from papermill.engines import NBClientEngine, papermill_engines
from tqdm import tqdm

from sugarlab.lab.session import DOING

ENGINE = "sugarlab"
POLL_S = 1.0
CellStarted = Callable[[int, int], None]  # (k, n): the k-th of the notebook's n code cells starts


class ProgressEngine(NBClientEngine):  # type: ignore[misc]  # papermill ships no hints (see pyproject.toml)
    """papermill's nbclient engine, telling `on_cell` which code cell starts."""

    @classmethod
    def execute_managed_notebook(
        cls, nb_man: Any, kernel_name: str, on_cell: CellStarted | None = None, **kwargs: Any
    ) -> Any:
        if on_cell is not None:
            code = [index for index, cell in enumerate(nb_man.nb.cells) if cell.cell_type == "code"]
            started = nb_man.cell_start

            def cell_start(cell: Any, cell_index: int | None = None, **kw: Any) -> Any:
                if cell_index in code:
                    on_cell(code.index(cell_index) + 1, len(code))
                return started(cell, cell_index, **kw)

            nb_man.cell_start = cell_start
        return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)


papermill_engines.register(ENGINE, ProgressEngine)


def activity(state_dir: Path, notebook: str) -> str | None:
    """What the lab of `notebook` is doing now, as `drain-node (3 of 5)`; None when nothing is said."""
    try:
        record = json.loads((state_dir / DOING).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("notebook") != notebook or not record.get("doing"):
        return None
    position = record.get("position")
    return f"{record['doing']} ({position[0]} of {position[1]})" if position else str(record["doing"])


@contextmanager
def shown(bar: tqdm[Any], state_dir: Path, notebook: str) -> Iterator[CellStarted]:
    """Keep `bar` showing `notebook`'s activity while the block runs; yields the engine's `on_cell`."""
    stop = threading.Event()
    shown_now = ""

    ticking = bool(getattr(bar.fp, "isatty", lambda: False)())  # a terminal's line keeps its clock going

    def show_activity() -> None:
        nonlocal shown_now
        doing = activity(state_dir, notebook)
        description = f"{notebook} · {doing}" if doing else notebook
        if description != shown_now:
            shown_now = description
            bar.set_description(description)
        elif ticking:
            bar.refresh()

    def poll() -> None:
        while not stop.wait(POLL_S):
            show_activity()

    def on_cell(k: int, n: int) -> None:
        bar.set_postfix_str(f"cell {k} of {n}", refresh=False)
        show_activity()
        bar.refresh()

    show_activity()
    thread = threading.Thread(target=poll, name=f"progress-{notebook}", daemon=True)
    thread.start()
    try:
        yield on_cell
    finally:
        stop.set()
        thread.join()
        bar.set_postfix_str("", refresh=False)
