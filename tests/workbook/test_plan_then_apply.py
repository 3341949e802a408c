"""Plan, then apply, in one kernel, driven as JupyterLab drives it (a kernel, then one cell at a time): a
plan-only stop prints what to do under each cell it stops, and setting `apply = True` in the same kernel
carries the plan out, with no restart. The "live" cluster is a simulator reached through its kubeconfig."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import start_new_kernel
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from sugarlab import open_lab
from sugarlab.app.cli import main
from sugarlab.lab.workspace import Workspace
from sugarlab.steps import baseline, baseline_comparison, workload
from sugarlab.steps.plan import NOT_RUN
from tests.sim.simcluster import start, stop

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CELL_TIMEOUT_S = 600  # a cell's own bound; the stress Job below takes seconds


class Kernel:
    """One IPython kernel, as JupyterLab keeps one per open notebook."""

    def __init__(self, client: BlockingKernelClient) -> None:
        self.client = client

    def run(self, source: str) -> str:
        """Execute one cell; the text it printed and displayed. A cell that raises fails the test."""
        shown: list[str] = []

        def collect(message: dict[str, Any]) -> None:
            content = message["content"]
            if message["msg_type"] == "stream":
                shown.append(content["text"])
            elif message["msg_type"] in ("display_data", "execute_result"):
                data = content["data"]
                shown.append(data.get("text/markdown") or data.get("text/plain", ""))
            elif message["msg_type"] == "error":
                shown.append(f"{content['ename']}: {content['evalue']}")

        reply = self.client.execute_interactive(source, timeout=CELL_TIMEOUT_S, output_hook=collect)
        assert reply["content"]["status"] == "ok", (source, "".join(shown))
        return "".join(shown)


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[Kernel]:
    manager, kernel_client = start_new_kernel(kernel_name="python3", cwd=str(tmp_path), startup_timeout=120)
    try:
        yield Kernel(kernel_client)
    finally:
        kernel_client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.fixture
def live_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(kubeconfig, workspace): a lab workspace pointed at the cluster by `sugarlab use`, holding 01's baseline."""
    cluster = tmp_path_factory.mktemp("their-cluster")
    kubeconfig = start(cluster, "-p", "speed", "120")
    workspace = tmp_path_factory.mktemp("lab")
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["use", "--workspace", str(workspace), "-p", "kubeconfig", str(kubeconfig)]) == 0
        lab = open_lab("01-baseline", {"workspace": str(workspace)})
        baseline.save(lab, baseline.capture(lab.cluster))
        yield kubeconfig, workspace
    finally:
        stop(cluster)


def code_cells(notebook: str) -> list[tuple[bool, str]]:
    """(is the parameters cell, source) of each code cell of `notebook`, in order."""
    cells = nbformat.read(NOTEBOOKS / f"{notebook}.ipynb", as_version=4).cells
    return [("parameters" in c.metadata.get("tags", []), c.source) for c in cells if c.cell_type == "code"]


def test_a_plan_only_stop_lets_apply_through_and_lifts_once_apply_is_true(kernel: Kernel, tmp_path: Path) -> None:
    Workspace(tmp_path, "03-workload").create().record_step("plan", True, "plan only: 2 manifests checked")
    kernel.run(
        "from pathlib import Path\n"
        "from sugarlab.lab.workspace import Workspace\n"
        "from sugarlab.steps.plan import PlanOnlyStop\n"
        f"PlanOnlyStop.install(Workspace(Path({str(tmp_path)!r}), '03-workload'))"
    )
    assert kernel.run("print('changed')").strip() == NOT_RUN
    assert kernel.run("%matplotlib inline\nimport json") == ""  # only imports: it runs
    assert kernel.run("# reads only\nprint('read')") == "read\n"
    assert kernel.run("apply: bool = False  # the parameters cell\nprint(apply)") == "False\n"
    assert kernel.run("print('changed')").strip() == NOT_RUN  # apply is still False
    assert kernel.run("apply = True") == ""
    assert kernel.run("print('changed')") == "changed\n"
    assert kernel.run("apply = False\nprint('changed again')") == "changed again\n"  # lifted for good
    (step,) = Workspace(tmp_path, "03-workload").steps()
    assert step.detail == "applied after a plan-only stop (apply = True set in the same kernel)"


def test_notebook_03_plans_then_applies_in_one_kernel(kernel: Kernel, live_workspace: tuple[Path, Path]) -> None:
    kubeconfig, workspace = live_workspace
    batch = client.BatchV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    # What papermill injects after the parameters cell; `backend` stays empty and follows `sugarlab use`.
    injected = f"workspace = {str(workspace)!r}\nstress_completions = 2\nstress_parallelism = 2\nsample_every = 1.0\n"
    cells = code_cells("03-workload")
    plan_at = next(i for i, (_, source) in enumerate(cells) if "show_plan(" in source)

    def run_from(first: int, parameters: str | None = None) -> list[str]:
        outputs = []
        for is_parameters, source in cells[first:]:
            outputs.append(kernel.run(parameters if is_parameters and parameters else source))
            if is_parameters:
                kernel.run(injected)
        return outputs

    first = run_from(0)
    assert "**Plan only**" in first[plan_at] and "accepted by a server-side dry run" in first[plan_at]
    assert [out.strip() for out in first[plan_at + 1 :]] == [NOT_RUN] * (len(cells) - plan_at - 1)
    with pytest.raises(ApiException) as missing:
        batch.read_namespaced_job(workload.JOB, workload.NAMESPACE)
    assert missing.value.status == 404

    # As the line says: `apply = True` in the parameters cell, run it, then the cells below it.
    assert kernel.run("apply = True") == ""  # a cell that sets apply runs through the stop
    parameters_at, (_, parameters) = next((i, c) for i, c in enumerate(cells) if c[0])
    assert "apply: bool = False" in parameters
    second = run_from(parameters_at, parameters.replace("apply: bool = False", "apply: bool = True"))
    assert "**Applying**" in second[plan_at - parameters_at]
    assert not any(NOT_RUN in out for out in second)
    job = batch.read_namespaced_job(workload.JOB, workload.NAMESPACE)
    assert job.status.succeeded == 2
    assert (workspace / baseline_comparison.COMPARISON).is_file() and (workspace / workload.REPORT).is_file()
    steps = {s.step: s for s in Workspace(workspace, "03-workload").steps() if s.notebook == "03-workload"}
    assert steps["plan"].detail.startswith("applied after a plan-only stop")
    assert steps["stress job"].status == "passed"
