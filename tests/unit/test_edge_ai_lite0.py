"""The trained EfficientNet-Lite0: its PyTorch weights read without PyTorch, its ONNX graph checked on photos."""

from __future__ import annotations

import io
import pickle
import struct
import sys
import types
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import skimage.data
from PIL import Image

from sugarlab.payloads.edge_ai.efficientnet_lite import load_efficientnet_lite0
from sugarlab.payloads.edge_ai.errors import ModelError
from sugarlab.payloads.edge_ai.images import decode_image, preprocess
from sugarlab.payloads.edge_ai.model_files import efficientnet_lite0_weights
from sugarlab.payloads.edge_ai.sample_images import encode
from sugarlab.payloads.edge_ai.torch_weights import LEGACY_MAGIC, LEGACY_PROTOCOL, load_state_dict

TABBY, TIGER_CAT, PERSIAN, SIAMESE, EGYPTIAN_CAT = 281, 282, 283, 284, 285
ESPRESSO = 967


@pytest.fixture(scope="module")
def session() -> ort.InferenceSession:
    return ort.InferenceSession(load_efficientnet_lite0().SerializeToString(), providers=["CPUExecutionProvider"])


def top5(session: ort.InferenceSession, data: bytes) -> list[int]:
    logits = session.run(None, {"image": preprocess(decode_image(data, 10**8))[None]})[0][0]
    return [int(i) for i in np.argsort(-logits)[:5]]


@pytest.mark.parametrize("scale", [1, 4], ids=["as-bundled", "enlarged-4x-decoded-at-1/4"])
def test_scikit_images_photos_get_their_imagenet_classes(session: ort.InferenceSession, scale: int) -> None:
    answers = {}
    for photo in ("chelsea", "coffee"):
        image = Image.fromarray(getattr(skimage.data, photo)())
        answers[photo] = top5(session, encode(image.resize((image.width * scale, image.height * scale))))
    assert answers["chelsea"][0] in {TABBY, TIGER_CAT, EGYPTIAN_CAT}
    assert {TABBY, TIGER_CAT, EGYPTIAN_CAT} <= set(answers["chelsea"])  # the three cats a tabby is taken for
    assert answers["coffee"][0] == ESPRESSO


def test_a_batch_answers_what_each_image_gets_alone(session: ort.InferenceSession) -> None:
    images = np.random.default_rng(1).standard_normal((3, 3, 224, 224)).astype(np.float32)
    together = session.run(None, {"image": images})[0]
    alone = np.concatenate([session.run(None, {"image": images[i : i + 1]})[0] for i in range(3)])
    np.testing.assert_allclose(together, alone, rtol=1e-4, atol=1e-4)


def test_the_installed_weights_hold_the_whole_network() -> None:
    weights = load_state_dict(efficientnet_lite0_weights())
    assert weights["_conv_stem.weight"].shape == (32, 3, 3, 3) and weights["_fc.weight"].shape == (1000, 1280)
    assert sum(name.startswith("_blocks.") and name.endswith("_project_conv.weight") for name in weights) == 16
    assert not any("_se_" in name for name in weights)  # Lite has no squeeze-and-excitation


def _legacy_file(tensors: dict[str, np.ndarray], monkeypatch: pytest.MonkeyPatch) -> bytes:
    """What `torch.save` (before 1.6) writes for a state_dict of float32 tensors, built by hand.

    Stand-ins for `torch.FloatStorage` and `torch._utils._rebuild_tensor_v2` are put where pickle
    looks them up, so that it writes references to them as torch's pickler does.
    """
    torch, utils = types.ModuleType("torch"), types.ModuleType("torch._utils")
    storage = type("FloatStorage", (), {"__module__": "torch"})

    def _rebuild_tensor_v2() -> None: ...

    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    torch.FloatStorage, utils._rebuild_tensor_v2 = storage, _rebuild_tensor_v2  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    arrays = {str(key): array for key, array in enumerate(tensors.values())}

    class Tensor:
        def __init__(self, key: str) -> None:
            self.key = key

        def __reduce__(self) -> tuple[object, ...]:
            array = arrays[self.key]
            stride = tuple(s // array.itemsize for s in array.strides)
            return (_rebuild_tensor_v2, (Storage(self.key), 0, array.shape, stride, False, OrderedDict()))

    class Storage:
        def __init__(self, key: str) -> None:
            self.key = key

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj: object) -> object:
            if isinstance(obj, Storage):
                return ("storage", storage, obj.key, "cpu", arrays[obj.key].size)
            return None

    out = io.BytesIO()
    for header in (LEGACY_MAGIC, LEGACY_PROTOCOL, {"protocol_version": 1001, "little_endian": True}):
        pickle.dump(header, out, protocol=2)
    Pickler(out, protocol=2).dump(OrderedDict((name, Tensor(str(i))) for i, name in enumerate(tensors)))
    pickle.dump(list(arrays), out, protocol=2)
    for array in arrays.values():
        out.write(struct.pack("<q", array.size) + np.ascontiguousarray(array, "<f4").tobytes())
    return out.getvalue()


def test_a_legacy_file_reads_back_its_tensors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tensors = {
        "conv.weight": np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2),
        "fc.bias": np.array([1.5, -2.0], np.float32),
    }
    path = tmp_path / "tiny.pth"
    path.write_bytes(_legacy_file(tensors, monkeypatch))
    loaded = load_state_dict(path)
    assert set(loaded) == set(tensors)
    for name, array in tensors.items():
        np.testing.assert_array_equal(loaded[name], array)


def test_a_file_that_would_run_code_is_refused(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self) -> tuple[object, ...]:
            return (print, ("owned",))

    path = tmp_path / "evil.pth"
    out = io.BytesIO()
    for header in (LEGACY_MAGIC, LEGACY_PROTOCOL, {"little_endian": True}):
        pickle.dump(header, out, protocol=2)
    pickle.dump(OrderedDict(x=Evil()), out, protocol=2)
    path.write_bytes(out.getvalue())
    with pytest.raises(ModelError, match=r"print, which a state_dict does not need; refused"):
        load_state_dict(path)


def test_a_zip_that_is_not_a_state_dict_is_a_model_error(tmp_path: Path) -> None:
    path = tmp_path / "archive.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps([1, 2, 3], protocol=2))
    with pytest.raises(ModelError, match="not a state_dict"):
        load_state_dict(path)


def test_code_in_a_legacy_files_header_is_refused(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self) -> tuple[object, ...]:
            return (print, ("owned",))

    path = tmp_path / "evil-header.pth"
    path.write_bytes(pickle.dumps(Evil(), protocol=2))  # where the magic number belongs
    with pytest.raises(ModelError, match=r"print, which a state_dict does not need; refused"):
        load_state_dict(path)
