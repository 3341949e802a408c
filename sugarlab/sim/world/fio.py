"""fio in the simulated cluster: a container whose command is `fio` behaves like fio.

Its log is fio's own output, so one parser (`sugarlab.fio.parse_fio`) reads the simulator's runs and a
real cluster's alike. Two ways to get it, and a JSON report says which one it is in a top-level
`"sugarlab"` object that real fio never prints (`{"provenance": "local" | "simulated", ...}`):

- **local**: when a `fio` binary is installed here (`$SUGARLAB_FIO`, else `fio` on PATH; set
  `SUGARLAB_FIO=""` to never run it), the container's command runs for real, cut down to at most
  16 MiB and 3 s, confined to the container's root with the pod's volumes at their mount paths
  (`sugarlab.sim.kubelet.fio_runs` and `sandbox`), so its output, text or JSON as asked, shows the
  container's paths and the size and runtime it really used. Its figures are this machine's disk, not a
  Raspberry Pi's.
- **simulated**: otherwise a 4k random read is modelled from the node's storage medium (the node's
  `sim.sugarlab.io/storage-medium` annotation, else its hardware profile's medium) and printed as a
  fio 3.33 JSON report. The model is Little's law over a medium's queue-depth-1 latency and its
  ceiling in IOPS, with a log-normal spread of completion latencies; the figures below come from
  published Raspberry Pi benchmarks and are approximate (see each medium's comment).

Either way the pod finishes no sooner than fio's `--runtime` on the cluster's clock, and no sooner
than the real run, when there is one.
"""

from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass
from datetime import datetime
from statistics import NormalDist

from sugarlab.common.objects import Obj
from sugarlab.sim.world.profiles import NODE_PROFILES

MEDIUM_ANNOTATION = "sim.sugarlab.io/storage-medium"
PROFILE_ANNOTATION = "sim.sugarlab.io/profile"
MODELLED_VERSION = "fio-3.33"  # the Debian 12 fio whose report layout is reproduced here
ASYNC_ENGINES = ("libaio", "io_uring", "posixaio")  # engines that keep `iodepth` I/Os in flight
PERCENTILES = (
    1.0,
    5.0,
    10.0,
    20.0,
    30.0,
    40.0,
    50.0,
    60.0,
    70.0,
    80.0,
    90.0,
    95.0,
    99.0,
    99.5,
    99.9,
    99.95,
    99.99,
)  # fio's default --percentile_list


@dataclass(frozen=True)
class Medium:
    """4k random reads from one kind of storage, as seen from a Raspberry Pi."""

    name: str
    title: str
    qd1_latency_us: float  # mean completion latency of one read at a time
    max_iops: float  # what more depth cannot raise (the card, the bus, the link)
    spread: float  # sigma of the log-normal completion latency: how long the tail is
    source: str


# Approximate figures, rounded; none was re-measured here. Where a number could not be checked against
# its source while writing this, the comment says so.
MEDIA: dict[str, Medium] = {
    m.name: m
    for m in (
        # microSD on a Pi 4 (DDR50 bus, about 50 MB/s at most): the SD Association's A1 class promises at
        # least 1,500 4k random-read IOPS and A2 at least 4,000 (checked); a Pi's SD host does not queue
        # commands (bret.dk tested the Pi 5 with command queueing off), so depth does not help. Jeff
        # Geerling's pidramble microSD benchmarks show good A1/A2 cards at roughly 10-13 MB/s 4k random
        # read with iozone on a Pi 4, i.e. about 2,500-3,300 IOPS (from memory of those tables, not
        # re-checked: treat as +-30%).
        Medium(
            "microsd",
            "microSD card (A1/A2)",
            330.0,
            3_000.0,
            0.55,
            "SD Association A1/A2 minima; pidramble.com microSD benchmarks (Jeff Geerling), Pi 4",
        ),
        # A SATA SSD in a UAS USB 3 enclosure on a Pi 4: about 7,000 IOPS at depth 1 and 20,000-30,000
        # at depth 32 in the fio and iozone runs published by Jeff Geerling and on pibenchmarks.com
        # (James Chambers); USB 3 on a Pi 4 peaks near 360 MB/s sequential. Not re-checked: +-30%.
        Medium(
            "usb-ssd",
            "SATA SSD over USB 3 (UAS)",
            145.0,
            25_000.0,
            0.35,
            "jeffgeerling.com USB SSD boot benchmarks; pibenchmarks.com, Pi 4",
        ),
        # An NVMe SSD on a Pi 5's PCIe 2.0 x1 (about 450 MB/s usable, so at most ~110,000 4k IOPS):
        # published fio runs at depth 32 land around 50,000-80,000 IOPS, depth 1 around 10,000-12,000
        # (Jeff Geerling's Pi 5 NVMe tests; pibenchmarks.com). Not re-checked: +-30%.
        Medium(
            "nvme",
            "NVMe SSD on PCIe 2.0 x1 (Pi 5)",
            90.0,
            60_000.0,
            0.25,
            "jeffgeerling.com Raspberry Pi 5 NVMe benchmarks; pibenchmarks.com, Pi 5",
        ),
        # NFS v4 over gigabit Ethernet: every read pays a network round trip (0.2-0.5 ms through a home
        # switch plus the server's disk), and 1 Gb/s carries at most ~28,000 4k reads/s with protocol
        # overhead; homelab fio runs against a Pi or small NAS NFS export typically show 2,000-3,000 IOPS
        # at depth 1 and 10,000-15,000 at depth 32. An estimate from those figures, not a measurement.
        Medium(
            "nfs",
            "NFS over 1 GbE",
            450.0,
            12_000.0,
            0.45,
            "estimate: gigabit round trips and line rate; homelab NFS fio reports",
        ),
    )
}


