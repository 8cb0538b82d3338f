"""What is stored of a photo: its pixels and nothing else, owner-only, and a lying header costs nothing.

Through the capture endpoint, as a participant sends it.
"""

import io
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from experiments.models import Photo
from tests.conftest import jpeg_bytes

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = b"<?php system($_GET['c']); ?>"


def face_image() -> Image.Image:
    return Image.open(io.BytesIO(jpeg_bytes()))


def jpeg_with_everything() -> bytes:
    buffer = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + PAYLOAD + b"</x:xmpmeta>"
    face_image().save(buffer, "JPEG", comment=PAYLOAD, icc_profile=b"ICC-" + PAYLOAD, xmp=xmp, quality=90)
    return buffer.getvalue()


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", PAYLOAD.decode())
    info.add_itxt("XML:com.adobe.xmp", PAYLOAD.decode())
    buffer = io.BytesIO()
    face_image().save(buffer, "PNG", pnginfo=info, icc_profile=b"ICC-" + PAYLOAD)
    return buffer.getvalue()


def mpo() -> bytes:
    buffer = io.BytesIO()
    second = Image.new("RGB", (640, 480), (0, 0, 255))
    face_image().save(buffer, "MPO", save_all=True, append_images=[second])
    return buffer.getvalue()


def bomb_jpeg(width=6000, height=6000) -> bytes:
    """A real 16 x 16 JPEG whose frame header (SOF0) claims width x height: a few hundred bytes."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 90, 90)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    at = data.index(b"\xff\xc0") + 5
    data[at:at + 4] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def stored(photo: Photo, root: Path) -> bytes:
    return (root / photo.file.name).read_bytes()


@pytest.mark.parametrize("make", [jpeg_with_everything, png_with_text], ids=["jpeg_com_icc_xmp", "png_text_icc"])
def test_re_encoding_keeps_no_metadata_at_all(at_capture, private_photo_storage, make):
    data = make()
    assert PAYLOAD in data

    response = at_capture.sends_photo(data)

    assert response.status_code == 200, response.content
    saved = stored(Photo.objects.get(), private_photo_storage)
    assert PAYLOAD not in saved and b"ICC" not in saved and b"xmpmeta" not in saved
    image = Image.open(io.BytesIO(saved))
    assert "comment" not in image.info and "icc_profile" not in image.info and "xmp" not in image.info


def test_an_mpo_from_a_phone_is_accepted_as_its_first_frame(at_capture, private_photo_storage):
    response = at_capture.sends_photo(mpo(), as_fetch=True)

    assert response.status_code == 200, response.content
    image = Image.open(io.BytesIO(stored(Photo.objects.get(), private_photo_storage)))
    assert image.format == "JPEG" and image.size == (640, 480)
    assert image.getpixel((320, 240))[2] < 200  # the face, not the blue second frame


def test_a_header_claiming_far_more_pixels_than_its_data_is_refused(at_capture, private_photo_storage):
    response = at_capture.sends_photo(bomb_jpeg())

    assert response.status_code == 400
    assert "claims to be far larger" in response.json()["error"]
    assert not Photo.objects.exists()


PROBE = """
import json, resource, sys
import django
django.setup()
from experiments.photos import PhotoRejected, reencode_jpeg
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    reencode_jpeg(data)
except PhotoRejected as rejected:
    code = rejected.code
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"code": code, "grew_kib": after - before}))
"""


def test_a_decompression_bomb_costs_no_memory_to_refuse(tmp_path):
    """Peak memory of a fresh process before and after refusing a 6000 x 6000 claim in a few hundred bytes."""
    bomb = tmp_path / "bomb.jpg"
    bomb.write_bytes(bomb_jpeg())
    result = subprocess.run([sys.executable, "-c", PROBE, str(bomb)], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={"DJANGO_SETTINGS_MODULE": "fer_study.settings", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout.strip().splitlines()[-1])

    assert len(bomb.read_bytes()) < 3000
    assert measured["code"] == "implausible_size"
    assert measured["grew_kib"] < 20 * 1024, measured  # 6000 x 6000 RGB would be over 100 MB


def test_photo_files_and_folders_are_owner_only(at_capture, private_photo_storage):
    at_capture.sends_photo(jpeg_bytes())

    path = private_photo_storage / Photo.objects.get().file.name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
