"""The admin: every model listed and searchable; launch and close actions; participant data read-only."""

import pytest
from django.urls import reverse

from experiments.models import (
    AccessLog,
    Classification,
    ClassifierModel,
    Experiment,
    Participant,
    Photo,
    Rating,
    RatingItem,
    RatingQuota,
    Trial,
)

pytestmark = pytest.mark.django_db
MODELS = [Experiment, Participant, Trial, Photo, ClassifierModel, Classification, Rating, AccessLog,
          RatingItem, RatingQuota]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_has_a_searchable_changelist(admin_client, experiment, model):
    url = reverse(f"admin:experiments_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "smile"}).status_code == 200


def test_the_launch_action_freezes_a_draft(admin_client, researcher):
    draft = Experiment.objects.create(slug="draft", title="Draft", owner=researcher, consent_text="ok")
    response = admin_client.post(reverse("admin:experiments_experiment_changelist"),
                                 {"action": "launch", "_selected_action": [draft.pk]}, follow=True)
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == Experiment.Status.LIVE
    assert draft.config_sha256 == Experiment.hash_config(draft.frozen_config)


def test_the_close_action_stops_a_live_study(admin_client, experiment):
    admin_client.post(reverse("admin:experiments_experiment_changelist"),
                      {"action": "close", "_selected_action": [experiment.pk]})
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.CLOSED and experiment.closed_at


def test_participant_answers_cannot_be_edited_in_admin(admin_client, experiment):
    participant = Participant.objects.create(experiment=experiment)
    Trial.objects.create(participant=participant, index=0, condition="natural", felt="sad", valence=3)
    url = reverse("admin:experiments_participant_change", args=[participant.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    admin_client.post(url, {"status": "completed", "external_id": "forged"})
    participant.refresh_from_db()
    assert participant.status == Participant.Status.STARTED and participant.external_id == ""
    assert admin_client.get(reverse("admin:experiments_trial_add")).status_code == 403


def test_a_live_experiments_configuration_is_read_only(admin_client, experiment):
    page = admin_client.get(reverse("admin:experiments_experiment_change", args=[experiment.pk]))
    assert page.status_code == 200
    assert b'name="trial_plan"' not in page.content and b'name="title"' in page.content
