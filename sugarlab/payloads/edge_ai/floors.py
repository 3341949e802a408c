"""The floors a request is measured against: the model alone and the preprocessing alone, in this process.

ONNX Runtime's idle intra-op threads spin for a while after a run (about 40 ms of CPU, measured on a
2-core machine), so a sample taken just after a run (a server's, or the floor's own) meets a busy core.
Each sample therefore waits `SPIN_PAUSE` first and times the preprocessing before the model run.
"""

from __future__ import annotations

import statistics
import time

import onnxruntime as ort

from sugarlab.payloads.edge_ai.images import decode_image, preprocess
from sugarlab.payloads.edge_ai.settings import Settings

SPIN_PAUSE = 0.1  # seconds, more than twice the spinning measured


class Floors:
    """Samples of the model alone (ONNX Runtime's default session options, one image) and of the service's
    preprocessing alone (DCT-scaled decode, resize, normalise) for `image`; `model` is a path or a graph."""

    def __init__(self, model: str | bytes, image: bytes) -> None:
        self.session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.image = image
        self.tensor = preprocess(decode_image(image, Settings.max_image_pixels))[None]
        self.session.run(None, {self.input: self.tensor})  # the first run allocates
        self.model_ms: list[float] = []
        self.prep_ms: list[float] = []

    def sample(self, settle: bool = True) -> None:
        """One sample of each floor, each away from spinning threads; `settle` waits for the model's threads
        to stop spinning before returning (not needed when another sample follows, as it pauses first)."""
        time.sleep(SPIN_PAUSE)
        started = time.perf_counter()
        preprocess(decode_image(self.image, Settings.max_image_pixels))
        self.prep_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        self.session.run(None, {self.input: self.tensor})
        self.model_ms.append((time.perf_counter() - started) * 1000)
        if settle:
            time.sleep(SPIN_PAUSE)

    def medians(self) -> tuple[float, float]:
        """p50 milliseconds of the model alone and of the preprocessing alone."""
        return statistics.median(self.model_ms), statistics.median(self.prep_ms)
