"""Turning uploaded bytes into the tensor an ImageNet classifier expects.

The recipe is torchvision's (and the ONNX model zoo's for ResNet-50 v2): resize the shorter side to
256 with bilinear filtering, centre-crop 224 x 224, RGB, scale to [0, 1], normalise with the ImageNet
mean and standard deviation, channels first. Everything here is plain CPU work that releases the GIL
inside Pillow and numpy, so the service runs it on worker threads.

Decoding is most of the cost of a camera frame, and most of a 1080p frame's pixels are thrown away by
the resize. A JPEG is therefore decoded at the smallest scale that still covers the resize: libjpeg
scales by 1/2, 1/4 or 1/8 inside its inverse DCT, which Pillow exposes as `Image.draft` (it picks the
largest reduction whose result is still at least the requested size; `JpegImagePlugin.draft`). Other
formats decode whole and are first shrunk by an integer factor with box averaging (`reducing_gap` of
`Image.resize`, which calls `Image.reduce`) while at least twice the target remains. Both average
the pixels the bilinear filter would have averaged anyway, so the tensor differs from a full decode's
by a few grey levels at most (tests/unit/test_edge_ai_images.py measures it).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from sugarlab.payloads.edge_ai.errors import ImageRejected, ImageTooLarge

RESIZE_SHORTER_SIDE = 256
CROP_SIZE = 224
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
_SCALE = 1 / (255 * IMAGENET_STD)
_OFFSET = IMAGENET_MEAN / IMAGENET_STD
REDUCING_GAP = 2.0  # Pillow: "fair" quality at 2, indistinguishable from a full resize at 3


def decode_image(data: bytes, max_pixels: int, reduce: bool = True) -> Image.Image:
    """Decode an uploaded image to RGB, refusing what is empty, undecodable, truncated or too big.

    The pixel count is checked from the header before any pixel is decoded, so a decompression bomb
    costs nothing; Pillow's own bomb guard (twice `Image.MAX_IMAGE_PIXELS`) is mapped the same way.
    With `reduce`, a JPEG decodes at the smallest DCT scale that still covers `preprocess`'s resize.
    """
    if not data:
        raise ImageRejected("the upload is empty; send an image file in the multipart field 'image'")
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        raise ImageTooLarge(f"image refused as a decompression bomb: {error}") from None
    except UnidentifiedImageError:
        raise ImageRejected("the upload is not an image Pillow can read (JPEG, PNG, WebP, ...)") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageRejected(f"the image header could not be read ({error})") from None
    width, height = image.size
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"image is {width}x{height} = {width * height} pixels; the limit is {max_pixels} (MAX_IMAGE_PIXELS)"
        )
    try:
        if reduce:
            image.draft("RGB", resized_size(width, height))  # a no-op for formats other than JPEG
        image.load()
        upright: Image.Image = ImageOps.exif_transpose(image)
        return upright.convert("RGB")
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageRejected(f"the image could not be decoded ({error}); is the file truncated?") from None


def resized_size(width: int, height: int, shorter: int = RESIZE_SHORTER_SIDE) -> tuple[int, int]:
    """Size after scaling the shorter side to `shorter`, the longer one truncated as torchvision does."""
    if width <= height:
        return shorter, int(shorter * height / width)
    return int(shorter * width / height), shorter


def preprocess(image: Image.Image) -> np.ndarray:
    """An RGB image as a normalised float32 array of shape (3, 224, 224).

    Only the part of the image that the crop keeps is resized (Pillow's `box`): the same filter at
    the same sample positions as resizing everything and cropping afterwards, for a half to a third
    of the work on a camera frame. Float rounding differs on a few pixels by one grey level at most.
    """
    width, height = resized_size(*image.size)
    left = round((width - CROP_SIZE) / 2.0)
    top = round((height - CROP_SIZE) / 2.0)
    x_scale, y_scale = image.width / width, image.height / height
    box = (left * x_scale, top * y_scale, (left + CROP_SIZE) * x_scale, (top + CROP_SIZE) * y_scale)
    image = image.resize((CROP_SIZE, CROP_SIZE), Image.Resampling.BILINEAR, box=box, reducing_gap=REDUCING_GAP)
    pixels = np.asarray(image)  # uint8, (224, 224, 3)
    tensor = np.empty((3, CROP_SIZE, CROP_SIZE), dtype=np.float32)  # the only float buffer, channels first
    for channel in range(3):  # (p / 255 - mean) / std as one multiply and one subtract, in place
        np.multiply(pixels[:, :, channel], _SCALE[channel], out=tensor[channel])
        tensor[channel] -= _OFFSET[channel]
    return tensor
