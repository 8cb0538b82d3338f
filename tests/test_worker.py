"""The production path: a real Celery worker process takes the task from Redis and writes to PostgreSQL."""

import copy
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from experiments.models import Classification, Participant, Trial, commit_durably
from experiments.photos import accept_photo
from experiments.tasks import WORKER_APPLICATION_NAME, tune_database_connections
from fer_study.celery import app
from tests.reliability.faults import compose_command

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
        [*compose_command("worker"), "-n", f"test-{os.getpid()}@%h"],  # the flags production uses
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


def worker_sessions() -> set[tuple]:
    """PostgreSQL sessions of worker processes on the test database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid, backend_start FROM pg_stat_activity "
                       "WHERE datname = current_database() AND application_name = %s", [WORKER_APPLICATION_NAME])
        return set(cursor.fetchall())


def test_a_worker_keeps_its_database_connection_between_tasks(experiment, face_jpeg, worker, tmp_path):
    """Celery's Django fixup would open a new connection for every task; at a photo per task that
    costs more than the inference, so the worker keeps one (CELERY_DB_REUSE_MAX, tasks.py)."""
    participant = Participant.objects.create(experiment=experiment)

    def classify(index):
        trial = Trial.objects.create(participant=participant, index=index, condition="natural")
        row = wait_until_classified(accept_photo(trial=trial, data=face_jpeg), tmp_path / "worker.log")
        assert row.status == Classification.Status.DONE

    classify(0)
    after_first = worker_sessions()
    assert after_first, "the worker's connection closed after its task"
    for index in range(1, 6):
        classify(index)
    assert worker_sessions() == after_first  # the same session, not one per task


def test_a_worker_whose_connection_was_killed_reconnects(experiment, face_jpeg, worker, tmp_path):
    """The kept connection is dropped after a task that broke it, and the task is retried on a new one."""
    participant = Participant.objects.create(experiment=experiment)
    photos = []
    for index in range(2):
        trial = Trial.objects.create(participant=participant, index=index, condition="natural")
        photos.append(accept_photo(trial=trial, data=face_jpeg))
        wait_until_classified(photos[-1], tmp_path / "worker.log")
        if index == 0:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND application_name = %s",
                               [WORKER_APPLICATION_NAME])
                assert cursor.fetchall() == [(True,)]
    assert [photo.classifications.get().status for photo in photos] == [Classification.Status.DONE] * 2
    assert "retry: Retry in" in (tmp_path / "worker.log").read_text()  # the kill did reach the task
    assert worker.poll() is None


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def test_worker_connections_commit_asynchronously_but_file_deletions_durably():
    """Claims and results can be redone by the sweeper if a crash loses them; a deleted file cannot."""
    saved = copy.deepcopy(connection.settings_dict)
    connection.close()
    try:
        tune_database_connections()
        assert synchronous_commit() == "off"
        with connection.cursor() as cursor:
            cursor.execute("SHOW application_name")
            assert cursor.fetchone() == (WORKER_APPLICATION_NAME,)
        with transaction.atomic():
            commit_durably()
            assert synchronous_commit() == "on"
        assert synchronous_commit() == "off"
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert synchronous_commit() == "on"
