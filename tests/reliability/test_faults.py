"""Faults with real processes: a worker killed mid-batch, Redis restarted mid-batch, PostgreSQL refusing
connections during submissions. Afterwards every accepted photo has exactly one finished classification
per model, and participants who got an error resubmit without duplicates.

Run with DATABASE_URL=postgres://... CELERY_BROKER_URL=redis://... FER_REQUIRE_SERVICES=1.
"""

import time

import pytest
from django.db import OperationalError, close_old_connections, connection
from django.test import Client

from experiments.classifiers import MAX_ATTEMPTS, register_model
from experiments.models import Classification, Experiment, Participant, Photo, Trial
from experiments.participation import steps
from experiments.photos import accept_photo
from experiments.tasks import requeue_stale_classifications
from fer_study.celery import app
from tests.flow.conftest import StudyParticipant
from tests.inference.tiny_model import TINY_CARD, build_tiny_onnx
from tests.reliability.faults import RedisServer, TcpProxy, Worker, database_url_of, free_port, wait_for

services = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
BATCH = 20
DONE = Classification.Status.DONE
PENDING = Classification.Status.PENDING


@pytest.fixture
def two_models(experiment, tmp_path):
    """The default classifier plus a second, tiny one: "one classification per model" means two here."""
    path = tmp_path / "tiny.onnx"
    path.write_bytes(build_tiny_onnx())
    experiment.classifier_models.add(register_model(name="tiny", onnx_path=str(path), card=TINY_CARD))
    Experiment.objects.filter(pk=experiment.pk).update(status="draft", frozen_config=None)
    experiment.refresh_from_db()
    experiment.launch()  # the models in force are the ones frozen at launch
    return experiment


@pytest.fixture
def workers(private_photo_storage, tmp_path):
    started = []

    def start(broker_url, name="w"):
        worker = Worker(broker_url=broker_url, database_url=database_url_of(connection.settings_dict),
                        photo_root=private_photo_storage, log=tmp_path / "workers.log", name=name)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def short_sweeps(settings):
    """The sweeper in this process on the workers' windows (stack_settings; production: 120 and 60 s)."""
    from tests.reliability import stack_settings

    settings.CLASSIFICATION_STALE_AFTER = stack_settings.CLASSIFICATION_STALE_AFTER
    settings.CLASSIFICATION_ABANDONED_AFTER = stack_settings.CLASSIFICATION_ABANDONED_AFTER
    return settings


def submit_batch(experiment, n, data, start=0):
    participant = Participant.objects.filter(experiment=experiment).first() or Participant.objects.create(
        experiment=experiment
    )
    photos = []
    for index in range(start, start + n):
        trial = Trial.objects.create(participant=participant, index=index, condition="express", felt="happy",
                                     target="happy")
        photos.append(accept_photo(trial=trial, data=data))  # enqueued on commit, to the real broker
    return photos


def count(status=None):
    rows = Classification.objects.all()
    return rows.filter(status=status).count() if status else rows.count()


def sweep_until_all_finished(*, timeout, log):
    """What Celery beat does every CLASSIFICATION_SWEEP_EVERY seconds, here every second."""

    def finished():
        requeue_stale_classifications()
        return not Classification.objects.filter(status=PENDING).exists()

    started = time.monotonic()
    wait_for(finished, timeout=timeout, every=1.0, what="every classification to finish", on_timeout=log)
    return time.monotonic() - started


