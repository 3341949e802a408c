"""Images to send to the service.

Nothing is bundled: the default sample is generated here, deterministically, so it is free to use and
identical on every machine. It is a synthetic scene (gradients, stripes, blocks, noise) that only
stands in for a camera frame's size and JPEG cost; it depicts nothing a classifier would recognise.
The tutorial's Creative Commons photo can be fetched on explicit request and is never required.
"""

from __future__ import annotations

import io
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image

from sugarlab.payloads.edge_ai.errors import EdgeAIError
from sugarlab.payloads.edge_ai.files import atomic_write_bytes

TUTORIAL_PHOTO_URL = "https://upload.wikimedia.org/wikipedia/commons/5/5f/Traffic_in_Singapore%2C_Jan_2016_-_02.jpg"


def synthetic_image(width: int = 1920, height: int = 1080, seed: int = 13) -> Image.Image:
    """A deterministic RGB test scene; the default size is a 1080p camera frame."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    pixels = rng.normal(0, 8, (height, width, 3))  # noise, then each channel's pattern added in place
    pixels[..., 0] += x / width * 255
    pixels[..., 1] += y / height * 255
    pixels[..., 2] += (np.sin(x / 37.0) + np.cos(y / 23.0)) * 60 + 128
    for _ in range(12):
        left, top = int(rng.integers(0, width - width // 8)), int(rng.integers(0, height - height // 8))
        pixels[top : top + height // 8, left : left + width // 8] = rng.integers(0, 256, 3)
    return Image.fromarray(np.clip(pixels, 0, 255, out=pixels).astype(np.uint8), "RGB")


def encode(image: Image.Image, fmt: str = "JPEG", quality: int = 90) -> bytes:
    """`image` as file bytes in `fmt` (JPEG quality applies to JPEG only)."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def synthetic_jpeg(width: int = 1920, height: int = 1080, seed: int = 13) -> bytes:
    """The synthetic scene as JPEG bytes (quality 90)."""
    return encode(synthetic_image(width, height, seed))


def fetch_tutorial_photo(dest: Path, timeout: float = 30.0) -> Path:
    """Download the tutorial's traffic photo (Wikimedia Commons, CC BY-SA) to `dest`; needs internet."""
    try:
        with urllib.request.urlopen(TUTORIAL_PHOTO_URL, timeout=timeout) as response:
            data = response.read()
    except OSError as error:
        message = f"could not fetch {TUTORIAL_PHOTO_URL}: {error}; use synthetic_jpeg() offline"
        raise EdgeAIError(message) from None
    atomic_write_bytes(dest, data)
    return dest
