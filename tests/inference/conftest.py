"""Photos made from scikit-image's shipped images, and the default models (loaded once per run)."""

import io

import numpy as np
import pytest
import skimage.data
from PIL import Image

from fer_inference import load_default_models


def encode_image(image: Image.Image | np.ndarray, fmt: str = "JPEG", **options) -> bytes:
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def encode():
    """encode(image_or_array, fmt="JPEG", **save_options) -> bytes"""
    return encode_image


@pytest.fixture(scope="session")
def models():
    return load_default_models(threads=1)


@pytest.fixture(scope="session")
def astronaut() -> Image.Image:
    return Image.fromarray(skimage.data.astronaut())


@pytest.fixture(scope="session")
def astronaut_jpeg(astronaut) -> bytes:
    return encode_image(astronaut, quality=92)
