"""The capture endpoint: webcam snapshot by fetch (JSON) and file fallback (form post), one photo per trial."""

import pytest
from django.urls import reverse

from experiments.models import Classification, Photo

pytestmark = pytest.mark.django_db


def test_a_webcam_snapshot_is_stored_and_queued_for_every_model(at_capture, face_jpeg, private_photo_storage):
    response = at_capture.sends_photo(face_jpeg)

    photo = Photo.objects.get(trial__participant=at_capture.row)
    assert response.json() == {"ok": True, "next": at_capture.here}
    assert photo.source == "webcam" and (private_photo_storage / photo.file.name).exists()
    assert Classification.objects.filter(photo=photo).count() == at_capture.experiment.classifier_models.count()


def test_the_capture_records_client_and_server_timings(at_capture, face_jpeg):
    at_capture.sends_photo(face_jpeg, page_shown_ms=1_699_999_990_000, retakes=2)

    trial = at_capture.row.trials.get(index=0)
    assert trial.client_timings["countdown_started_ms"] == 1_700_000_000_000
    assert trial.client_timings["captured_ms"] == 1_700_000_003_100
    assert trial.client_timings["retakes"] == 2
    assert "server_received" in trial.client_timings
    assert trial.photo_submitted_at is not None


def test_a_double_submit_stores_one_photo(at_capture, face_jpeg, private_photo_storage):
    url = at_capture.here

    first = at_capture.sends_photo(face_jpeg, url=url)
    second = at_capture.sends_photo(face_jpeg, url=url)

    assert first.json()["ok"] and second.json() == first.json()
    assert Photo.objects.filter(trial__participant=at_capture.row).count() == 1
    assert len(list(private_photo_storage.rglob("*.jpg"))) == 1


def test_a_double_submit_without_javascript_stores_one_photo(at_capture, face_jpeg):
    url = at_capture.here

    first = at_capture.sends_photo(face_jpeg, url=url, as_fetch=False)
    second = at_capture.sends_photo(face_jpeg, url=url, as_fetch=False)

    assert first.status_code == second.status_code == 302
    assert first.url == second.url == at_capture.here
    assert Photo.objects.filter(trial__participant=at_capture.row).count() == 1


def test_the_file_fallback_posts_to_the_same_endpoint_and_redirects(at_capture, face_jpeg):
    response = at_capture.sends_photo(face_jpeg, as_fetch=False, name="IMG_0001.jpg")

    assert response.status_code == 302 and response.url == at_capture.here
    assert Photo.objects.get(trial__participant=at_capture.row).source == "upload"


def test_a_non_image_upload_gets_a_readable_400_and_can_retry(at_capture, text_file, face_jpeg):
    url = at_capture.here

    refused = at_capture.sends_photo(text_file, name="notes.txt")

    assert refused.status_code == 400
    assert refused.json() == {"ok": False, "error": refused.json()["error"]}
    assert "not a photo" in refused.json()["error"]
    assert at_capture.here == url and not Photo.objects.exists()
    assert at_capture.sends_photo(face_jpeg).json()["ok"] is True


def test_a_non_image_file_post_shows_the_page_again_with_the_message(at_capture, text_file):
    response = at_capture.sends_photo(text_file, as_fetch=False, name="notes.txt")

    assert response.status_code == 400
    assert b"not a photo" in response.content
    assert b'capture="user"' in response.content


def test_it_rejects_an_oversized_photo(at_capture, face_jpeg, settings):
    settings.PHOTO_MAX_BYTES = 1024 * 1024
    big = face_jpeg + b"\0" * (2 * 1024 * 1024)

    response = at_capture.sends_photo(big)

    assert response.status_code == 400
    assert "too large" in response.json()["error"]
    assert not Photo.objects.exists()


def test_a_missing_photo_is_asked_for(at_capture):
    response = at_capture.client.post(at_capture.here, {"source": "webcam"}, headers={"Accept": "application/json"})

    assert response.status_code == 400
    assert "Please take a photo" in response.json()["error"]


def test_a_stale_capture_request_is_told_where_to_go(at_capture, face_jpeg):
    wrong = reverse("study_capture", args=[at_capture.code, 2])

    response = at_capture.sends_photo(face_jpeg, url=wrong)

    assert response.status_code == 409
    assert response.json()["next"] == at_capture.here
    assert not Photo.objects.exists()


def test_the_capture_page_offers_the_camera_and_the_file_fallback(at_capture):
    page = at_capture.client.get(at_capture.here).content.decode()

    assert "data-capture" in page and "<video" in page
    assert 'type="file"' in page and 'capture="user"' in page and 'name="photo"' in page
    assert "study/capture.js" in page


def test_photos_are_classified_after_commit(at_capture, face_jpeg, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        at_capture.sends_photo(face_jpeg)

    classification = Classification.objects.get(photo__trial__participant=at_capture.row)
    assert classification.status == Classification.Status.DONE
    assert classification.top_label in at_capture.experiment.labels
