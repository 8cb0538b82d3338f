"""One photo in, one Result out: decode -> detect (cascade) -> pick the largest face -> classify it on
the card's crop and its perturbations -> face mesh -> movement measures.

models = load_default_models()
result = classify_image(photo_bytes, detector=models.detector, classifier=models.classifier,
                        landmarker=models.landmarker)
result.status, result.top_label, result.stability, result.measures, result.to_dict()
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .card import CANONICAL_LABELS, CardError, ModelCard
from .classifier import ExpressionClassifier, FaceReading
from .decode import InvalidImage, decode_scaled
from .detector import DetectorCascade, Face, FaceDetector
from .landmarks import FaceLandmarker, pack_landmarks
from .movements import movement_measures

MODELS_DIR = Path(__file__).resolve().parent / "models"
DONE, NO_FACE, INVALID_IMAGE = "done", "no_face", "invalid_image"
# Larger JPEGs are decoded at a reduced scale (see decode_scaled): the detectors see at most 192 px,
# the classifiers 64-224 px crops and the mesh 192 px, so a face a tenth of this wide keeps ~96 px.
DECODE_LONG_SIDE = 960


@dataclasses.dataclass
class Result:
    status: str  # done | no_face | invalid_image
    model_sha256: str
    detector_sha256: str = ""  # the model that found the classified face (the first stage if none was found)
    detector: str = ""  # its name
    probabilities: dict[str, float] = dataclasses.field(default_factory=dict)  # on the requested labels
    top_label: str = ""
    unmapped_probability: float = 0.0  # mass on model labels outside the label set (e.g. contempt)
    face_box: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1 in upright pixels
    face_score: float | None = None
    n_faces: int = 0
    faces: list[dict] = dataclasses.field(default_factory=list)  # every face found: box, score, detector
    # How much the label hinges on the crop: label_stability is the fraction of perturbed crops whose
    # top label is top_label, probability_spread the largest max - min of one label's probability
    # over all crops, crop_labels each crop's top label; averaged: probabilities are their mean.
    stability: dict = dataclasses.field(default_factory=dict)
    landmarks: dict | None = None  # pack_landmarks() of the face mesh in upright pixels, and its score
    measures: dict[str, float] = dataclasses.field(default_factory=dict)  # movements.MEASURES, in IODs
    image_size: tuple[int, int] | None = None  # width, height after EXIF rotation
    timings_ms: dict[str, float] = dataclasses.field(default_factory=dict)  # decode, detect, classify, landmarks, total
    error_code: str = ""
    error_message: str = ""  # readable by the participant

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class DefaultModels(NamedTuple):
    detector: DetectorCascade
    classifier: ExpressionClassifier
    landmarker: FaceLandmarker


def load_detector(threads: int = 1) -> DetectorCascade:
    """The shipped short-range detector with the fallback its card names."""
    card_path = MODELS_DIR / "face_detection_short_range.card.json"
    first = FaceDetector(MODELS_DIR / "face_detection_short_range.onnx", card_path, threads=threads)
    rule = json.loads(card_path.read_text())["fallback"]
    second = FaceDetector(MODELS_DIR / rule["onnx"], MODELS_DIR / rule["card"], threads=threads)
    return DetectorCascade(first, second, rule)


@functools.cache
def load_default_models(threads: int = 1) -> DefaultModels:
    """The shipped detector cascade, mini-Xception classifier and face mesh, loaded once per process
    (call it after fork, e.g. from Celery's worker_process_init)."""
    card = ModelCard.from_json(MODELS_DIR / "mini_xception_fer2013.card.json")
    classifier = ExpressionClassifier(MODELS_DIR / "mini_xception_fer2013.onnx", card, threads=threads)
    landmarker = FaceLandmarker(
        MODELS_DIR / "face_landmark.onnx", MODELS_DIR / "face_landmark.card.json", threads=threads
    )
    return DefaultModels(load_detector(threads), classifier, landmarker)


@functools.cache
def load_classifier(onnx_path: str, card_json: str, *, sha256: str, threads: int = 1) -> ExpressionClassifier:
    """A registered model, loaded once per process and (path, card, sha256). Refuses a file whose
    sha256 is not the one registered, so every stored result names the bytes that produced it."""
    classifier = ExpressionClassifier(Path(onnx_path), ModelCard.from_json(card_json), threads=threads)
    if classifier.sha256 != sha256:
        raise CardError(f"{onnx_path} has sha256 {classifier.sha256}, but {sha256} was registered")
    return classifier


def classify_image(
    data: bytes,
    *,
    detector: FaceDetector | DetectorCascade,
    classifier: ExpressionClassifier,
    labels: tuple[str, ...] = CANONICAL_LABELS,
    landmarker: FaceLandmarker | None = None,
) -> Result:
    """Classify the largest face in a photo. Never raises for a bad photo: the status says why.

    `labels` is the experiment's label set (canonical names); probabilities outside it are
    reported as `unmapped_probability` and the rest renormalised to sum to 1. With a `landmarker`
    the face mesh and the movement measures are added.
    """
    unknown = set(labels) - set(CANONICAL_LABELS)
    if unknown:
        raise ValueError(f"not canonical labels: {sorted(unknown)}")
    first_stage = getattr(detector, "first", detector)
    result = Result(status=DONE, model_sha256=classifier.sha256, detector_sha256=first_stage.sha256)
    clock = [time.perf_counter()]
    try:
        image, scale = decode_scaled(data, long_side=DECODE_LONG_SIDE)
    except InvalidImage as error:
        result.status, result.error_code, result.error_message = INVALID_IMAGE, error.code, error.message
        result.timings_ms = _timings(clock, "decode")
        return result
    clock.append(time.perf_counter())
    result.image_size = (round(image.width / scale), round(image.height / scale))
    faces = detector.detect(image)
    clock.append(time.perf_counter())
    result.n_faces = len(faces)
    result.faces = [_in_stored_pixels(face, scale).to_dict() for face in faces]
    if not faces:
        result.status, result.error_code = NO_FACE, NO_FACE
        result.error_message = (
            "No face was found in the photo. Please face the camera in good light and try again."
        )
        result.timings_ms = _timings(clock, "decode", "detect")
        return result
    face: Face = max(faces, key=lambda f: f.area)
    _record_reading(result, classifier.classify_face(image, face.box), labels)
    clock.append(time.perf_counter())
    stored = _in_stored_pixels(face, scale)
    result.detector = face.detector
    result.detector_sha256 = getattr(detector, "sha256_by_name", {}).get(face.detector, result.detector_sha256)
    result.face_box = tuple(round(v, 1) for v in stored.box)
    result.face_score = round(face.score, 4)
    if landmarker is None:
        result.timings_ms = _timings(clock, "decode", "detect", "classify")
        return result
    mesh = landmarker.landmarks(image, face)
    if mesh is not None:
        points = mesh.points / np.float32(scale) if scale != 1 else mesh.points
        result.landmarks = {**pack_landmarks(points), "score": round(mesh.score, 4)}
        result.measures = {name: round(value, 5) for name, value in movement_measures(points).items()}
    clock.append(time.perf_counter())
    result.timings_ms = _timings(clock, "decode", "detect", "classify", "landmarks")
    return result


def _record_reading(result: Result, reading: FaceReading, labels: tuple[str, ...]) -> None:
    """Probabilities on the experiment's labels, and the crop stability on those same labels."""
    wanted = [CANONICAL_LABELS.index(label) for label in labels]
    kept = reading.probabilities[:, wanted]
    totals = kept.sum(axis=1, keepdims=True)
    rows = np.divide(kept, totals, out=np.zeros_like(kept), where=totals > 0)
    reported = rows.mean(axis=0) if reading.averaged else rows[0]
    total = float(reading.reported[wanted].sum())
    result.unmapped_probability = round(max(0.0, 1.0 - total), 6)
    result.probabilities = {label: float(p) for label, p in zip(labels, reported, strict=True)}
    result.top_label = labels[int(np.argmax(reported))]
    crop_labels = {name: labels[int(np.argmax(row))] for name, row in zip(reading.crops, rows, strict=True)}
    perturbed = [label for name, label in crop_labels.items() if name != "card"]
    result.stability = {
        "label_stability": round(sum(label == result.top_label for label in perturbed) / len(perturbed), 4),
        "probability_spread": round(float((rows.max(axis=0) - rows.min(axis=0)).max()), 4),
        "crop_labels": crop_labels,
        "averaged": reading.averaged,
    }


def _in_stored_pixels(face: Face, scale: float) -> Face:
    """A face found on a reduced decode, in pixels of the stored photo."""
    if scale == 1:
        return face
    box = tuple(v / scale for v in face.box)
    keypoints = tuple((x / scale, y / scale) for x, y in face.keypoints)
    return dataclasses.replace(face, box=box, keypoints=keypoints)


def _timings(clock: list[float], *stages: str) -> dict[str, float]:
    """Milliseconds between consecutive clock readings, named by stage, and their total; the last
    stage ends now if it has no reading of its own."""
    if len(clock) == len(stages):
        clock.append(time.perf_counter())
    timings = {stage: round((clock[i + 1] - clock[i]) * 1000, 3) for i, stage in enumerate(stages)}
    timings["total"] = round((clock[-1] - clock[0]) * 1000, 3)
    return timings
