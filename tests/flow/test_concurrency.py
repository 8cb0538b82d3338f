"""Simultaneous requests: the database, not luck, keeps slots unique and photos single.

These need real row locks, so they run on PostgreSQL (CI) and are skipped on SQLite.
"""


import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from experiments.models import Participant, Photo
from experiments.participation import steps
from tests.concurrency import at_the_same_time, needs_row_locks  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("needs_row_locks")]


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
    participant.walks_to_capture()
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
