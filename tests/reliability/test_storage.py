"""A file and its row exist together or not at all, whatever fails: the disk, the database after the
photo was saved, or the commit itself (then the hourly orphan sweep removes the file)."""

import errno
import os
import time

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import OperationalError, connections

from experiments import retention
from experiments.models import Photo, Trial
from experiments.participation import services, steps
from experiments.photos import accept_photo
from tests.conftest import reset_photo_storage

pytestmark = pytest.mark.django_db


class HalfFullStorage(FileSystemStorage):
    """Writes half of each file, then the disk is full: what a full disk does to a photo mid-write."""

    def _save(self, name, content):
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(content.read()[: content.size // 2])
        raise OSError(errno.ENOSPC, "No space left on device")


def stored_files(root):
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def full_disk(settings, private_photo_storage):
    settings.STORAGES = {**settings.STORAGES, "photos": {**settings.STORAGES["photos"],
                                                         "BACKEND": f"{__name__}.HalfFullStorage"}}
    reset_photo_storage()
    return private_photo_storage


def test_a_full_disk_refuses_the_photo_clearly_alerts_and_leaves_no_partial_file(at_capture, face_jpeg, full_disk,
                                                                                   caplog):
    url = at_capture.here

    refused = at_capture.sends_photo(face_jpeg)

    assert refused.status_code == 503 and int(refused["Retry-After"]) >= 600
    assert refused.json()["retry"] is False and "storage is full" in refused.json()["error"]
    assert "try again" not in refused.json()["error"]
    assert stored_files(full_disk) == [] and not Photo.objects.exists()  # the half-written file went
    alerts = [r for r in caplog.records if r.name == "experiments.alerts"]
    assert len(alerts) == 1 and alerts[0].levelname == "ERROR" and "Photo storage is full" in alerts[0].getMessage()
    assert at_capture.here == url  # still on the photo step, to come back to


def test_a_database_error_after_the_photo_is_saved_removes_the_file(at_capture, face_jpeg, private_photo_storage,
                                                                      monkeypatch):
    """The step move fails after the file and the Photo row were written (the case that left 15 of 15 files)."""
    at_capture.client.raise_request_exception = False
    real_advance = services.advance

    def advance_then_fail(*args, **kwargs):
        real_advance(*args, **kwargs)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "advance", advance_then_fail)
    refused = at_capture.sends_photo(face_jpeg)
    monkeypatch.setattr(services, "advance", real_advance)

    assert refused.status_code == 503 and refused.json()["retry"] is True
    assert stored_files(private_photo_storage) == [] and not Photo.objects.exists()
    assert at_capture.row.step == steps.CAPTURE
    assert at_capture.sends_photo(face_jpeg).json()["ok"] is True
    assert len(stored_files(private_photo_storage)) == Photo.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_failed_commit_keeps_the_file_until_the_orphan_sweep_removes_it(experiment, face_jpeg,
                                                                           private_photo_storage):
    """COMMIT itself failed: the row may or may not exist, so the file stays; the sweep deletes it once it is
    older than PHOTO_ORPHAN_AFTER and no row owns it."""
    from experiments.models import Participant

    trial = Trial.objects.create(participant=Participant.objects.create(experiment=experiment), index=0,
                                 condition="natural")
    wrapper = connections["default"]

    def commit_fails():
        wrapper.rollback()
        raise OperationalError("connection lost during COMMIT")

    wrapper.commit = commit_fails
    try:
        with pytest.raises(OperationalError):
            accept_photo(trial=trial, data=face_jpeg)
    finally:
        del wrapper.commit
    [left] = stored_files(private_photo_storage)

    assert not Photo.objects.exists()
    assert retention.delete_orphan_photo_files(older_than=3600) == 0 and left.exists()  # maybe still on its way
    os.utime(left, (time.time() - 7200, time.time() - 7200))
    assert retention.delete_orphan_photo_files(older_than=3600) == 1 and not left.exists()


def test_the_orphan_sweep_never_touches_a_photo_that_has_its_row(trial_with_photo, private_photo_storage):
    [owned] = stored_files(private_photo_storage)
    os.utime(owned, (time.time() - 7200, time.time() - 7200))

    assert retention.delete_orphan_photo_files(older_than=0) == 0 and owned.exists()


@pytest.fixture
def trial_with_photo(experiment, face_jpeg, django_capture_on_commit_callbacks):
    from experiments.models import Participant

    trial = Trial.objects.create(participant=Participant.objects.create(experiment=experiment), index=0,
                                 condition="natural")
    with django_capture_on_commit_callbacks(execute=False):
        return accept_photo(trial=trial, data=face_jpeg)
