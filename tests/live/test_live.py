"""The live code path against a real cluster: `KUBECONFIG=~/.kube/k3s.yaml pytest tests/live`.

Read-only: these tests open the lab on the cluster's current context, read its inventory and its
metrics, and plan (never apply) a join. Without `$KUBECONFIG` every test here is skipped, saying so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sugarlab import Lab, open_lab
from sugarlab.steps import baseline, expansion
from sugarlab.views.tables import nodes_table


@pytest.fixture(scope="module")
def kubeconfig() -> str:
    given = (os.environ.get("KUBECONFIG") or "").split(os.pathsep)[0]
    if not given:
        pytest.skip("no live cluster: set KUBECONFIG to a cluster's kubeconfig to run the live tests")
    return given


@pytest.fixture(scope="module")
def lab(kubeconfig: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    yield open_lab(
        "01-baseline", backend="live", kubeconfig=kubeconfig, workspace=str(tmp_path_factory.mktemp("live-lab"))
    )


def test_the_lab_opens_on_the_current_context(lab: Lab, kubeconfig: str) -> None:
    assert lab.cluster.provenance == "cluster" and lab.cluster.version.startswith("v1.")
    assert "artefacts go to" in lab.summary() and Path(kubeconfig).is_file()


def test_the_inventory_lists_the_nodes_kubectl_lists(lab: Lab, kubeconfig: str) -> None:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed; it is the reference for the node list")
    listed = subprocess.run(
        ["kubectl", "--kubeconfig", kubeconfig, "get", "nodes", "-o", "name"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.split()
    snapshot = baseline.capture(lab.cluster)
    assert sorted(f"node/{name}" for name in snapshot.nodes["name"]) == sorted(listed)
    assert nodes_table(snapshot.nodes).startswith("NAME ")


def test_a_join_is_only_planned_without_apply(lab: Lab) -> None:
    assert not expansion.may_change_cluster(lab)
    plan = expansion.join_plan(lab, lab.params.join_workers)
    hosts = [where for worker in lab.params.join_workers for where in (worker, worker, "cluster")]
    assert list(plan["where"]) == ["controller", *hosts]
