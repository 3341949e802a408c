"""fio's JSON report as a frame, and the command line of Tutorial 13's storage benchmark (step 6.3).

`parse_fio` reads what `fio --output-format=json` (or `json+`) printed, as `kubectl logs` returns it,
or, when the text holds no JSON, fio's normal text report (`sugarlab.fio_text`), which is what the
tutorial's own command prints:
warnings and fio's own notes may come before the JSON report and the `normal` report after it. It
gives one row per fio job. Units are the same for every fio version: IOPS, bandwidth in KiB/s (fio's
`bw`), latencies in microseconds. fio 2.x reports latencies in microseconds (`clat`, `lat`); fio 3.x
in nanoseconds (`clat_ns`, `lat_ns`), which are divided by 1000 here.

A direction that moved no data (the `write` side of a random-read job, or a job that failed at once)
has IOPS and bandwidth 0 and latencies NaN: there is no latency to report, and 0 µs would read as a
very fast disk. A job's `error` is fio's own errno-style code (28 is ENOSPC, "No space left on
device"); 0 means the job finished cleanly.

`measured` turns the rows into one per job and direction it moved data in, so that a write job's figures
are write figures and nothing reads a direction a job did not have as 0 IOPS.

Output that holds no fio report raises `FioOutputError`, a `SugarlabError`, whose message says what
was wrong and shows the start of the text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from sugarlab.lab.errors import FioOutputError, ParameterError

PERCENTILES = {"p50": 50.0, "p95": 95.0, "p99": 99.0, "p99_9": 99.9}
DIRECTIONS = ("read", "write")
COLUMNS = [
    "node",
    "job",
    "rw",
    "bs",
    "iodepth",
    "ioengine",
    "read_iops",
    "read_bw_kib_s",
    "read_lat_mean_us",
    *(f"read_clat_{name}_us" for name in PERCENTILES),
    "write_iops",
    "write_bw_kib_s",
    "write_lat_mean_us",
    *(f"write_clat_{name}_us" for name in PERCENTILES),
    "runtime_ms",
    "error",
    "fio_version",
    "provenance",
]
IOENGINES = ("libaio", "io_uring", "psync", "posixaio")
# The directions each `rw` pattern moves data in (fio's HOWTO, "rw, readwrite"); trim is left out.
PATTERN_DIRECTIONS = {
    "read": ("read",),
    "randread": ("read",),
    "write": ("write",),
    "randwrite": ("write",),
    "trimwrite": ("write",),
    "rw": ("read", "write"),
    "readwrite": ("read", "write"),
    "randrw": ("read", "write"),
}
MEASURED = ["node", "job", "workload", "direction", "iops", "bw_kib_s", *(f"clat_{p}_us" for p in PERCENTILES)]


def fio_command(
    filename: str, *, size: str = "1G", runtime_s: int = 60, iodepth: int = 32, ioengine: str = "libaio"
) -> list[str]:
    """The argument list of Tutorial 13's 4k random-read benchmark, printing a JSON report.

    The tutorial runs `fio --name=randread --filename=... --size=1G --rw=randread --bs=4k
    --iodepth=32 --runtime=60 --time_based --direct=1` with no `--ioengine`, so fio uses its
    default synchronous engine `psync`, which submits one I/O at a time: fio caps the effective
    depth at 1 (it says so: "queue depth will be capped at 1") and the run measures depth 1, not 32.
    Here the engine is `libaio` unless asked otherwise, so that iodepth 32 is the depth the disk
    sees; pass `ioengine="psync"` to reproduce the tutorial's figures as printed.
    """
    if not isinstance(filename, str) or not filename.strip():
        raise ParameterError("filename", filename, "a path on the volume under test, such as /data/benchmark/testfile")
    if not isinstance(size, str) or not size.strip() or any(c.isspace() for c in size):
        raise ParameterError("size", size, "a fio size without spaces, such as 1G or 512M")
    if isinstance(runtime_s, bool) or not isinstance(runtime_s, int) or runtime_s < 1:
        raise ParameterError("runtime_s", runtime_s, "a whole number of seconds, at least 1")
    if isinstance(iodepth, bool) or not isinstance(iodepth, int) or iodepth < 1:
        raise ParameterError("iodepth", iodepth, "a whole number of I/Os in flight, at least 1")
    if ioengine not in IOENGINES:
        raise ParameterError("ioengine", ioengine, f"one of {', '.join(IOENGINES)}")
    return [
        "fio",
        "--name=randread",
        f"--filename={filename}",
        f"--size={size}",
        "--rw=randread",
        "--bs=4k",
        f"--iodepth={iodepth}",
        f"--runtime={runtime_s}",
        "--time_based",
        "--direct=1",
        f"--ioengine={ioengine}",
        "--output-format=json",
    ]


def parse_fio(text: str | bytes, *, node: str = "", provenance: str = "") -> pd.DataFrame:
    """One row per job of fio's JSON report found in `text`; columns as in `COLUMNS`.

    `node` and `provenance` (`cluster`, `local` or `simulated`) are copied onto every row. `rw`,
    `bs`, `iodepth` and `ioengine` are the job's options as fio echoes them (its `global options`
    overridden by the job's own); they are missing (None, <NA>) when the command did not set them
    and fio used its default (ioengine psync on Linux, iodepth 1), and in fio 2.x reports, which
    do not echo options. `runtime_ms` is fio's `job_runtime`, or the longest direction's runtime
    in reports that lack it.
    Raises FioOutputError when `text` holds neither a fio JSON report nor fio's normal report.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        raise FioOutputError(f"expected the text fio printed, got {type(text).__name__}.", repr(text))
    try:
        report = _find_report(text)
    except FioOutputError:
        from sugarlab.steps.operations.fio_text import (
            is_normal_report,
            parse_fio_text,
        )  # it builds on this module's columns

        if "{" not in text and is_normal_report(text):  # the tutorial's command prints fio's normal report
            return parse_fio_text(text, node=node, provenance=provenance)
        raise
    jobs = report["jobs"]
    if not isinstance(jobs, list) or not jobs:
        raise FioOutputError("the JSON report's `jobs` is empty or not a list: fio ran no job.", text)
    if not all(isinstance(job, Mapping) for job in jobs):
        raise FioOutputError("an entry of the JSON report's `jobs` is not an object.", text)
    global_options = _mapping(report.get("global options"))
    version = str(report.get("fio version", "")) or None
    rows = [_job_row(job, global_options, version, node, provenance) for job in jobs]
    return pd.DataFrame(rows, columns=COLUMNS).astype({"iodepth": "Int64", "error": "int64"})


