"""Celery tasks: thin, take ids, and declare their delivery policy here.

https://docs.celeryq.dev/en/stable/userguide/tasks.html
"""

import logging
from datetime import timedelta

from celery import shared_task
from celery.signals import task_postrun, task_prerun, worker_process_init
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.db.models import Q
from django.utils import timezone

from fer_inference.pipeline import load_default_models

from . import heartbeats, retention
from .circuits import REDIS_ERRORS, broker_circuit
from .classifiers import PhotoFileUnavailable, classify_stored_photo, record_failure, release_claim
from .models import Classification, Heartbeat

log = logging.getLogger(__name__)

# Only a database or broker hiccup is worth a retry; a bad image ends in a recorded status instead.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError)
WORKER_APPLICATION_NAME = "fer_study worker"
# A photo file the worker cannot see is looked for again after 2, 4, ... 64 s (about 2 minutes in all):
# long enough for a storage mount to come back, short enough for a researcher to see the failure.
MISSING_FILE_RETRIES = 6


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
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=settings.CLASSIFICATION_TIME_LIMIT * 2 / 3,  # recorded as "it took too long"
    time_limit=settings.CLASSIFICATION_TIME_LIMIT,
    ignore_result=True,
)
def classify_photo(self, photo_id: int, model_id: int, force: bool = False) -> None:
    try:
        classify_stored_photo(photo_id, model_id, force=force)
    except TRANSIENT_ERRORS:
        raise
    except PhotoFileUnavailable as missing:
        if self.request.is_eager or self.request.retries >= MISSING_FILE_RETRIES:  # in-process tasks cannot wait
            log.error("photo %s: giving up: %s", photo_id, missing)
            record_failure(photo_id, model_id, missing)
            return
        countdown = 2 ** (self.request.retries + 1)
        log.warning("photo %s: %s; looking again in %d s", photo_id, missing, countdown)
        release_claim(photo_id, model_id, resend_in=countdown)
        raise self.retry(exc=missing, countdown=countdown, max_retries=MISSING_FILE_RETRIES) from missing
    except Exception as error:  # a bug or a time limit: record it on the row instead of looping
        log.exception("classification of photo %s with model %s failed", photo_id, model_id)
        record_failure(photo_id, model_id, error)


def send_classification(photo_id: int, model_id: int) -> None:
    """Send the task from a web request without waiting on a broker that is down or frozen: one try with
    short timeouts (settings.REDIS_TIMEOUT), then the row stays pending and the sweeper sends it."""
    if not broker_circuit.allows():
        return
    try:
        classify_photo.apply_async((photo_id, model_id), retry=False)
    except REDIS_ERRORS as error:
        broker_circuit.trip(error)


def stale_classifications(now):
    """Pending rows whose message was lost: sent more than CLASSIFICATION_STALE_AFTER ago, and either never
    claimed or claimed more than CLASSIFICATION_ABANDONED_AFTER ago (the worker died), so a new delivery can
    claim them. Each window runs on its own clock."""
    sent_before = now - timedelta(seconds=settings.CLASSIFICATION_STALE_AFTER)
    claimed_before = now - timedelta(seconds=settings.CLASSIFICATION_ABANDONED_AFTER)
    return Classification.objects.filter(Q(started_at__isnull=True) | Q(started_at__lt=claimed_before),
                                         status=Classification.Status.PENDING, queued_at__lt=sent_before)


@shared_task(ignore_result=True)
def requeue_stale_classifications() -> int:
    """The sweeper (beat, every CLASSIFICATION_SWEEP_EVERY seconds): send lost classifications again."""
    now = timezone.now()
    count = 0
    for pk, photo_id, model_id in stale_classifications(now).values_list("pk", "photo_id", "model_id").iterator():
        # Stamped first, so the next sweep waits a full window before sending it again.
        if stale_classifications(now).filter(pk=pk).update(queued_at=now):
            classify_photo.delay(photo_id, model_id)
            count += 1
    if count:
        log.warning("re-enqueued %d stale classifications", count)
    heartbeats.record("sweeper", Heartbeat.Kind.SWEEPER)
    return count


@shared_task(ignore_result=True)
def delete_orphan_photo_files() -> int:
    """Beat runs this hourly: files a crash left without a row (older than PHOTO_ORPHAN_AFTER) are deleted."""
    return retention.delete_orphan_photo_files(older_than=settings.PHOTO_ORPHAN_AFTER)


@shared_task(ignore_result=True)
def enforce_photo_policies() -> int:
    """Beat runs this hourly: files past their experiment's photo policy are deleted."""
    return retention.enforce_photo_policies()
