"""Celery tasks of the workspace: thin, take ids, policy in the decorator."""

from __future__ import annotations

import logging

from celery import shared_task

from experiments.exports.files import export_file
from experiments.models import Experiment

from .jobs import PROGRESS_EVERY, export_root, get_job, save_job

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
    export = export_file(experiment, job["name"])
    folder = export_root()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{job_id}-{export.filename}"
    save_job(job_id, status="running")
    is_zip = job["name"].endswith(".zip")
    done = reported = 0
    try:
        with open(path, "wb") as out:
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
    total = get_job(job_id)["total"]
    save_job(job_id, status="done", done=total if is_zip else max(done - 1, 0), file=str(path))
