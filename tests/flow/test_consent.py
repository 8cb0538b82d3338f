"""Consent, declining, and the counterbalanced assignment made at consent."""

from collections import Counter

import pytest
from django.urls import reverse

import fer_conditions as conditions
from experiments.models import Participant
from experiments.participation import steps

pytestmark = pytest.mark.django_db


def test_consent_records_the_version_the_time_and_each_photo_choice(participant, experiment):
    experiment.consent_version = 3
    experiment.save()
    experiment.status = "draft"
    experiment.launch()  # relaunch freezes version 3
    participant.enters()

    response = participant.consents(rating=True, publication=False)

    row = participant.row
    assert response.url == reverse("study_camera", args=[participant.code])
    assert row.status == Participant.Status.CONSENTED
    assert row.consent_version == 3 and row.consented_at is not None
    assert (row.photos_for_research, row.photos_for_rating, row.photos_for_publication) == (True, True, False)


def test_the_consent_page_shows_the_current_text_and_three_photo_choices(participant, experiment):
    participant.enters()

    page = participant.client.get(participant.here).content.decode()

    assert experiment.consent_text in page
    for name in ("photos_for_research", "photos_for_rating", "photos_for_publication"):
        assert f'name="{name}"' in page


def test_taking_part_needs_the_research_photo_choice(participant):
    participant.enters()

    response = participant.client.post(participant.here, {"agree": "1", "photos_for_rating": "on"})

    assert response.status_code == 200
    assert b"please agree that your photos are used" in response.content
    assert participant.row.step == steps.CONSENT
    assert not participant.row.trials.exists()


def test_declining_keeps_only_the_refusal_and_offers_the_return_link(participant, experiment):
    experiment.return_url = "https://app.prolific.com/submissions/complete?cc=RETURN"
    experiment.save()
    participant.enters(PROLIFIC_PID="5f1a", STUDY_ID="st", SESSION_ID="se")

    response = participant.declines()
    page = participant.client.get(response.url)

    row = participant.row
    assert row.status == Participant.Status.DECLINED
    assert (row.external_id, row.external_study_id, row.external_session_id) == ("", "", "")
    assert row.consented_at is None and row.slot is None and row.condition_order == []
    assert not row.trials.exists()
    assert list(row.step_times) == ["declined"]
    assert experiment.return_url in page.content.decode()


def test_a_declined_participant_cannot_go_on(participant):
    participant.enters()
    participant.declines()

    response = participant.client.post(
        reverse("study_consent", args=[participant.code]), {"photos_for_research": "on", "agree": "1"}
    )

    assert response.url == reverse("study_declined", args=[participant.code])
    assert participant.row.status == Participant.Status.DECLINED


def test_consecutive_participants_get_different_condition_orders(experiment, make_participants):
    first, second = make_participants(2)

    assert first.row.slot + 1 == second.row.slot
    assert first.row.condition_order != second.row.condition_order
    assert sorted(first.row.condition_order) == sorted(second.row.condition_order)


def test_orders_are_balanced_over_a_full_square(experiment, make_participants):
    people = make_participants(4)

    first_conditions = Counter(p.row.condition_order[0] for p in people)

    assert first_conditions == Counter(conditions.CONDITIONS)


def test_the_order_and_seed_are_stored_and_the_trials_follow_them(participant):
    participant.enters()
    participant.consents()

    row = participant.row
    assert row.order_seed is not None
    assert [t.condition for t in row.trials.order_by("index")] == row.condition_order
    assert row.condition_order == conditions.condition_sequence(row.experiment.trial_plan, slot=row.slot)


def test_assigned_targets_are_balanced_within_a_participant(make_experiment, participant_of):
    experiment = make_experiment("assigned-only", trial_plan={"assigned": 14})
    person = participant_of(experiment)
    person.enters()
    person.consents()

    targets = Counter(person.row.trials.values_list("assigned_expression", flat=True))

    assert targets == Counter({label: 2 for label in experiment.labels})
    assert list(person.row.trials.values_list("target", flat=True)) == list(
        person.row.trials.values_list("assigned_expression", flat=True)
    )


def test_declining_takes_no_counterbalancing_slot(experiment, participant, another_participant):
    participant.enters()
    participant.declines()
    another_participant.enters()
    another_participant.consents()

    assert another_participant.row.slot == 0
