"""Conversion fidelity of the TFLite models: the shipped ONNX files compute what MediaPipe's TFLite
originals compute, on real faces.

The test environment has no TensorFlow, so the reference is recorded once: `tools/convert_models.py`
ran the TFLite interpreter (tensorflow 2.15.1) on real-face inputs made from the photos in
real_faces.py and stored inputs and outputs in data/tflite_reference.npz (for the detectors, the
192 rows per input of the highest-scoring anchors and some others). Here the ONNX models run on the
same uint8 inputs through the same normalisation code the pipeline uses (FaceDetector.run,
FaceLandmarker.run), so a change in that code shows up too.

Tolerances: landmark coordinates are in 192-pixel input units, so 1e-3 is a thousandth of a pixel;
the measured differences are in PROVENANCE.md (1-2e-4).
"""

from pathlib import Path

import numpy as np
import pytest

from fer_inference import MODELS_DIR

REFERENCE = np.load(Path(__file__).parent / "data" / "tflite_reference.npz")


def test_the_face_mesh_matches_tflite_on_real_faces(models):
    landmarker = models.landmarker
    expected_points = REFERENCE["landmarks_conv2d_20"].reshape(-1, 468, 3)
    expected_flags = REFERENCE["landmarks_conv2d_30"].ravel()
    assert len(expected_points) >= 5
    for pixels, points, flag in zip(REFERENCE["landmarks_inputs"], expected_points, expected_flags, strict=True):
        got, score = landmarker.run(pixels)
        assert np.abs(got - points).max() < 1e-3
        assert score == pytest.approx(1 / (1 + np.exp(-flag)), abs=1e-5)
        assert score > 0.9  # these are faces, and the mesh sees them as faces


@pytest.mark.parametrize(("kind", "stage"), [("detector", "first"), ("full_range", "second")])
def test_the_detectors_match_tflite_on_real_photos(models, kind, stage):
    detector = getattr(models.detector, stage)
    anchors = REFERENCE[f"{kind}_anchors"]
    boxes = REFERENCE[f"{kind}_{detector.card['boxes_output']}"]
    logits = REFERENCE[f"{kind}_{detector.card['scores_output']}"]
    for pixels, rows, want_boxes, want_logits in zip(REFERENCE[f"{kind}_inputs"], anchors, boxes, logits, strict=True):
        got_boxes, got_logits = detector.run(pixels)
        assert np.abs(got_boxes[rows] - want_boxes).max() < 2e-3  # 128 or 192 px input units
        assert np.abs(got_logits[rows] - want_logits[:, 0]).max() < 2e-3
    assert (logits > 0).any(), "the recorded photos include faces the model is sure of"


def test_the_reference_was_made_from_the_shipped_files():
    provenance = (MODELS_DIR / "PROVENANCE.md").read_text()
    for name in ("face_detection_full_range.onnx", "face_landmark.onnx"):
        assert f"## {name}" in provenance
        assert "real-face inputs (recorded in tests/inference/data/tflite_reference.npz)" in provenance.split(
            f"## {name}", 1
        )[1].split("\n## ", 1)[0]
