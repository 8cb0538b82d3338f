"""Every label comes with how much it hinges on the crop; a card can ask for the mean over crops."""

import dataclasses

import numpy as np
import pytest
from PIL import Image

from fer_inference import CANONICAL_LABELS, MODELS_DIR, ExpressionClassifier, classify_image, decode_image
from fer_inference.classifier import crop_box


def classify(data, models, classifier=None, **kwargs):
    return classify_image(data, detector=models.detector, classifier=classifier or models.classifier, **kwargs)


def test_a_clear_smile_is_stable_across_crops(models, astronaut_jpeg):
    stability = classify(astronaut_jpeg, models).stability
    assert set(stability["crop_labels"]) == {"card", "margin_0.0", "margin_0.1", "shift", "mirror"}
    assert set(stability["crop_labels"].values()) == {"happy"}
    assert stability["label_stability"] == 1.0 and 0 <= stability["probability_spread"] < 0.2
    assert stability["averaged"] is False


def test_the_stability_figures_follow_from_the_crops(models, astronaut):
    (face,) = models.detector.detect(astronaut)
    reading = models.classifier.classify_face(astronaut, face.box)
    assert reading.crops[0] == "card" and reading.probabilities.shape == (5, 7)
    assert np.allclose(reading.probabilities[0], models.classifier.classify(astronaut, [face.box])[0])
    # the mirror row is the card's crop of the mirrored photo
    width = astronaut.width
    x0, y0, x1, y1 = crop_box(face.box, models.classifier.card.crop_margin, astronaut.size)
    mirrored = astronaut.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    expected = models.classifier.to_canonical(models.classifier.predict(
        models.classifier.crops(mirrored, [(width - x1, y0, width - x0, y1)])))
    assert np.abs(reading.probabilities[-1] - expected[0]).max() < 1e-4


def test_a_hard_face_records_disagreeing_crops(models, encode):
    """The cameraman, turned away and half hidden by his camera: the crops do not all agree."""
    import skimage.data

    result = classify(encode(Image.fromarray(skimage.data.camera()).convert("RGB")), models)
    labels = result.stability["crop_labels"]
    agreeing = sum(label == result.top_label for name, label in labels.items() if name != "card")
    assert result.stability["label_stability"] == agreeing / (len(labels) - 1)
    assert result.stability["probability_spread"] > 0.05


def test_test_time_averaging_reports_the_mean_over_the_crops(models, astronaut_jpeg):
    card = dataclasses.replace(models.classifier.card, test_time_augmentation=True)
    averaging = ExpressionClassifier(MODELS_DIR / "mini_xception_fer2013.onnx", card)
    result = classify(astronaut_jpeg, models, averaging)
    image = decode_image(astronaut_jpeg)
    (face,) = models.detector.detect(image)
    rows = models.classifier.classify_face(image, face.box).probabilities
    assert result.stability["averaged"] is True
    expected = dict(zip(CANONICAL_LABELS, rows.mean(axis=0), strict=True))
    assert result.probabilities == pytest.approx(expected, abs=1e-6)
    assert result.probabilities != pytest.approx(classify(astronaut_jpeg, models).probabilities, abs=1e-6)