def assert_exactly_one_finished_classification_per_model(experiment, photos):
    models = set(experiment.classifier_models.values_list("pk", flat=True))
    for photo in photos:
        rows = list(Classification.objects.filter(photo=photo))
        assert sorted(row.model_id for row in rows) == sorted(models), photo.pk
        assert all(row.status == DONE for row in rows), [(row.status, row.error) for row in rows]
        assert all(1 <= row.attempts <= MAX_ATTEMPTS for row in rows)
    assert Photo.objects.count() == len(photos)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_no_photo(two_models, face_jpeg, workers, short_sweeps):
    app.control.purge()
    photos = submit_batch(two_models, BATCH, face_jpeg)
    total = BATCH * two_models.classifier_models.count()
    first = workers(app.conf.broker_url, name="first")

    def mid_task():  # some finished, and one claimed by a worker but not finished
        return count(DONE) >= 4 and Classification.objects.filter(status=PENDING, started_at__isnull=False).exists()

    wait_for(mid_task, timeout=60, what="a classification in progress", every=0.005, on_timeout=first.tail)
    first.kill()  # SIGKILL to the whole process group, mid-task
    done_at_kill = count(DONE)
    in_flight = Classification.objects.filter(status=PENDING, started_at__isnull=False).count()
    assert done_at_kill < total and in_flight >= 1

    second = workers(app.conf.broker_url, name="second")
    sweep_until_all_finished(timeout=60, log=second.tail)

    assert_exactly_one_finished_classification_per_model(two_models, photos)
    print(f"killed after {done_at_kill}/{total} classifications with {in_flight} in flight; all recovered")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_redis_restart_mid_batch_loses_no_photo(two_models, face_jpeg, workers, short_sweeps, tmp_path):
    redis = RedisServer(free_port(), tmp_path / "redis.log").start()
    previous = app.conf.broker_url
    use_broker(redis.url)
    try:
        photos = submit_batch(two_models, BATCH, face_jpeg)
        worker = workers(redis.url, name="redis-restart")
        wait_for(lambda: count(DONE) >= 4, timeout=60, what="the first classifications", every=0.02,
                 on_timeout=worker.tail)

        redis.kill9()  # no persistence: every queued message is gone
        done_at_kill = count(DONE)
        started = time.monotonic()
        during = submit_batch(two_models, 3, face_jpeg, start=BATCH)  # accepted while the broker is down
        outage_submit_s = (time.monotonic() - started) / 3
        assert all(photo.pk for photo in during)
        time.sleep(1)
        redis.start()

        sweep_until_all_finished(timeout=70, log=worker.tail)
        assert_exactly_one_finished_classification_per_model(two_models, photos + during)
        assert worker.process.poll() is None  # the worker reconnected by itself
        print(f"redis killed after {done_at_kill} classifications; submissions during the outage took "
              f"{outage_submit_s:.2f} s each; all recovered")
    finally:
        use_broker(previous)
        redis.kill9()


def use_broker(url):
    """Point this process's Celery app (producer pool included) at another broker.

    Nothing is closed: kombu keeps producer pools per broker URL, and the old one is reused on the way back."""
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = app.conf.broker_write_url = app.conf.broker_read_url = url


@pytest.fixture
def database_through_proxy():
    """This process's database connection goes through a TCP proxy the test can cut."""
    close_old_connections()
    original = dict(connection.settings_dict)
    connection.close()
    proxy = TcpProxy(original["HOST"] or "127.0.0.1", int(original["PORT"] or 5432)).start()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(proxy.port))
    yield proxy
    proxy.stop()
    connection.close()
    connection.settings_dict.update(HOST=original["HOST"], PORT=original["PORT"])  # before the flush


def request(person, *args, **kwargs):
    close_old_connections()  # what Django does at each request boundary (the test client skips it)
    return person.sends_photo(*args, **kwargs)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_participants_resubmit_without_duplicates_after_the_database_refused_them(
    experiment, face_jpeg, database_through_proxy, private_photo_storage
):
    app.control.purge()
    people = [StudyParticipant(Client(raise_request_exception=False), experiment) for _ in range(6)]
    for person in people:
        person.walks_to_capture()
        assert person.row.step == steps.CAPTURE
    urls = [person.here for person in people]

    database_through_proxy.stop()
    refused = [request(person, face_jpeg, url=url) for person, url in zip(people, urls, strict=True)]
    database_through_proxy.start()
    first_try = [request(person, face_jpeg, url=url) for person, url in zip(people, urls, strict=True)]
    double_submit = [request(person, face_jpeg, url=url) for person, url in zip(people, urls, strict=True)]

    for answer in refused:
        assert answer.status_code == 503 and answer["Retry-After"]
        assert answer.json()["ok"] is False and "try again" in answer.json()["error"]
    assert all(answer.json()["ok"] for answer in first_try + double_submit)
    close_old_connections()
    assert Photo.objects.count() == len(people)
    assert Classification.objects.count() == len(people) * experiment.classifier_models.count()
    stored = sorted(p.relative_to(private_photo_storage).as_posix() for p in private_photo_storage.rglob("*.jpg"))
    assert stored == sorted(Photo.objects.values_list("file", flat=True))  # no orphan files
    app.control.purge()


@pytest.mark.django_db
def test_a_database_failure_while_storing_leaves_no_file_and_the_retry_works(
    participant, face_jpeg, private_photo_storage, monkeypatch
):
    """The photo file is written before its row; if the row cannot be written the file must go too."""
    participant.client.raise_request_exception = False
    participant.walks_to_capture()
    original_save = Photo.save
    failures = iter([OperationalError("server closed the connection unexpectedly")])

    def flaky_save(self, *args, **kwargs):
        error = next(failures, None)
        if error:
            raise error
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(Photo, "save", flaky_save)
    url = participant.here

    refused = participant.sends_photo(face_jpeg)

    assert refused.status_code == 503 and "try again" in refused.json()["error"]
    assert not Photo.objects.exists() and list(private_photo_storage.rglob("*.jpg")) == []
    assert participant.here == url
    assert participant.sends_photo(face_jpeg).json()["ok"] is True
    assert Photo.objects.count() == 1 and len(list(private_photo_storage.rglob("*.jpg"))) == 1
