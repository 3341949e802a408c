"""A run starts each notebook's kernel while the notebook before it runs, with that notebook's imports done."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import psutil
import pytest

from sugarlab.app.kernels import notebook_imports
from sugarlab.app.runner import run_lab

# What the run loads only once its first kernel is starting (`sugarlab.app.runner._execute_all`).
HEAVY = ("matplotlib", "pandas", "nbconvert", "sugarlab.report", "sugarlab.app.progress")
# Imported by the second notebook: says when, and in which process, it was imported.
PROBE = """\
import os
import time
from pathlib import Path

IMPORTED_AT = time.time()
with Path("kernel-pids").open("a") as pids:
    pids.write(f"{os.getpid()}\\n")
"""
# The first notebook holds the run until the second one's kernel has imported the probe (or 60 s have passed).
WAIT_FOR_PROBE = """\
import time
from pathlib import Path

for _ in range(600):
    if Path("kernel-pids").exists():
        break
    time.sleep(0.1)
"""
SECOND = [
    "import sys, time\nfirst_cell_at = time.time()\nloaded = 'ahead_probe' in sys.modules\nbound = 'ahead_probe' in dir()",
    "import ahead_probe",
    "import json\nfrom pathlib import Path\n"
    "Path('second.json').write_text(json.dumps({'loaded': loaded, 'bound': bound, "
    "'imported_before_first_cell': ahead_probe.IMPORTED_AT < first_cell_at}))",
]


def _notebook(path: Path, *sources: str) -> None:
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources]), path)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "ahead_probe.py").write_text(PROBE)
    _notebook(folder / "02-second.ipynb", *SECOND)
    return folder


def test_the_next_notebook_finds_its_imports_loaded_and_its_namespace_empty(folder: Path, tmp_path: Path) -> None:
    _notebook(folder / "01-first.ipynb", WAIT_FOR_PROBE)
    result = run_lab({}, notebooks_dir=folder, output_dir=tmp_path / "out", progress=False)
    assert result.status == "succeeded"
    second = json.loads((folder / "second.json").read_text())
    assert second == {"loaded": True, "bound": False, "imported_before_first_cell": True}


def test_a_run_that_stops_early_leaves_no_kernel_started_ahead(folder: Path, tmp_path: Path) -> None:
    _notebook(folder / "01-first.ipynb", WAIT_FOR_PROBE, "raise RuntimeError('stop here')")
    result = run_lab({}, notebooks_dir=folder, output_dir=tmp_path / "out", progress=False)
    assert [nb.status for nb in result.notebooks] == ["failed", "not run"]
    pids = [int(line) for line in (folder / "kernel-pids").read_text().split()]
    assert pids and not any(psutil.pid_exists(pid) for pid in pids)


def test_imports_are_read_as_ipython_reads_a_cell(tmp_path: Path) -> None:
    path = tmp_path / "01-x.ipynb"
    _notebook(
        path, "%matplotlib inline\nimport os\nfrom pathlib import Path as P", "x = 1\nif x:\n    import json", "a = ("
    )
    assert notebook_imports(path) == "import os\nfrom pathlib import Path as P"


def test_the_runner_starts_the_first_kernel_before_it_loads_the_plotting_and_report_libraries() -> None:
    # The first kernel's start (about two seconds) overlaps these imports (about one) only if they wait for it.
    loaded = subprocess.run(
        [sys.executable, "-c", f"import sugarlab.app.runner, sys; print(sorted(set({HEAVY!r}) & set(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert loaded == "[]"
