"""How long the workbook takes, as ratios to a floor measured in the same run.

Run:  python benchmarks/workbook_speed.py [--make-test]

The floor is what Papermill itself costs: seven one-cell notebooks (`x = 1`) executed one after
another in this process, each in a fresh kernel, as `sugarlab run` executes the seven notebooks of the
workbook, with jupyter_client's own kernel manager, each kernel stopped at once after its last cell. (Under
Papermill's default graceful shutdown about one kernel in six here did not exit when asked, and
jupyter_client sent SIGTERM only after waiting 2.5 s: 30 one-cell notebooks took 0.6-0.8 s each, five
of them 4.0 s. The run never waits for that, so neither does the floor.) Each floor kernel starts when its
notebook does, as Papermill starts it. The floor uses none of the workbook's code, so what the run's own
kernel manager saves (`sugarlab.app.console`) counts for the run alone. The run starts each notebook's
kernel while the one before it runs (`sugarlab.app.kernels`); the script also times the floor's notebooks
run that way (three times, the median), and prints the run's ratio to that too. Against the floor, the script times a
full `sugarlab run` on the simulated cluster (a subprocess, as a user runs it) and prints each
notebook's share from the run's manifest, the time spent outside the notebooks, and the slowest cells
(from Papermill's per-cell timings) as the place to look next.
The target is 12 times the floor. Measuring both in one run keeps the ratio meaningful on a shared
machine, where absolute times drift with the load: the floor is measured several times (`--floors`,
5 by default), half just before the run and half just after it, and the ratio uses their median (on
a busy machine one floor alone can be a quarter off, and a mean follows its outliers); the load
average is printed too, so that two measurements can be compared honestly.

`--make-test` also clones this repository into a temporary folder and times `make test` there,
install included (target: under 5 minutes). This is a measurement, not a test: it reports against
the targets and never fails on them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

from sugarlab.app.console import QuietKernelManager
from sugarlab.app.kernels import KERNEL, KernelsAhead, stop

NOTEBOOKS = 7
# Papermill with jupyter_client's kernel manager, each kernel stopped at once (see the module); the kernel's
# warning that it runs over TCP, printed for every kernel, stays out of the benchmark's output.
OWN_WAY = {"shutdown_kernel": "immediate", "extra_arguments": ["--IPKernelApp.log_level=ERROR"]}
RUN_TARGET_RATIO = 12.0
MAKE_TEST_TARGET_S = 300.0
REPO = Path(__file__).resolve().parents[1]


def papermill_floor(folder: Path, ahead: bool = False) -> float:
    """Seconds Papermill takes to execute seven one-cell notebooks one after another; `ahead`: each kernel
    started while the notebook before it runs, as `sugarlab run` starts them."""
    cell = nbformat.v4.new_code_cell("x = 1")
    folder.mkdir(parents=True)
    paths = []
    for number in range(1, NOTEBOOKS + 1):
        path = folder / f"{number:02d}-floor.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
        paths.append(path)
    # Papermill's own way: jupyter_client's kernel manager starts a kernel when its notebook starts. The
    # run's way: its own kernel manager, each kernel started ahead.
    began = time.perf_counter()
    with KernelsAhead(QuietKernelManager, paths if ahead else [], folder) as kernels:
        for path in paths:
            kernel = kernels.take() if ahead else None
            try:
                papermill.execute_notebook(
                    str(path),
                    str(path.with_suffix(".out.ipynb")),
                    kernel_name=KERNEL,
                    progress_bar=False,
                    **({"km": kernel} if kernel is not None else OWN_WAY),
                )
            finally:
                if kernel is not None:
                    stop(kernel)
    return time.perf_counter() - began


def slowest_cells(run_dir: Path, count: int) -> list[tuple[float, str, str]]:
    """The `count` slowest code cells of a run's executed notebooks: (seconds, notebook, first line)."""
    cells = []
    for notebook in sorted((run_dir / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(notebook, as_version=4).cells:
            seconds = cell.metadata.get("papermill", {}).get("duration")
            if cell.cell_type == "code" and seconds is not None:
                cells.append((float(seconds), notebook.stem, cell.source.strip().splitlines()[0][:70]))
    return sorted(cells, reverse=True)[:count]


def sugarlab_run(output_dir: Path) -> tuple[float, dict[str, float]]:
    """Seconds a full `sugarlab run` takes on the simulator, and each notebook's own seconds."""
    command = [str(Path(sys.executable).with_name("sugarlab")), "run", "--output-dir", str(output_dir)]
    began = time.perf_counter()
    finished = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - began
    if finished.returncode != 0:  # the run's own one-line error, not its progress bars and kernel warnings
        errors = [line for line in finished.stderr.splitlines() if line.startswith("sugarlab: error")]
        raise SystemExit((errors or finished.stderr.splitlines()[-1:] or ["sugarlab run failed"])[-1])
    (manifest,) = output_dir.glob("*/manifest.json")
    notebooks = json.loads(manifest.read_text())["notebooks"]
    return seconds, {nb["name"]: nb["duration_seconds"] for nb in notebooks}


def make_test_from_fresh_clone(folder: Path) -> float:
    """Seconds `make test` takes in a fresh clone of this repository, install included."""
    clone = folder / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    began = time.perf_counter()
    subprocess.run(["make", "test"], cwd=clone, check=True)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--make-test", action="store_true", help="also time `make test` in a fresh clone")
    parser.add_argument("--cells", type=int, default=5, metavar="N", help="list the N slowest cells (default 5)")
    parser.add_argument("--floors", type=int, default=5, metavar="N", help="Papermill floors to take the median of")
    args = parser.parse_args()
    if args.floors < 1:
        parser.error("--floors must be at least 1")
    with tempfile.TemporaryDirectory(prefix="sugarlab-speed-") as tmp:
        folder = Path(tmp)
        load_before = os.getloadavg()[0]
        before = [papermill_floor(folder / f"before-{i}") for i in range((args.floors + 1) // 2)]
        run, per_notebook = sugarlab_run(folder / "outputs")
        after = [papermill_floor(folder / f"after-{i}") for i in range(args.floors // 2)]
        floor = statistics.median(before + after)
        ahead = statistics.median(papermill_floor(folder / f"ahead-{i}", ahead=True) for i in range(3))
        print(f"load average (1 min): {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
        print(
            f"papermill floor (7 one-cell notebooks): {floor:6.1f} s, the median of "
            f"{', '.join(f'{s:.1f}' for s in before)} s before the run and {', '.join(f'{s:.1f}' for s in after)} s after it"
        )
        for name, seconds in per_notebook.items():
            print(f"  {name:<16} {seconds:6.1f} s  {seconds / floor * NOTEBOOKS:5.1f}x a one-cell notebook")
        outside = run - sum(per_notebook.values())
        print(f"  {'outside them':<16} {outside:6.1f} s  (start-up, stopping the simulator, front page, archive)")
        (run_dir,) = [p for p in (folder / "outputs").iterdir() if p.is_dir()]
        if args.cells:
            print("slowest cells:")
        for seconds, notebook, first_line in slowest_cells(run_dir, args.cells):
            print(f"  {seconds:6.1f} s  {notebook}: {first_line}")
        verdict = "within" if run / floor <= RUN_TARGET_RATIO else "OVER"
        print(
            f"sugarlab run: {run:6.1f} s = {run / floor:.1f}x the floor ({verdict} the {RUN_TARGET_RATIO:.0f}x target)"
        )
        print(f"  the floor with kernels started ahead, as the run starts them: {ahead:.1f} s, {run / ahead:.1f}x")
        if args.make_test:
            seconds = make_test_from_fresh_clone(folder)
            verdict = "within" if seconds <= MAKE_TEST_TARGET_S else "OVER"
            print(f"make test from a fresh clone: {seconds:6.1f} s ({verdict} the {MAKE_TEST_TARGET_S:.0f} s target)")


if __name__ == "__main__":
    main()
