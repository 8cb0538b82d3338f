"""Re-score an experiment's photos with a model, and watch the queue drain."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from experiments.models import Classification, ClassifierModel, Experiment
from experiments.rescoring import rescore


class Command(BaseCommand):
    help = "Classify an experiment's photos with a model: the missing ones, or --all of them again."

    def add_arguments(self, parser):
        parser.add_argument("experiment", help="experiment slug")
        parser.add_argument("--model", required=True, help="registered model name")
        parser.add_argument("--all", action="store_true", help="redo photos already classified")
        parser.add_argument("--no-wait", action="store_true", help="enqueue and return")
        parser.add_argument("--timeout", type=float, default=3600)

    def handle(self, *args, experiment, model, all: bool, no_wait: bool, timeout: float, **options):
        try:
            experiment = Experiment.objects.get(slug=experiment)
            model = ClassifierModel.objects.get(name=model)
        except (Experiment.DoesNotExist, ClassifierModel.DoesNotExist) as error:
            raise CommandError(str(error)) from None
        queued = rescore(experiment, model, redo=all)
        self.stdout.write(f"queued {queued} photos of {experiment.slug} for {model.name}")
        if no_wait:
            return
        rows = Classification.objects.filter(photo__trial__participant__experiment=experiment, model=model)
        deadline = time.monotonic() + timeout
        while True:
            pending = rows.filter(status=Classification.Status.PENDING).count()
            total = rows.count()
            self.stdout.write(f"\r{total - pending}/{total} classified", ending="")
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(1)
        self.stdout.write("")
        if pending:
            raise CommandError(f"{pending} still pending after {timeout:.0f} s (are workers running?)")
        for row in rows.values("status").annotate(count=Count("pk")).order_by("status"):
            self.stdout.write(f"  {row['status']}: {row['count']}")
