"""Hostile and broken uploads at the real capture endpoint: refused clearly, or stored clean.

Every refusal is a 4xx JSON answer whose `error` the capture page shows; nothing partial is left
(no Photo row, no file, no Classification) and the participant's next, good photo goes through.
Real photos in unusual shapes are accepted and stored as a fresh JPEG without EXIF or trailing bytes.
"""

import hashlib
import io
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from experiments.models import Classification, Photo
from tests.conftest import jpeg_bytes
from tests.hostile_uploads import ACCEPT, REJECT, Upload, corpus

pytestmark = pytest.mark.django_db

FACE = jpeg_bytes()
CORPUS = corpus(FACE, max_bytes=settings.PHOTO_MAX_BYTES, max_memory=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
REFUSED = [upload for upload in CORPUS if upload.expect == REJECT]
ACCEPTED = [upload for upload in CORPUS if upload.expect == ACCEPT]
JSON = {"Accept": "application/json"}


def as_file(value):
    if isinstance(value, tuple):
        return SimpleUploadedFile(value[0], value[1], content_type="image/jpeg")
    if isinstance(value, list):
        return [as_file(item) for item in value]
    return value


def send(participant, upload: Upload, *, as_fetch=True):
    """POST the upload to the participant's capture URL as the page's fetch (or the plain form) would."""
    headers = JSON if as_fetch else {}
    url = participant.here
    if upload.raw is not None:
        return participant.client.generic("POST", url, upload.raw, content_type=upload.raw_content_type,
                                          headers=headers)
    if upload.fields is not None:
        return participant.client.post(url, {k: as_file(v) for k, v in upload.fields.items()}, headers=headers)
    photo = SimpleUploadedFile(upload.filename, upload.data, content_type=upload.content_type)
    return participant.client.post(url, {"photo": photo, "source": "webcam"}, headers=headers)


def stored_files(root):
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def assert_nothing_stored(root):
    assert not Photo.objects.exists()
    assert not Classification.objects.exists()
    assert stored_files(root) == []


def test_the_corpus_covers_the_issue_list():
    names = {upload.name for upload in CORPUS}
    assert len(CORPUS) >= 30 and len(names) == len(CORPUS)
    for needed in ("zero_bytes", "truncated_jpeg", "png_header_50000x50000", "animated_gif", "svg_named_jpg",
                   "html_named_jpg", "pdf_named_jpg", "png_html_polyglot", "cmyk_jpeg", "sixteen_bit_gray_png",
                   "valid_jpeg_wrong_content_type", "huge_exif_jpeg", "exif_rotated_jpeg", "missing_photo_field",
                   "two_files_last_is_html", "wrong_field_name", "json_body", "file_over_photo_max_bytes",
                   "urlencoded_over_data_upload_max"):
        assert needed in names


@pytest.mark.parametrize("upload", REFUSED, ids=repr)
def test_a_hostile_upload_gets_a_readable_4xx_and_the_participant_can_retry(
    at_capture, upload, private_photo_storage
):
    url = at_capture.here

    response = send(at_capture, upload)

    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    answer = response.json()
    assert answer["ok"] is False
    error = answer["error"]
    assert isinstance(error, str) and 15 <= len(error) <= 300 and error[0].isupper(), error
    assert not re.search(r"Traceback|Exception|Error\b|<", error), error
    fragments = (upload.message,) if isinstance(upload.message, str) else upload.message
    if fragments:
        assert any(fragment.lower() in error.lower() for fragment in fragments), error
    assert_nothing_stored(private_photo_storage)
    assert at_capture.here == url  # still on the photo step

    retry = at_capture.sends_photo(FACE)

    assert retry.status_code == 200 and retry.json() == {"ok": True, "next": at_capture.here}
    photo = Photo.objects.get()
    assert stored_files(private_photo_storage) == [private_photo_storage / photo.file.name]
    assert photo.classifications.count() == at_capture.experiment.classifier_models.count()


@pytest.mark.parametrize("upload", [u for u in REFUSED if u.raw is None and u.fields is None], ids=repr)
def test_without_javascript_the_refusal_is_shown_on_the_page(at_capture, upload, private_photo_storage):
    response = send(at_capture, upload, as_fetch=False)

    assert response.status_code == 400
    assert b'class="error" data-error role="alert">' in response.content
    assert b'name="photo"' in response.content  # the form is there to try again
    assert_nothing_stored(private_photo_storage)


@pytest.mark.parametrize("upload", ACCEPTED, ids=repr)
def test_a_real_photo_in_an_unusual_shape_is_stored_as_a_clean_jpeg(
    at_capture, upload, private_photo_storage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # and classified (eager Celery) from the stored file
        response = send(at_capture, upload)

    assert response.status_code == 200, response.content[:300]
    assert response.json()["ok"] is True
    photo = Photo.objects.get()
    path = (private_photo_storage / photo.file.name).resolve()
    assert path.is_relative_to(private_photo_storage.resolve())
    assert re.fullmatch(r"[0-9a-f]{4}/[0-9a-f]{32}\.jpg", photo.file.name)  # nothing of the upload's name
    stored = path.read_bytes()
    assert stored.startswith(b"\xff\xd8") and stored.endswith(b"\xff\xd9")  # a JPEG and nothing after it
    for smuggled in (b"Exif", b"<script", b"<html", b"Hostile", b"AAAAAAAAAAAAAAAA"):
        assert smuggled not in stored
    assert photo.sha256 == hashlib.sha256(stored).hexdigest() and photo.size_bytes == len(stored)
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and image.mode == "RGB" and not image.getexif()
    assert image.size == (photo.width, photo.height) == upload.size
    if upload.pixel:
        x, y, expected = upload.pixel
        shown = image.getpixel((x, y))
        assert all(abs(a - b) <= 12 for a, b in zip(shown, expected, strict=True)), (shown, expected)
    rows = Classification.objects.filter(photo=photo)
    assert rows.count() == at_capture.experiment.classifier_models.count()
    assert not rows.filter(status=Classification.Status.PENDING).exists()


def test_the_server_answers_normally_after_the_whole_corpus(at_capture, private_photo_storage):
    for upload in REFUSED:
        assert send(at_capture, upload).status_code in (400, 413)
    assert_nothing_stored(private_photo_storage)
    assert at_capture.sends_photo(FACE).json()["ok"] is True
