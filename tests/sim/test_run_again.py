"""Issue 17's "existing clusters are a normal start" and "run it again": the whole lab, twice, on one cluster
whose two workers joined before the lab, addressed as a live one, with a controller no name resolves to."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import config, dynamic

from sugarlab.app.cli import main
from sugarlab.app.runner import run_lab
from sugarlab.lab.workspace import Workspace
from sugarlab.payloads.edge_ai.model_files import offline_model_path
from sugarlab.report import LabFiles, build
from sugarlab.report.milestones import multi_node_prototype
from tests.file_server import serving

MANAGED = "app.kubernetes.io/managed-by=sugarlab"
MADE_BY_CONTROLLERS = {"Pod", "PodMetrics", "ReplicaSet", "ControllerRevision", "EndpointSlice", "Endpoints", "Event"}


@pytest.fixture(scope="module")
def model_url() -> Iterator[str]:
    """The model a live cluster's inference pods download, served on 127.0.0.1: the simulator runs those pods
    as processes of this machine, which reach neither its simulated internet nor the real one."""
    with serving({"/resnet50-v2-7.onnx": offline_model_path().read_bytes()}) as (base, _):
        yield f"{base}/resnet50-v2-7.onnx"


def lab_objects(kubeconfig: str) -> set[str]:
    """The lab's own objects (not those its controllers made for them), as kind namespace/name."""
    resources = dynamic.DynamicClient(config.new_client_from_config(config_file=kubeconfig)).resources
    found = set()
    for kind in resources.search():
        if kind.kind.endswith("List") or kind.kind in MADE_BY_CONTROLLERS or "list" not in (kind.verbs or []):
            continue
        for item in kind.get(label_selector=MANAGED).to_dict()["items"]:
            found.add(f"{kind.kind} {item['metadata'].get('namespace', '')}/{item['metadata']['name']}")
    return found


@pytest.mark.timeout(2400)  # two full runs; the second, past the clock's head start, on real time
def test_the_lab_runs_twice_on_a_cluster_whose_workers_joined_before_it(
    tmp_path: Path, stop_later: Callable[[Path], None], model_url: str
) -> None:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        started = main(
            ["sim", "start", "--workspace", str(tmp_path / "sim"), "-p", "sim_workers", "2", "-p", "speed", "60"]
        )
    assert started == 0
    try:
        run_twice(printed.getvalue().strip(), tmp_path / "out", model_url)
    finally:
        stop_later(tmp_path / "sim")


def run_twice(kubeconfig: str, output_dir: Path, model_url: str) -> None:
    parameters = {
        "backend": "live",
        "kubeconfig": kubeconfig,
        "apply": True,
        "controller_host": "controller.invalid",
        "failures": ["delete-pod", "drain-node"],
        "join_workers": ["sugarkube1", "sugarkube2"],  # the simulator's two workers, Ready before the lab
        # never dialled: they are members; the SSH audit finds them unreachable, an open finding
        "worker_addresses": {"sugarkube1": "sugarkube1.invalid", "sugarkube2": "sugarkube2.invalid"},
        "edge_model_url": model_url,
        # The simulator's clock gains on the wall clock for its first 12 minutes and keeps real time after
        # (sugarlab.sim.machinery.clock): the second run waits in real seconds, so the waits are kept short.
        "stress_args": ["--cpu", "1", "--timeout", "20s"],
        "fio_runtime": 5,
    }
    objects = []
    for attempt in (1, 2):
        result = run_lab(parameters, output_dir=output_dir, progress=False)
        assert result.status == "succeeded", (attempt, result.failed)
        assert [nb.status for nb in result.notebooks] == ["succeeded"] * 7

        files = LabFiles.of_workspace(Workspace(result.run_dir / "lab"), "live")
        milestone = multi_node_prototype(files)
        joined, spread, compared = milestone.checks
        # The second run's stress Job finds the first run's writer (04) and inference pods (05) on the workers,
        # and still spreads over every node (its topology spread constraint).
        assert milestone.passed, (attempt, joined.evidence, spread.evidence, compared.evidence)
        assert "sugarkube1 (already a member), sugarkube2 (already a member)" in milestone.checks[0].evidence
        steps = {s.step: s for s in Workspace(result.run_dir / "lab").steps()}
        assert steps["join sugarkube1"].detail.startswith("sugarkube1: already a Ready member since ")
        audit = steps["ssh hardening audit"]
        assert audit.status == "passed" and "open: sugarkube0 was not audited" in audit.detail
        assert "open: operations/security-checklist.md drafted" in build(files).markdown()

        found = lab_objects(kubeconfig)
        assert {"Job lab-scale/stress-load", "StatefulSet lab-scale/nfs-sqlite", "StorageClass /nfs-shared"} <= set(
            found
        )
        objects.append(found)
    assert objects[1] == objects[0]  # the second run replaced what the first left, and stacked nothing
