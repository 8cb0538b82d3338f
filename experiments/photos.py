"""Accepting a participant's photo: validate, re-encode, store privately, queue classification.

A file and its row exist together or not at all: the file is written first, then the row in one
durable transaction (`stored_with_its_row`); a transaction that rolls back deletes the file at once,
and a crash in between leaves a file that `delete_orphan_photo_files` (beat) removes later.
"""

import errno
import hashlib
import io
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image

from fer_inference.decode import InvalidImage, decode_image

from .models import Classification, Photo, Trial, private_photo_storage

log = logging.getLogger(__name__)
alerts = logging.getLogger("experiments.alerts")
FULL_DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT)
ALERT_EVERY_SECONDS = 300


class PhotoRejected(Exception):
    """The upload is not a usable photo; `message` tells the participant what to do."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class PhotoStorageFull(Exception):
    """The photo storage has no room: retrying now cannot help, the admins have been alerted."""

    message = _("We could not save your photo because the study's storage is full. The research team has "
                "been told. Your answers so far are kept: please come back to this page later to finish.")


@dataclass(frozen=True)
class PreparedPhoto:
    jpeg: bytes
    width: int
    height: int


def prepare_photo(data: bytes) -> PreparedPhoto:
    """Decode and re-encode (raises PhotoRejected): the slow part, done before any lock is taken."""
    return PreparedPhoto(*reencode_jpeg(data))


def reencode_jpeg(data: bytes) -> tuple[bytes, int, int]:
    """The photo as a fresh JPEG of its pixels and nothing else: no EXIF, comment (COM), ICC profile,
    XMP, PNG text or trailing bytes, since Pillow writes what `info` still holds."""
    try:
        image = decode_image(data, max_bytes=settings.PHOTO_MAX_BYTES, max_pixels=settings.PHOTO_MAX_PIXELS)
    except InvalidImage as exc:
        raise PhotoRejected(exc.code, exc.message) from exc
    pixels_only = Image.frombytes("RGB", image.size, image.tobytes())
    buffer = io.BytesIO()
    pixels_only.save(buffer, "JPEG", quality=92)
    return buffer.getvalue(), image.width, image.height


def accept_photo(*, trial: Trial, data: bytes, source: str = Photo.Source.WEBCAM) -> Photo:
    """Store the trial's photo once and queue it for every model of the experiment, in a transaction of its
    own (so not inside another one).

    Idempotent: a double click or a retried request returns the photo already stored.
    """
    existing = Photo.objects.filter(trial=trial).first()
    if existing:
        return existing
    prepared = prepare_photo(data)
    try:
        with stored_with_its_row(prepared) as name:
            return create_photo(trial=trial, prepared=prepared, name=name, source=source)
    except IntegrityError:  # a concurrent request for the same trial won the race: keep its photo
        return Photo.objects.get(trial=trial)


@contextmanager
def stored_with_its_row(prepared: PreparedPhoto) -> Iterator[str]:
    """Write the file, then yield its name inside a durable transaction in which the caller creates the row.

    Any error inside rolls the transaction back and deletes the file now. An error from COMMIT itself leaves
    the outcome unknown (the row may exist), so the file stays; if no row came of it, the orphan sweep
    deletes it after PHOTO_ORPHAN_AFTER.
    """
    name = write_photo_file(prepared.jpeg)
    reached_commit = False
    try:
        with transaction.atomic(durable=True):
            yield name
            reached_commit = True
    except BaseException:
        if reached_commit:
            log.warning("commit failed after %s was written; the orphan sweep deletes it if no row has it", name)
        else:
            delete_quietly(name)
        raise


def create_photo(*, trial: Trial, prepared: PreparedPhoto, name: str, source: str) -> Photo:
    """The row of a stored file, and its pending classifications (sent once the transaction commits)."""
    photo = Photo.objects.create(
        trial=trial,
        file=name,
        sha256=hashlib.sha256(prepared.jpeg).hexdigest(),
        size_bytes=len(prepared.jpeg),
        width=prepared.width,
        height=prepared.height,
        source=source,
    )
    trial.photo_submitted_at = timezone.now()
    trial.save(update_fields=["photo_submitted_at"])
    queue_classifications(photo, trial.participant.experiment.frozen_models())
    return photo


def write_photo_file(jpeg: bytes) -> str:
    """Save the JPEG under a new random name; a failed or short write leaves nothing behind."""
    name = Photo._meta.get_field("file").generate_filename(None, "photo.jpg")
    try:
        name = private_photo_storage.save(name, ContentFile(jpeg))
        if private_photo_storage.size(name) != len(jpeg):
            raise OSError(errno.EIO, f"short write: {private_photo_storage.size(name)} of {len(jpeg)} bytes")
    except OSError as error:
        delete_quietly(name)
        if error.errno in FULL_DISK_ERRORS:
            alert_full_storage(error)
            raise PhotoStorageFull(str(error)) from error
        raise
    return name


def delete_quietly(name: str) -> None:
    with suppress(OSError):  # nothing there, or the storage itself is failing: the orphan sweep retries
        private_photo_storage.delete(name)


_last_alert = 0.0


def alert_full_storage(error: OSError) -> None:
    """ERROR on experiments.alerts (mailed to ADMINS), at most once per ALERT_EVERY_SECONDS per process."""
    global _last_alert
    if time.monotonic() - _last_alert >= ALERT_EVERY_SECONDS:
        _last_alert = time.monotonic()
        alerts.error("Photo storage is full (%s): participants cannot submit photos. Free space in %s.", error,
                     getattr(private_photo_storage, "location", "the photo storage"))


def queue_classifications(photo: Photo, models) -> list[Classification]:
    """Create the pending rows and enqueue their tasks once the transaction commits."""
    from .tasks import send_classification

    rows = []
    for model in models:
        row, _ = Classification.objects.get_or_create(photo=photo, model=model)
        rows.append(row)
        # robust: whatever the broker does, the photo is accepted; the sweeper sends a row left pending.
        transaction.on_commit(lambda p=photo.pk, m=model.pk: send_classification(p, m), robust=True)
    return rows
