"""The notebooks stay thin and declare only what they own; their parameter docs are written from the model."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import papermill
import pytest

from sugarlab.app import param_docs
from sugarlab.app.cli import _parameters
from sugarlab.lab.params import WORKER_TAINT, LabParams, declared_by, validate_parameters

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("[0-9][0-9]-*.ipynb"))
MAX_CELL_LINES = 15
MAX_KEYWORDS = 4


def _code(notebook: Path) -> list[str]:
    return [c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_code_cell_is_longer_than_fifteen_lines(notebook: Path) -> None:
    """Logic past fifteen lines belongs in the package; the `parameters` cell keeps to the rule too."""
    assert [len(s.splitlines()) for s in _code(notebook) if len(s.splitlines()) > MAX_CELL_LINES] == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_call_passes_more_than_four_keywords(notebook: Path) -> None:
    source = "\n".join(line for s in _code(notebook) for line in s.splitlines() if not line.startswith("%"))
    calls = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call) and len(n.keywords) > MAX_KEYWORDS]
    assert [ast.unparse(c)[:60] for c in calls] == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_verdicts_are_recorded_by_lab_steps_not_by_hand(notebook: Path) -> None:
    assert not [s for s in _code(notebook) if "record_step" in s]
    opening = [s for s in _code(notebook) if "open_lab(" in s]
    assert len(opening) == 1 and f'open_lab("{notebook.stem}", globals())' in opening[0]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_parameters_cell_sets_exactly_the_declared_defaults(notebook: Path) -> None:
    (cell,) = [c for c in nbformat.read(notebook, as_version=4).cells if "parameters" in c.metadata.get("tags", [])]
    namespace: dict[str, object] = {}
    exec(cell.source, namespace)
    set_there = {k: v for k, v in namespace.items() if not k.startswith("__")}
    declared = {k: LabParams.model_fields[k].get_default(call_default_factory=True) for k in declared_by(notebook.stem)}
    assert set_there == declared
    assert set_there["backend"] == "", "the cluster is the one the workspace records (sugarlab.lab.recorded)"
    assert all(line.count("=") == 1 for line in cell.source.splitlines()), "Papermill skips a line with two '='"


def test_the_worker_taint_is_listed_and_settable_as_users_write_it() -> None:
    listed = papermill.inspect_notebook(str(NOTEBOOKS[1]))
    assert "worker_taint" in listed and "taint" in listed["worker_taint"]["help"]
    assert eval(listed["worker_taint"]["default"]) == WORKER_TAINT
    given = _parameters([["worker_taint", "sugarkube.io/role=edge:NoSchedule"]])
    assert validate_parameters(given).worker_taint == "sugarkube.io/role=edge:NoSchedule"


def test_parameter_cells_and_readme_tables_are_up_to_date() -> None:
    stale = [str(p.relative_to(param_docs.REPO)) for p in param_docs.stale()]
    assert stale == [], "run `make parameter-docs` and commit what it writes"


def test_the_tables_show_each_default_as_a_user_reads_it() -> None:
    table = param_docs.table(["worker_taint", "kubeconfig", "power_override", "join_workers"])
    assert "| `worker_taint` | `sugarkube.io/role=worker:NoSchedule` | taint the agents register with |" in table
    assert '| `kubeconfig` | `""` |' in table and "| `power_override` | `False` |" in table
    assert '| `join_workers` | `["worker-a", "worker-b"]` |' in table
