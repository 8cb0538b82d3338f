"""Faults through the front door: participants speak HTTP to a real gunicorn (gthread, DEBUG off, rate
limits on, counted by the client address the "proxy" passes on), a real worker and beat run the commands
in docker-compose.yml, on a private Redis that is killed or frozen and a PostgreSQL behind a proxy that
is cut. For every fault: no 5xx without a readable message, no file without a row, no row without a
file, no lost photo, exactly one finished classification per photo and model, and a live worker after.

Run with DATABASE_URL=postgres://... CELERY_BROKER_URL=redis://... FER_REQUIRE_SERVICES=1 (as root, the
full-disk test mounts a small tmpfs; FER_REDIS_KILLS sets the number of Redis kills, 10 by default).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from experiments.models import Classification, Heartbeat, Participant, Photo
from tests.conftest import REQUIRE_SERVICES, jpeg_bytes
from tests.reliability.faults import (
    Beat,
    Gunicorn,
    RedisServer,
    TcpProxy,
    Worker,
    database_url_of,
    free_port,
    wait_for,
)
from tests.reliability.http_participant import HttpParticipant, readable

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
REDIS_KILLS = int(os.environ.get("FER_REDIS_KILLS", "10"))
FACE = jpeg_bytes()
TMPFS_BYTES = 24 * 1024 * 1024


@dataclass
class Stack:
    root: Path
    photos: Path
    redis: RedisServer
    database: TcpProxy
    web: Gunicorn
    worker: Worker
    beat: Beat
    tmpfs: bool

    def logs(self) -> str:
        return "\n".join(f"--- {p.log_path.name}\n{p.tail()}" for p in (self.web, self.worker, self.beat))

    def files(self) -> list[str]:
        return sorted(p.relative_to(self.photos).as_posix() for p in self.photos.rglob("*.jpg"))

    def worker_beat_since(self, moment) -> bool:
        return Heartbeat.objects.filter(kind=Heartbeat.Kind.WORKER, seen_at__gt=moment).exists()


def mount_tmpfs(folder: Path) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES}", "tmpfs", str(folder)],
                            capture_output=True, text=True)
    return result.returncode == 0


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, tmp_path_factory):
    root = tmp_path_factory.mktemp("stack")
    photos = root / "photos"
    tmpfs = mount_tmpfs(photos)
    redis = RedisServer(free_port(), root / "redis.log").start()
    direct = dict(connection.settings_dict)
    database = TcpProxy(direct["HOST"] or "127.0.0.1", int(direct["PORT"] or 5432)).start()
    through_proxy = database_url_of({**direct, "HOST": "127.0.0.1", "PORT": database.port})
    places = {"broker_url": redis.url, "database_url": through_proxy, "photo_root": photos}
    web = Gunicorn(**places, log=root / "web.log")
    worker = Worker(**places, log=root / "worker.log", name="front-door")
    beat = Beat(**places, log=root / "beat.log", schedule=root / "celerybeat-schedule")
    running = Stack(root, photos, redis, database, web, worker, beat, tmpfs)
    try:
        web.wait_until_serving()
        yield running
    finally:
        for process in (web, worker, beat):
            process.stop()
        redis.kill9()
        database.stop()
        if tmpfs:
            subprocess.run(["umount", str(photos)], check=False)


@pytest.fixture
def study(stack, experiment):
    """The live study, with the worker connected (its heartbeat came after the test started), and no photo
    files left by an earlier test (whose rows went with the database flush)."""
    for leftover in stack.photos.rglob("*.jpg"):
        leftover.unlink()
    started = timezone.now()
    wait_for(lambda: stack.worker_beat_since(started), timeout=60, what="a worker heartbeat", on_timeout=stack.logs)
    return experiment


def person(stack, study, number: int) -> HttpParticipant:
    return HttpParticipant(stack.web.url, study.slug, f"198.51.100.{number % 250 + 1}")


def assert_files_and_rows_agree(stack):
    assert stack.files() == sorted(Photo.objects.values_list("file", flat=True))


def assert_every_photo_classified_once_per_model(stack, study, *, timeout=60):
    """Beat's sweeper sends what a fault lost; then exactly one finished row per photo and model."""
    pending = Classification.objects.filter(status=Classification.Status.PENDING)
    wait_for(lambda: not pending.exists(), timeout=timeout, what="every classification to finish",
             on_timeout=stack.logs)
    models = study.classifier_models.count()
    assert Classification.objects.count() == Photo.objects.count() * models
    statuses = set(Classification.objects.values_list("status", flat=True))
    assert statuses <= {Classification.Status.DONE}, list(Classification.objects.values_list("status", "error"))
    assert stack.worker.alive(), stack.worker.tail()


