"""Decoding and preprocessing, checked against an independent numpy pipeline written here."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from sugarlab.payloads.edge_ai.errors import ImageRejected, ImageTooLarge
from sugarlab.payloads.edge_ai.images import decode_image, preprocess
from sugarlab.payloads.edge_ai.sample_images import encode, synthetic_image, synthetic_jpeg

MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])
LIMIT = 10_000_000
GREY_LEVEL = 1 / 255 / STD.min()  # one step of an 8-bit channel, after normalisation


def reference(image: Image.Image) -> np.ndarray:
    """torchvision's Resize(256) + CenterCrop(224) + ToTensor + Normalize, spelt out in float64."""
    width, height = image.size
    short, long = min(width, height), max(width, height)
    new_long = int(256 * long / short)
    size = (256, new_long) if width == short else (new_long, 256)
    pixels = np.array(image.convert("RGB").resize(size, Image.Resampling.BILINEAR), dtype=np.float64) / 255
    rows, cols = pixels.shape[:2]
    top, left = round((rows - 224) / 2), round((cols - 224) / 2)
    pixels = pixels[top : top + 224, left : left + 224]
    return np.moveaxis((pixels - MEAN) / STD, -1, 0)


@pytest.mark.parametrize("size", [(640, 480), (480, 640), (1001, 257), (224, 224), (300, 1000)])
def test_preprocess_matches_the_reference_pipeline(size: tuple[int, int]) -> None:
    image = synthetic_image(*size, seed=sum(size))
    ours = preprocess(decode_image(encode(image, "PNG"), LIMIT))
    assert ours.shape == (3, 224, 224) and ours.dtype == np.float32
    difference = np.abs(ours - reference(image))
    assert difference.max() <= GREY_LEVEL + 1e-5  # float rounding inside the resize, never more
    assert (difference > 1e-5).mean() < 0.005


def test_an_image_of_the_mean_colour_normalises_to_zero() -> None:
    mean_colour = tuple(round(m * 255) for m in MEAN)
    tensor = preprocess(Image.new("RGB", (500, 300), mean_colour))
    assert np.abs(tensor).max() < GREY_LEVEL / 2  # within rounding to a grey level


def test_the_centre_is_kept_and_the_border_cropped() -> None:
    image = Image.new("RGB", (1000, 500), (255, 0, 0))  # red border, green centre
    image.paste((0, 255, 0), (250, 50, 750, 450))
    tensor = preprocess(image)
    red, green = ((np.array(c, dtype=np.float64) / 255 - MEAN) / STD for c in ((255, 0, 0), (0, 255, 0)))
    np.testing.assert_allclose(tensor[:, 112, 112], green, atol=1e-5)
    assert not np.allclose(tensor[:, 112, 112], red)


def test_channels_come_first_in_rgb_order() -> None:
    tensor = preprocess(Image.new("RGB", (256, 256), (255, 0, 0)))
    np.testing.assert_allclose(tensor[:, 0, 0], (np.array([1.0, 0, 0]) - MEAN) / STD, atol=1e-5)


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "LA", "I;16"])
def test_other_modes_become_rgb(mode: str) -> None:
    image = synthetic_image(320, 240).convert(mode)
    decoded = decode_image(encode(image, "PNG"), LIMIT)
    assert decoded.mode == "RGB"
    np.testing.assert_allclose(preprocess(decoded), reference(image.convert("RGB")), atol=GREY_LEVEL + 1e-5)


def test_exif_orientation_is_applied() -> None:
    image = synthetic_image(400, 300)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    assert decode_image(buffer.getvalue(), LIMIT).size == (300, 400)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"definitely not an image", "not an image"),
        (synthetic_jpeg(320, 240)[:3000], "truncated"),
    ],
    ids=["empty", "not-an-image", "truncated-jpeg"],
)
def test_bad_uploads_are_rejected_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(ImageRejected, match=message) as raised:
        decode_image(data, LIMIT)
    assert raised.value.status == 422


def test_too_many_pixels_is_refused_before_decoding() -> None:
    bomb = encode(Image.new("L", (4000, 4000)), "PNG")  # a few KiB of zeros, 16 megapixels
    assert len(bomb) < 100_000
    with pytest.raises(ImageTooLarge, match="4000x4000") as raised:
        decode_image(bomb, max_pixels=1_000_000)
    assert raised.value.status == 413


def test_pillows_own_bomb_guard_is_reported_as_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    with pytest.raises(ImageTooLarge, match="decompression bomb"):
        decode_image(encode(Image.new("L", (300, 300)), "PNG"), max_pixels=LIMIT)


def _chelsea_jpeg(scale: int) -> bytes:
    import skimage.data

    cat = Image.fromarray(skimage.data.chelsea())  # type: ignore[no-untyped-call]
    return encode(cat.resize((cat.width * scale, cat.height * scale), Image.Resampling.BICUBIC))


def test_a_camera_frame_decodes_at_the_smallest_dct_scale_that_covers_the_resize() -> None:
    assert decode_image(synthetic_jpeg(1920, 1080), LIMIT).size == (480, 270)  # 1/4: 270 rows still cover 256
    assert decode_image(synthetic_jpeg(1920, 1080), LIMIT, reduce=False).size == (1920, 1080)
    assert decode_image(synthetic_jpeg(400, 300), LIMIT).size == (400, 300)  # 1/2 would leave 150 rows


@pytest.mark.parametrize(
    "data",
    [synthetic_jpeg(1920, 1080), _chelsea_jpeg(4), encode(synthetic_image(2400, 1600), "PNG")],
    ids=["synthetic-1080p-jpeg", "chelsea-x4-jpeg", "synthetic-png"],
)
def test_a_reduced_decode_gives_the_tensor_of_a_full_decode_within_a_few_grey_levels(data: bytes) -> None:
    full = decode_image(data, LIMIT, reduce=False)
    reference_tensor = reference(full)  # full resolution, resized in one step
    levels = np.abs(preprocess(decode_image(data, LIMIT)) - reference_tensor) / GREY_LEVEL
    assert levels.mean() < 1.5 and np.percentile(levels, 99) < 8
