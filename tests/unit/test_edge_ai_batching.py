"""The micro-batcher: a request that finds the model idle runs at once; what queues meanwhile forms the next batch."""

from __future__ import annotations

import asyncio
import threading

import numpy as np

from sugarlab.payloads.edge_ai.batching import MicroBatcher

DEADLINE = 30.0


def test_a_lone_request_runs_at_once_and_later_arrivals_share_the_next_batch() -> None:
    running, release = threading.Event(), threading.Event()
    batches: list[int] = []

    def run(batch: np.ndarray) -> np.ndarray:
        batches.append(len(batch))
        running.set()
        release.wait(DEADLINE)  # the first batch holds the model while three more requests arrive
        return batch.reshape(len(batch), -1)[:, :2] * 2

    async def scenario() -> list[float]:
        batcher = MicroBatcher(run, max_batch=4)
        batcher.start()
        image = np.ones((3, 4, 4), np.float32)
        first = asyncio.create_task(batcher.submit(image))
        await asyncio.wait_for(asyncio.to_thread(running.wait, DEADLINE), DEADLINE)
        assert batches == [1]  # nothing waited for company: the model was idle and the queue empty
        later = [asyncio.create_task(batcher.submit(image * k)) for k in (2, 3, 4)]
        await asyncio.sleep(0.05)
        release.set()
        results = await asyncio.wait_for(asyncio.gather(first, *later), DEADLINE)
        await batcher.stop()
        assert [r.batch_size for r in results] == [1, 3, 3, 3]
        return [float(r.probabilities[0]) for r in results]

    assert asyncio.run(scenario()) == [2.0, 4.0, 6.0, 8.0]  # each answer is its own image's row
    assert batches == [1, 3]
