import io

import numpy as np
import pytest
from PIL import Image

from fer_inference import InvalidImage, decode_image


def refusal(data, **limits) -> InvalidImage:
    with pytest.raises(InvalidImage) as caught:
        decode_image(data, **limits)
    assert caught.value.message and "\n" not in caught.value.message
    return caught.value


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_it_decodes_accepted_formats_to_rgb(encode, fmt):
    pixels = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    image = decode_image(encode(pixels, fmt))
    assert image.mode == "RGB" and image.size == (64, 48)


def test_it_converts_grey_and_transparent_images_to_rgb(encode):
    assert decode_image(encode(Image.new("L", (10, 10), 128), "PNG")).mode == "RGB"
    assert decode_image(encode(Image.new("RGBA", (10, 10), (1, 2, 3, 4)), "PNG")).mode == "RGB"


def test_it_refuses_a_file_that_is_not_an_image():
    error = refusal(b"%PDF-1.4 this is a document, not a photo" * 10)
    assert error.code == "not_an_image"
    assert "not a photo" in error.message


def test_it_refuses_an_empty_upload():
    assert refusal(b"").code == "empty"


def test_it_refuses_a_truncated_jpeg(astronaut_jpeg):
    error = refusal(astronaut_jpeg[: len(astronaut_jpeg) // 2])
    assert error.code == "truncated"
    assert "did not arrive completely" in error.message


def test_it_refuses_a_truncated_png(encode, astronaut):
    data = encode(astronaut, "PNG")
    assert refusal(data[: len(data) // 2]).code == "truncated"


def test_it_refuses_a_corrupt_png(encode, astronaut):
    data = bytearray(encode(astronaut, "PNG"))
    data[200:400] = b"\xff" * 200  # damaged compressed data inside the first IDAT chunk
    assert refusal(bytes(data)).code == "corrupt"


def test_it_refuses_an_oversized_file(astronaut_jpeg):
    error = refusal(astronaut_jpeg, max_bytes=10_000)
    assert error.code == "too_large"
    assert "too large" in error.message


def test_it_refuses_too_many_pixels_before_decoding_them(encode):
    # A 10000x6000 PNG of one colour is ~60 kB but would need 180 MB as RGB.
    bomb = encode(Image.new("L", (10_000, 6_000)), "PNG")
    assert len(bomb) < 200_000
    error = refusal(bomb)
    assert error.code == "too_many_pixels"
    assert "10000 x 6000" in error.message


def test_it_refuses_a_decompression_bomb_beyond_pillows_own_cap(encode):
    bomb = encode(Image.new("1", (20_000, 20_000)), "PNG")  # 400 megapixels in ~50 kB
    assert refusal(bomb).code == "too_many_pixels"


def test_it_refuses_pixels_over_a_configured_cap(astronaut_jpeg):
    assert refusal(astronaut_jpeg, max_pixels=512 * 511).code == "too_many_pixels"


def test_it_refuses_other_formats(encode):
    error = refusal(encode(Image.new("RGB", (10, 10)), "BMP"))
    assert error.code == "unsupported_format"
    assert "BMP" in error.message


def test_it_refuses_an_animated_image():
    frames = [Image.new("RGB", (16, 16), colour) for colour in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:])
    assert refusal(buffer.getvalue()).code == "animated"
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:])
    assert refusal(gif.getvalue()).code == "unsupported_format"


def test_it_turns_the_image_upright_from_exif(encode):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 clockwise to view
    image = decode_image(encode(Image.new("RGB", (40, 20)), exif=exif))
    assert image.size == (20, 40)


@pytest.mark.parametrize("cut", [30, 100, 600])
def test_a_photo_cut_off_in_its_header_is_refused_not_raised(encode, astronaut, cut):
    for fmt in ("JPEG", "PNG", "WEBP"):
        error = refusal(encode(astronaut, fmt)[:cut])
        assert error.code in {"truncated", "corrupt", "not_an_image", "implausible_size"}


@pytest.mark.parametrize("mode", ["L", "LA", "P", "1", "CMYK", "I;16"])
def test_unusual_pixel_modes_become_rgb(encode, mode):
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    assert decode_image(encode(Image.new(mode, (8, 8)), fmt)).mode == "RGB"
