"""Long exports (a million-row CSV, a photo ZIP) built by a Celery worker, with progress to poll.

A job's state lives in the Django cache (Redis in production, so web and worker processes share it);
its file in a private folder (EXPORT_ROOT) that no URL maps to, handed out by an access-checked view.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from experiments.models import Experiment

JOB_SECONDS = 24 * 3600
PROGRESS_EVERY = 20_000  # rows (or photos) between progress updates


def export_root() -> Path:
    return Path(getattr(settings, "EXPORT_ROOT", settings.BASE_DIR / "private" / "exports"))


def _key(job_id: str) -> str:
    return f"export-job:{job_id}"


def get_job(job_id: str) -> dict | None:
    return cache.get(_key(job_id))


def save_job(job_id: str, **changes) -> dict:
    job = (get_job(job_id) or {}) | changes
    cache.set(_key(job_id), job, JOB_SECONDS)
    return job


def total_for(experiment: Experiment, name: str) -> int:
    """How many rows or photos the export will hold, for the progress bar."""
    from experiments.exports.photos_zip import shareable_photos
    from experiments.exports.tidy import participant_queryset, rating_queryset, trial_queryset

    table = name.split(".")[0]
    if table == "photos":
        return shareable_photos(experiment).count()
    if table == "ratings":
        return rating_queryset(experiment).count()
    if table == "participants":
        return participant_queryset(experiment).count()
    return trial_queryset(experiment, None).count()


def remove_expired_files(now: float | None = None) -> int:
    """Built files live as long as their job (a day): they may hold photos, which must not linger."""
    now = now or time.time()
    removed = 0
    for path in export_root().glob("*"):
        if path.is_file() and now - path.stat().st_mtime > JOB_SECONDS:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def start_export_job(*, experiment: Experiment, name: str, user_id: int) -> str:
    """Queue the export `name` of `experiment`; returns the job id to poll."""
    from .tasks import build_export_file

    remove_expired_files()
    job_id = secrets.token_urlsafe(16)
    save_job(job_id, experiment=experiment.slug, name=name, user=user_id, status="queued", done=0,
             total=total_for(experiment, name), file=None, error=None)
    transaction.on_commit(lambda: build_export_file.delay(job_id))
    return job_id
