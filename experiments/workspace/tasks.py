"""Celery tasks of the workspace: thin, take ids, policy in the decorator."""

from __future__ import annotations

import logging
import os
import time

from celery import shared_task

from experiments.exports.files import export_file
from experiments.models import Experiment

from .jobs import PROGRESS_EVERY, export_folder, get_job, invalidated_since, remove_expired_files, save_job

log = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=3600, time_limit=3700)
def build_export_file(job_id: str) -> None:
    """Write the job's export to a private file, reporting progress as it goes."""
    job = get_job(job_id)
    if not job:
        return  # expired or unknown: nothing to do
    experiment = Experiment.objects.filter(slug=job["experiment"]).first()
    if experiment is None:
        save_job(job_id, status="failed", error="the experiment no longer exists")
        return
    started = time.time()
    export = export_file(experiment, job["name"])
    folder = export_folder(experiment.pk)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{job_id}-{export.filename}"
    save_job(job_id, status="running")
    is_zip = job["name"].endswith(".zip")
    done = reported = 0
    try:
        # Owner-only from the first byte: it may hold photos.
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
            for chunk in export.chunks:
                data = chunk.encode() if isinstance(chunk, str) else chunk
                out.write(data)
                done += 0 if is_zip else data.count(b"\n")
                if not is_zip and done - reported >= PROGRESS_EVERY:
                    save_job(job_id, done=max(done - 1, 0))  # minus the header line
                    reported = done
    except Exception as error:
        log.exception("export job %s failed", job_id)
        path.unlink(missing_ok=True)
        save_job(job_id, status="failed", error=str(error))
        raise
    if invalidated_since(experiment.pk, started):  # someone withdrew meanwhile: the file may hold them
        path.unlink(missing_ok=True)
        save_job(job_id, status="queued", done=0)
        build_export_file.delay(job_id)
        return
    total = get_job(job_id)["total"]
    save_job(job_id, status="done", done=total if is_zip else max(done - 1, 0), file=str(path))


# Beat runs it hourly, so a built file never outlives its day even when no one starts another export.
@shared_task(ignore_result=True, soft_time_limit=240, time_limit=300)
def remove_expired_exports() -> int:
    return remove_expired_files()
