"""`run_lab`: one real run of two tiny notebooks (the second fails), plus input checks that start no kernel."""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tarfile
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sugarlab.kube
from sugarlab.app import runner
from sugarlab.app.runner import RunResult, run_lab, select_notebooks
from sugarlab.lab.errors import ParameterError, RunError

NOTEBOOKS = Path(__file__).parents[1] / "data" / "notebooks"
EMBEDDED_PNG = re.compile(r'<img [^>]*src="data:image/png;base64,')


@pytest.fixture(scope="module")
def stopped() -> Iterator[list[Path]]:
    """Stand in for `sugarlab.kube.simulator` and record which workspaces the runner stopped."""
    calls: list[Path] = []
    fake = types.ModuleType("sugarlab.kube.simulator")

    def stop(workspace: Path) -> bool:
        calls.append(workspace)
        return False

    vars(fake).update(stop=stop)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "sugarlab.kube.simulator", fake)
        patch.setattr(sugarlab.kube, "simulator", fake, raising=False)
        yield calls


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, stopped: list[Path]) -> RunResult:
    output = tmp_path_factory.mktemp("outputs")
    return run_lab({"seed": "003"}, notebooks_dir=NOTEBOOKS, output_dir=output, progress=False)


@pytest.fixture(scope="module")
def unpacked(run: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(run.archive) as tar:
        tar.extractall(target, filter="data")
    return target / run.run_id


def test_failing_notebook_stops_the_run_with_one_readable_message(run: RunResult) -> None:
    assert [(nb.name, nb.status) for nb in run.notebooks] == [("01-write", "succeeded"), ("02-fail", "failed")]
    assert run.status == "failed"
    message = run.notebooks[1].error or ""
    assert "notebook 02-fail failed in cell 4" in message
    assert 'raise RuntimeError(f"boom from 02-fail ({answer})")' in message
    assert "RuntimeError: boom from 02-fail (42)" in message
    assert "\n" not in message
    with pytest.raises(RunError, match="02-fail"):
        run.raise_for_status()


def test_archive_holds_notebooks_html_with_plot_artefacts_and_manifest(run: RunResult, unpacked: Path) -> None:
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{4}", run.run_id)
    assert run.archive == run.run_dir.parent / f"{run.run_id}.tar.gz"
    for name in ("01-write", "02-fail"):
        assert (unpacked / "notebooks" / f"{name}.ipynb").is_file()
        assert (unpacked / "html" / f"{name}.html").is_file()
    assert EMBEDDED_PNG.search((unpacked / "html" / "01-write.html").read_text())
    assert (unpacked / "lab" / "baseline" / "x.txt").read_text() == "seed=3\n"
    assert (unpacked / "manifest.json").is_file()


def test_archive_leaves_out_internal_state(run: RunResult) -> None:
    assert (run.run_dir / "lab" / ".sugarlab").is_dir()
    with tarfile.open(run.archive) as tar:
        assert not [name for name in tar.getnames() if ".sugarlab" in Path(name).parts]


def test_manifest_records_the_run(run: RunResult, unpacked: Path) -> None:
    manifest = json.loads((unpacked / "manifest.json").read_text())
    assert manifest["run_id"] == run.run_id
    assert manifest["status"] == "failed"
    assert manifest["backend"] == "sim"
    assert manifest["parameters"] == {"seed": 3, "workspace": str(run.run_dir / "lab")}
    assert manifest["started"] <= manifest["ended"]
    assert set(manifest["versions"]) == {
        "python",
        "sugarlab",
        "papermill",
        "kubernetes",
        "pandas",
        "matplotlib",
        "nbconvert",
    }
    assert [(nb["name"], nb["status"]) for nb in manifest["notebooks"]] == [
        ("01-write", "succeeded"),
        ("02-fail", "failed"),
    ]
    assert manifest["notebooks"][1]["error"] == run.notebooks[1].error
    assert all(nb["duration_seconds"] > 0 for nb in manifest["notebooks"])


def test_manifest_hashes_match_the_archived_artefacts(unpacked: Path) -> None:
    artefacts = json.loads((unpacked / "manifest.json").read_text())["artefacts"]
    assert [(a["path"], a["notebook"], a["matches"]) for a in artefacts] == [("baseline/x.txt", "01-write", True)]
    data = (unpacked / "lab" / "baseline" / "x.txt").read_bytes()
    assert artefacts[0]["sha256"] == artefacts[0]["on_disk"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert artefacts[0]["size"] == artefacts[0]["on_disk"]["size"] == len(data)


def test_validated_values_are_injected(unpacked: Path) -> None:
    executed = json.loads((unpacked / "notebooks" / "01-write.ipynb").read_text())
    injected = next(c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    assert "seed = 3\n" in "".join(injected["source"])


def test_the_runs_cluster_is_stopped(run: RunResult, stopped: list[Path]) -> None:
    assert stopped == [run.run_dir / "lab"]


@pytest.mark.parametrize(
    ("parameters", "selection", "name"),
    [
        ({"nosuch": 1}, None, "nosuch"),
        ({"seed": "abc"}, None, "seed"),
        ({"seed": -1}, ["01"], "seed"),
        ({"workspace": "/tmp/elsewhere"}, None, "workspace"),
        ({}, ["07"], "notebooks"),
    ],
)
def test_bad_input_creates_nothing(
    tmp_path: Path, parameters: dict[str, Any], selection: list[str] | None, name: str
) -> None:
    with pytest.raises(ParameterError) as caught:
        run_lab(parameters, notebooks=selection, notebooks_dir=NOTEBOOKS, output_dir=tmp_path / "out")
    assert caught.value.name == name
    assert not (tmp_path / "out").exists()


def test_parameters_are_recorded_in_the_lab_and_injected_where_declared(run: RunResult, unpacked: Path) -> None:
    """`seed` reaches 01-write, which declares it; 02-fail does not, and reads it from the record instead."""
    recorded = json.loads((run.run_dir / "lab" / ".sugarlab" / "parameters.json").read_text())
    assert recorded == {"seed": 3}
    failed = json.loads((unpacked / "notebooks" / "02-fail.ipynb").read_text())
    assert not [
        c
        for c in failed["cells"]
        if "injected-parameters" in c["metadata"].get("tags", []) and "seed" in "".join(c["source"])
    ]


def test_a_name_that_is_no_lab_parameter_is_rejected_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="not a lab parameter"):
        run_lab({"seeds": 1}, notebooks=["02"], notebooks_dir=NOTEBOOKS, output_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_missing_notebooks_folder_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="notebooks_dir"):
        run_lab({}, notebooks_dir=tmp_path / "nowhere", output_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_selection_by_prefix_or_stem_keeps_run_order() -> None:
    available = [Path(f"{n}.ipynb") for n in ("01-baseline", "02-expansion", "03-workload")]
    assert select_notebooks(available, ["03-workload", "01"]) == [available[0], available[2]]
    assert select_notebooks(available, None) == available
    with pytest.raises(ParameterError, match="available: 01-baseline, 02-expansion, 03-workload"):
        select_notebooks(available, ["04"])


def test_front_page_puts_the_checklist_on_top_and_links_every_notebook(run: RunResult, unpacked: Path) -> None:
    manifest = json.loads((unpacked / "manifest.json").read_text())
    assert manifest["front_page"] == "index.html"
    page = (unpacked / "index.html").read_text()
    assert page.index("Milestone checklist: 0 of 3 pass") < page.index("<h2>Notebooks</h2>")
    assert '<a href="html/01-write.html">01-write</a>' in page and '<a href="html/02-fail.html">02-fail</a>' in page
    assert "notebook 02-fail failed in cell 4" in page
    assert "baseline/cluster-inventory.txt: missing; run notebooks/01-baseline.ipynb in this workspace" in page
    assert f"Run <code>{run.run_id}</code>: failed" in page


def test_a_report_that_cannot_be_made_leaves_no_front_page_but_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(files: object) -> None:
        raise KeyError("cpu_cores")

    monkeypatch.setattr("sugarlab.report.build", broken)
    manifest: dict[str, Any] = {"run_id": "r", "notebooks": []}
    assert runner._write_front_page(tmp_path, manifest) is None
    assert manifest["front_page_error"] == "KeyError: 'cpu_cores'"
    assert not (tmp_path / "index.html").exists()
