"""Notebook 01 keeps a baseline later notebooks used, unless asked to retake it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pandas as pd

from sugarlab.lab.session import Lab
from sugarlab.lab.workspace import Workspace
from sugarlab.steps import baseline
from sugarlab.views import tables


def test_a_used_baseline_is_kept_unless_retaken(shared_lab: Callable[..., Lab]) -> None:
    first = shared_lab("01-baseline")
    assert baseline.save(first, baseline.capture(first.cluster))[0] == baseline.INVENTORY
    again = shared_lab("01-baseline")
    assert baseline.save(again, baseline.capture(again.cluster))[0] == baseline.INVENTORY  # nothing used it yet

    shared_lab("03-workload").workspace.write_text("expansion/baseline-comparison.csv", "node\n")
    taken = first.workspace.read_text(baseline.INVENTORY)
    steps = first.workspace.steps()
    rerun = shared_lab("01-baseline")
    [message] = baseline.save(rerun, baseline.capture(rerun.cluster))
    assert message.startswith(f"{baseline.INVENTORY} kept: taken ") and "used since by 03-workload" in message
    assert "retake_baseline = True" in message
    assert rerun.workspace.read_text(baseline.INVENTORY) == taken and rerun.workspace.steps() == steps

    retaken = shared_lab("01-baseline", retake_baseline=True)
    assert baseline.save(retaken, baseline.capture(retaken.cluster))[0] == baseline.INVENTORY


def test_a_rerun_shows_the_baseline_it_keeps_beside_the_cluster_now(
    shared_lab: Callable[..., Lab], tmp_path: Path
) -> None:
    def lab(notebook: str) -> Lab:  # on the shared cluster, in a workspace of this test's own
        return replace(shared_lab(notebook), workspace=Workspace(tmp_path, notebook).create())

    first = lab("01-baseline")
    now = baseline.capture(first.cluster)
    baseline.save(first, now)
    assert baseline.kept(first) is None  # a first run shows the baseline it takes, once
    assert [label for label, _ in baseline.shown(baseline.kept(first), now)] == [""]

    # The saved baseline differs from the cluster now (as after the expansion): one pod fewer.
    before = replace(now, pods=now.pods.iloc[1:].reset_index(drop=True))
    first.workspace.write_text(baseline.INVENTORY, baseline.inventory_text(before))
    lab("02-expansion").workspace.record_step("join", True, "")
    rerun = lab("01-baseline")
    saved = baseline.kept(rerun)
    assert saved is not None and saved.used_by == ["02-expansion"]
    taken = next(a.written_at for a in rerun.workspace.artefacts() if a.path == baseline.INVENTORY)
    assert saved.label == f"baseline, taken {datetime.fromisoformat(taken):%Y-%m-%d %H:%M} UTC"

    [(label, shown_saved), (now_label, shown_now)] = baseline.shown(saved, baseline.capture(rerun.cluster))
    assert (label, now_label) == (saved.label, "now")
    assert tables.nodes_table(shown_saved.nodes) + tables.pods_table(shown_saved.pods) == baseline.inventory_text(
        before
    )
    assert len(shown_saved.pods) == len(shown_now.pods) - 1
    snapshot = pd.read_csv(rerun.workspace.path(baseline.SNAPSHOT))
    assert shown_saved.top_nodes is not None and shown_saved.top_pods is not None
    assert list(shown_saved.top_nodes["name"]) == list(snapshot.query("kind == 'node'")["name"])
    assert list(shown_saved.top_pods["cpu_cores"]) == list(snapshot.query("kind == 'pod'")["cpu_cores"])
    assert tables.top_table(shown_saved.top_nodes).startswith("NAME ")
