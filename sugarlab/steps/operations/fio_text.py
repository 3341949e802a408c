"""fio's normal text report, the one Tutorial 13's command prints (it asks for no `--output-format`).

Read into the same columns as the JSON report (`sugarlab.fio.COLUMNS`), so an operator who ran the
tutorial's `kubectl logs job/fio-benchmark > operations/fio-report.log` by hand can bring the result
in. Both layouts fio has printed are read (fio's `stat.c`, `show_ddir_status`):

    fio 2.x   read : io=1024.0MB, bw=61460KB/s, iops=15365, runt= 17061msec
              issued    : total=r=262144/w=0/d=0, ...
    fio 3.x   read: IOPS=13.9k, BW=54.4MiB/s (57.0MB/s)(54.6MiB/1005msec)
              issued rwts: total=13988,0,0,0 ...

IOPS and bandwidth are computed as fio computes them for its JSON report, from the I/Os issued and the
runtime (`iops = total_ios / runtime`, `bw = io_bytes / runtime` in KiB/s), rather than from the
rounded `13.9k` of the text; without an `issued` line the printed figures are used. Latencies are
converted to microseconds from the unit each line names (`nsec`, `usec`, `msec`); fio 2.x's `KB` and
`MB` are binary units (its default `kb_base=1024`).
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from sugarlab.steps.operations.fio_output import COLUMNS, PERCENTILES

JOB = re.compile(r"^(?P<job>\S[^\n]*?): \(groupid=\d+, jobs=\d+\): err=\s*(?P<error>-?\d+)", re.M)
_OPTIONS = r"^{job}: \(g=\d+\): rw=(?P<rw>\w+), bs=(?P<bs>[^\n]*?), ioengine=(?P<engine>\w+), iodepth=(?P<depth>\d+)"
_VERSION = re.compile(r"^(?:fio-)?(\d+\.\d+[\w.\-]*)$", re.M)
_DIRECTION = re.compile(r"^\s+(?P<dir>read|write|trim)\s*: (?P<rest>.*)$", re.M)
_RUNTIME = re.compile(r"runt=\s*(\d+)msec|/(\d+)msec\)")
_IOPS = re.compile(r"(?:iops|IOPS)=\s*([\d.]+)([kKM]?)")
_BANDWIDTH = re.compile(r"(?:bw|BW)=\s*([\d.]+)([KMG]i?B|B)/s")
_LATENCY = re.compile(r"^\s+lat \((nsec|usec|msec)\):.*?avg=\s*([\d.]+)", re.M)
_PERCENTILES = re.compile(r"^\s+clat percentiles \((nsec|usec|msec)\):\n((?:\s+\|[^\n]*\n?)+)", re.M)
_PERCENTILE = re.compile(r"([\d.]+)th=\[\s*([\d.]+)([kKM]?)\]")
_ISSUED = re.compile(r"issued(?: rwts)?\s*: total=(?:r=)?(\d+)[,/](?:w=)?(\d+)")
_TO_US = {"nsec": 1e-3, "usec": 1.0, "msec": 1e3}
_SUFFIX = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6}
_KIB = {"B": 1 / 1024, "KB": 1.0, "KiB": 1.0, "MB": 1024.0, "MiB": 1024.0, "GB": 1024.0**2, "GiB": 1024.0**2}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)([KMG]?)i?B?\b")


def is_normal_report(text: str) -> bool:
    """Whether `text` holds at least one job of fio's normal report."""
    return JOB.search(text) is not None


