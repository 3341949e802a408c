"""Micro-batching: concurrent requests share one model run, off the event loop.

One loop task takes the first waiting image and everything else already waiting (up to `max_batch`)
and runs them at once on a single inference thread: it never waits for a batch to fill. Batches run
one at a time because ONNX Runtime already spreads one run over the intra-op threads; while a batch
runs, the next requests (decoded meanwhile on the service's decode threads) queue up and form the
next batch, so under load batches fill by themselves, and a request that finds the model idle and
nothing queued runs at once. (Waiting up to 2 ms for a batch to fill gained no throughput on a
2-core machine and added its whole wait to a lone request, so the option to wait is gone.)
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class BatchResult:
    """One image's answer from a batched run, with what it cost."""

    probabilities: np.ndarray
    queue_ms: float  # from submission to the start of its batch's run
    inference_ms: float  # the batch's run, shared by every image in it
    batch_size: int


@dataclass
class _Pending:
    image: np.ndarray
    future: asyncio.Future[BatchResult]
    submitted: float = field(default_factory=time.perf_counter)


class MicroBatcher:
    """Runs `run(batch) -> per-image rows` over batches of up to `max_batch` submitted images."""

    def __init__(self, run: Callable[[np.ndarray], np.ndarray], max_batch: int) -> None:
        self._run, self.max_batch = run, max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="inference")
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="micro-batcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while not self._queue.empty():
            self._queue.get_nowait().future.cancel()
        self._executor.shutdown(wait=True)

    async def submit(self, image: np.ndarray) -> BatchResult:
        """Queue one (3, H, W) image and wait for its row of the batch result."""
        pending = _Pending(image, asyncio.get_running_loop().create_future())
        self._queue.put_nowait(pending)
        return await pending.future

    async def _collect(self) -> list[_Pending]:
        batch = [await self._queue.get()]
        while len(batch) < self.max_batch and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return [pending for pending in batch if not pending.future.done()]  # drop clients that left

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._collect()
            if not batch:
                continue
            started = time.perf_counter()
            images = batch[0].image[None] if len(batch) == 1 else np.stack([p.image for p in batch])  # a view alone
            try:
                rows = await loop.run_in_executor(self._executor, self._run, images)
            except asyncio.CancelledError:
                for pending in batch:
                    pending.future.cancel()
                raise
            except Exception as error:  # the model failed this batch: every waiting request hears why
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(error)
                continue
            inference_ms = (time.perf_counter() - started) * 1000
            for pending, row in zip(batch, rows, strict=True):
                if not pending.future.done():
                    queue_ms = (started - pending.submitted) * 1000
                    pending.future.set_result(BatchResult(row, queue_ms, inference_ms, len(batch)))
