"""Latency and throughput of the edge-AI service against its floors and the tutorial's app.

Run:  python benchmarks/edge_ai_latency.py [--width 1920 --height 1080] [--requests 160] [--int8]
           [--image photo.jpg | --tutorial-photo]

In one run, on the same model (the offline ResNet-50 graph unless MODEL_PATH is set) and the same
synthetic image, it prints:

- floors: a raw batch-1 `session.run` with the service's session options, and decode + preprocess;
- our service (`python -m sugarlab.payloads.edge_ai`) at concurrency 1, 4 and 16;
- a naive baseline doing what the tutorial's app does (one `async def` handler that decodes and runs
  the model inline on the event loop, default session options), with a `/healthz` added so it can be
  probed, under the same load.

Each server is one uvicorn process bound to 127.0.0.1; this process drives one at a time with httpx
while probing its `/healthz` every 50 ms. On a shared machine background load comes and goes, so each
level runs in rounds that alternate the two servers, and at concurrency 1 a floor sample precedes
each request to the service. Every loop is bounded by a request count and a deadline.
This is a measurement, not a test: it reports against the targets and never fails on them.
`--int8` also quantises the model (calibrated on synthetic frames) and compares it with the float
model. The default image is synthetic; `--tutorial-photo` downloads the tutorial's photo (internet).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import onnxruntime as ort
import uvicorn
from fastapi import FastAPI, File, UploadFile
from PIL import Image

from sugarlab.payloads.edge_ai.classifier import load_classifier
from sugarlab.payloads.edge_ai.images import decode_image, preprocess
from sugarlab.payloads.edge_ai.model_files import ensure_model
from sugarlab.payloads.edge_ai.quantization import compare_int8, quantize_int8
from sugarlab.payloads.edge_ai.sample_images import fetch_tutorial_photo, synthetic_jpeg
from sugarlab.payloads.edge_ai.settings import settings_from_env

CONCURRENCY = (1, 4, 16)
SERVERS = ("service", "naive")
ROUNDS = 4
PROBE_INTERVAL = 0.05
LEVEL_DEADLINE = 60.0  # seconds per block of requests, whatever the count
STARTUP_DEADLINE = 60.0
SPIN_PAUSE = 0.02  # seconds


def naive_app(model_path: str) -> FastAPI:
    """The tutorial's inference app, kept as it is apart from the model path and a /healthz."""
    app = FastAPI(title="naive baseline")
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])

    def prepare_image(data: bytes) -> np.ndarray:
        img = Image.open(io.BytesIO(data)).convert("RGB").resize((224, 224))
        arr = np.array(img).astype("float32")
        arr = np.transpose(arr, (2, 0, 1))
        return np.expand_dims(arr, axis=0) / 255.0

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.post("/infer")
    async def infer(image: UploadFile = File(...)) -> dict[str, object]:
        data = await image.read()
        tensor = prepare_image(data)
        outputs = session.run(None, {session.get_inputs()[0].name: tensor})
        scores = outputs[0][0]
        top_idx = int(np.argmax(scores))
        return {"class_index": top_idx, "confidence": float(scores[top_idx])}

    return app


@dataclass
class Level:
    server: str
    concurrency: int
    latencies: list[float]
    errors: int
    seconds: float
    probes: list[float]

    def row(self) -> str:
        done = len(self.latencies)
        p50, p95 = (_pct(self.latencies, q) if done else float("nan") for q in (50, 95))
        probe95 = _pct(self.probes, 95) if self.probes else float("nan")
        return (
            f"{self.server:<8} {self.concurrency:>4} {done:>6} {p50:>9.1f} {p95:>9.1f} "
            f"{done / self.seconds:>9.2f} {self.errors:>6} {probe95:>12.1f}"
        )


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(command: list[str], env: dict[str, str], port: int, ready: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + STARTUP_DEADLINE
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{ready}", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}: {' '.join(command)}")
        time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"server not ready within {STARTUP_DEADLINE} s: {' '.join(command)}")


