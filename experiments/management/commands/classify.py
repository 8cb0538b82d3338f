"""Classify image files from the terminal, exactly as a worker would classify a participant's photo."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from experiments.classifiers import classifier_for, register_default_model
from experiments.models import ClassifierModel
from fer_inference import CANONICAL_LABELS, classify_image, load_default_models


class Command(BaseCommand):
    help = "Classify image files: face detection then expression probabilities for each."

    def add_arguments(self, parser):
        parser.add_argument("images", nargs="+", type=Path)
        parser.add_argument("--model", help="name of a registered model (default: the shipped default)")
        parser.add_argument("--json", action="store_true", help="print one JSON object per file")

    def handle(self, *args, images, model, json: bool, **options):
        row = self.model(model)
        models = load_default_models()
        classifier = classifier_for(row)
        for path in images:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            result = classify_image(path.read_bytes(), detector=models.detector, classifier=classifier,
                                    landmarker=models.landmarker, labels=CANONICAL_LABELS)
            if json:
                self.stdout.write(_json({"file": str(path), "model": row.name, **result.to_dict()}))
            else:
                self.stdout.write(self.summary(path, result))

    def model(self, name: str | None) -> ClassifierModel:
        if not name:
            return register_default_model()
        try:
            return ClassifierModel.objects.get(name=name)
        except ClassifierModel.DoesNotExist:
            known = ", ".join(ClassifierModel.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"no model named {name!r} (registered: {known})") from None

    @staticmethod
    def summary(path, result) -> str:
        if result.status != "done":
            return f"{path}: {result.status}: {result.error_message}"
        ranked = sorted(result.probabilities.items(), key=lambda item: -item[1])[:3]
        top = ", ".join(f"{label} {p:.3f}" for label, p in ranked)
        stability = result.stability["label_stability"]
        return (f"{path}: {result.top_label} ({top}); faces={result.n_faces} score={result.face_score} "
                f"detector={result.detector} crop stability={stability:.2f}")


def _json(data) -> str:
    return json.dumps(data, default=list)