def _find_report(text: str) -> dict[str, Any]:
    """The first JSON object in `text` that has `jobs`: decoded at each `{` in turn, so any text
    before or after it (warnings, `kubectl logs` lines, fio's normal report) is skipped."""
    decoder = json.JSONDecoder()
    other: dict[str, Any] | None = None
    broken: json.JSONDecodeError | None = None
    pos = text.find("{")
    while pos != -1:
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            if broken is None and '"fio version"' in text[pos : pos + 100]:
                broken = exc
            pos = text.find("{", pos + 1)
            continue
        if isinstance(value, dict) and "jobs" in value:
            return value
        other = other if other is not None else value
        pos = text.find("{", end)
    if broken is not None:
        raise FioOutputError(
            f"fio's JSON report does not parse ({broken.msg} at line {broken.lineno} column "
            f"{broken.colno}); was the output cut short, for example by a pod that was killed?",
            text,
        )
    if other is not None:
        keys = ", ".join(list(other)[:5]) or "no keys"
        raise FioOutputError(f"found JSON without `jobs` (keys: {keys}). Is this fio's report?", text)
    if not text.strip():
        raise FioOutputError("the text is empty.", text)
    raise FioOutputError("no JSON object found; was fio run with --output-format=json?", text)


def _job_row(
    job: Mapping[str, Any], global_options: Mapping[str, Any], version: str | None, node: str, provenance: str
) -> dict[str, Any]:
    options = {**global_options, **_mapping(job.get("job options"))}
    row: dict[str, Any] = {
        "node": node,
        "job": str(job.get("jobname", "")),
        "rw": _option(options, "rw", "readwrite"),
        "bs": _option(options, "bs", "blocksize"),
        "iodepth": _integer(_option(options, "iodepth")),
        "ioengine": _option(options, "ioengine"),
    }
    runtimes = []
    for direction in DIRECTIONS:
        stats = _mapping(job.get(direction))
        moved = _number(stats.get("io_bytes")) > 0  # a failed I/O counts in total_ios, moves nothing
        row[f"{direction}_iops"] = _number(stats.get("iops"))
        row[f"{direction}_bw_kib_s"] = _number(stats.get("bw"))
        row[f"{direction}_lat_mean_us"] = _latency_mean(stats, "lat") if moved else math.nan
        percentiles = _percentiles(stats, "clat") if moved else {}
        for name, percent in PERCENTILES.items():
            row[f"{direction}_clat_{name}_us"] = percentiles.get(percent, math.nan)
        runtimes.append(_number(stats.get("runtime")))
    job_runtime = job.get("job_runtime")
    row["runtime_ms"] = _number(job_runtime) if job_runtime is not None else max(runtimes)
    row["error"] = int(_number(job.get("error")))
    row["fio_version"] = version
    row["provenance"] = provenance
    return row