def assert_all_answers_readable(people):
    unreadable = [(r.request.method, r.request.url.path, r.status_code, r.text[:200])
                  for p in people for r in p.answers if not readable(r)]
    assert unreadable == []


class Submitter(threading.Thread):
    """Participants taking their trials one after another until stopped, counting acknowledged photos."""

    def __init__(self, stack, study):
        super().__init__(daemon=True)
        self.stack, self.study = stack, study
        self.people: list[HttpParticipant] = []
        self.acknowledged: list[tuple[float, str]] = []  # (when, trial URL)
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            someone = person(self.stack, self.study, len(self.people))
            self.people.append(someone)
            if not self.walks(someone):
                continue
            while someone.here.endswith("/photo/") and not self.stopping.is_set():
                url = someone.here
                if someone.sends_photo(FACE).status_code == 200:
                    self.acknowledged.append((time.monotonic(), url))
                    with contextlib.suppress(AssertionError):
                        someone.finishes_trial()

    def walks(self, someone) -> bool:
        try:
            someone.walks_to_capture()
            return True
        except AssertionError:  # a page answered 503 during an outage: readable, checked at the end
            return False


def test_redis_killed_again_and_again_loses_no_photo_and_leaves_the_worker_alive(stack, study):
    submitter = Submitter(stack, study)
    submitter.start()
    outages = []
    entered_during_outage = []
    try:
        wait_for(lambda: len(submitter.acknowledged) >= 3, timeout=60, what="first photos", on_timeout=stack.logs)
        for _ in range(REDIS_KILLS):
            stack.redis.kill9()  # no persistence: every queued message and every rate-limit count is gone
            down = time.monotonic()
            newcomer = person(stack, study, 200 + len(outages))
            entered_during_outage.append(newcomer.enters().status_code)  # rate-limited page, cache down
            time.sleep(1.0)
            stack.redis.start()
            outages.append((down, time.monotonic()))
            back = timezone.now()
            wait_for(lambda moment=back: stack.worker_beat_since(moment), timeout=30, what="the worker to reconnect",
                     on_timeout=stack.logs)
            time.sleep(random.uniform(0.2, 1.0))
    finally:
        submitter.stopping.set()
        submitter.join(timeout=60)

    during = [when for when, _ in submitter.acknowledged if any(a <= when <= b for a, b in outages)]
    assert entered_during_outage == [302] * REDIS_KILLS  # the rate limit failed open
    assert during, "no photo was submitted while Redis was down"
    assert_all_answers_readable(submitter.people)
    assert Photo.objects.count() == len({url for _, url in submitter.acknowledged})  # none lost, none twice
    assert_every_photo_classified_once_per_model(stack, study)
    assert_files_and_rows_agree(stack)
    detached = stack.worker.log_path.read_text().count("broker connection was closed")
    print(f"{REDIS_KILLS} Redis kills: {len(submitter.acknowledged)} photos acknowledged, {len(during)} of them "
          f"while Redis was down; {detached} uses of a detached channel survived (fer_study/redis_transport.py)")


def test_a_frozen_redis_neither_hangs_pages_nor_loses_photos(stack, study):
    someone = person(stack, study, 1).walks_to_capture()
    stack.redis.freeze()  # accepts connections, answers nothing
    try:
        timings = []
        for request in (lambda: someone.sends_photo(FACE), lambda: person(stack, study, 2).enters(),
                        lambda: person(stack, study, 3).enters()):
            started = time.monotonic()
            response = request()  # bounded by the client's timeout: a hang fails here
            timings.append(round(time.monotonic() - started, 2))
            assert response.status_code in (200, 302), response.text[:300]
    finally:
        stack.redis.thaw()
    assert Photo.objects.count() == 1
    assert_every_photo_classified_once_per_model(stack, study)
    assert_files_and_rows_agree(stack)
    print("seconds per request while Redis was frozen (photo, entry, entry):", timings)


def participant_urls(code: str, slug: str) -> list[str]:
    """Every participant URL pattern, filled in for one participant, and the health check."""
    from experiments.participation.urls import urlpatterns

    values = {"code": code, "slug": slug, "number": 1, "token": "x"}
    return [reverse("healthz")] + [
        reverse(pattern.name, kwargs={name: values[name] for name in pattern.pattern.converters})
        for pattern in urlpatterns
    ]


