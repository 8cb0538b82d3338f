"""Which ONNX models exist, and how a stored photo is classified by one of them.

A worker classifies a photo here: `classify_stored_photo` (called by the Celery task in tasks.py)
reads the private file and runs fer_inference on it.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from fer_inference import CANONICAL_LABELS, MODELS_DIR, CardError, ExpressionClassifier, ModelCard, classify_image
from fer_inference.behaviour import check_behaviour
from fer_inference.pipeline import load_classifier, load_default_models

from .models import Classification, ClassifierModel, Experiment, Photo, private_photo_storage

log = logging.getLogger(__name__)

DEFAULT_MODEL_FILE = "mini_xception_fer2013.onnx"
DEFAULT_CARD_FILE = "mini_xception_fer2013.card.json"
# A message that kills its worker comes back (acks_late); after this many starts we record the failure.
MAX_ATTEMPTS = 3


class PhotoFileUnavailable(Exception):
    """The row names a file the worker cannot read (yet): a storage mount that is late or briefly gone.
    The task retries with backoff before it records the photo as missing."""


def describe_storage() -> str:
    """Where a worker looked for photos, for the log: the folder, or the bucket of an object storage."""
    storage = storages["photos"]
    detail = getattr(storage, "location", None) or getattr(storage, "bucket_name", None) or ""
    return f"{type(storage).__name__} {detail}".strip()


def resolve_model_path(onnx_path: str) -> Path:
    """Shipped models are stored by file name, so the row works on any machine or container."""
    path = Path(onnx_path)
    return path if path.is_absolute() else MODELS_DIR / path


def check_model_files(*, onnx_path: str | Path, card: dict, sha256: str | None = None) -> dict:
    """The registration check: the card against the ONNX file, then the model's behaviour on the bundled
    real faces (fer_inference.behaviour). Raises CardError (or BehaviourError) saying why; returns the outputs."""
    classifier = ExpressionClassifier(resolve_model_path(str(onnx_path)), ModelCard.from_dict(card))
    if sha256 is not None and sha256 != classifier.sha256:
        raise CardError(f"the file has sha256 {classifier.sha256}, not {sha256}")
    return check_behaviour(classifier).to_dict()


def register_model(*, name: str, onnx_path: str | Path, card: dict, is_default: bool = False) -> ClassifierModel:
    """Check card, file and behaviour (CardError with a clear message if they fail), then store the model."""
    behaviour = check_model_files(onnx_path=onnx_path, card=card)
    model_card = ModelCard.from_dict(card)
    sha256 = hashlib.sha256(resolve_model_path(str(onnx_path)).read_bytes()).hexdigest()
    model, _ = ClassifierModel.objects.update_or_create(
        sha256=sha256,
        defaults={
            "name": name,
            "version": model_card.version,
            "onnx_path": str(onnx_path),
            "card": model_card.to_dict(),
            "is_default": is_default,
            "behaviour": behaviour,
        },
    )
    return model


def register_default_model() -> ClassifierModel:
    model = ClassifierModel.objects.filter(is_default=True).first()
    if model:
        return model
    card = ModelCard.from_json(MODELS_DIR / DEFAULT_CARD_FILE).to_dict()
    return register_model(name="mini-xception-fer2013", onnx_path=DEFAULT_MODEL_FILE, card=card, is_default=True)


def classifier_for(model: ClassifierModel) -> ExpressionClassifier:
    return load_model_session(model.onnx_path, model.card, model.sha256)


def load_model_session(onnx_path: str, card: dict, sha256: str) -> ExpressionClassifier:
    """One onnxruntime session per model and worker process; a file whose bytes are not the
    registered ones is refused, so every stored result names the model that produced it."""
    return load_classifier(str(resolve_model_path(onnx_path)), json.dumps(card, sort_keys=True), sha256=sha256,
                           threads=settings.INFERENCE_THREADS)


def known_labels(labels: list[str]) -> tuple[str, ...]:
    """The experiment's labels that classifiers can predict (all of them if none is)."""
    return tuple(label for label in labels if label in CANONICAL_LABELS) or CANONICAL_LABELS


@dataclass(frozen=True)
class Job:
    """What a worker needs to classify one photo with one model."""

    pk: int
    photo_id: int
    attempts: int
    file: str
    photo_deleted_at: datetime | None
    labels: list[str]
    photo_policy: str
    onnx_path: str
    card: dict
    sha256: str

    @classmethod
    def claimed(cls, photo_id: int, model_id: int) -> "Job | None":
        """None if the row went meanwhile (the participant withdrew)."""
        # One narrow query: a select_related of the five tables cost this hot path three times as much.
        experiment = "photo__trial__participant__experiment__"
        row = (
            Classification.objects.filter(photo_id=photo_id, model_id=model_id)
            .values("pk", "photo_id", "attempts", file=F("photo__file"), photo_deleted_at=F("photo__deleted_at"),
                    labels=F(experiment + "labels"), photo_policy=F(experiment + "photo_policy"),
                    onnx_path=F("model__onnx_path"), card=F("model__card"), sha256=F("model__sha256"))
            .first()
        )
        return cls(**row) if row else None