def fio_argv(container: Obj) -> list[str] | None:
    """The container's fio command line, when its command (or, without one, its args) runs fio."""
    argv = [*container.get("command", []), *container.get("args", [])]
    return argv if argv and os.path.basename(argv[0]) == "fio" else None


def options(argv: list[str]) -> dict[str, str]:
    """`--key=value` options of a fio command line (a later one wins, as in fio); a bare `--flag` reads "1"."""
    found: dict[str, str] = {}
    for word in argv[1:]:
        if word.startswith("--"):
            key, _, value = word[2:].partition("=")
            found[key] = value or "1"
    return found


def size_bytes(text: str) -> int:
    """fio's sizes: a number with an optional k/m/g/t suffix (powers of 1024, as fio reads them)."""
    number = text.strip().lower().removesuffix("ib").removesuffix("b")
    scale = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}.get(number[-1:], 1)
    return int(float(number.rstrip("kmgt")) * scale)


def runtime_s(opts: dict[str, str]) -> float:
    """Seconds fio is asked to run; 0 when the command gives no runtime (it reads `size` once)."""
    text = opts.get("runtime", "0").strip().lower()
    factor = {"ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    unit = next((u for u in ("ms", "s", "m", "h") if text.endswith(u)), "s")
    return float(text.removesuffix(unit) or 0) * factor[unit]


def medium_of(node: Obj) -> Medium:
    annotations = node["metadata"].get("annotations") or {}
    profile = NODE_PROFILES.get(annotations.get(PROFILE_ANNOTATION, ""))
    name = annotations.get(MEDIUM_ANNOTATION) or (profile.storage_medium if profile else "microsd")
    return MEDIA.get(name, MEDIA["microsd"])


# -- the modelled report -----------------------------------------------------------------------------
def _plat(value_ns: float) -> int:
    """`value_ns` as fio reports a percentile: the middle of its histogram bucket (fio's stat.c,
    plat_val_to_idx/plat_idx_to_val, 64 buckets per power of two)."""
    value = max(int(value_ns), 0)
    msb = value.bit_length() - 1
    if msb <= 6:
        return value
    error_bits = msb - 6
    return (1 << msb) + int((((value >> error_bits) & 63) + 0.5) * (1 << error_bits))


def _stats(values: dict[str, float], n: int) -> Obj:
    return {
        "min": int(values["min"]),
        "max": int(values["max"]),
        "mean": round(values["mean"], 6),
        "stddev": round(values["stddev"], 6),
        "N": n,
    }


_IDLE_DIRECTION: Obj = {
    "io_bytes": 0,
    "io_kbytes": 0,
    "bw_bytes": 0,
    "bw": 0,
    "iops": 0.0,
    "runtime": 0,
    "total_ios": 0,
    "short_ios": 0,
    "drop_ios": 0,
    **{k: {"min": 0, "max": 0, "mean": 0.0, "stddev": 0.0, "N": 0} for k in ("slat_ns", "clat_ns", "lat_ns")},
    "bw_min": 0,
    "bw_max": 0,
    "bw_agg": 0.0,
    "bw_mean": 0.0,
    "bw_dev": 0.0,
    "bw_samples": 0,
    "iops_min": 0,
    "iops_max": 0,
    "iops_mean": 0.0,
    "iops_stddev": 0.0,
    "iops_samples": 0,
}


class UnsupportedJob(ValueError):
    """A fio command the model does not cover; its message is what the pod prints."""


def modelled_report(argv: list[str], medium: Medium, rng: random.Random, now: datetime) -> Obj:
    """fio 3.x's JSON report of a 4k random read on `medium`, as `argv` asks for it."""
    opts = options(argv)
    if opts.get("rw", opts.get("readwrite", "read")) != "randread" or size_bytes(opts.get("bs", "4k")) != 4096:
        raise UnsupportedJob(
            "the simulated fio models 4k random reads only (--rw=randread --bs=4k); "
            "install fio on this machine to run other workloads for real"
        )
    engine = opts.get("ioengine", "psync")
    depth = int(opts.get("iodepth", "1")) if engine in ASYNC_ENGINES and opts.get("direct") == "1" else 1
    size = size_bytes(opts.get("size", "1G"))
    factor = rng.uniform(0.93, 1.07)  # card to card, run to run
    iops = min(depth * 1e6 / medium.qd1_latency_us, medium.max_iops) * factor
    seconds = runtime_s(opts)
    if "time_based" not in opts:
        seconds = min(seconds or math.inf, size / 4096 / iops)
    total = max(int(iops * seconds), 1)
    mean_ns = depth / iops * 1e9  # Little's law: depth in flight, `iops` leaving per second
    mu = math.log(mean_ns) - medium.spread**2 / 2
    quantile = NormalDist(mu, medium.spread).inv_cdf
    clat = {
        "min": math.exp(mu - 3.5 * medium.spread),
        "max": math.exp(mu + 4.5 * medium.spread),
        "mean": mean_ns,
        "stddev": mean_ns * math.sqrt(math.exp(medium.spread**2) - 1),
    }
    slat = {"min": 900.0, "max": 90_000.0, "mean": 2_600.0 * factor, "stddev": 2_100.0}
    lat = {k: clat[k] + slat[k] for k in ("min", "max", "mean")} | {"stddev": clat["stddev"]}
    runtime_ms = max(int(seconds * 1000), 1)
    bw = int(iops * 4)  # KiB/s
    read = {
        **_IDLE_DIRECTION,
        "io_bytes": total * 4096,
        "io_kbytes": total * 4,
        "bw_bytes": int(iops * 4096),
        "bw": bw,
        "iops": round(iops, 6),
        "runtime": runtime_ms,
        "total_ios": total,
        "slat_ns": _stats(slat, total),
        "lat_ns": _stats(lat, total),
        "clat_ns": {
            **_stats(clat, total),
            "percentile": {f"{p:f}": _plat(math.exp(quantile(p / 100))) for p in PERCENTILES},
        },
        "bw_min": int(bw * 0.9),
        "bw_max": int(bw * 1.1),
        "bw_agg": 100.0,
        "bw_mean": float(bw),
        "bw_dev": round(bw * 0.03, 6),
        "bw_samples": max(int(seconds * 2) - 1, 1),
        "iops_min": int(iops * 0.9),
        "iops_max": int(iops * 1.1),
        "iops_mean": round(iops, 6),
        "iops_stddev": round(iops * 0.03, 6),
        "iops_samples": max(int(seconds * 2) - 1, 1),
    }
    job_options = {k: v for k, v in opts.items() if k not in ("output-format", "output")}
    job_options.pop("time_based", None)
    job = {
        "jobname": opts.get("name", "fio"),
        "groupid": 0,
        "error": 0,
        "eta": 0,
        "elapsed": int(seconds) + 1,
        "job options": job_options,
        "read": read,
        "write": dict(_IDLE_DIRECTION),
        "trim": dict(_IDLE_DIRECTION),
        "sync": {"total_ios": 0, "lat_ns": {"min": 0, "max": 0, "mean": 0.0, "stddev": 0.0, "N": 0}},
        "job_runtime": runtime_ms,
        "usr_cpu": round(4.0 * factor, 6),
        "sys_cpu": round(18.0 * factor, 6),
        "ctx": total // 4,
        "majf": 0,
        "minf": 40,
        "latency_depth": depth,
        "latency_target": 0,
        "latency_percentile": 100.0,
        "latency_window": 0,
    }
    return {
        "fio version": MODELLED_VERSION,
        "timestamp": int(now.timestamp()),
        "timestamp_ms": int(now.timestamp() * 1000),
        "time": now.strftime("%a %b %d %H:%M:%S %Y"),
        "jobs": [job],
        "sugarlab": {
            "provenance": "simulated",
            "medium": medium.name,
            "medium_title": medium.title,
            "model": "Little's law over the medium's depth-1 latency and IOPS ceiling, log-normal completion latencies",
            "source": medium.source,
        },
    }
