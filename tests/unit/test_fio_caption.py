"""What notebook 06's fio table says under it: why the simulator's runtime is not the planned one, and
nothing at all for a live cluster's results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from sugarlab.steps.operations import fio_bench
from sugarlab.steps.operations.fio_output import parse_fio
from sugarlab.views.readable import CAPTION, frame_html

REPORT = Path(__file__).parents[1] / "data" / "fio" / "fio-3.33-libaio-randread.json"


def results(report: dict[str, Any], provenance: str) -> pd.DataFrame:
    """Results as `fio_bench.collect` makes them from one node's report."""
    row = parse_fio(json.dumps(report), node="sugarkube0", provenance=provenance)
    return row.assign(medium="", diagnosis="", **{fio_bench.SHORTENED: fio_bench.shortened(report)})


def simulator_report() -> dict[str, Any]:
    """The same report as the simulator leaves it when it ran fio for real, cut from the plan's options
    (`sugarlab.sim.kubelet.fio_runs`: the note's `cut_from`; fio's `job options` hold what ran)."""
    report: dict[str, Any] = json.loads(REPORT.read_text())
    report["jobs"][0]["job options"] |= {"runtime": "3", "size": "16M"}
    report["sugarlab"] = {"provenance": "local", "cut_from": {"runtime": "60", "size": "1G"}}
    return report


def test_a_live_clusters_results_say_nothing_under_the_table() -> None:
    live = results(json.loads(REPORT.read_text()), "cluster")
    assert live[fio_bench.SHORTENED].tolist() == [""]
    table = fio_bench.summary(live)
    assert CAPTION not in table.attrs and "<p>" not in frame_html(table)


def test_the_simulators_cut_is_said_under_the_table_with_how_much_and_why() -> None:
    simulated = results(simulator_report(), "local")
    assert simulated[fio_bench.SHORTENED].tolist() == ["--runtime=60 --size=1G cut to --runtime=3 --size=16M"]
    caption = fio_bench.summary(simulated).attrs[CAPTION]
    assert "--runtime=60 --size=1G cut to --runtime=3 --size=16M" in caption
    assert "runtime_s is the capped run's" in caption and "not a Raspberry Pi's" in caption
    assert "fio_runs.py" in caption  # where the cut is made
    assert caption in frame_html(fio_bench.summary(simulated))


def test_results_written_before_the_column_existed_say_nothing() -> None:
    older = results(simulator_report(), "local").drop(columns=[fio_bench.SHORTENED])
    assert CAPTION not in fio_bench.summary(older).attrs