def classify_stored_photo(photo_id: int, model_id: int, *, force: bool = False) -> str | None:
    """Classify one photo with one model and store the result; returns the status stored, or None if
    there was nothing to do.

    Idempotent: a conditional UPDATE claims only a pending row that no live worker holds (unless
    `force`), so duplicate deliveries of the same task do the work once.
    """
    now = timezone.now()
    abandoned = now - timedelta(seconds=settings.CLASSIFICATION_ABANDONED_AFTER)
    claim = Classification.objects.filter(photo_id=photo_id, model_id=model_id)
    if not force:
        claim = claim.filter(Q(started_at__isnull=True) | Q(started_at__lt=abandoned),
                             status=Classification.Status.PENDING)
    if not claim.update(attempts=F("attempts") + 1, started_at=now):
        return None  # done already, held by another worker, or the photo was withdrawn
    job = Job.claimed(photo_id, model_id)
    if job is None:
        return None
    if job.attempts > MAX_ATTEMPTS:
        return _finish(job, status=Classification.Status.FAILED,
                       error=f"Gave up after {MAX_ATTEMPTS} attempts: the image stopped the worker each time.")
    if job.photo_deleted_at or not job.file:
        return _finish(job, status=Classification.Status.FAILED,
                       error="The photo was deleted before it was classified.")
    try:
        with private_photo_storage.open(job.file, "rb") as handle:
            data = handle.read()
    except FileNotFoundError as missing:
        raise PhotoFileUnavailable(f"{job.file} is not in {describe_storage()}") from missing
    models = load_default_models(settings.INFERENCE_THREADS)
    result = classify_image(data, detector=models.detector, landmarker=models.landmarker,
                            classifier=load_model_session(job.onnx_path, job.card, job.sha256),
                            labels=known_labels(job.labels))
    status = _finish(job, **result_fields(result))
    if job.photo_policy == Experiment.PhotoPolicy.DELETE_AFTER_CLASSIFICATION:
        delete_once_classified(job.photo_id)
    return status


def result_fields(result) -> dict:
    """Classification columns for a fer_inference Result."""
    return {
        "status": result.status, "probabilities": result.probabilities, "top_label": result.top_label,
        "face_box": list(result.face_box) if result.face_box else None, "face_score": result.face_score,
        "n_faces": result.n_faces, "faces": result.faces, "detector": result.detector,
        "label_stability": result.stability.get("label_stability"),
        "probability_spread": result.stability.get("probability_spread"),
        "crop_labels": result.stability.get("crop_labels", {}), "landmarks": result.landmarks,
        "movements": result.measures, "timings_ms": result.timings_ms, "model_sha256": result.model_sha256,
        "error": result.error_message,
    }


def release_claim(photo_id: int, model_id: int, *, resend_in: float) -> None:
    """Undo a claim that did no work (the file was not there): the retry may claim again at once, the attempt
    is not counted as one that could have stopped the worker, and the sweeper waits for the retry."""
    Classification.objects.filter(photo_id=photo_id, model_id=model_id, status=Classification.Status.PENDING).update(
        started_at=None, attempts=F("attempts") - 1, queued_at=timezone.now() + timedelta(seconds=resend_in)
    )


def record_failure(photo_id: int, model_id: int, error: Exception) -> None:
    if isinstance(error, SoftTimeLimitExceeded):
        reason = "It took too long."
    elif isinstance(error, PhotoFileUnavailable):
        reason = f"The photo file is missing from storage: {error}"
    else:
        reason = f"{type(error).__name__}: {error}"
    Classification.objects.filter(photo_id=photo_id, model_id=model_id, status=Classification.Status.PENDING).update(
        status=Classification.Status.FAILED, error=reason[:2000], finished_at=timezone.now()
    )


def _finish(job: Job, **fields) -> str:
    fields["finished_at"] = timezone.now()
    Classification.objects.filter(pk=job.pk).update(**fields)
    return fields["status"]


def delete_once_classified(photo_id: int) -> None:
    """'Delete once classified': the file goes as soon as no model still needs it."""
    with transaction.atomic():
        photo = Photo.objects.select_for_update().get(pk=photo_id)
        if not photo.classifications.filter(status=Classification.Status.PENDING).exists():
            photo.delete_file()
