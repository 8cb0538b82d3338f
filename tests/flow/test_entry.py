"""Entry link, recruitment parameters, resuming, and who is admitted."""

import pytest
from django.test import Client
from django.urls import reverse

from experiments.models import Participant
from experiments.participation import steps

pytestmark = pytest.mark.django_db


def test_a_live_study_admits_a_participant_at_consent(participant, experiment):
    response = participant.enters()

    assert response.status_code == 302
    assert response.url == reverse("study_consent", args=[participant.code])
    assert participant.row.step == steps.CONSENT
    assert participant.row.source == Participant.Source.DIRECT
    assert "consent" in participant.row.step_times


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_a_study_that_is_not_live_admits_no_one(participant, make_experiment, status):
    experiment = make_experiment("quiet", launch=False)
    if status == "closed":
        experiment.launch()
        experiment.close()
    participant.experiment = experiment

    response = participant.enters(PROLIFIC_PID="abc")

    assert response.status_code == (404 if status == "draft" else 200)  # a draft looks like no study at all
    assert b"not taking" in response.content or b"no longer taking" in response.content
    assert not experiment.participants.exists()


def test_prolific_parameters_are_stored(participant):
    participant.enters(PROLIFIC_PID="5f1a", STUDY_ID="st-1", SESSION_ID="se-9")

    row = participant.row
    assert (row.source, row.external_id, row.external_study_id, row.external_session_id) == (
        "prolific",
        "5f1a",
        "st-1",
        "se-9",
    )


def test_a_generic_pid_is_stored(participant):
    participant.enters(pid="sona-77")

    assert (participant.row.source, participant.row.external_id) == ("generic", "sona-77")


def test_a_returning_external_id_resumes_in_the_browser_that_holds_it(participant, experiment):
    participant.enters(PROLIFIC_PID="5f1a")
    participant.consents()

    response = participant.enters(PROLIFIC_PID="5f1a")

    assert response.url == reverse("study_camera", args=[participant.code])
    assert experiment.participants.count() == 1


def test_another_external_id_gets_its_own_participant(participant, another_participant, experiment):
    participant.enters(PROLIFIC_PID="first")
    another_participant.enters(PROLIFIC_PID="second")

    assert participant.code != another_participant.code
    assert experiment.participants.count() == 2


def test_the_entry_link_resumes_from_the_session(participant, experiment):
    participant.enters()
    participant.consents()

    response = participant.enters()

    assert response.url == reverse("study_camera", args=[participant.code])
    assert experiment.participants.count() == 1


def test_the_personal_link_resumes_in_another_browser(participant, experiment):
    participant.enters()
    participant.consents()

    response = Client().get(reverse("study_resume", args=[participant.code]))

    assert response.url == reverse("study_camera", args=[participant.code])


def test_an_unknown_personal_link_is_not_found(client):
    assert client.get(reverse("study_resume", args=["no-such-code"])).status_code == 404
    assert client.get(reverse("study_consent", args=["no-such-code"])).status_code == 404


def test_an_unknown_study_is_not_found(client):
    assert client.get(reverse("study_entry", args=["no-such-study"])).status_code == 404
