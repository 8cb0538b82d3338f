"""Simultaneous requests: the database, not luck, keeps slots unique and photos single.

These need real row locks, so they run on PostgreSQL (CI) and are skipped on SQLite.
"""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from experiments.models import Participant, Photo
from experiments.participation import steps
from tests.conftest import REQUIRE_SERVICES

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def needs_row_locks():
    if connection.vendor != "postgresql":
        reason = "needs PostgreSQL row locks (SQLite serialises whole-database writes differently)"
        if REQUIRE_SERVICES:
            pytest.fail(f"FER_REQUIRE_SERVICES=1 but the database is {connection.vendor}: {reason}")
        pytest.skip(reason + "; set DATABASE_URL=postgres://...")


def at_the_same_time(*calls):
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


def test_simultaneous_consents_get_distinct_slots(experiment, participant_of):
    people = [participant_of(experiment) for _ in range(4)]
    for person in people:
        person.enters()
    urls = [person.here for person in people]

    at_the_same_time(
        *[
            lambda person=person, url=url: person.client.post(url, {"photos_for_research": "on", "agree": "1"})
            for person, url in zip(people, urls, strict=True)
        ]
    )

    slots = sorted(Participant.objects.values_list("slot", flat=True))
    assert slots == [0, 1, 2, 3]


def test_simultaneous_photo_submissions_store_one_photo(participant, face_jpeg):
    participant.enters()
    participant.consents()
    participant.passes_camera_check()
    participant.reports_feeling()
    participant.is_ready()
    url = participant.here
    cookies = participant.client.cookies

    def send():
        client = Client()
        client.cookies = cookies
        fields = {"photo": SimpleUploadedFile("snap.jpg", face_jpeg, "image/jpeg"), "source": "webcam"}
        return client.post(url, fields, headers={"Accept": "application/json"}).json()

    answers = at_the_same_time(send, send, send)

    assert all(answer["ok"] for answer in answers), answers
    assert Photo.objects.count() == 1
    assert participant.row.step in (steps.POSE_CHECK, steps.FELT)
