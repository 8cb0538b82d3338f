"""Register an ONNX expression classifier with its model card (checked against the file)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from experiments.classifiers import register_model
from fer_inference import CardError


class Command(BaseCommand):
    help = "Register an ONNX classifier: NAME MODEL.onnx CARD.json"

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("onnx", type=Path)
        parser.add_argument("card", type=Path)

    def handle(self, *args, name, onnx, card, **options):
        for path in (onnx, card):
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
        try:
            model = register_model(name=name, onnx_path=onnx.resolve(), card=json.loads(card.read_text()))
        except (CardError, json.JSONDecodeError) as error:
            raise CommandError(f"{card} does not fit {onnx}: {error}") from error
        self.stdout.write(self.style.SUCCESS(f"registered {model.name} (sha256 {model.sha256})"))
