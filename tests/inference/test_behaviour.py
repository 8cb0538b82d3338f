"""The registration check on real faces: a model that ignores the face, or does not fit its card, is
refused with the reason; FER+ and HSEmotion cards fit models of their real signature."""

import json

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from fer_inference import MODELS_DIR, ExpressionClassifier, ModelCard
from fer_inference.behaviour import BehaviourError, bundled_faces, check_behaviour
from tests.inference.tiny_model import GRAY3_CARD, TINY_CARD, build_onnx_for_card, build_tiny_onnx

EXAMPLES = sorted(MODELS_DIR.glob("examples/*.card.json"))


def classifier(card: dict, **build) -> ExpressionClassifier:
    return ExpressionClassifier(build_onnx_for_card(card, **build), ModelCard.from_dict(card))


def test_the_shipped_classifier_passes_and_reads_the_smile(models):
    report = check_behaviour(models.classifier)
    assert len(report.faces) == 12 and len(bundled_faces()) == 12
    rows = zip(report.faces, report.probabilities, strict=True)
    smiling = [row for face, row in rows if face.startswith("astronaut")]
    assert all(report.labels[int(np.argmax(row))] == "happy" for row in smiling)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_an_example_card_fits_a_model_with_its_real_signature(path):
    card = json.loads(path.read_text())
    model = classifier(card)
    inputs = {i.name: i.shape for i in model.session.get_inputs()}
    assert list(inputs) == [card["input_name"]]
    assert [dim if isinstance(dim, int) else None for dim in inputs[card["input_name"]]] == card["input_shape"]
    report = check_behaviour(model)
    assert report.probabilities.shape == (12, len(card["labels"]))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_a_constant_model_with_an_example_card_is_refused(path):
    card = json.loads(path.read_text())
    second = card["labels"][1]
    with pytest.raises(BehaviourError, match=f"it says '{second}' with probability above 0.99 for 12 of the 12"):
        check_behaviour(classifier(card, constant=True))


def test_near_identical_outputs_are_refused():
    """The tiny model with its weights scaled down 1000 times still depends on the face, but hardly."""
    tiny = onnx.load_from_string(build_tiny_onnx())
    for weights in tiny.graph.initializer:
        if weights.name == "W":
            weights.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weights) / 1000, "W"))
    flat = ExpressionClassifier(tiny.SerializeToString(), ModelCard.from_dict(TINY_CARD))
    assert check_behaviour(ExpressionClassifier(build_tiny_onnx(), ModelCard.from_dict(TINY_CARD)))
    with pytest.raises(BehaviourError, match="hardly depend on the face: across 12 different faces"):
        check_behaviour(flat)


def test_a_card_that_says_logits_for_probabilities_is_refused(models):
    card = ModelCard.from_dict({**models.classifier.card.to_dict(), "output_kind": "logits"})
    with pytest.raises(BehaviourError, match='already a probability vector .* set output_kind to "probabilities"'):
        check_behaviour(ExpressionClassifier(MODELS_DIR / "mini_xception_fer2013.onnx", card))


def test_gray3_copies_the_grey_image_into_three_identical_channels(astronaut):
    model = classifier(GRAY3_CARD)
    batch = model.preprocess(astronaut, [(180, 80, 270, 175)])
    assert batch.shape == (1, 48, 48, 3)
    assert np.array_equal(batch[..., 0], batch[..., 1]) and np.array_equal(batch[..., 0], batch[..., 2])
    grey = ExpressionClassifier(
        build_onnx_for_card({**GRAY3_CARD, "input_shape": [None, 48, 48, 1], "colour": "gray"}),
        ModelCard.from_dict({**GRAY3_CARD, "input_shape": [None, 48, 48, 1], "colour": "gray"}),
    )
    assert np.array_equal(grey.preprocess(astronaut, [(180, 80, 270, 175)])[..., 0], batch[..., 0])


@pytest.mark.parametrize(
    ("layout", "colour", "shape"),
    [("NCHW", "gray3", [None, 3, 40, 40]), ("NHWC", "bgr", [None, 40, 40, 3]), ("NCHW", "gray", [1, 1, 40, 40])],
)
def test_every_layout_goes_with_every_colour(astronaut, layout, colour, shape):
    card = {**GRAY3_CARD, "layout": layout, "colour": colour, "input_shape": shape}
    model = classifier(card)
    batch = model.preprocess(astronaut, [(180, 80, 270, 175)])
    assert list(batch.shape[1:]) == shape[1:]
    assert check_behaviour(model).probabilities.shape == (12, 7)
