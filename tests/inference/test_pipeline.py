import numpy as np
import skimage.data
from PIL import Image

from fer_inference import CANONICAL_LABELS, classify_image


def classify(data, models, **kwargs):
    return classify_image(data, detector=models.detector, classifier=models.classifier, **kwargs)


def test_it_classifies_the_astronaut_as_happy(models, astronaut_jpeg):
    result = classify(astronaut_jpeg, models)
    assert result.status == "done"
    assert result.top_label == "happy"
    assert result.probabilities["happy"] > 0.9
    assert set(result.probabilities) == set(CANONICAL_LABELS)
    assert abs(sum(result.probabilities.values()) - 1) < 1e-6
    assert result.n_faces == 1
    x0, y0, x1, y1 = result.face_box  # her face is around (180-270, 80-175) in the 512x512 image
    assert 150 < x0 < x1 < 300 and 60 < y0 < y1 < 200
    assert result.face_score > 0.5
    assert result.model_sha256 == models.classifier.sha256 and len(result.model_sha256) == 64
    assert set(result.timings_ms) == {"decode", "detect", "classify", "total"}
    assert result.to_dict()["status"] == "done"


def test_it_reports_no_face_in_a_photo_of_coffee(encode, models):
    result = classify(encode(skimage.data.coffee()), models)
    assert result.status == "no_face"
    assert result.n_faces == 0 and result.probabilities == {} and result.top_label == ""
    assert "No face" in result.error_message


def test_it_reports_no_face_in_a_plain_gradient(encode, models):
    gradient = np.tile(np.linspace(0, 255, 640, dtype=np.uint8), (480, 1))
    assert classify(encode(np.stack([gradient] * 3, axis=-1)), models).status == "no_face"


def test_it_records_two_faces_and_classifies_the_larger(encode, models, astronaut):
    face = astronaut.crop((130, 30, 330, 230))  # her head with some background
    canvas = Image.new("RGB", (640, 480), (200, 200, 200))
    canvas.paste(face.resize((190, 190)), (30, 150))
    canvas.paste(face.resize((280, 280)), (330, 100))
    result = classify(encode(canvas), models)
    assert result.status == "done"
    assert result.n_faces == 2 and len(result.faces) == 2
    x0, _, x1, _ = result.face_box
    assert x0 > 330, "the larger face, on the right, is the one classified"
    assert result.top_label == "happy"


def test_it_honours_exif_orientation(encode, models, astronaut):
    # Stored lying on its side, with EXIF saying "rotate 90 degrees clockwise to view" (orientation 6).
    exif = Image.Exif()
    exif[0x0112] = 6
    sideways = astronaut.transpose(Image.Transpose.ROTATE_90)
    result = classify(encode(sideways, exif=exif), models)
    assert result.status == "done" and result.top_label == "happy"
    assert result.image_size == (512, 512)
    without_exif = classify(encode(sideways), models)
    assert (
        without_exif.status == "no_face"
        or without_exif.probabilities["happy"] < result.probabilities["happy"]
    )


def test_it_restricts_probabilities_to_the_experiments_labels(models, astronaut_jpeg):
    result = classify(astronaut_jpeg, models, labels=("happy", "sad", "neutral"))
    assert list(result.probabilities) == ["happy", "sad", "neutral"]
    assert abs(sum(result.probabilities.values()) - 1) < 1e-6
    assert 0 <= result.unmapped_probability < 0.01


def test_invalid_photos_end_in_a_status_not_an_exception(models):
    result = classify(b"\x00" * 100, models)
    assert result.status == "invalid_image" and result.error_code == "not_an_image"
    assert result.error_message and result.model_sha256


def test_a_face_that_fills_a_narrow_frame_is_still_classified(encode, models, astronaut):
    # the square crop with its margin is wider than the image, so part of it is padded
    narrow = astronaut.crop((165, 50, 285, 230))
    result = classify(encode(narrow), models)
    assert result.status == "done" and result.top_label == "happy"
    assert models.classifier.classify(narrow, [(0, 0, 120, 180)]).shape == (1, 7)


def test_damaged_uploads_always_end_in_a_status(encode, models, astronaut):
    """Whatever the bytes, classify_image returns a Result: a bad photo must never crash the worker."""
    rng = np.random.default_rng(7)
    small = astronaut.resize((160, 160))
    for fmt in ("JPEG", "PNG", "WEBP"):
        original = np.frombuffer(encode(small, fmt), dtype=np.uint8)
        for _ in range(15):
            damaged = original.copy()
            spots = rng.integers(0, len(damaged), rng.integers(1, 20))
            damaged[spots] = rng.integers(0, 256, len(spots))
            data = damaged[: rng.integers(len(damaged) // 2, len(damaged) + 1)].tobytes()
            result = classify(data, models)
            assert result.status in {"done", "no_face", "invalid_image"}
            if result.status == "invalid_image":
                assert result.error_code and result.error_message