async def _drive(
    url: str, image: bytes, concurrency: int, requests: int, server: str, between: Callable[[], None] | None = None
) -> Level:
    """Send `requests` uploads from `concurrency` workers while probing /healthz; bounded in time.

    `between` runs (on a thread, so probes go on) before each request: at concurrency 1 it samples
    the floors, so that each request and its floor sample meet the same background load.
    """
    latencies: list[float] = []
    probes: list[float] = []
    errors = 0
    remaining = requests
    paused = 0.0  # spent in `between`, not serving
    deadline = time.monotonic() + LEVEL_DEADLINE
    limits = httpx.Limits(max_connections=concurrency + 1)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def worker() -> None:
            nonlocal remaining, errors, paused
            while remaining > 0 and time.monotonic() < deadline:
                remaining -= 1
                if between is not None:
                    started = time.perf_counter()
                    await asyncio.to_thread(between)
                    paused += time.perf_counter() - started
                started = time.perf_counter()
                try:
                    response = await client.post("/infer", files={"image": ("frame.jpg", image, "image/jpeg")})
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1

        async def probe(stop: asyncio.Event) -> None:
            while not stop.is_set():
                started = time.perf_counter()
                await client.get("/healthz")
                probes.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(PROBE_INTERVAL)

        stop = asyncio.Event()
        prober = asyncio.create_task(probe(stop))
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started - paused
        stop.set()
        await prober
    return Level(server, concurrency, latencies, errors, seconds, probes)


class Floors:
    """The service's model and preprocessing run bare in this process, sampled between load blocks."""

    def __init__(self, image: bytes) -> None:
        self.settings = settings_from_env()
        self.classifier = load_classifier(self.settings)
        self.image = image
        self.tensor = preprocess(decode_image(image, self.settings.max_image_pixels))[None]
        self.classifier.session.run(None, {self.classifier.input_name: self.tensor})
        self.run_ms: list[float] = []
        self.prep_ms: list[float] = []

    def sample(self) -> None:
        """One floor sample, with pauses around it: idle ONNX Runtime threads spin for a moment after
        a run, and the server's and this process's must not eat into each other's measurement."""
        time.sleep(SPIN_PAUSE)
        started = time.perf_counter()
        self.classifier.session.run(None, {self.classifier.input_name: self.tensor})
        self.run_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        preprocess(decode_image(self.image, self.settings.max_image_pixels))
        self.prep_ms.append((time.perf_counter() - started) * 1000)
        time.sleep(SPIN_PAUSE)


