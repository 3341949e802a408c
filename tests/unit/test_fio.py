"""fio's JSON report read from real outputs of fio 2.1.11, 3.1 and 3.33 (tests/data/fio/README.md)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sugarlab.lab.errors import FioOutputError, ParameterError, SugarlabError
from sugarlab.steps.operations.fio_output import COLUMNS, fio_command, parse_fio

DATA = Path(__file__).parents[1] / "data" / "fio"


def read(name: str) -> str:
    return (DATA / name).read_text()


def test_fio_2x_reads_microseconds_and_every_job() -> None:
    frame = parse_fio(read("fio-2.1.11-storperf-4jobs.json"), node="pi-b", provenance="cluster")
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 4
    first = frame.iloc[0]
    assert (first.job, first.fio_version, first.node, first.provenance) == (
        "random-read",
        "fio-2.1.11",
        "pi-b",
        "cluster",
    )
    assert (first.read_iops, first.read_bw_kib_s) == (5, 21)
    # fio 2.x `clat` is already in microseconds: no scaling, and the "0.00" padding keys ignored.
    assert (first.read_clat_p50_us, first.read_clat_p95_us, first.read_clat_p99_us, first.read_clat_p99_9_us) == (
        243,
        370,
        506,
        812,
    )
    assert first.read_lat_mean_us == pytest.approx(255.56)
    assert list(frame.read_clat_p99_9_us) == [812, 972, 844, 844]
    assert first.runtime_ms == 2127550
    assert first.rw is None and first.ioengine is None  # fio 2.1 does not echo the job's options


def test_fio_3x_nanoseconds_become_microseconds() -> None:
    row = parse_fio(read("fio-3.1-gvisor-write.json")).iloc[0]
    assert (row.fio_version, row.rw, row.bs, row.iodepth, row.ioengine) == ("fio-3.1", "write", "4096", 4, "sync")
    assert row.write_iops == pytest.approx(438367.892977)
    assert row.write_bw_kib_s == 1753471
    assert row.write_clat_p50_us == pytest.approx(1.816)  # 1816 ns
    assert row.write_clat_p95_us == pytest.approx(2.992)
    assert row.write_clat_p99_us == pytest.approx(6.176)
    assert row.write_clat_p99_9_us == pytest.approx(11.328)
    assert row.write_lat_mean_us == pytest.approx(2.117879)  # lat_ns mean 2117.878979
    assert row.runtime_ms == 598  # no job_runtime in fio 3.1: the write side's runtime


def test_a_direction_without_io_has_zero_rate_and_no_latency() -> None:
    row = parse_fio(read("fio-3.1-gvisor-write.json")).iloc[0]
    assert (row.read_iops, row.read_bw_kib_s) == (0, 0)
    assert math.isnan(row.read_clat_p99_us) and math.isnan(row.read_lat_mean_us)


def test_kubectl_logs_lines_and_fio_notes_before_the_report_are_skipped() -> None:
    text = read("fio-3.33-tutorial-kubectl-logs.log")
    assert text.startswith("Found 2 pods") and "capped at 1" in text.splitlines()[2]
    row = parse_fio(text, node="pi-a", provenance="local").iloc[0]
    assert (row.job, row.rw, row.bs, row.iodepth, row.fio_version) == ("randread", "randread", "4k", 32, "fio-3.33")
    assert row.ioengine is None  # the tutorial's command leaves fio on its default, psync
    assert row.read_iops == pytest.approx(30531.468531)
    assert row.read_bw_kib_s == 122125
    assert row.read_clat_p50_us == pytest.approx(30.848)
    assert row.read_clat_p99_9_us == pytest.approx(317.44)
    assert (row.runtime_ms, row.error) == (1000, 0)


def test_libaio_run_reports_its_engine_and_depth() -> None:
    row = parse_fio(read("fio-3.33-libaio-randread.json")).iloc[0]
    assert (row.ioengine, row.iodepth, row.rw) == ("libaio", 32, "randread")
    assert row.read_iops == pytest.approx(96697.302697)
    assert row.read_clat_p99_us == pytest.approx(757.76)


def test_several_jobs_give_several_rows_with_global_options_and_text_after() -> None:
    text = read("fio-3.33-three-jobs-json-normal.log")
    assert text.rstrip().endswith("util=69.48%")  # fio's normal report follows the JSON one
    frame = parse_fio(text, node="pi-c")
    assert list(frame.job) == ["reader", "writer", "mixed"]
    assert list(frame.rw) == ["randread", "randwrite", "randrw"]
    assert list(frame.bs) == ["4k", "4k", "8k"]  # the job's own bs overrides the global one
    assert list(frame.ioengine) == ["psync"] * 3  # from `global options`
    assert set(frame.node) == {"pi-c"}
    reader, writer, mixed = (frame.iloc[i] for i in range(3))
    assert reader.read_iops == pytest.approx(99241.758242) and reader.write_iops == 0
    assert writer.write_bw_kib_s == 712943 and writer.read_iops == 0
    assert writer.write_clat_p99_us == pytest.approx(16.768)
    assert mixed.read_iops == pytest.approx(26922.077922)
    assert mixed.write_iops == pytest.approx(26854.145854)
    assert mixed.write_clat_p99_9_us == pytest.approx(1302.528)


def test_json_plus_bins_do_not_disturb_percentiles() -> None:
    row = parse_fio(read("fio-3.33-jsonplus.json")).iloc[0]
    assert row.read_iops == pytest.approx(34782.217782)
    assert row.read_clat_p50_us == pytest.approx(26.496)
    assert row.read_clat_p99_9_us == pytest.approx(201.728)


def test_error_only_job_gives_its_error_code_and_zero_iops() -> None:
    text = read("fio-3.33-error-enospc.log")
    assert text.startswith("fio: io_u error")
    row = parse_fio(text).iloc[0]
    assert row.error == 28  # ENOSPC
    assert (row.write_iops, row.write_bw_kib_s, row.read_iops) == (0, 0, 0)
    assert math.isnan(row.write_clat_p50_us) and math.isnan(row.write_lat_mean_us)


def test_bytes_as_from_a_subprocess_are_read_too() -> None:
    frame = parse_fio((DATA / "fio-3.33-libaio-randread.json").read_bytes())
    assert frame.iloc[0].read_bw_kib_s == 386789


def test_other_json_before_the_report_is_skipped() -> None:
    text = '{"level":"warn","msg":"slow volume"}\nJobs: 1 (f=1): [r(1)] {eta\n' + read("fio-3.1-gvisor-write.json")
    assert parse_fio(text).iloc[0].write_bw_kib_s == 1753471


def test_text_without_json_raises_with_its_start() -> None:
    text = 'Error from server (NotFound): pods "fio-benchmark-x" not found\n' * 10
    with pytest.raises(FioOutputError) as caught:
        parse_fio(text)
    message = str(caught.value)
    assert "no JSON object found" in message and "--output-format=json" in message
    assert "Error from server (NotFound)" in message
    assert len(caught.value.head) == 200 and "characters in all" in message
    assert isinstance(caught.value, SugarlabError)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_json_without_jobs_raises() -> None:
    with pytest.raises(FioOutputError, match=r"JSON without `jobs` \(keys: kind, status\)"):
        parse_fio('{"kind": "Status", "status": "Failure"}')


def test_empty_jobs_and_empty_text_raise() -> None:
    with pytest.raises(FioOutputError, match="fio ran no job"):
        parse_fio('{"fio version": "fio-3.33", "jobs": []}')
    with pytest.raises(FioOutputError, match="the text is empty"):
        parse_fio("  \n")


def test_report_cut_short_raises_and_says_so() -> None:
    text = read("fio-3.33-libaio-randread.json")
    with pytest.raises(FioOutputError, match=r"does not parse .*cut short"):
        parse_fio(text[: len(text) // 2])


def test_command_is_the_tutorials_workload_on_libaio() -> None:
    command = fio_command("/data/benchmark/testfile")
    assert command[0] == "fio"
    for flag in (
        "--name=randread",
        "--filename=/data/benchmark/testfile",
        "--size=1G",
        "--rw=randread",
        "--bs=4k",
        "--iodepth=32",
        "--runtime=60",
        "--time_based",
        "--direct=1",
        "--ioengine=libaio",
        "--output-format=json",
    ):
        assert flag in command
    assert "--ioengine=psync" in fio_command("f", ioengine="psync", iodepth=1, runtime_s=5)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("iodepth", 0),
        ("iodepth", True),
        ("runtime_s", 0),
        ("runtime_s", 1.5),
        ("ioengine", "sync"),
        ("size", ""),
        ("size", "1 G"),
    ],
)
def test_command_rejects_bad_parameters(name: str, value: object) -> None:
    with pytest.raises(ParameterError) as caught:
        fio_command("/data/benchmark/testfile", **{name: value})  # type: ignore[arg-type]
    assert caught.value.name == name


def test_command_rejects_empty_filename() -> None:
    with pytest.raises(ParameterError, match="filename"):
        fio_command(" ")
