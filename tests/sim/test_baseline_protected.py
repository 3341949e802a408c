"""Notebook 01 keeps a baseline later notebooks used, unless asked to retake it."""

from __future__ import annotations

from collections.abc import Callable

from sugarlab.lab.session import Lab
from sugarlab.steps import baseline


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
