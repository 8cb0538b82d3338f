"""The detector cascade on real photos: it finds what the full-range model finds, with no false
face, and pays for the second model only where the first is out of its depth."""

import io

import pytest

from fer_inference import classify_image
from tests.inference.real_faces import photo_set, score_detections


@pytest.fixture(scope="module")
def photos():
    return photo_set()


def totals(detector, photos) -> tuple[int, int]:
    found = false = 0
    for photo in photos:
        hits, wrong = score_detections([face.box for face in detector.detect(photo.image)], photo.faces)
        found, false = found + hits, false + wrong
    return found, false


def test_the_cascade_finds_at_least_what_the_full_range_model_finds_with_no_false_face(models, photos):
    short, full = totals(models.detector.first, photos), totals(models.detector.second, photos)
    cascade = totals(models.detector, photos)
    assert cascade[0] >= full[0] > short[0]
    assert cascade[1] == 0
    assert short[1] >= 1, "the short-range model alone takes the cat for a face"


def test_a_near_confident_face_is_left_to_the_short_range_model(models, photos, monkeypatch):
    calls = []
    monkeypatch.setattr(models.detector.second, "detect", lambda image: calls.append(image) or [])
    astronaut = next(photo for photo in photos if photo.name == "astronaut (webcam frame)")
    (face,) = models.detector.detect(astronaut.image)
    assert face.detector == "face_detection_short_range" and calls == []


@pytest.mark.parametrize("name", ["astronaut, far from the camera", "group of five, 1280x720"])
def test_a_far_face_or_a_group_goes_to_the_full_range_model_and_the_result_says_so(models, photos, name):
    photo = next(photo for photo in photos if photo.name == name)
    buffer = io.BytesIO()
    photo.image.save(buffer, "JPEG", quality=92)
    result = classify_image(buffer.getvalue(), detector=models.detector, classifier=models.classifier)
    assert result.status == "done"
    assert result.detector == "face_detection_full_range"
    assert result.detector_sha256 == models.detector.second.sha256 != models.detector.first.sha256
    assert all(face["detector"] == "face_detection_full_range" for face in result.faces)
    assert result.n_faces == score_detections([f["box"] for f in result.faces], photo.faces)[0]


def test_the_cat_is_not_a_face_for_the_cascade(models, photos):
    cat = next(photo for photo in photos if photo.name.startswith("cat"))
    assert models.detector.first.detect(cat.image), "the short-range model alone sees a face"
    assert models.detector.detect(cat.image) == []
