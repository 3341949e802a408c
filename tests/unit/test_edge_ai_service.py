"""The HTTP service, served for real by uvicorn on 127.0.0.1 in a background thread.

A real server (not an ASGI transport) is used so that the request body arrives in chunks, the
Content-Length and chunked paths of the upload limit are exercised, and concurrency is real.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import onnx
import pytest
import uvicorn
from onnx import TensorProto, helper
from PIL import Image

from sugarlab.payloads.edge_ai.app import create_app
from sugarlab.payloads.edge_ai.sample_images import encode, synthetic_image, synthetic_jpeg
from sugarlab.payloads.edge_ai.settings import Settings
from sugarlab.steps.edge_ai import answer_markdown

DEADLINE = 60.0
SMALL_JPEG = synthetic_jpeg(320, 240)
# Small limits so that refusals are cheap to provoke; everything else as in production.
LIMITED = Settings(max_upload_bytes=64 * 1024, max_image_pixels=1_000_000)


@contextmanager
def serving(settings: Settings, wait_ready: bool = True) -> Iterator[str]:
    """Serve `settings` on a free port of 127.0.0.1; the server is stopped when the block ends."""
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="edge-ai-test-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + DEADLINE
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.01)
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        while wait_ready and httpx.get(f"{url}/readyz").status_code != 200:
            assert time.monotonic() < deadline, httpx.get(f"{url}/readyz").text
            time.sleep(0.05)
        yield url
    finally:
        server.should_exit = True
        thread.join(DEADLINE)


@pytest.fixture(scope="module")
def service() -> Iterator[str]:
    with serving(LIMITED) as url:
        yield url


def post_image(url: str, data: bytes, field: str = "image", **kwargs: Any) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=DEADLINE) as client:  # a fresh connection per request
        return client.post("/infer", files={field: ("upload.bin", data, "application/octet-stream")}, **kwargs)


def assert_still_serving(url: str) -> None:
    response = post_image(url, SMALL_JPEG)
    assert response.status_code == 200, response.text


def test_an_answer_has_top_classes_the_model_and_timings(service: str) -> None:
    response = post_image(service, SMALL_JPEG)
    assert response.status_code == 200
    answer = response.json()
    assert answer["model"] == "efficientnet-lite0 (trained, ImageNet)" and "note" not in answer
    assert len(answer["top"]) == 5
    assert (answer["class_index"], answer["confidence"]) == (answer["top"][0]["index"], answer["top"][0]["probability"])
    assert set(answer["timing_ms"]) == {"upload", "decode", "preprocess", "queue", "inference", "total"}
    assert answer["batch_size"] >= 1


@pytest.mark.parametrize(("photo", "classes"), [("chelsea", range(281, 286)), ("coffee", [967])])
def test_the_offline_model_classifies_photos_for_real(service: str, photo: str, classes: range) -> None:
    """scikit-image's tabby cat is a cat (ImageNet 281 tabby .. 285 Egyptian cat), its coffee an espresso (967)."""
    import skimage.data

    answer = post_image(service, encode(Image.fromarray(getattr(skimage.data, photo)()), quality=70)).json()
    assert answer["class_index"] in classes and answer["confidence"] > 0.3


def test_the_offline_resnet50_says_its_answers_are_meaningless() -> None:
    with serving(replace(LIMITED, offline_model="resnet50")) as url:
        answer = post_image(url, SMALL_JPEG).json()
        ready = httpx.get(f"{url}/readyz").json()
    assert ready["batching"].startswith("fixed at 1 in the model file, made dynamic")
    assert answer["model"] == "light_resnet50 (synthetic weights)" and "meaningless" in answer["note"]
    assert all(abs(entry["probability"] - 0.001) < 1e-6 for entry in answer["top"])  # every class ties
    shown = answer_markdown(answer)  # as notebook 05 shows it: the note plainly above the table, no raw dict
    head, _, _ = shown.partition("|")
    assert "**Model:** light_resnet50 (synthetic weights)" in head and f"**Note:** {answer['note']}." in head
    assert "{" not in shown and "'" not in shown
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")] for line in shown.splitlines() if line.startswith("|")
    ]
    assert rows[0] == ["class index", "probability"]
    assert [probability for _, probability in rows[2:]] == ["0.1%"] * 5


