"""Reading a PyTorch `state_dict` file (`.pth`) into numpy arrays, without PyTorch.

Two layouts exist, both written by `torch.save` (PyTorch's `torch/serialization.py`):

- the legacy one (before PyTorch 1.6, read by `_legacy_load`): five things one after another in the
  file: the pickled magic number 0x1950a86a20f9469cfc6c, the protocol version 1001, a dict of
  `sys_info`, the pickled object whose storages are persistent ids `("storage", storage type, key,
  location, numel[, view])`, then the pickled list of storage keys in file order, each storage's
  bytes following as a little-endian int64 element count and the raw elements;
- the zip one (`_load`): `<name>/data.pkl` with the same persistent ids and each storage's raw
  bytes in `<name>/data/<key>`.

Tensors are rebuilt by `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`. The
unpickler here accepts only that, the storage types, and `collections.OrderedDict`; anything else
in the file is refused rather than run, so reading an untrusted file cannot execute code.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from sugarlab.payloads.edge_ai.errors import ModelError

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
_DTYPES: dict[str, np.dtype[Any]] = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


@dataclass(frozen=True)
class _Storage:
    key: str
    dtype: np.dtype[Any]
    numel: int


@dataclass(frozen=True)
class _TensorRef:
    storage: _Storage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(
    storage: _Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...], *_: object
) -> _TensorRef:
    return _TensorRef(storage, offset, tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: IO[bytes]) -> None:
        super().__init__(file)
        self.storages: dict[str, _Storage] = {}  # by key, as the persistent ids name them

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch" and name in _DTYPES:
            return name
        raise ModelError(f"the weights file refers to {module}.{name}, which a state_dict does not need; refused")

    def persistent_load(self, pid: Any) -> _Storage:
        if not isinstance(pid, tuple) or pid[0] != "storage" or pid[1] not in _DTYPES:
            raise ModelError(f"unexpected persistent id {pid!r} in the weights file")
        _, storage_type, key, _location, numel = pid[:5]
        return self.storages.setdefault(str(key), _Storage(str(key), _DTYPES[storage_type], int(numel)))


def _array(ref: _TensorRef, data: bytes) -> np.ndarray:
    flat = np.frombuffer(data, dtype=ref.storage.dtype)
    item = ref.storage.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(
        flat[ref.offset :], shape=ref.size, strides=tuple(s * item for s in ref.stride), writeable=False
    )
    return np.array(view)  # a compact copy that owns its memory


def _tensors(state: Any, storages: dict[str, bytes]) -> dict[str, np.ndarray]:
    if not isinstance(state, dict):
        raise ModelError(f"the weights file holds a {type(state).__name__}, not a state_dict")
    arrays = {}
    for name, ref in state.items():
        if not isinstance(ref, _TensorRef):
            raise ModelError(f"state_dict entry {name!r} is a {type(ref).__name__}, not a tensor")
        arrays[str(name)] = _array(ref, storages[ref.storage.key])
    return arrays


def _legacy(handle: IO[bytes]) -> dict[str, np.ndarray]:
    magic, protocol = _Unpickler(handle).load(), _Unpickler(handle).load()  # every pickle restricted
    if magic != LEGACY_MAGIC or protocol != LEGACY_PROTOCOL:
        raise ModelError("not a PyTorch weights file (wrong magic number or protocol)")
    sys_info = _Unpickler(handle).load()
    if not sys_info.get("little_endian", False):
        raise ModelError("the weights file was written on a big-endian machine; not supported")
    unpickler = _Unpickler(handle)
    state = unpickler.load()
    storages = {}
    for key in _Unpickler(handle).load():
        (count,) = struct.unpack("<q", handle.read(8))
        storage = unpickler.storages[str(key)]
        storages[str(key)] = handle.read(count * storage.dtype.itemsize)
    return _tensors(state, storages)


def _zipped(archive: zipfile.ZipFile) -> dict[str, np.ndarray]:
    (pickled,) = [name for name in archive.namelist() if name.endswith("/data.pkl")]
    root = pickled.rsplit("/", 1)[0]
    state = _Unpickler(io.BytesIO(archive.read(pickled))).load()
    keys = (
        {ref.storage.key for ref in state.values() if isinstance(ref, _TensorRef)} if isinstance(state, dict) else set()
    )
    return _tensors(state, {key: archive.read(f"{root}/data/{key}") for key in keys})


def load_state_dict(path: Path) -> dict[str, np.ndarray]:
    """The tensors of the `state_dict` saved in `path`, by name, as numpy arrays."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                return _zipped(archive)
        with path.open("rb") as handle:
            return _legacy(handle)
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, ValueError, struct.error) as error:
        raise ModelError(f"could not read the weights file {path}: {error}") from None
