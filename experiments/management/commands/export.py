"""python manage.py export EXPERIMENT --format csv|parquet|codebook|results|photos [--out FILE]

The same bytes as the workspace download and the API (all three go through exports.files.export_file).
"""

import sys

from django.core.management.base import BaseCommand

from experiments.exports.files import export_file
from experiments.management.lookup import experiment_and_model

FORMATS = {
    "csv": "trials.csv",
    "parquet": "trials.parquet",
    "codebook": "codebook.json",
    "codebook-md": "codebook.md",
    "results": "results.json",
    "photos": "photos.zip",
    "ratings": "ratings.csv",
    "ratings-parquet": "ratings.parquet",
    "participants": "participants.csv",
}


class Command(BaseCommand):
    help = "Export an experiment's data (trials CSV/Parquet, codebook, results JSON, photo ZIP)."

    def add_arguments(self, parser):
        parser.add_argument("experiment", help="the experiment's slug")
        parser.add_argument("--format", choices=sorted(FORMATS), default="csv")
        parser.add_argument("--out", help="file to write (default: standard output)")
        parser.add_argument("--model", help="classifier name (default: the experiment's first)")
        parser.add_argument("--external-ids", action="store_true", help="participants: include panel ids")

    def handle(self, *args, **options):
        experiment, model = experiment_and_model(options["experiment"], options["model"])
        export = export_file(experiment, FORMATS[options["format"]], model=model,
                             external_ids=options["external_ids"])
        out = open(options["out"], "wb") if options["out"] else sys.stdout.buffer
        rows = 0
        try:
            for chunk in export.chunks:
                data = chunk.encode() if isinstance(chunk, str) else chunk
                rows += data.count(b"\n") if options["format"] in ("csv", "ratings", "participants") else 0
                out.write(data)
        finally:
            if options["out"]:
                out.close()
        if options["out"]:
            self.stderr.write(self.style.SUCCESS(f"wrote {options['out']}"
                                                 + (f" ({rows - 1} rows)" if rows else "")))
