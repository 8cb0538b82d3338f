"""python manage.py analyze EXPERIMENT [--model NAME] [--out results.json]

Runs the statistics engine on exactly the rows of the trial export, prints its summary, writes the JSON.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from experiments.exports.results import analysis_for
from experiments.management.lookup import experiment_and_model
from fer_stats.cli import summary


class Command(BaseCommand):
    help = "Analyse an experiment: print the summary and write the results JSON."

    def add_arguments(self, parser):
        parser.add_argument("experiment", help="the experiment's slug")
        parser.add_argument("--model", help="classifier name (default: the experiment's first)")
        parser.add_argument("--out", help="results JSON path (default: <slug>-results.json)")

    def handle(self, *args, **options):
        experiment, model = experiment_and_model(options["experiment"], options["model"])
        document = analysis_for(experiment, model, use_cache=False)
        if document["error"]:
            raise CommandError(document["error"])
        self.stdout.write(summary(document["results"]))
        path = options["out"] or f"{experiment.slug}-results.json"
        with open(path, "w") as handle:
            json.dump(document, handle, indent=2, allow_nan=False)
            handle.write("\n")
        self.stderr.write(self.style.SUCCESS(f"results written to {path}"))