def test_a_database_outage_answers_every_participant_page_with_a_readable_503(stack, study):
    someone = person(stack, study, 1).walks_to_capture()
    code = someone.here.split("/")[2]
    stack.database.stop()
    try:
        answers = [someone.request("GET", url) for url in participant_urls(code, study.slug)]
        answers.append(someone.sends_photo(FACE))
        answers.append(someone.request("POST", "/withdraw/", data={"csrfmiddlewaretoken": someone.csrf(),
                                                                    "withdrawal_code": "ABCD-EFGH-JKLM"}))
    finally:
        stack.database.start()
    assert [(a.request.url.path, a.status_code) for a in answers if not readable(a)] == []
    needing_the_database = [a for a in answers if not a.request.url.path.endswith(("/withdraw/", "/image/x/"))]
    assert {a.status_code for a in needing_the_database} == {503}  # the withdrawal form and a bad link need none
    assert answers[-2].json()["retry"] is True
    assert "Please wait a moment" in answers[0].text and 'lang="en"' in answers[0].text
    wait_for(lambda: someone.sends_photo(FACE).status_code == 200, timeout=30, what="the database to be back")
    assert Photo.objects.count() == 1
    assert_every_photo_classified_once_per_model(stack, study)
    assert_files_and_rows_agree(stack)


@contextlib.contextmanager
def database_refusing_the_step_move():
    """A real database error in the same transaction, after the photo file and row were written: moving the
    participant's step pointer raises SQLSTATE 08006 (connection failure; psycopg's OperationalError)."""
    with connection.cursor() as cursor:
        cursor.execute("""CREATE OR REPLACE FUNCTION fer_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                          BEGIN RAISE EXCEPTION 'injected: the database went away' USING ERRCODE = '08006'; END $$""")
        cursor.execute("CREATE TRIGGER fer_test_refuse BEFORE UPDATE OF step ON experiments_participant "
                       "FOR EACH ROW EXECUTE FUNCTION fer_test_refuse()")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS fer_test_refuse ON experiments_participant")
            cursor.execute("DROP FUNCTION IF EXISTS fer_test_refuse()")


def test_a_database_error_after_the_photo_is_saved_leaves_neither_file_nor_row(stack, study):
    people = [person(stack, study, n).walks_to_capture() for n in range(5)]
    with database_refusing_the_step_move():
        refused = [someone.sends_photo(FACE) for someone in people]
        assert stack.files() == [] and not Photo.objects.exists()
    accepted = [someone.sends_photo(FACE) for someone in people]

    assert [r.status_code for r in refused] == [503] * 5 and all(readable(r) for r in refused)
    assert all(r.json()["ok"] for r in accepted)
    assert Photo.objects.count() == 5
    assert_files_and_rows_agree(stack)
    assert_every_photo_classified_once_per_model(stack, study)


@pytest.fixture
def full_disk(stack):
    """Fill the stack's photo tmpfs, then leave 16 KiB: a photo's write starts and cannot finish."""
    if not stack.tmpfs:
        if REQUIRE_SERVICES:
            pytest.fail("the full-disk test mounts a tmpfs, which needs root", pytrace=False)
        pytest.skip("mounting a tmpfs needs root; tests/reliability/test_storage.py covers a refusing storage")
    filler = stack.photos / "filler.bin"
    with filler.open("wb") as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 1024 * 1024)
    os.truncate(filler, filler.stat().st_size - 16 * 1024)
    yield
    filler.unlink()


def test_a_full_photo_disk_refuses_clearly_alerts_and_leaves_no_partial_file(stack, study, full_disk):
    someone = person(stack, study, 1).walks_to_capture()
    refused = someone.sends_photo(FACE)

    assert refused.status_code == 503 and readable(refused)
    assert refused.json()["retry"] is False and "storage is full" in refused.json()["error"]
    assert int(refused.headers["retry-after"]) >= 600  # not "try again now"
    assert stack.files() == [] and not Photo.objects.exists()  # no 0-byte or truncated file
    assert "Photo storage is full" in stack.web.tail()  # the admins' alert (experiments.alerts, ERROR)
    (stack.photos / "filler.bin").unlink()
    assert someone.sends_photo(FACE).json()["ok"] is True
    assert_files_and_rows_agree(stack)
    assert_every_photo_classified_once_per_model(stack, study)
    (stack.photos / "filler.bin").touch()  # for the fixture's clean-up


def test_a_photo_file_missing_for_a_moment_is_looked_for_again_and_classified(stack, study):
    someone = person(stack, study, 1).walks_to_capture()
    stack.worker.send_signal(signal.SIGSTOP)  # the photo is stored and queued while the worker is away
    try:
        assert someone.sends_photo(FACE).json()["ok"] is True
        stored = stack.photos / Photo.objects.get().file.name
        hidden = stack.root / "hidden.jpg"
        shutil.move(stored, hidden)
    finally:
        stack.worker.send_signal(signal.SIGCONT)
    wait_for(lambda: "looking again" in stack.worker.tail(), timeout=30, what="the worker to miss the file",
             on_timeout=stack.logs)
    shutil.move(hidden, stored)

    assert_every_photo_classified_once_per_model(stack, study)
    assert Classification.objects.get().attempts == 1
    assert f"FileSystemStorage {stack.photos}" in stack.worker.tail()  # the log says where it looked
    assert Participant.objects.count() == 1
