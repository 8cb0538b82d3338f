"""The Celery app, as in Celery's Django guide: configuration comes from settings (CELERY_*)."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fer_study.settings")

app = Celery("fer_study")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["experiments.workspace", "experiments.ratings"])  # tasks beside their views

# Workers record a heartbeat while they consume (the live page and the compose health check read it).
from experiments.heartbeats import ConsumerHeartbeat  # noqa: E402

app.steps["consumer"].add(ConsumerHeartbeat)


@signals.worker_init.connect
@signals.beat_init.connect
def refuse_windows_that_do_not_fit(**kwargs):
    """The recovery-window check (experiments/checks.py) also stops a worker or beat from starting.
    SystemExit, because Celery logs and ignores an Exception raised by a signal handler."""
    from django.core import checks

    errors = [message for message in checks.run_checks(tags=["recovery"]) if message.is_serious()]
    if errors:
        raise SystemExit("\n".join(str(message) for message in errors))
