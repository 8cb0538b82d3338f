"""Register an ONNX expression classifier with its model card, checked against the file and, on bundled
real faces, for outputs that depend on the face and fit the card."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from experiments.classifiers import register_model
from fer_inference import CardError
from fer_inference.behaviour import BehaviourReport


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
            raise CommandError(f"{onnx} with {card} was not registered: {error}") from error
        self.stdout.write("Its outputs on the bundled real faces:")
        for row in BehaviourReport.from_dict(model.behaviour).rows():
            self.stdout.write(f"  {row}")
        self.stdout.write(self.style.SUCCESS(f"registered {model.name} (sha256 {model.sha256})"))
