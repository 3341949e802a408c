"""Plan, then apply, on a simulated cluster addressed as a live one: without `apply` the changing
notebooks show their plan, checked by the cluster's dry run, complete, and leave every object as it was;
what they only read (06's events, SSH audit and final snapshot) runs all the same."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from kubernetes import client, config, dynamic

from sugarlab.app.cli import main
from sugarlab.app.runner import run_lab
from sugarlab.steps.operations import events, hardening, snapshot
from sugarlab.steps.plan import NOT_RUN

# What the cluster itself keeps changing: events, metrics, and the kubelets' Lease renewals (a spec field).
VOLATILE_KINDS = {"Event", "NodeMetrics", "PodMetrics", "Lease"}


@pytest.fixture(scope="module")
def live_kubeconfig(tmp_path_factory: pytest.TempPathFactory, stop_later: Callable[[Path], None]) -> Iterator[str]:
    """`sugarlab sim start -p sim_workers 2`: a cluster the lab then reaches as `--backend live`. The module's
    tests share it: each compares the cluster's objects with those it found, so neither needs it fresh."""
    workspace = tmp_path_factory.mktemp("simulator")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        started = main(["sim", "start", "--workspace", str(workspace), "-p", "sim_workers", "2", "-p", "speed", "120"])
    assert started == 0
    yield printed.getvalue().strip()
    stop_later(workspace)


def objects(kubeconfig: str) -> dict[str, Any]:
    """Every object's identity, labels, annotations and spec (status moves on by itself)."""
    resources = dynamic.DynamicClient(config.new_client_from_config(config_file=kubeconfig)).resources
    found = {}
    for kind in resources.search():
        if kind.kind.endswith("List") or kind.kind in VOLATILE_KINDS or "list" not in (kind.verbs or []):
            continue
        for item in kind.get().to_dict()["items"]:
            meta = item["metadata"]
            found[f"{kind.kind} {meta.get('namespace', '')}/{meta['name']}"] = json.dumps(
                [meta.get("labels"), meta.get("annotations"), item.get("spec")], sort_keys=True, default=str
            )
    return found


def test_notebooks_without_apply_show_their_plan_and_change_nothing(live_kubeconfig: str, tmp_path: Path) -> None:
    before = objects(live_kubeconfig)
    core = client.CoreV1Api(config.new_client_from_config(config_file=live_kubeconfig))
    # 06's SSH audit reads every node over SSH: here at an address where nothing listens, so each is an open finding.
    nowhere = {node.metadata.name: "127.0.0.1" for node in core.list_node().items}
    result = run_lab(
        {"backend": "live", "kubeconfig": live_kubeconfig, "worker_addresses": nowhere},
        notebooks=["01", "03", "04", "06"],
        output_dir=tmp_path / "out",
        progress=False,
    )
    assert result.status == "succeeded", result.failed
    assert objects(live_kubeconfig) == before
    for name in ("03-workload", "04-storage", "06-operations"):
        notebook = nbformat.read(result.run_dir / "notebooks" / f"{name}.ipynb", as_version=4)
        text = json.dumps([cell.get("outputs", []) for cell in notebook.cells])
        assert "Plan only" in text and "accepted by a server-side dry run" in text and NOT_RUN in text, name
        assert "REFUSED" not in text, name
    steps = {(s["notebook"], s["step"]): s for s in json.loads((result.run_dir / "manifest.json").read_text())["steps"]}
    assert steps[("06-operations", "plan")]["detail"].startswith("plan only:")
    # What 06 only reads does not wait for apply: the events, the SSH audit and the final snapshot.
    lab = result.run_dir / "lab"
    for artefact in (events.LOG, hardening.CHECKLIST, snapshot.NODES, snapshot.PODS, snapshot.STORAGE_CLASS):
        assert (lab / artefact).is_file(), artefact
    assert "0 of 3 node(s) audited" in steps[("06-operations", "ssh hardening audit")]["detail"]
    assert "3 node(s)" in steps[("06-operations", "final snapshot")]["detail"]
    assert ("06-operations", "fio per node") not in steps


def test_with_apply_the_notebook_does_its_work_and_clean_removes_it(
    live_kubeconfig: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = objects(live_kubeconfig)
    result = run_lab(
        {
            "backend": "live",
            "kubeconfig": live_kubeconfig,
            "apply": True,
            "stress_completions": 2,
            "stress_parallelism": 2,
            "sample_every": 1.0,
        },
        notebooks=["01", "03"],
        output_dir=tmp_path / "out",
        progress=False,
    )
    assert result.status == "succeeded", result.failed
    made = set(objects(live_kubeconfig)) - set(before)
    assert {"Namespace /lab-scale", "Job lab-scale/stress-load"} <= made
    capsys.readouterr()
    assert (
        main(
            [
                "clean",
                "--backend",
                "live",
                "-p",
                "kubeconfig",
                live_kubeconfig,
                "-p",
                "workspace",
                str(result.run_dir / "lab"),
                "--yes",
            ]
        )
        == 0
    )
    assert "deleted Job lab-scale/stress-load" in capsys.readouterr().out
    assert set(objects(live_kubeconfig)) - set(before) == set()
