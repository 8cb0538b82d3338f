"""Photo -> face -> expression probabilities, with onnxruntime, numpy and Pillow only (no Django).

Public API:
    load_default_models(threads=1) -> DefaultModels(detector, classifier)   # cached per process
    classify_image(data, *, detector, classifier, labels=CANONICAL_LABELS) -> Result
    load_classifier(onnx_path, card_json, *, sha256, threads=1) -> ExpressionClassifier  # cached
    ExpressionClassifier(onnx_path_or_bytes, card, threads=1)  # any ONNX model; CardError if mismatched
    ModelCard.from_json(path_or_text) / ModelCard.from_dict(dict); card.validate_against(session)
    decode_image(data) -> PIL.Image (raises InvalidImage(code, message))
"""

from .card import CANONICAL_LABELS, CardError, ModelCard
from .classifier import ExpressionClassifier
from .decode import InvalidImage, decode_image
from .detector import Face, FaceDetector
from .pipeline import MODELS_DIR, DefaultModels, Result, classify_image, load_classifier, load_default_models

__all__ = [
    "CANONICAL_LABELS",
    "CardError",
    "DefaultModels",
    "ExpressionClassifier",
    "Face",
    "FaceDetector",
    "InvalidImage",
    "MODELS_DIR",
    "ModelCard",
    "Result",
    "classify_image",
    "decode_image",
    "load_classifier",
    "load_default_models",
]