def _block_size(bs: str | None) -> tuple[str | None, int | None]:
    """fio's echo of `bs` (`(R) 4096B-4096B, ...` in 3.x, `4K-4K/4K-4K/4K-4K` in 2.x) as the option a
    user writes (`4k`) and in bytes."""
    match = _SIZE.search(bs or "")
    if not match:
        return None, None
    size = int(float(match.group(1)) * {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[match.group(2)])
    return (f"{size // 1024}k" if size % 1024 == 0 else str(size)), size


def _direction(section: str, ios: int | None, block: int | None) -> dict[str, float]:
    runtime = _RUNTIME.search(section)
    runtime_ms = float(next(g for g in runtime.groups() if g)) if runtime else math.nan
    found: dict[str, float] = {"runtime_ms": runtime_ms}
    if ios is not None and runtime_ms > 0:
        found["iops"] = ios / (runtime_ms / 1000)
        found["bw_kib_s"] = ios * block / 1024 / (runtime_ms / 1000) if block else math.nan
    if "bw_kib_s" not in found or math.isnan(found["bw_kib_s"]):
        bandwidth = _BANDWIDTH.search(section)
        unit = bandwidth.group(2) if bandwidth else ""
        found["bw_kib_s"] = float(bandwidth.group(1)) * _KIB.get(unit, math.nan) if bandwidth else math.nan
    if "iops" not in found:
        iops = _IOPS.search(section)
        found["iops"] = float(iops.group(1)) * _SUFFIX[iops.group(2)] if iops else math.nan
    latency = _LATENCY.search(section)
    found["lat_mean_us"] = float(latency.group(2)) * _TO_US[latency.group(1)] if latency else math.nan
    percentiles = _PERCENTILES.search(section)
    values: dict[float, float] = {}
    if percentiles:
        scale = _TO_US[percentiles.group(1)]
        for percent, value, suffix in _PERCENTILE.findall(percentiles.group(2)):
            values[round(float(percent), 6)] = float(value) * _SUFFIX[suffix] * scale
    for name, percent in PERCENTILES.items():
        found[f"clat_{name}_us"] = values.get(percent, math.nan)
    return found


def _job_row(
    text: str, job: re.Match[str], end: int, version: str | None, node: str, provenance: str
) -> dict[str, Any]:
    name = job.group("job")
    options = re.search(_OPTIONS.format(job=re.escape(name)), text, re.M)
    bs, block = _block_size(options.group("bs") if options else None)
    body = text[job.end() : end]
    issued = _ISSUED.search(body)
    row: dict[str, Any] = {
        "node": node,
        "job": name,
        "rw": options.group("rw") if options else None,
        "bs": bs,
        "iodepth": int(options.group("depth")) if options else None,
        "ioengine": options.group("engine") if options else None,
    }
    marks = list(_DIRECTION.finditer(body))
    runtimes = []
    for direction in ("read", "write"):
        index = next((i for i, m in enumerate(marks) if m.group("dir") == direction), None)
        if index is None:  # a direction that moved no data is not printed
            row |= {f"{direction}_iops": 0.0, f"{direction}_bw_kib_s": 0.0, f"{direction}_lat_mean_us": math.nan}
            row |= {f"{direction}_clat_{name}_us": math.nan for name in PERCENTILES}
            continue
        stop = marks[index + 1].start() if index + 1 < len(marks) else body.find("\n  cpu ", marks[index].start())
        section = body[marks[index].start() : stop if stop != -1 else None]
        ios = int(issued.group(1 if direction == "read" else 2)) if issued else None
        found = _direction(section, ios, block)
        runtimes.append(found.pop("runtime_ms"))
        row |= {f"{direction}_{key}": value for key, value in found.items()}
    row["runtime_ms"] = max(runtimes) if runtimes else 0.0
    row["error"] = int(job.group("error"))
    row["fio_version"] = f"fio-{version}" if version else None
    row["provenance"] = provenance
    return row


def parse_fio_text(text: str, *, node: str = "", provenance: str = "") -> pd.DataFrame:
    """One row per job of fio's normal report in `text` (empty when it holds none), in fio.COLUMNS."""
    version = _VERSION.search(text)
    jobs = list(JOB.finditer(text))
    ends = [m.start() for m in jobs[1:]] + [len(text)]
    rows = [
        _job_row(text, job, end, version.group(1) if version else None, node, provenance)
        for job, end in zip(jobs, ends, strict=True)
    ]
    return pd.DataFrame(rows, columns=COLUMNS).astype({"iodepth": "Int64", "error": "int64"})