def _biased_model(path: Path, bias: list[float]) -> Path:
    """A classifier whose logits are `bias` whatever the image (zero weights), ending in Gemm."""
    classes = len(bias)
    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["x"], ["pooled"]),
            helper.make_node("Reshape", ["pooled", "shape"], ["flat"]),
            helper.make_node("Gemm", ["flat", "w", "b"], ["logits"], transB=1),
        ],
        "biased",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 224, 224])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", classes])],
        [
            helper.make_tensor("w", TensorProto.FLOAT, [classes, 3], [0.0] * classes * 3),
            helper.make_tensor("b", TensorProto.FLOAT, [classes], bias),
            helper.make_tensor("shape", TensorProto.INT64, [2], [0, 3]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_the_tutorials_clients_read_class_index_and_the_top_probability(tmp_path: Path) -> None:
    """The tutorial's app answers `{"class_index": int, "confidence": float}`; those keys stay, with the
    confidence now the top class's softmax probability (logits 5 against four 0s: e^5 / (e^5 + 4))."""
    model = _biased_model(tmp_path / "biased.onnx", [0.0, 0.0, 0.0, 5.0, 0.0])
    with serving(Settings(model_path=model)) as url:
        answer = post_image(url, SMALL_JPEG).json()
    assert type(answer["class_index"]) is int and answer["class_index"] == 3
    assert type(answer["confidence"]) is float
    assert answer["confidence"] == pytest.approx(np.exp(5) / (np.exp(5) + 4), rel=1e-5)
    assert answer["top"][0] == {"index": 3, "probability": answer["confidence"]}
    assert 0.0 < sum(entry["probability"] for entry in answer["top"]) <= 1.0 + 1e-6


def test_probes_report_alive_and_ready(service: str) -> None:
    assert httpx.get(f"{service}/healthz").json() == {"status": "alive"}
    ready = httpx.get(f"{service}/readyz").json()
    assert ready["status"] == "ready"
    assert ready["batching"] == "dynamic in the model file"


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"", 422, "empty"),
        (b"GIF89a but not really", 422, "not an image"),
        (b"plain text, no picture", 422, "not an image"),
        (SMALL_JPEG[: len(SMALL_JPEG) // 2], 422, "truncated"),
        (encode(Image.new("L", (2000, 2000)), "PNG"), 413, "2000x2000"),
    ],
    ids=["empty", "bad-magic", "text", "truncated-jpeg", "decompression-bomb"],
)
def test_bad_images_get_a_json_4xx_and_the_service_keeps_serving(
    service: str, data: bytes, status: int, message: str
) -> None:
    response = post_image(service, data)
    assert response.status_code == status
    assert message in response.json()["detail"]
    assert_still_serving(service)


def test_a_wrong_field_name_says_which_field_is_expected(service: str) -> None:
    response = post_image(service, SMALL_JPEG, field="file")
    assert response.status_code == 422
    assert "'image' is missing" in response.json()["detail"] and "file" in response.json()["detail"]
    assert_still_serving(service)


def test_a_body_that_is_not_multipart_is_refused(service: str) -> None:
    response = httpx.post(f"{service}/infer", content=SMALL_JPEG, headers={"content-type": "image/jpeg"})
    assert response.status_code == 400
    assert "multipart/form-data" in response.json()["detail"]


def test_an_oversized_upload_is_refused_from_its_content_length(service: str) -> None:
    response = post_image(service, bytes(200 * 1024))
    assert response.status_code == 413
    assert "MAX_UPLOAD_BYTES" in response.json()["detail"]
    assert_still_serving(service)


def test_an_oversized_chunked_upload_is_refused_while_streaming(service: str) -> None:
    boundary = "sugarlab-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()

    def body() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield head
        for _ in range(20):
            yield bytes(16 * 1024)

    response = httpx.post(
        f"{service}/infer", content=body(), headers={"content-type": f"multipart/form-data; boundary={boundary}"}
    )
    assert response.status_code == 413
    assert "exceeds the limit" in response.json()["detail"]
    assert_still_serving(service)


@pytest.mark.parametrize("mode", ["L", "RGBA"])
def test_grayscale_and_rgba_pngs_just_work(service: str, mode: str) -> None:
    response = post_image(service, encode(synthetic_image(200, 150).convert(mode), "PNG"))
    assert response.status_code == 200, response.text


def test_requests_at_concurrency_16_all_succeed_and_share_batches() -> None:
    """Twice the concurrency in requests: the second wave of 16 finds batches running, so later arrivals
    share the next one; more requests would measure throughput, not add a case."""

    async def load(url: str) -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=16)
        async with httpx.AsyncClient(base_url=url, timeout=DEADLINE, limits=limits) as client:
            gate = asyncio.Semaphore(16)

            async def one() -> httpx.Response:
                async with gate:
                    return await client.post("/infer", files={"image": ("f.jpg", SMALL_JPEG, "image/jpeg")})

            return await asyncio.gather(*(one() for _ in range(32)))

    with serving(replace(LIMITED, queue_limit=32)) as url:
        responses = asyncio.run(load(url))
    assert [r.status_code for r in responses] == [200] * 32
    assert max(r.json()["batch_size"] for r in responses) > 1


def test_a_full_queue_answers_503_with_retry_after() -> None:
    release = threading.Event()
    boundary = "held"

    def held_body() -> Iterator[bytes]:
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n'.encode()
        release.wait(DEADLINE)
        yield SMALL_JPEG + f"\r\n--{boundary}--\r\n".encode()

    with serving(replace(LIMITED, queue_limit=1)) as url:
        held: dict[str, httpx.Response] = {}
        sender = threading.Thread(
            target=lambda: held.setdefault(
                "response",
                httpx.post(
                    f"{url}/infer",
                    content=held_body(),
                    timeout=DEADLINE,
                    headers={"content-type": f"multipart/form-data; boundary={boundary}"},
                ),
            )
        )
        sender.start()
        try:
            deadline = time.monotonic() + DEADLINE
            while httpx.get(f"{url}/readyz").json()["in_flight"] < 1:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            refused = post_image(url, SMALL_JPEG)
        finally:
            release.set()
            sender.join(DEADLINE)
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1" and "QUEUE_LIMIT" in refused.json()["detail"]
        assert held["response"].status_code == 200
        assert_still_serving(url)


def test_a_model_that_fails_to_load_is_reported_not_hidden(tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"this is not an ONNX model")
    with serving(replace(LIMITED, model_path=broken), wait_ready=False) as url:
        deadline = time.monotonic() + DEADLINE
        while (ready := httpx.get(f"{url}/readyz")).json()["status"] == "loading":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert ready.status_code == 503
        assert ready.json()["status"] == "failed"
        assert "could not load the model" in ready.json()["detail"] and str(broken) in ready.json()["detail"]
        assert httpx.get(f"{url}/healthz").status_code == 200
        refused = post_image(url, SMALL_JPEG)
        assert refused.status_code == 503 and "failed to load" in refused.json()["detail"]
