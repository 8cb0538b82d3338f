"""Turn uploaded bytes into an upright RGB Pillow image, or refuse them with a clear reason.

>>> try:
...     decode_image(b"not a photo")
... except InvalidImage as error:
...     print(error.code)
not_an_image
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP"})  # MPO: what many phones write (a JPEG + more frames)
MULTI_FRAME_STILLS = frozenset({"MPO"})  # their first frame is the photo
MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 48-megapixel phone photo is ~ 48e6; webcams are far below this
# A header may claim any size; decoding allocates it before reading the data. Real encoders, even on a
# uniform image, stay under ~600 pixels per byte (WebP; JPEG ~60, PNG ~300), photos under 20, so a
# header claiming more than this is refused before a pixel is decoded: memory stays a small multiple
# of the upload, not of the claim.
MAX_PIXELS_PER_BYTE = 1000

MESSAGES = {
    "empty": "The photo is empty. Please try again.",
    "too_large": "The photo file is too large (more than {limit_mb} MB). "
    "Please try again with a smaller photo.",
    "not_an_image": "This file is not a photo. Please take or upload a JPEG, PNG or WebP picture.",
    "unsupported_format": "Photos in {format} format are not accepted. "
    "Please use a JPEG, PNG or WebP picture.",
    "animated": "Animated images are not accepted. Please use a single still photo.",
    "too_many_pixels": "The photo has too many pixels{dimensions}. Please use a smaller photo.",
    "implausible_size": "The photo is damaged: it claims to be far larger ({dimensions}) than its file could hold. "
    "Please try again.",
    "truncated": "The photo did not arrive completely. Please try again.",
    "corrupt": "The photo is damaged and cannot be read. Please try again.",
}


class InvalidImage(ValueError):
    """Bytes that are not an acceptable photo; `code` is stable, `message` is for the participant."""

    def __init__(self, code: str, **details):
        self.code = code
        self.message = MESSAGES[code].format(**details)
        super().__init__(f"{code}: {self.message}")


def decode_image(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decode JPEG/PNG/WebP bytes to an RGB image turned upright according to its EXIF orientation."""
    return decode_scaled(data, max_bytes=max_bytes, max_pixels=max_pixels)[0]


def decode_scaled(
    data: bytes, *, long_side: int | None = None, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS
) -> tuple[Image.Image, float]:
    """Like decode_image, but a JPEG whose longer side is at least twice `long_side` is decoded at a
    reduced scale (Pillow's draft: libjpeg skips the fine DCT coefficients, 1/2, 1/4 or 1/8) while
    keeping at least `long_side` pixels. Returns the image and its scale (decoded / stored pixels)."""
    if not data:
        raise InvalidImage("empty")
    if len(data) > max_bytes:
        raise InvalidImage("too_large", limit_mb=max_bytes // (1024 * 1024))
    # Never accept partial files silently (this is a process-wide Pillow switch; keep it off).
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise InvalidImage("unsupported_format", format=image.format or "this")
            if getattr(image, "n_frames", 1) > 1 and image.format not in MULTI_FRAME_STILLS:
                raise InvalidImage("animated")
            width, height = image.size
            # Checked from the header, before any pixel is decoded: the decompression-bomb guards.
            if width * height > max_pixels:
                raise InvalidImage("too_many_pixels", dimensions=f" ({width} x {height})")
            if width * height > MAX_PIXELS_PER_BYTE * len(data):
                raise InvalidImage("implausible_size", dimensions=f"{width} x {height}")
            if long_side and image.format == "JPEG" and max(width, height) >= 2 * long_side:
                factor = long_side / max(width, height)
                image.draft("RGB", (math.ceil(width * factor), math.ceil(height * factor)))
            image.load()  # the first frame only: an MPO's others are never decoded
    except InvalidImage:
        raise
    except UnidentifiedImageError as error:
        raise InvalidImage("not_an_image") from error
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise InvalidImage("too_many_pixels", dimensions="") from error  # Pillow's own, larger cap
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise InvalidImage("truncated" if "truncated" in str(error).lower() else "corrupt") from error
    scale = image.width / width
    with contextlib.suppress(Exception):  # a malformed EXIF block must not lose a good photo; keep it as stored
        ImageOps.exif_transpose(image, in_place=True)  # in place: no copy when already upright
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        # 16-bit grey: Pillow's convert("RGB") clips at 255 (a white photo); keep the top 8 bits instead.
        image = Image.fromarray((np.asarray(image, dtype=np.uint32) >> 8).clip(0, 255).astype(np.uint8), "L")
    return (image if image.mode == "RGB" else image.convert("RGB")), scale
