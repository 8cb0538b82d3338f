"""The Celery app, as in Celery's Django guide: configuration comes from settings (CELERY_*)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fer_study.settings")

app = Celery("fer_study")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["experiments.workspace", "experiments.ratings"])  # tasks beside their views
