"""fio's normal text report (what Tutorial 13's fio command prints) read into the JSON report's columns,
from real fio 2.x and 3.x output (tests/data/fio/README.md names each file's source)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sugarlab.lab.errors import FioOutputError
from sugarlab.steps.operations.fio_output import COLUMNS, parse_fio
from sugarlab.steps.operations.fio_text import parse_fio_text

DATA = Path(__file__).parents[1] / "data" / "fio"


def test_the_text_of_a_run_reads_as_its_own_json_report() -> None:
    """`--output-format=json,normal` prints both reports of one run: they must agree."""
    text = (DATA / "fio-3.33-three-jobs-json-normal.log").read_text()
    from_json, from_text = parse_fio(text), parse_fio_text(text)
    assert list(from_text.columns) == COLUMNS
    assert list(from_text["job"]) == ["reader", "writer", "mixed"] == list(from_json["job"])
    assert list(from_text["bs"]) == list(from_json["bs"]) and list(from_text["rw"]) == list(from_json["rw"])
    for column in ("read_iops", "write_iops", "read_bw_kib_s", "write_bw_kib_s"):
        assert from_text[column].tolist() == pytest.approx(from_json[column].tolist(), abs=1.0), column
    for column in [c for c in COLUMNS if "_us" in c]:
        pd.testing.assert_series_equal(from_text[column], from_json[column], check_names=False, atol=0.01)


def test_a_fio_2_report_gives_its_printed_figures() -> None:
    row = parse_fio((DATA / "fio-2.2.10-ssd-4k-randread.log").read_text(), node="ssd", provenance="cluster").iloc[0]
    assert (row["job"], row["rw"], row["bs"], row["iodepth"], row["ioengine"]) == (
        "hdd_randread_test",
        "randread",
        "4k",
        1,
        "libaio",
    )
    assert round(row["read_iops"]) == 15365 and int(row["read_bw_kib_s"]) == 61460  # iops=15365, bw=61460KB/s
    assert row["read_lat_mean_us"] == 63.70
    assert [row[f"read_clat_{p}_us"] for p in ("p50", "p95", "p99", "p99_9")] == [49, 68, 177, 940]
    assert (row["write_iops"], row["runtime_ms"], row["error"], row["fio_version"]) == (0, 17061, 0, "fio-2.2.10")
    assert (row["node"], row["provenance"]) == ("ssd", "cluster")


def test_the_tutorials_command_as_printed_by_fio_3() -> None:
    row = parse_fio((DATA / "fio-3.33-tutorial-normal.log").read_text()).iloc[0]
    assert (row["ioengine"], row["iodepth"]) == ("psync", 32)  # the tutorial sets no engine
    assert row["read_iops"] == pytest.approx(13988 / 1.005)  # issued 13988 reads in 1005 msec ("13.9k")
    assert row["read_clat_p95_us"] == 58 and row["read_clat_p99_9_us"] == 5342 and row["read_lat_mean_us"] == 71.55


def test_text_that_is_no_fio_report_is_still_refused() -> None:
    with pytest.raises(FioOutputError, match="no JSON object found"):
        parse_fio('Error from server (NotFound): jobs.batch "fio-benchmark" not found\n')
