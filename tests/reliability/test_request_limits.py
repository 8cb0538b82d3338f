"""Bodies over the cap refused before they are read, NUL bytes and impossible numbers answered with a
400 and a message, researcher pages never cached: on every endpoint, anonymous ones included."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from experiments.models import Participant, Photo, Rating
from tests.ratings.conftest import Rater, make_rating_study, photo_participant, rating_study  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
GIGABYTE = 1024**3


class Untouchable:
    """A request body that fails the test if anyone reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


class Endless:
    """A chunked body that never ends; counts what was read of it."""

    def __init__(self):
        self.read_bytes = 0

    def read(self, size=-1):
        size = 64 * 1024 if size is None or size < 0 else min(size, 64 * 1024)
        self.read_bytes += size
        return b"a" * size

    readline = read


def endpoints(experiment, participant):
    return {
        "withdraw": reverse("study_withdraw"),
        "login": reverse("login"),
        "admin_login": reverse("admin:login"),
        "entry": reverse("study_entry", args=[experiment.slug]),
        "capture": reverse("study_capture", args=[participant.public_code, 1]),
        "stop": reverse("study_stop", args=[participant.public_code]),
        "workspace": reverse("workspace:experiment_create"),
        "api": "/api/experiments/",
        "password_reset": reverse("password_reset"),
    }


@pytest.mark.parametrize("name", ["withdraw", "login", "admin_login", "entry", "capture", "stop", "workspace",
                                  "api", "password_reset"])
def test_a_body_over_the_cap_is_refused_before_it_is_read(name, experiment):
    url = endpoints(experiment, Participant.objects.create(experiment=experiment))[name]

    response = Client().generic("POST", url, b"", content_type="multipart/form-data; boundary=x",
                                CONTENT_LENGTH=str(GIGABYTE), **{"wsgi.input": Untouchable()})

    assert response.status_code == 413
    assert "too large" in response.content.decode()


def test_the_photo_step_takes_a_photo_sized_body_and_nothing_larger(at_capture):
    url = at_capture.here
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    refused = at_capture.client.generic("POST", url, b"", content_type="multipart/form-data; boundary=x",
                                        CONTENT_LENGTH=str(limit + 1), headers={"Accept": "application/json"},
                                        **{"wsgi.input": Untouchable()})

    assert refused.status_code == 413 and "too large" in refused.json()["error"]
    assert settings.REQUEST_MAX_BYTES < limit  # other endpoints allow less than a photo


def test_a_chunked_body_is_read_only_up_to_the_cap():
    body = Endless()

    response = Client().generic("POST", reverse("study_withdraw"), b"", CONTENT_LENGTH="",
                                **{"wsgi.input": body, "wsgi.input_terminated": True})

    assert response.status_code == 413
    assert body.read_bytes <= settings.REQUEST_MAX_BYTES + 64 * 1024


def test_a_chunked_body_within_the_cap_is_read_as_usual(participant, face_jpeg):
    participant.takes_whole_study(face_jpeg)
    code = participant.row.withdrawal_code
    data = f"withdrawal_code={code}".encode()

    class Chunked:
        def __init__(self):
            self.left = data

        def read(self, size=-1):
            block, self.left = self.left[:16], self.left[16:]
            return block

        readline = read

    client = Client(enforce_csrf_checks=False)
    response = client.generic("POST", reverse("study_withdraw"), b"", content_type="application/x-www-form-urlencoded",
                              CONTENT_LENGTH="", CONTENT_TYPE="application/x-www-form-urlencoded",
                              **{"wsgi.input": Chunked(), "wsgi.input_terminated": True})

    assert response.status_code == 200 and b"have been deleted" in response.content
    assert participant.row.status == Participant.Status.WITHDRAWN


@pytest.mark.parametrize("query", [{"pid": "10\x0001"}, {"PROLIFIC_PID": "\x00"}, {"STUDY_ID": "a\x00"},
                                   {"\x00": "1"}])
def test_a_nul_byte_in_a_panel_parameter_is_a_400_with_a_message(client, experiment, query):
    response = client.get(reverse("study_entry", args=[experiment.slug]), query)

    assert response.status_code == 400 and "NUL" in response.content.decode()
    assert not Participant.objects.exists()


@pytest.mark.parametrize("timing", [{"page_shown_ms": 10**40}, {"captured_ms": 99_999_999_999},
                                    {"submitted_ms": "1e3"}, {"retakes": 10**6}])
def test_an_impossible_timing_is_a_400_with_a_message_and_nothing_is_stored(at_capture, face_jpeg, timing):
    response = at_capture.sends_photo(face_jpeg, **timing)

    assert response.status_code == 400
    assert response.json()["ok"] is False and len(response.json()["error"]) > 15
    assert not Photo.objects.exists()


def test_a_raters_impossible_answer_time_is_a_400_and_nothing_is_stored(photo_participant, rating_study):  # noqa: F811 (fixtures)
    photo_participant()
    rater = Rater(Client(), rating_study)
    rater.enters()
    rater.consents()

    response = rater.rates(shown_ms=0, answered_ms=99_999_999_999)

    assert response.status_code == 400 and b"clock reading was not valid" in response.content
    assert not Rating.objects.exists()


def test_a_very_long_rating_is_stored_without_a_response_time(photo_participant, rating_study):  # noqa: F811 (fixtures)
    photo_participant()
    rater = Rater(Client(), rating_study)
    rater.enters()
    rater.consents()
    while rater.item.kind != "photo":
        rater.rates()

    rater.rates(shown_ms=1_700_000_000_000, answered_ms=1_800_000_000_000)

    assert Rating.objects.get().response_ms is None