def _scaled(stats: Mapping[str, Any], name: str) -> tuple[Mapping[str, Any], float]:
    """fio 3.x's `<name>_ns` (nanoseconds, scale 1/1000) or fio 2.x's `<name>` (microseconds)."""
    if f"{name}_ns" in stats:
        return _mapping(stats[f"{name}_ns"]), 1e-3
    return _mapping(stats.get(name)), 1.0


def _latency_mean(stats: Mapping[str, Any], name: str) -> float:
    block, scale = _scaled(stats, name)
    return _number(block.get("mean"), math.nan) * scale


def _percentiles(stats: Mapping[str, Any], name: str) -> dict[float, float]:
    """Percent -> latency in µs. fio's keys read like "99.900000"; fio 2.x and early 3.x also pad
    with repeated "0.00" keys, which are not percentiles and are dropped."""
    block, scale = _scaled(stats, name)
    found: dict[float, float] = {}
    for key, value in _mapping(block.get("percentile")).items():
        try:
            percent = round(float(key), 6)
        except ValueError:
            continue
        if percent > 0:
            found[percent] = _number(value, math.nan) * scale
    return found


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _option(options: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        if options.get(name) not in (None, ""):
            return str(options[name])
    return None


def _number(value: object, default: float = 0.0) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


def _integer(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def workload(rw: object, bs: object, direction: str) -> str:
    """What a figure measured: `4k random-read`, `sequential-write`, or the direction alone when the
    report does not name the pattern."""
    if not isinstance(rw, str) or rw not in PATTERN_DIRECTIONS:
        return direction
    pattern = "random" if rw.startswith("rand") else "sequential"
    return f"{bs} {pattern}-{direction}" if isinstance(bs, str) and bs else f"{pattern}-{direction}"


def measured(results: pd.DataFrame) -> pd.DataFrame:
    """One row per job and direction it moved data in (MEASURED, then the results' other columns such as
    medium, diagnosis and provenance): a randrw job gives two rows, a write job one of write figures.
    A job whose pattern the report does not name counts the directions that moved data (fio prints
    nothing for the others); a job with none (it failed) keeps one row with no figures."""
    kept = [c for c in results.columns if c not in COLUMNS or c in ("runtime_ms", "error", "provenance")]
    rows = []
    for job in results.to_dict("records"):
        rw = job.get("rw")
        directions: tuple[str | None, ...] = PATTERN_DIRECTIONS.get(rw, ()) if isinstance(rw, str) else ()
        directions = directions or tuple(d for d in DIRECTIONS if _number(job.get(f"{d}_iops"), math.nan) > 0)
        for direction in directions or (None,):
            row = {"node": job.get("node"), "job": job.get("job"), "direction": direction}
            row["workload"] = workload(rw, job.get("bs"), direction) if direction else ""
            for name in ["iops", "bw_kib_s", *(f"clat_{p}_us" for p in PERCENTILES)]:
                row[name] = job.get(f"{direction}_{name}", math.nan) if direction else math.nan
            rows.append(row | {k: job[k] for k in kept})
    return pd.DataFrame(rows, columns=[*MEASURED, *kept])
