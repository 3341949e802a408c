"""Notebook 01 alone under other cluster shapes, beside the one full run of the workbook (a file of its
own, so that another test worker runs it while the full run goes on)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import nbformat
import papermill

from sugarlab.app.runner import run_lab
from sugarlab.lab.workspace import Workspace

BASELINE = Path(__file__).parents[2] / "notebooks" / "01-baseline.ipynb"


def _committed_inventory() -> list[str]:
    """The node and pod tables notebook 01 keeps from seed 7 (its checked cells), printed (a stream's
    text) or displayed (a result's plain text)."""
    cells = [c for c in nbformat.read(BASELINE, as_version=4).cells if "NBVAL_CHECK_OUTPUT" in c.source]
    return ["".join(o.get("text") or o.get("data", {}).get("text/plain", "") for o in cell.outputs) for cell in cells]


def test_another_seed_makes_another_cluster(tmp_path: Path) -> None:
    result = run_lab({"seed": 8}, notebooks=["01"], output_dir=tmp_path, progress=False)
    result.raise_for_status()
    inventory = (result.run_dir / "lab" / "baseline" / "cluster-inventory.txt").read_text()
    seed_7 = _committed_inventory()
    assert len(seed_7) == 2 and any(table.strip() not in inventory for table in seed_7)
    assert "sugarkube0   Ready" in inventory


def test_run_without_metrics_server_records_the_failed_step_with_the_hint(tmp_path: Path) -> None:
    result = run_lab({"sim_addons": "csi-driver-nfs"}, notebooks=["01"], output_dir=tmp_path, progress=False)
    assert result.status == "succeeded"  # the notebook completes and reports the failed step
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    (step,) = [s for s in manifest["steps"] if s["step"] == "resource snapshot"]
    assert step["status"] == "failed" and "components.yaml" in step["detail"]
    assert not (result.run_dir / "lab" / "baseline" / "resource-snapshot.csv").exists()


def _shown(executed: Path) -> str:
    """Every text a run of the notebook printed or displayed (streams, Markdown, plain text), in order."""
    texts = []
    for cell in nbformat.read(executed, as_version=4).cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            texts.append(output.get("text") or data.get("text/markdown") or data.get("text/plain", ""))
    return "\n".join(texts)


def test_a_rerun_shows_the_baseline_it_keeps_beside_the_cluster_now(
    tmp_path: Path, stop_later: Callable[[Path], None]
) -> None:
    workspace = tmp_path / "lab"

    def run(name: str) -> str:
        papermill.execute_notebook(
            str(BASELINE),
            str(tmp_path / name),
            parameters={"workspace": str(workspace)},
            cwd=str(BASELINE.parent),
            progress_bar=False,
        )
        return _shown(tmp_path / name)

    try:
        first = run("first.ipynb")
        Workspace(workspace, "02-expansion").record_step("join worker-a", True, "")  # a later notebook used it
        again = run("again.ipynb")
    finally:
        stop_later(workspace)
    assert "baseline, taken" not in first and "**now**" not in first  # a first run shows the baseline once
    assert first.count("KERNEL-VERSION") == 1
    taken = next(a.written_at for a in Workspace(workspace).artefacts() if a.path == "baseline/cluster-inventory.txt")
    label = f"**baseline, taken {taken[:10]} {taken[11:16]} UTC**"
    # Inventory (text tables, frame and plot) and Utilisation (top table, figure, top pods): the saved one, then now
    assert again.count(label) == 5 and again.count("**now**") == 5
    assert again.index(label) < again.index("**now**")
    assert again.count("KERNEL-VERSION") == 2
    assert "baseline/cluster-inventory.txt kept: taken " in again
