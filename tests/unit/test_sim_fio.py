"""The simulator's fio: a modelled fio 3.x report per storage medium, and real fio cut down to run here."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from sugarlab.sim.kubelet import fio_runs
from sugarlab.sim.world import fio as sim_fio
from sugarlab.steps.operations.fio_output import fio_command, parse_fio

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TUTORIAL = fio_command("/data/benchmark/testfile")  # 4k randread, 60 s, depth 32, libaio


def modelled(argv: list[str], medium: str) -> dict[str, Any]:
    return sim_fio.modelled_report(argv, sim_fio.MEDIA[medium], random.Random(1), NOW)


def test_a_modelled_report_reads_like_fio_3_and_says_it_is_simulated() -> None:
    report = modelled(TUTORIAL, "microsd")
    row = parse_fio(json.dumps(report), node="worker-a", provenance="simulated").iloc[0]
    assert report["sugarlab"]["provenance"] == "simulated" and report["sugarlab"]["medium"] == "microsd"
    assert (row.fio_version, row.rw, row.bs, row.iodepth, row.ioengine, row.error) == (
        "fio-3.33",
        "randread",
        "4k",
        32,
        "libaio",
        0,
    )
    assert row.runtime_ms == 60_000
    assert 2_000 < row.read_iops < 4_000  # an A1/A2 card: depth does not help
    assert row.read_bw_kib_s == pytest.approx(row.read_iops * 4, rel=0.01)
    assert row.read_clat_p50_us < row.read_clat_p95_us < row.read_clat_p99_us < row.read_clat_p99_9_us
    # Little's law: 32 reads in flight at ~2,900 IOPS wait ~11 ms on average
    assert row.read_lat_mean_us == pytest.approx(32 / row.read_iops * 1e6, rel=0.05)
    assert row.write_iops == 0


def test_media_rank_as_published_figures_do() -> None:
    iops = {m: parse_fio(json.dumps(modelled(TUTORIAL, m))).iloc[0].read_iops for m in sim_fio.MEDIA}
    assert iops["microsd"] < iops["nfs"] < iops["usb-ssd"] < iops["nvme"]


def test_the_tutorials_command_without_an_engine_runs_at_depth_one() -> None:
    psync = [word for word in TUTORIAL if not word.startswith("--ioengine")]
    deep, shallow = (parse_fio(json.dumps(modelled(argv, "nvme"))).iloc[0] for argv in (TUTORIAL, psync))
    assert shallow.iodepth == 32 and shallow.ioengine is None  # asked for 32 ...
    assert shallow.read_iops < deep.read_iops / 4  # ... but psync keeps one read in flight


def test_percentiles_are_fio_histogram_values() -> None:
    assert sim_fio._plat(30_900) == 30_848 and sim_fio._plat(317_500) == 317_440  # as in tests/data/fio
    assert sim_fio._plat(100) == 100


def test_a_workload_the_model_does_not_cover_is_refused_with_the_way_out() -> None:
    with pytest.raises(sim_fio.UnsupportedJob, match="install fio"):
        modelled([*fio_command("/data/t")[:4], "--rw=randwrite", "--bs=4k"], "nvme")


def test_real_runs_are_cut_down_and_keep_the_containers_paths() -> None:
    argv, cut = fio_runs.local_argv(TUTORIAL)
    assert argv[0] == TUTORIAL[0] and "--filename=/data/benchmark/testfile" in argv
    assert "--size=16M" in argv and "--runtime=3" in argv and cut == {"size": "1G", "runtime": "60"}
    assert argv.count("--output-format=json") == TUTORIAL.count("--output-format=json")


def test_the_note_is_added_to_the_report_and_text_around_it_kept() -> None:
    text = "note: both iodepth and ioengine set\n" + json.dumps({"fio version": "fio-3.33", "jobs": [{}]}) + "\n"
    marked = fio_runs.with_note(text, {"provenance": "local"})
    assert marked.startswith("note: both") and json.loads(marked.split("\n", 1)[1])["sugarlab"] == {
        "provenance": "local"
    }
    assert fio_runs.with_note("fio: no such file\n", {"provenance": "local"}) == "fio: no such file\n"
