"""Photo -> face -> expression probabilities, face mesh and movement measures, with onnxruntime, numpy
and Pillow only (no Django).

Public API:
    load_default_models(threads=1) -> DefaultModels(detector, classifier, landmarker)   # cached per process
    classify_image(data, *, detector, classifier, labels=CANONICAL_LABELS, landmarker=None) -> Result
    load_classifier(onnx_path, card_json, *, sha256, threads=1) -> ExpressionClassifier  # cached
    ExpressionClassifier(onnx_path_or_bytes, card, threads=1)  # any ONNX model; CardError if mismatched
    check_behaviour(classifier) -> BehaviourReport   # BehaviourError (a CardError) saying why it is refused
    ModelCard.from_json(path_or_text) / ModelCard.from_dict(dict); card.validate_against(session)
    DetectorCascade / FaceDetector .detect(image) -> [Face]; FaceLandmarker.landmarks(image, face)
    movement_measures(points) -> {measure: value}; unpack_landmarks(result.landmarks) -> (468, 3) points
    decode_image(data) -> PIL.Image (raises InvalidImage(code, message))
"""

from .behaviour import BehaviourError, BehaviourReport, check_behaviour
from .card import CANONICAL_LABELS, CardError, ModelCard
from .classifier import ExpressionClassifier
from .decode import InvalidImage, decode_image
from .detector import DetectorCascade, Face, FaceDetector
from .landmarks import FaceLandmarker, unpack_landmarks
from .movements import MEASURES, movement_measures
from .pipeline import MODELS_DIR, DefaultModels, Result, classify_image, load_classifier, load_default_models

__all__ = [
    "CANONICAL_LABELS",
    "MEASURES",
    "MODELS_DIR",
    "BehaviourError",
    "BehaviourReport",
    "CardError",
    "DefaultModels",
    "DetectorCascade",
    "ExpressionClassifier",
    "Face",
    "FaceDetector",
    "FaceLandmarker",
    "InvalidImage",
    "ModelCard",
    "Result",
    "check_behaviour",
    "classify_image",
    "decode_image",
    "load_classifier",
    "load_default_models",
    "movement_measures",
    "unpack_landmarks",
]
