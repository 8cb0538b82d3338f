"""A submitted photo is classified by the real ONNX models, once, whatever happens to the task."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from experiments.classifiers import MAX_ATTEMPTS, classify_stored_photo
from experiments.models import Classification, Experiment, Participant, Trial
from experiments.photos import PhotoRejected, accept_photo
from experiments.tasks import classify_photo, requeue_stale_classifications
from tests.conftest import jpeg_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    """accept_photo as a view calls it; `deliver=False` loses the task message after commit."""

    def submit(trial, data, *, deliver=True):
        with django_capture_on_commit_callbacks(execute=deliver):
            return accept_photo(trial=trial, data=data)

    return submit


@pytest.fixture
def trial(experiment):
    participant = Participant.objects.create(experiment=experiment)
    return Trial.objects.create(participant=participant, index=0, condition="natural")


def test_the_astronaut_is_classified_happy_with_the_model_hash(trial, face_jpeg, default_model, submit):
    photo = submit(trial, face_jpeg)
    row = Classification.objects.get(photo=photo)
    assert row.status == Classification.Status.DONE
    assert row.top_label == "happy"
    assert row.probabilities["happy"] > 0.9
    assert abs(sum(row.probabilities.values()) - 1) < 1e-6
    assert row.model_sha256 == default_model.sha256
    assert row.n_faces == 1 and len(row.face_box) == 4
    assert row.attempts == 1


def test_a_photo_without_a_face_is_recorded_as_no_face(trial, submit):
    blank = jpeg_bytes(Image.new("RGB", (640, 480), (120, 140, 160)))
    photo = submit(trial, blank)
    row = photo.classifications.get()
    assert row.status == Classification.Status.NO_FACE
    assert row.top_label == ""
    assert "No face" in row.error


def test_the_same_photo_submitted_twice_is_stored_and_classified_once(trial, face_jpeg, submit):
    first = submit(trial, face_jpeg)
    second = submit(trial, face_jpeg)
    assert first.pk == second.pk
    assert Classification.objects.count() == 1


def test_a_non_image_is_rejected_before_anything_is_stored(trial, private_photo_storage):
    with pytest.raises(PhotoRejected) as rejected:
        accept_photo(trial=trial, data=b"<html><script>alert(1)</script></html>")
    assert rejected.value.code == "not_an_image"
    assert "not a photo" in rejected.value.message
    assert not trial.__class__.objects.get(pk=trial.pk).photo_submitted_at
    assert not list(private_photo_storage.rglob("*.jpg"))


def test_stored_photos_are_re_encoded_without_exif(trial, submit):
    image = Image.open(io.BytesIO(jpeg_bytes()))
    exif = image.getexif()
    exif[0x010E] = "secret description"  # ImageDescription
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    photo = submit(trial, buffer.getvalue() + b"TRAILING-BYTES")
    with photo.file.open("rb") as handle:
        stored = handle.read()
    assert b"secret description" not in stored and b"TRAILING-BYTES" not in stored
    assert not Image.open(photo.file.path).getexif()


def test_a_classification_that_is_done_is_not_redone(trial, face_jpeg, default_model, submit):
    photo = submit(trial, face_jpeg)
    assert classify_stored_photo(photo.pk, default_model.pk) is None
    assert photo.classifications.get().attempts == 1


def test_an_image_that_keeps_killing_workers_ends_as_failed(trial, face_jpeg, default_model, submit):
    photo = submit(trial, face_jpeg, deliver=False)
    Classification.objects.filter(photo=photo).update(attempts=MAX_ATTEMPTS)
    assert classify_stored_photo(photo.pk, default_model.pk) == Classification.Status.FAILED
    assert "Gave up" in photo.classifications.get().error


def test_the_sweeper_resends_classifications_left_pending(trial, face_jpeg, submit):
    photo = submit(trial, face_jpeg, deliver=False)  # the task never ran: a lost message
    row = photo.classifications.get()
    assert row.status == Classification.Status.PENDING
    assert requeue_stale_classifications() == 0  # not old enough yet
    Classification.objects.filter(pk=row.pk).update(queued_at=timezone.now() - timedelta(hours=1))
    assert requeue_stale_classifications() == 1
    row.refresh_from_db()
    assert row.status == Classification.Status.DONE
    assert requeue_stale_classifications() == 0


def test_delete_after_classification_removes_the_file(trial, face_jpeg, submit):
    Experiment.objects.filter(pk=trial.participant.experiment_id).update(
        photo_policy=Experiment.PhotoPolicy.DELETE_AFTER_CLASSIFICATION)
    photo = submit(trial, face_jpeg)
    photo.refresh_from_db()
    assert photo.deleted_at is not None and not photo.file
    assert photo.classifications.get().status == Classification.Status.DONE


def test_a_photo_file_lost_from_storage_is_recorded_as_failed_naming_the_storage(
    trial, face_jpeg, default_model, submit, caplog, private_photo_storage
):
    """In-process tasks cannot wait, so this fails at once; a real worker looks again with backoff first
    (tests/reliability/test_front_door.py)."""
    photo = submit(trial, face_jpeg, deliver=False)
    photo.file.storage.delete(photo.file.name)

    classify_photo.apply((photo.pk, default_model.pk))

    row = photo.classifications.get()
    assert row.status == Classification.Status.FAILED and "missing from storage" in row.error
    assert f"FileSystemStorage {private_photo_storage}" in row.error
    assert any("giving up" in record.getMessage() for record in caplog.records)


def test_an_unexpected_error_in_the_task_is_recorded_not_retried_forever(trial, face_jpeg, submit, monkeypatch):
    from experiments import tasks

    photo = submit(trial, face_jpeg, deliver=False)
    row = photo.classifications.get()

    def broken(*args, **kwargs):
        raise RuntimeError("onnxruntime exploded")

    monkeypatch.setattr(tasks, "classify_stored_photo", broken)
    tasks.classify_photo.delay(photo.pk, row.model_id)
    row.refresh_from_db()
    assert row.status == Classification.Status.FAILED
    assert row.error == "RuntimeError: onnxruntime exploded"


def test_the_worker_stores_detector_crop_stability_face_mesh_and_movements(trial, face_jpeg, submit):
    from fer_inference.landmarks import unpack_landmarks
    from fer_inference.movements import MEASURES

    row = submit(trial, face_jpeg).classifications.get()
    assert row.detector == "face_detection_short_range"
    assert 0 <= row.label_stability <= 1 and 0 <= row.probability_spread <= 1
    assert set(row.crop_labels) == {"card", "margin_0.0", "margin_0.1", "shift", "mirror"}
    points = unpack_landmarks(row.landmarks)
    x0, y0, x1, y1 = row.face_box
    assert points.shape == (468, 3)
    inside = (points[:, 0] > x0 - 20) & (points[:, 0] < x1 + 20) & (points[:, 1] > y0 - 20) & (points[:, 1] < y1 + 20)
    assert inside.all()
    assert set(row.movements) == set(MEASURES)


def test_the_face_mesh_goes_with_the_photo_file_and_the_measures_stay(trial, face_jpeg, submit):
    photo = submit(trial, face_jpeg)
    photo.delete_file()
    row = photo.classifications.get()
    assert row.landmarks is None
    assert row.movements["mouth_width"] > 0
