"""The production path: a real Celery worker process takes the task from Redis and writes to PostgreSQL."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from experiments.models import Classification, Participant, Trial
from experiments.photos import accept_photo
from fer_study.celery import app

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent


def database_url_of(db_settings) -> str:
    user = db_settings["USER"] or "postgres"
    password = f":{db_settings['PASSWORD']}" if db_settings["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db_settings['HOST']}:{db_settings['PORT']}/{db_settings['NAME']}"


@pytest.fixture
def worker(private_photo_storage, tmp_path):
    """A worker process on the test database and this test's photo folder, stopped afterwards."""
    app.control.purge()  # nothing left over from an earlier run may reach this worker
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of(connection.settings_dict),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "PHOTO_ROOT": str(private_photo_storage),
    }
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "fer_study", "worker", "--concurrency=1",
         "--loglevel=INFO", "--without-gossip", "--without-mingle", "-n", f"test-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    yield process
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    log.close()


def wait_until_classified(photo, log: Path, timeout=90.0) -> Classification:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = photo.classifications.get()
        if row.status != Classification.Status.PENDING:
            return row
        time.sleep(0.25)
    tail = log.read_text()[-3000:]
    raise AssertionError(f"photo {photo.pk} was still pending after {timeout:.0f} s; worker log:\n{tail}")


def test_a_real_worker_classifies_a_photo_taken_from_redis(experiment, face_jpeg, worker, tmp_path):
    assert connection.vendor == "postgresql"
    assert not app.conf.task_always_eager
    participant = Participant.objects.create(experiment=experiment)
    trial = Trial.objects.create(participant=participant, index=0, condition="express", felt="happy",
                                 target="happy")
    photo = accept_photo(trial=trial, data=face_jpeg)
    assert photo.classifications.get().status == Classification.Status.PENDING  # queued, not run here

    row = wait_until_classified(photo, tmp_path / "worker.log")
    log = (tmp_path / "worker.log").read_text()
    assert row.status == Classification.Status.DONE, log
    assert row.top_label == "happy"
    assert row.model_sha256 == experiment.classifier_models.get().sha256
    assert "experiments.tasks.classify_photo" in log and "succeeded" in log
    assert worker.poll() is None  # the worker is still alive and was not restarted
