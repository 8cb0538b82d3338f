"""Long exports (a million-row CSV, a photo ZIP) built by a Celery worker, with progress to poll.

A job's state lives in the Django cache (Redis in production, so web and worker processes share it);
its file in a private folder per experiment (EXPORT_ROOT/<experiment id>/, owner-only) that no URL maps
to, handed out by an access-checked view. A built file is a copy of participants' data: withdrawal and
deletion remove the files of every experiment the participant's data reach (`invalidate_exports`), a
build still running then starts again, and beat removes files older than a day (`remove_expired_files`).
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q

from experiments.models import Experiment

JOB_SECONDS = 24 * 3600
PROGRESS_EVERY = 20_000  # rows (or photos) between progress updates


def export_root() -> Path:
    return Path(getattr(settings, "EXPORT_ROOT", settings.BASE_DIR / "private" / "exports"))


def export_folder(experiment_id: int) -> Path:
    return export_root() / str(experiment_id)


def _invalidated_key(experiment_id: int) -> str:
    return f"export-invalidated:{experiment_id}"


def invalidated_since(experiment_id: int, started: float) -> bool:
    """Whether data of this experiment were withdrawn or deleted after a build that began at `started`."""
    return (cache.get(_invalidated_key(experiment_id)) or 0) >= started


def reached_experiments(experiment_ids) -> set[int]:
    """These experiments and those whose exports also hold their rows: rating studies of a photo study
    (ratings of its photos) and the photo studies a rating study rates (its raters' ratings)."""
    ids = set(experiment_ids)
    linked = Experiment.objects.filter(Q(source_experiments__in=ids) | Q(rating_experiments__in=ids))
    return ids | set(linked.values_list("pk", flat=True))


def invalidate_exports(experiment_ids) -> int:
    """Delete the built export files of these experiments (and of those their data reach); a build in
    progress rebuilds when it ends. Returns how many files were removed."""
    removed = 0
    now = time.time()
    for experiment_id in reached_experiments(experiment_ids):
        cache.set(_invalidated_key(experiment_id), now, JOB_SECONDS)
        folder = export_folder(experiment_id)
        for path in folder.glob("*") if folder.is_dir() else ():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def file_of(job: dict) -> Path | None:
    """The job's built file if it is still on disk."""
    path = Path(job["file"]) if job.get("file") else None
    return path if path is not None and path.is_file() else None


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
    for path in export_root().rglob("*"):
        if path.is_file() and now - path.stat().st_mtime > JOB_SECONDS:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def start_export_job(*, experiment: Experiment, name: str, user_id: int) -> str:
    """Queue the export `name` of `experiment`; returns the job id to poll."""
    from .tasks import build_export_file

    job_id = secrets.token_urlsafe(16)
    save_job(job_id, experiment=experiment.slug, name=name, user=user_id, status="queued", done=0,
             total=total_for(experiment, name), file=None, error=None)
    transaction.on_commit(lambda: build_export_file.delay(job_id))
    return job_id
