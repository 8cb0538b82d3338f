"""Celery tasks: thin, take ids, and declare their delivery policy here.

https://docs.celeryq.dev/en/stable/userguide/tasks.html
"""

import logging
from datetime import timedelta

from celery import shared_task
from celery.signals import task_postrun, task_prerun, worker_process_init
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.utils import timezone

from fer_inference.pipeline import load_default_models

from . import retention
from .classifiers import classify_stored_photo, record_failure
from .models import Classification

log = logging.getLogger(__name__)

# Only a database or broker hiccup is worth a retry; a bad image ends in a recorded status instead.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError)
WORKER_APPLICATION_NAME = "fer_study worker"


@worker_process_init.connect
def load_models_after_fork(**kwargs):
    """Sessions are created once per worker process, after fork (onnxruntime is not fork-safe)."""
    load_default_models(settings.INFERENCE_THREADS)


@worker_process_init.connect
def tune_database_connections(**kwargs):
    """A worker's writes can be redone, so it skips two waits that only protect work that cannot:
    - the SELECT 1 health check before each task: a broken connection fails the task with a retried
      OperationalError and is dropped after it (recycle_old_connections);
    - PostgreSQL's wait for the disk at commit: a database crash may lose the last fraction of a second
      of claims and results, leaving those rows pending for the sweeper to send again. Deleting a
      photo file cannot be redone, so Photo.delete_file commits durably.
    """
    for connection in connections.all():
        connection.settings_dict["CONN_HEALTH_CHECKS"] = False
        if connection.vendor == "postgresql":
            options = connection.settings_dict.setdefault("OPTIONS", {})
            options["options"] = "-c synchronous_commit=off"
            options["application_name"] = WORKER_APPLICATION_NAME  # tells workers apart in pg_stat_activity


@task_prerun.connect
@task_postrun.connect
def recycle_old_connections(task=None, **kwargs):
    """Like Django around a request: drop a connection that broke or outlived CONN_MAX_AGE, keep the rest.
    Not for eager tasks, which run inside the caller's transaction."""
    if not getattr(task.request, "is_eager", False):
        close_old_connections()


@shared_task(
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=60,
    time_limit=90,
    ignore_result=True,
)
def classify_photo(photo_id: int, model_id: int, force: bool = False) -> None:
    try:
        classify_stored_photo(photo_id, model_id, force=force)
    except TRANSIENT_ERRORS:
        raise
    except Exception as error:  # a bug or a time limit: record it on the row instead of looping
        log.exception("classification of photo %s with model %s failed", photo_id, model_id)
        record_failure(photo_id, model_id, error)


@shared_task(ignore_result=True)
def requeue_stale_classifications() -> int:
    """The sweeper: pending rows older than CLASSIFICATION_STALE_AFTER were lost somewhere; send them again."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.CLASSIFICATION_STALE_AFTER)
    stale = Classification.objects.filter(status=Classification.Status.PENDING, queued_at__lt=cutoff)
    count = 0
    for pk, photo_id, model_id in stale.values_list("pk", "photo_id", "model_id").iterator():
        # Stamped first, so the next sweep waits a full period before sending it again.
        if Classification.objects.filter(pk=pk, queued_at__lt=cutoff).update(queued_at=now):
            classify_photo.delay(photo_id, model_id)
            count += 1
    if count:
        log.warning("re-enqueued %d stale classifications", count)
    return count


@shared_task(ignore_result=True)
def enforce_photo_policies() -> int:
    """Beat runs this hourly: files past their experiment's photo policy are deleted."""
    return retention.enforce_photo_policies()
