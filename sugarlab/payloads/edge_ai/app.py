"""The HTTP service: `POST /infer` (multipart field `image`, as the tutorial's curl sends it, answering
the tutorial's `class_index` and `confidence` beside the top classes and timings),
`GET /healthz` (the process answers) and `GET /readyz` (the model is loaded, or why not).

The event loop only moves bytes: decoding and preprocessing run on a small thread pool and inference
on the micro-batcher's thread, so probes stay fast under load. Every refusal is a JSON `{"detail"}`
with a 4xx status (503 with Retry-After when the queue is full or the model is not ready).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass

import numpy as np
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from sugarlab.payloads.edge_ai.batching import MicroBatcher
from sugarlab.payloads.edge_ai.classifier import Classifier, load_classifier
from sugarlab.payloads.edge_ai.errors import ImageRejected, ImageTooLarge
from sugarlab.payloads.edge_ai.images import decode_image, preprocess
from sugarlab.payloads.edge_ai.settings import Settings

FIELD = "image"
RETRY_AFTER_SECONDS = "1"
_UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {FIELD: {"type": "string", "format": "binary"}},
                    "required": [FIELD],
                }
            }
        },
    }
}


@dataclass
class _State:
    classifier: Classifier | None = None
    batcher: MicroBatcher | None = None
    decoders: ThreadPoolExecutor | None = None
    failure: str | None = None
    in_flight: int = 0


@dataclass(frozen=True)
class _Prepared:
    tensor: np.ndarray
    wait_ms: float  # for a free decode thread
    decode_ms: float
    preprocess_ms: float


def _prepare(data: bytes, max_pixels: int, submitted: float) -> _Prepared:
    started = time.perf_counter()
    image = decode_image(data, max_pixels)
    decoded = time.perf_counter()
    tensor = preprocess(image)
    done = time.perf_counter()
    return _Prepared(tensor, (started - submitted) * 1000, (decoded - started) * 1000, (done - decoded) * 1000)


async def _limited(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    """The request body, refused as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ImageTooLarge(f"request body is {declared} bytes; the limit is {limit} (MAX_UPLOAD_BYTES)")
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ImageTooLarge(f"request body exceeds the limit of {limit} bytes (MAX_UPLOAD_BYTES)")
        yield chunk


async def _read_upload(request: Request, limit: int) -> bytes:
    """The bytes of the multipart file field `image`, read without holding more than `limit` bytes."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(
            400, f"send the image as multipart/form-data in the field {FIELD!r}, as `curl -F {FIELD}=@photo.jpg` does"
        )
    parser = MultiPartParser(request.headers, _limited(request, limit), max_files=1, max_fields=16)
    try:
        form = await parser.parse()
    except MultiPartException as error:
        raise HTTPException(400, f"malformed multipart body: {error.message}") from None
    try:
        upload = form.get(FIELD)
        if upload is None:
            names = sorted(set(form.keys())) or "none"
            raise HTTPException(422, f"multipart field {FIELD!r} is missing (fields sent: {names})")
        if not isinstance(upload, UploadFile):
            raise HTTPException(422, f"multipart field {FIELD!r} must be a file, not a text value")
        return await upload.read()
    finally:
        await form.close()


def create_app(settings: Settings) -> FastAPI:
    """The service for `settings`; the model loads in the background once the app starts."""
    state = _State()

    async def load() -> None:
        try:
            classifier = await asyncio.to_thread(load_classifier, settings)
        except Exception as error:  # reported by /readyz, never hidden in a log
            state.failure = f"{type(error).__name__}: {error}"
            return
        state.batcher = MicroBatcher(classifier.probabilities, classifier.max_batch)
        state.batcher.start()
        state.classifier = classifier

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.decoders = ThreadPoolExecutor(settings.decode_threads, thread_name_prefix="decode")
        loading = asyncio.create_task(load())
        yield
        loading.cancel()
        if state.batcher is not None:
            await state.batcher.stop()
        state.decoders.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="Sugarkube edge AI inference", lifespan=lifespan)

    def not_ready() -> HTTPException:
        reason = f"model failed to load: {state.failure}" if state.failure else "model is loading"
        return HTTPException(503, reason, headers={"Retry-After": RETRY_AFTER_SECONDS})

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        classifier = state.classifier
        if classifier is None:
            status = "failed" if state.failure else "loading"
            return JSONResponse({"status": status, "detail": not_ready().detail}, status_code=503)
        return JSONResponse(
            {
                "status": "ready",
                "model": classifier.name,
                "batching": classifier.batching,
                "max_batch": classifier.max_batch,
                "labels": classifier.labels is not None,
                "in_flight": state.in_flight,
                "queue_limit": settings.queue_limit,
            }
        )

    @app.post("/infer", openapi_extra=_UPLOAD_SCHEMA)
    async def infer(request: Request) -> dict[str, object]:
        classifier, batcher = state.classifier, state.batcher
        if classifier is None or batcher is None:
            raise not_ready()
        if state.in_flight >= settings.queue_limit:
            detail = f"the service already holds {settings.queue_limit} requests (QUEUE_LIMIT); retry shortly"
            raise HTTPException(503, detail, headers={"Retry-After": RETRY_AFTER_SECONDS})
        state.in_flight += 1
        try:
            received = time.perf_counter()
            data = await _read_upload(request, settings.max_upload_bytes)
            uploaded = time.perf_counter()
            prepared = await asyncio.get_running_loop().run_in_executor(
                state.decoders, _prepare, data, settings.max_image_pixels, time.perf_counter()
            )
            del data  # queued requests hold their tensor only, not the upload too
            result = await batcher.submit(prepared.tensor)
        except ImageRejected as error:
            raise HTTPException(error.status, str(error)) from None
        finally:
            state.in_flight -= 1
        top = classifier.top(result.probabilities, settings.top_k)
        answer: dict[str, object] = {
            # The tutorial's app answers these two keys (its `return {"class_index": top_idx, "confidence":
            # confidence}`), so every client written against it reads them; here the confidence is the
            # top class's probability after softmax rather than its raw score.
            "class_index": top[0]["index"],
            "confidence": top[0]["probability"],
            "model": classifier.name,
            "top": top,
            "batch_size": result.batch_size,
            "timing_ms": {
                "upload": round((uploaded - received) * 1000, 2),
                "decode": round(prepared.decode_ms, 2),
                "preprocess": round(prepared.preprocess_ms, 2),
                "queue": round(prepared.wait_ms + result.queue_ms, 2),  # for a decode thread, then a batch
                "inference": round(result.inference_ms, 2),
                "total": round((time.perf_counter() - received) * 1000, 2),
            },
        }
        if classifier.note:
            answer["note"] = classifier.note
        return answer

    return app
