"""Atomic writes: a file another process reads (kubeconfig, server.json, the lab's artefacts) is never half-written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PRIVATE = 0o600  # what mkstemp creates: nothing is readable by others before the mode is set


def atomic_write_bytes(path: Path, data: bytes, mode: int = PRIVATE) -> None:
    """Write `data` to `path` through a temporary file in the same directory and a rename; the file ends `mode`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
