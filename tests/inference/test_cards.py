"""Model cards: a second model with a different card runs beside the default; mismatches are refused."""

import dataclasses
import json

import numpy as np
import pytest

from fer_inference import (
    MODELS_DIR,
    CardError,
    ExpressionClassifier,
    ModelCard,
    classify_image,
    load_classifier,
)
from fer_inference.classifier import crop_box
from tests.inference.tiny_model import BIAS, EIGHT_LABELS, TINY_CARD, WEIGHTS, build_tiny_onnx


@pytest.fixture(scope="module")
def tiny_onnx() -> bytes:
    return build_tiny_onnx()


@pytest.fixture(scope="module")
def tiny(tiny_onnx):
    return ExpressionClassifier(tiny_onnx, ModelCard.from_dict(TINY_CARD))


def reference_probabilities(image, box) -> np.ndarray:
    """The tiny model computed by hand from its card, on canonical labels."""
    from PIL import Image

    crop = np.asarray(
        image.resize((32, 32), Image.BICUBIC, box=crop_box(box, 0.1, image.size)), dtype=np.float64
    )
    normalised = (crop / 255 - TINY_CARD["mean"]) / TINY_CARD["std"]
    logits = WEIGHTS @ normalised.mean(axis=(0, 1)) + BIAS
    own = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    canonical = dict.fromkeys(("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"), 0.0)
    for label, p in zip(EIGHT_LABELS, own, strict=True):
        if TINY_CARD["label_map"][label]:
            canonical[TINY_CARD["label_map"][label]] += p
    return np.array(list(canonical.values())), own[-1]


def test_a_second_model_runs_beside_the_default_on_the_same_photo(models, tiny, astronaut, astronaut_jpeg):
    default = classify_image(astronaut_jpeg, detector=models.detector, classifier=models.classifier)
    second = classify_image(astronaut_jpeg, detector=models.detector, classifier=tiny)
    assert default.status == second.status == "done"
    assert default.face_box == second.face_box
    assert default.model_sha256 != second.model_sha256
    assert default.top_label == "happy"
    assert set(second.probabilities) == set(default.probabilities)
    assert abs(sum(second.probabilities.values()) - 1) < 1e-6
    assert 0 < second.unmapped_probability < 1  # contempt maps to nothing

    (face,) = models.detector.detect(astronaut)
    expected, contempt = reference_probabilities(astronaut, face.box)
    assert np.abs(tiny.classify(astronaut, [face.box])[0] - expected).max() < 1e-5
    assert abs(tiny.predict(tiny.preprocess(astronaut, [face.box]))[0, -1] - contempt) < 1e-5


def test_batches_give_the_same_answer_as_single_faces(models, tiny, astronaut):
    boxes = [(180, 80, 270, 175), (100, 100, 300, 300), (0, 0, 64, 64)]
    for classifier in (models.classifier, tiny):
        batched = classifier.classify(astronaut, boxes)
        single = np.concatenate([classifier.classify(astronaut, [box]) for box in boxes])
        assert np.abs(batched - single).max() < 1e-6


def test_the_shipped_and_example_cards_load():
    for path in [*MODELS_DIR.glob("*.card.json"), *MODELS_DIR.glob("examples/*.card.json")]:
        if path.name.startswith("face_"):  # detectors and the face mesh have cards of their own kind
            assert json.loads(path.read_text())["input_shape"] in ([1, 128, 128, 3], [1, 192, 192, 3])
            continue
        card = ModelCard.from_json(path)
        assert len(card.labels) in (7, 8)
        assert ModelCard.from_dict(json.loads(json.dumps(card.to_dict()))) == card


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"input_name": "image"}, "'image' is not an input of the model"),
        ({"input_shape": [None, 3, 64, 64]}, "differs from the model's"),
        ({"input_shape": [None, 32, 32, 3], "layout": "NHWC"}, "differs from the model's"),
        ({"labels": EIGHT_LABELS[:7], "label_map": {}}, "has 8 values, but the card lists 7 labels"),
        ({"output_name": "probabilities"}, "'probabilities' is not an output"),
        ({"extra_outputs": {"valence": "valence"}}, "'valence', which is not an output"),
    ],
)
def test_a_card_that_does_not_match_its_model_is_refused(tiny_onnx, change, message):
    card = ModelCard.from_dict({**TINY_CARD, **change})
    with pytest.raises(CardError, match=message):
        ExpressionClassifier(tiny_onnx, card)


def test_the_default_card_is_refused_for_another_model(models, tiny_onnx):
    with pytest.raises(CardError, match="'input' is not an input"):
        ExpressionClassifier(tiny_onnx, models.classifier.card)
    wrong_labels = dataclasses.replace(models.classifier.card, labels=tuple(EIGHT_LABELS), label_map={})
    with pytest.raises(CardError, match="has 7 values, but the card lists 8 labels"):
        ExpressionClassifier(MODELS_DIR / "mini_xception_fer2013.onnx", wrong_labels)


def test_a_file_that_is_not_onnx_is_refused():
    with pytest.raises(CardError, match="not a loadable ONNX model"):
        ExpressionClassifier(b"this is not onnx", ModelCard.from_dict(TINY_CARD))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "gray"}, "has 3 channels, but colour 'gray' needs 1"),
        ({"layout": "CHW"}, "layout must be one of"),
        ({"mean": [0.1, 0.2]}, "mean needs 1 or 3 values"),
        ({"std": [0.0]}, "std must not contain 0"),
        ({"output_kind": "scores"}, "output_kind must be one of"),
        ({"label_map": {"contempt": "contempt"}}, "not a canonical label"),
        ({"label_map": {"joy": "happy"}}, "'joy', which is not among the labels"),
        ({"input_shape": [3, 32, 32]}, "must have 4 dimensions"),
        ({"colour_space": "srgb"}, "unknown card fields: colour_space"),
    ],
)
def test_a_malformed_card_is_refused_with_a_clear_message(change, message):
    with pytest.raises(CardError, match=message):
        ModelCard.from_dict({**TINY_CARD, **change})


def test_a_registered_model_is_loaded_once_and_only_with_its_registered_sha256(tmp_path, tiny_onnx, tiny):
    path = tmp_path / "tiny.onnx"
    path.write_bytes(tiny_onnx)
    card_json = json.dumps(TINY_CARD)
    first = load_classifier(str(path), card_json, sha256=tiny.sha256)
    assert load_classifier(str(path), card_json, sha256=tiny.sha256) is first
    with pytest.raises(CardError, match="was registered"):
        load_classifier(str(path), card_json, sha256="0" * 64)
