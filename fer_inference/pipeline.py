"""One photo in, one Result out: decode -> detect -> pick the largest face -> classify.

models = load_default_models()
result = classify_image(photo_bytes, detector=models.detector, classifier=models.classifier)
result.status, result.top_label, result.to_dict()
"""

from __future__ import annotations

import dataclasses
import functools
import time
from pathlib import Path
from typing import NamedTuple

from .card import CANONICAL_LABELS, CardError, ModelCard
from .classifier import ExpressionClassifier
from .decode import InvalidImage, decode_image
from .detector import Face, FaceDetector

MODELS_DIR = Path(__file__).resolve().parent / "models"
DONE, NO_FACE, INVALID_IMAGE = "done", "no_face", "invalid_image"


@dataclasses.dataclass
class Result:
    status: str  # done | no_face | invalid_image
    model_sha256: str
    detector_sha256: str = ""
    probabilities: dict[str, float] = dataclasses.field(default_factory=dict)  # on the requested labels
    top_label: str = ""
    unmapped_probability: float = 0.0  # mass on model labels outside the label set (e.g. contempt)
    face_box: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1 in upright pixels
    face_score: float | None = None
    n_faces: int = 0
    faces: list[dict] = dataclasses.field(default_factory=list)  # every face found: box, score
    image_size: tuple[int, int] | None = None  # width, height after EXIF rotation
    timings_ms: dict[str, float] = dataclasses.field(default_factory=dict)  # decode, detect, classify, total
    error_code: str = ""
    error_message: str = ""  # readable by the participant

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class DefaultModels(NamedTuple):
    detector: FaceDetector
    classifier: ExpressionClassifier


@functools.cache
def load_default_models(threads: int = 1) -> DefaultModels:
    """The shipped detector and mini-Xception classifier, loaded once per process (call it after
    fork, e.g. from Celery's worker_process_init)."""
    detector = FaceDetector(
        MODELS_DIR / "face_detection_short_range.onnx",
        MODELS_DIR / "face_detection_short_range.card.json",
        threads=threads,
    )
    card = ModelCard.from_json(MODELS_DIR / "mini_xception_fer2013.card.json")
    classifier = ExpressionClassifier(MODELS_DIR / "mini_xception_fer2013.onnx", card, threads=threads)
    return DefaultModels(detector, classifier)


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
    detector: FaceDetector,
    classifier: ExpressionClassifier,
    labels: tuple[str, ...] = CANONICAL_LABELS,
) -> Result:
    """Classify the largest face in a photo. Never raises for a bad photo: the status says why.

    `labels` is the experiment's label set (canonical names); probabilities outside it are
    reported as `unmapped_probability` and the rest renormalised to sum to 1.
    """
    unknown = set(labels) - set(CANONICAL_LABELS)
    if unknown:
        raise ValueError(f"not canonical labels: {sorted(unknown)}")
    result = Result(status=DONE, model_sha256=classifier.sha256, detector_sha256=detector.sha256)
    started = time.perf_counter()
    try:
        image = decode_image(data)
    except InvalidImage as error:
        result.status, result.error_code, result.error_message = INVALID_IMAGE, error.code, error.message
        result.timings_ms = {"decode": _ms(started), "total": _ms(started)}
        return result
    decoded = time.perf_counter()
    result.image_size = image.size
    faces = detector.detect(image)
    detected = time.perf_counter()
    result.n_faces = len(faces)
    result.faces = [face.to_dict() for face in faces]
    if not faces:
        result.status, result.error_code = NO_FACE, NO_FACE
        result.error_message = (
            "No face was found in the photo. Please face the camera in good light and try again."
        )
        result.timings_ms = {
            "decode": _ms(started, decoded),
            "detect": _ms(decoded, detected),
            "total": _ms(started),
        }
        return result
    face: Face = max(faces, key=lambda f: f.area)
    canonical = classifier.classify(image, [face.box])[0]
    classified = time.perf_counter()
    wanted = [CANONICAL_LABELS.index(label) for label in labels]
    kept = canonical[wanted]
    total = float(kept.sum())
    result.unmapped_probability = round(max(0.0, 1.0 - total), 6)
    result.probabilities = {
        label: float(p / total) if total > 0 else 0.0 for label, p in zip(labels, kept, strict=True)
    }
    result.top_label = max(result.probabilities, key=result.probabilities.get)
    result.face_box = tuple(round(v, 1) for v in face.box)
    result.face_score = round(face.score, 4)
    result.timings_ms = {
        "decode": _ms(started, decoded),
        "detect": _ms(decoded, detected),
        "classify": _ms(detected, classified),
        "total": _ms(started, classified),
    }
    return result


def _ms(start: float, end: float | None = None) -> float:
    return round(((end if end is not None else time.perf_counter()) - start) * 1000, 3)
