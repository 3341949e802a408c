"""What simulated containers do: how much CPU and memory they want, how long they run, what they log.

k3s's bundled add-ons idle at steady-state figures of the order `kubectl top pods -A` shows on an
idle k3s cluster (see tests/data for real samples). `stress` and `stress-ng` containers follow their
arguments: every `--cpu` and `--vm` worker spins a whole core, `--io` workers mostly wait on sync(),
`--vm` workers each hold `--vm-bytes`, and the run ends after `--timeout`. Anything else idles lightly.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass

from sugarlab.common.kubectl import image_name
from sugarlab.common.objects import Obj
from sugarlab.sim.world import fio

MI = 1024 * 1024
MODULE = "sugarlab.payloads.edge_ai"  # the inference payload, run as a local process rather than modelled

# image name (without registry and tag) -> (CPU cores at Pi 4 speed, memory MiB) per container
IDLE_USAGE: dict[str, tuple[float, float]] = {
    "rancher/mirrored-coredns-coredns": (0.004, 16.5),
    "rancher/local-path-provisioner": (0.001, 9.0),
    "rancher/mirrored-metrics-server": (0.008, 21.0),
    "rancher/mirrored-library-traefik": (0.002, 31.0),
    "rancher/klipper-lb": (0.0, 0.4),
}
DEFAULT_USAGE = (0.001, 6.0)
IO_WORKER_CPU = 0.15  # a sync() loop spends most of its time waiting for the SD card or SSD
FIO_CPU, FIO_MEMORY_MI = 0.25, 24  # fio's own usr+sys share of a Pi 4 core at depth 32, and its RSS

STARTUP_LOGS: dict[str, list[str]] = {
    "rancher/mirrored-coredns-coredns": [
        ".:53",
        "[INFO] plugin/reload: Running configuration SHA512 = 1b226df79860bfa5c1e5bb36d3e1b1dc",
        "CoreDNS-1.12.3",
        "linux/arm64, go1.24.6, 0fb5a10",
    ],
    "rancher/mirrored-metrics-server": [
        "I0101 00:00:01.000000       1 serving.go:374] Generated self-signed cert (/tmp/apiserver.crt, /tmp/apiserver.key)",
        "I0101 00:00:01.500000       1 handler.go:275] Adding GroupVersion metrics.k8s.io v1beta1 to ResourceManager",
        "I0101 00:00:02.000000       1 secure_serving.go:213] Serving securely on [::]:10250",
    ],
    "rancher/mirrored-library-traefik": [
        'time="" level=info msg="Traefik version 3.3.6 built on 2025-04-18T09:18:47Z"',
        'time="" level=info msg="Starting provider *crd.Provider"',
    ],
    "rancher/local-path-provisioner": [
        'time="" level=info msg="Starting provisioner controller rancher.io/local-path"',
    ],
}

_UNITS = {"": 1, "b": 1, "k": 1024, "m": MI, "g": 1024 * MI}
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "y": 31536000}
_STRESS_FLAGS = {"-c": "--cpu", "-i": "--io", "-m": "--vm", "-t": "--timeout"}


@dataclass(frozen=True)
class Behaviour:
    cpu: float  # cores wanted; for busy workers, whole cores whatever the CPU's speed
    memory: int  # bytes held
    busy: bool  # True: takes whatever CPU it can get; False: a light idle figure
    duration: float | None  # seconds it runs before exiting 0; None: until stopped
    start_log: tuple[str, ...] = ()
    end_log: tuple[str, ...] = ()
    local: bool = False  # runs for real on this machine (see `processes`); figures are measured


LOCAL = Behaviour(0.0, 0, False, None, local=True)


def _size(text: str) -> int:
    match = re.fullmatch(r"(\d+)([bkmg]?)", text.strip().lower())
    if not match:
        raise ValueError(f"unreadable size {text!r}")
    return int(match[1]) * _UNITS[match[2]]


def _duration(text: str) -> float:
    match = re.fullmatch(r"(\d+)([smhdy]?)", text.strip().lower())
    if not match:
        raise ValueError(f"unreadable duration {text!r}")
    return float(int(match[1]) * _SECONDS[match[2]])


def stress_options(argv: list[str]) -> dict[str, str]:
    """`--flag value` pairs of a stress command line (short flags and `--flag=value` too)."""
    options, words = {}, iter(argv)
    for word in words:
        if word.startswith("-"):
            flag, _, value = word.partition("=")
            flag = _STRESS_FLAGS.get(flag, flag)
            options[flag] = value or next(words, "")
    return options


def _stress(argv: list[str]) -> Behaviour:
    options = stress_options(argv)
    cpu, io, vm = (int(options.get(flag, "0") or 0) for flag in ("--cpu", "--io", "--vm"))
    vm_bytes = _size(options.get("--vm-bytes", "256M"))
    duration = _duration(options["--timeout"]) if "--timeout" in options else None
    dispatch = f"stress: info: [1] dispatching hogs: {cpu} cpu, {io} io, {vm} vm, 0 hdd"
    done = (f"stress: info: [1] successful run completed in {duration:.0f}s",) if duration is not None else ()
    return Behaviour(cpu + vm + IO_WORKER_CPU * io, vm * vm_bytes + MI, True, duration, (dispatch,), done)


def _fio(argv: list[str]) -> Behaviour:
    """fio waits on the disk: a fraction of a core and a small buffer, for its `--runtime` at least; its
    report is its log, written by `sugarlab.sim.kubelet.fio_runs.FioRuns`, which the kubelet also waits for."""
    try:
        seconds = fio.runtime_s(fio.options(argv))
    except ValueError:
        seconds = 0.0  # fio refuses the option at once; the run reports it
    return Behaviour(FIO_CPU, FIO_MEMORY_MI * MI, False, seconds)


def runs_locally(container: Obj) -> bool:
    """Whether the container is the inference payload, which the kubelet runs for real."""
    return any(MODULE in word for word in [*container.get("command", []), *container.get("args", [])])


def behaviour(container: Obj) -> Behaviour:
    name = image_name(container["image"])
    argv = [*container.get("command", []), *container.get("args", [])]
    if "stress" in name.rsplit("/", 1)[-1]:
        return _stress(argv)
    if fio.fio_argv(container):
        return _fio(argv)
    if runs_locally(container):
        return LOCAL
    cpu, memory_mi = IDLE_USAGE.get(name, DEFAULT_USAGE)
    return Behaviour(cpu, int(memory_mi * MI), False, None, tuple(STARTUP_LOGS.get(name, ())))


def jitter(*key: object, spread: float) -> float:
    """A deterministic factor around 1.0 for `key` (seed, object, time window)."""
    digest = hashlib.sha256(":".join(map(str, key)).encode()).digest()
    unit = int.from_bytes(digest[:8], "big") / 2**64  # uniform in [0, 1)
    return 1.0 + spread * math.sin(2 * math.pi * unit)