def _merge(levels: list[Level]) -> Level:
    first = levels[0]
    return Level(
        first.server,
        first.concurrency,
        [x for lv in levels for x in lv.latencies],
        sum(lv.errors for lv in levels),
        sum(lv.seconds for lv in levels),
        [x for lv in levels for x in lv.probes],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--requests", type=int, default=160, help="requests at concurrency 16 (fewer below)")
    parser.add_argument("--image", type=Path, help="an image file to send instead of the synthetic frame")
    parser.add_argument("--tutorial-photo", action="store_true", help="download and send the tutorial's photo")
    parser.add_argument("--int8", action="store_true", help="also compare a static INT8 model with the float one")
    parser.add_argument("--serve-naive", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    model_path = str(ensure_model(Path(os.environ["MODEL_PATH"]) if os.environ.get("MODEL_PATH") else None))
    if args.serve_naive:
        uvicorn.run(naive_app(model_path), host="127.0.0.1", port=args.serve_naive, log_level="warning")
        return

    if args.tutorial_photo:
        args.image = fetch_tutorial_photo(Path(tempfile.mkdtemp()) / "traffic.jpg")
    if args.image:
        image, described = args.image.read_bytes(), str(args.image)
    else:
        image, described = synthetic_jpeg(args.width, args.height), f"synthetic {args.width}x{args.height} JPEG"
    floors = Floors(image)
    load_before = os.getloadavg()[0]

    urls: dict[str, str] = {}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for server in SERVERS:
            port = _free_port()
            env = dict(os.environ, HOST="127.0.0.1", PORT=str(port))
            command = (
                [sys.executable, "-m", "sugarlab.payloads.edge_ai"]
                if server == "service"
                else [sys.executable, __file__, "--serve-naive", str(port)]
            )
            processes.append(_start(command, env, port, "/readyz" if server == "service" else "/healthz"))
            urls[server] = f"http://127.0.0.1:{port}"
            asyncio.run(_drive(urls[server], image, 4, 8, server))  # warm-up, not recorded
        blocks: dict[tuple[str, int], list[Level]] = {}
        for concurrency in CONCURRENCY:
            count = max(5, args.requests * concurrency // max(CONCURRENCY) // ROUNDS)
            for round_ in range(ROUNDS):  # alternate servers so both meet the same background noise
                for server in SERVERS if round_ % 2 == 0 else SERVERS[::-1]:
                    between = floors.sample if concurrency == 1 and server == "service" else None
                    level = asyncio.run(_drive(urls[server], image, concurrency, count, server, between))
                    blocks.setdefault((server, concurrency), []).append(level)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
    levels = {key: _merge(parts) for key, parts in blocks.items()}

    run_ms, prep_ms = statistics.median(floors.run_ms), statistics.median(floors.prep_ms)
    print(f"model {model_path}")
    print(f"image: {described}, {len(image) // 1024} KiB; cpus {os.cpu_count()}; {ROUNDS} alternating rounds")
    print(
        f"1-minute load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after "
        "(this run adds about 2; more means other work shared the CPUs)"
    )
    print(
        f"floor: session.run batch 1 p50 {run_ms:.1f} ms; decode + preprocess p50 {prep_ms:.1f} ms; "
        f"sum {run_ms + prep_ms:.1f} ms (sampled before each concurrency-1 request)\n"
    )
    print(
        f"{'server':<8} {'conc':>4} {'done':>6} {'p50 ms':>9} {'p95 ms':>9} {'req/s':>9} {'errors':>6} "
        f"{'healthz p95':>12}"
    )
    for server in SERVERS:
        for concurrency in CONCURRENCY:
            print(levels[server, concurrency].row())

    top = max(CONCURRENCY)
    ours, naive = levels["service", top], levels["naive", top]
    c1 = statistics.median(levels["service", 1].latencies) / (run_ms + prep_ms)
    ratio = (len(ours.latencies) / ours.seconds) / (len(naive.latencies) / naive.seconds)
    errors = sum(levels["service", c].errors for c in CONCURRENCY)
    print("\ntargets:")
    print(f"  concurrency 1 p50 / (floor + preprocessing) = {c1:.2f}  (target <= 1.15)")
    print(f"  concurrency {top} throughput vs naive = {ratio:.2f}x  (target >= 1.4)")
    print(f"  concurrency {top} healthz p95 = {_pct(ours.probes, 95):.1f} ms  (target < 50)")
    print(f"  service errors = {errors}  (target 0)")
    if args.int8:
        _compare_int8(Path(model_path))


def _compare_int8(model: Path) -> None:
    calibration = [preprocess(decode_image(synthetic_jpeg(640, 480, seed=seed), 10**8)) for seed in range(8)]
    with tempfile.TemporaryDirectory() as workdir:
        fp32, int8 = quantize_int8(model, Path(workdir), calibration)
        result = compare_int8(fp32, int8, calibration, settings_from_env(), repeats=3)
    print("\nstatic INT8 (QDQ) vs float, batch 1, same session options:")
    print(
        f"  size {result.fp32_bytes / 2**20:.1f} MiB -> {result.int8_bytes / 2**20:.1f} MiB; "
        f"p50 {result.fp32_ms_p50:.1f} ms -> {result.int8_ms_p50:.1f} ms ({result.speedup:.2f}x); "
        f"top-1 agreement {result.top1_agreement:.0%}; recommended: {'yes' if result.recommended else 'no'}"
    )


if __name__ == "__main__":
    main()
