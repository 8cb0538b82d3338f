"""A panel id identifies a participant, it never authenticates one; the personal link is the credential.

The attack: a stranger opens /s/<slug>/?pid=1001 for someone else's SONA-style id, hoping to be
sent to that participant's own pages (their codes, `stop`, their unfinished trials), or at least to
learn which ids took part.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from experiments.models import Experiment, Participant, Photo
from experiments.participation import steps
from tests.concurrency import at_the_same_time, needs_row_locks  # noqa: F401 (fixture)
from tests.flow.conftest import StudyParticipant

pytestmark = pytest.mark.django_db
CODE = re.compile(r"/p/[-\w]+/")


@pytest.fixture
def victim(participant, face_jpeg):
    """Panel id 1001, part-way through: one trial done, standing on the second trial's first step."""
    participant.enters(pid="1001")
    participant.consents()
    participant.passes_camera_check()
    participant.does_trial(face_jpeg)
    return participant


def stranger_enters(experiment, **query):
    stranger = StudyParticipant(Client(), experiment)
    response = stranger.enters(**query)
    return stranger, response


def test_a_panel_id_in_another_browser_never_reaches_its_participant(victim, experiment):
    row = victim.row
    stranger, response = stranger_enters(experiment, pid="1001")
    page = stranger.client.get(response.url).content.decode()

    assert stranger.code != victim.code
    for secret in (victim.code, row.withdrawal_code):
        assert secret not in response.url and secret not in page
    assert stranger.row.step == steps.CONSENT and stranger.row.repeated_external_id == "1001"
    assert stranger.row.external_id == ""
    fresh = Participant.objects.get(pk=row.pk)
    assert (fresh.external_id, fresh.step, fresh.trial_pointer) == ("1001", row.step, row.trial_pointer)


def test_a_known_and_an_unknown_panel_id_look_the_same_to_a_stranger(victim, experiment):
    known_stranger, known = stranger_enters(experiment, pid="1001")
    unknown_stranger, unknown = stranger_enters(experiment, pid="1002")

    assert known.status_code == unknown.status_code == 302
    assert CODE.sub("/p/X/", known.url) == CODE.sub("/p/X/", unknown.url)
    pages = [s.client.get(r.url) for s, r in ((known_stranger, known), (unknown_stranger, unknown))]
    bodies = [page.content.decode().replace(s.code, "X") for page, s in zip(pages, (known_stranger, unknown_stranger),
                                                                           strict=True)]
    assert pages[0].status_code == pages[1].status_code == 200
    assert re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", bodies[0]) == \
        re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", bodies[1])


def test_the_browser_holding_the_participant_resumes_with_its_panel_id(victim):
    here = victim.here

    response = victim.enters(pid="1001")

    assert response.url == here
    assert Participant.objects.count() == 1


def test_a_post_from_a_browser_that_never_opened_the_link_changes_nothing(victim, face_jpeg):
    blind = Client()
    stop = blind.post(reverse("study_stop", args=[victim.code]))
    felt = blind.post(victim.here, {"felt": "sad", "intensity": 3, "valence": 3, "arousal": 3},
                      headers={"Accept": "application/json"})

    assert stop.status_code == 403 and felt.status_code == 403
    assert "personal link" in felt.json()["error"]
    assert victim.row.status == Participant.Status.IN_PROGRESS and Photo.objects.count() == 1
    assert victim.row.step == steps.FELT


def test_the_personal_link_is_shown_at_consent_and_on_every_study_page(participant):
    participant.enters()
    link = "http://testserver" + reverse("study_resume", args=[participant.code])

    consent = participant.client.get(participant.here).content.decode()
    participant.consents()
    camera = participant.client.get(participant.here).content.decode()

    assert link in consent and "Already started this study" in consent
    assert link in camera
    elsewhere = Client()
    assert elsewhere.get(link).url == participant.here  # the personal link resumes in any browser


def test_a_draft_looks_like_no_study_to_all_but_its_researchers(client, researcher, make_experiment):
    make_experiment("secret-draft", launch=False, title="Our unannounced idea")

    draft = client.get(reverse("study_entry", args=["secret-draft"]))
    missing = client.get(reverse("study_entry", args=["no-such-study"]))
    client.force_login(researcher)
    own = client.get(reverse("study_entry", args=["secret-draft"]))

    assert draft.status_code == missing.status_code == 404
    assert draft.content == missing.content and b"Our unannounced idea" not in draft.content
    assert b"Our unannounced idea" in own.content
    assert not Participant.objects.exists()


def test_a_second_start_is_flagged_in_the_participant_export(victim, experiment, client, researcher):
    stranger_enters(experiment, pid="1001")
    client.force_login(researcher)

    response = client.get(reverse("workspace:export", args=[experiment.slug, "participants.csv"]),
                          {"external_ids": "1"})
    rows = b"".join(response.streaming_content).decode().splitlines()

    header = rows[0].split(",")
    flags = sorted(line.split(",")[header.index("repeats_a_panel_id")] for line in rows[1:])
    assert flags == ["False", "True"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("needs_row_locks")
def test_one_new_panel_id_arriving_twice_at_once_is_one_participant_and_one_second_start(experiment):
    browsers = [StudyParticipant(Client(), experiment) for _ in range(2)]

    at_the_same_time(*[lambda b=b: b.enters(pid="2002") for b in browsers])

    assert browsers[0].code != browsers[1].code
    rows = Participant.objects.filter(experiment=experiment)
    assert sorted(rows.values_list("external_id", "repeated_external_id")) == [("", "2002"), ("2002", "")]
    assert Experiment.objects.get(pk=experiment.pk).status == Experiment.Status.LIVE
