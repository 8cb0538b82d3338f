"""Photos are kept only as the experiment's policy allows, and storage agrees with the database."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from experiments.models import Experiment, Participant, Photo, Trial
from experiments.photos import accept_photo
from experiments.retention import audit_storage, enforce_photo_policies

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo(experiment, face_jpeg, django_capture_on_commit_callbacks):
    participant = Participant.objects.create(experiment=experiment)
    trial = Trial.objects.create(participant=participant, index=0, condition="natural")
    with django_capture_on_commit_callbacks(execute=True):
        return accept_photo(trial=trial, data=face_jpeg)


def test_photos_older_than_the_retention_period_are_deleted(experiment, photo):
    Experiment.objects.filter(pk=experiment.pk).update(photo_policy="keep_days", photo_retention_days=30,
                                                       status="draft", frozen_config=None)
    Experiment.objects.get(pk=experiment.pk).launch()
    assert enforce_photo_policies(timezone.now() + timedelta(days=29)) == 0
    assert enforce_photo_policies(timezone.now() + timedelta(days=31)) == 1
    photo.refresh_from_db()
    assert photo.deleted_at and not photo.file
    assert audit_storage() == {"files_without_rows": [], "rows_without_files": [], "orphan_exports": []}


def test_kept_photos_stay(photo):
    assert enforce_photo_policies(timezone.now() + timedelta(days=3650)) == 0
    assert Photo.objects.present().count() == 1


def test_audit_storage_reports_orphans_both_ways(photo, private_photo_storage, capsys):
    call_command("audit_storage")
    (private_photo_storage / "stray.jpg").write_bytes(b"left behind")
    name = photo.file.name
    photo.file.storage.delete(name)
    with pytest.raises(CommandError, match="disagree"):
        call_command("audit_storage")
    out = capsys.readouterr().out
    assert "file without row: stray.jpg" in out
    assert f"row without file: photo {photo.pk}: {name}" in out
