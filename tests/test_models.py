"""Rules of the data model that the database itself enforces."""

import pytest
from django.db import IntegrityError, transaction

from experiments.models import Classification, Experiment, Participant, Photo, Trial

pytestmark = pytest.mark.django_db


def make_photo(participant, index=0):
    trial = Trial.objects.create(participant=participant, index=index, condition="natural")
    return Photo.objects.create(trial=trial, sha256="0" * 64, size_bytes=1, width=1, height=1)


def test_a_photo_has_one_classification_per_model(experiment, default_model):
    photo = make_photo(Participant.objects.create(experiment=experiment))
    Classification.objects.create(photo=photo, model=default_model)
    with pytest.raises(IntegrityError), transaction.atomic():
        Classification.objects.create(photo=photo, model=default_model)


def test_participant_codes_are_long_random_and_unique(experiment):
    codes = {Participant.objects.create(experiment=experiment).public_code for _ in range(50)}
    assert len(codes) == 50
    assert all(len(code) >= 24 for code in codes)
    first = Participant.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(experiment=experiment, public_code=first.public_code)


def test_an_external_id_is_unique_within_an_experiment_only(experiment, researcher):
    Participant.objects.create(experiment=experiment, external_id="PROLIFIC-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(experiment=experiment, external_id="PROLIFIC-1")
    other = Experiment.objects.create(slug="other", title="Other", owner=researcher, consent_text="ok")
    Participant.objects.create(experiment=other, external_id="PROLIFIC-1")
    # Participants without an external id are not constrained by it.
    Participant.objects.create(experiment=experiment)
    Participant.objects.create(experiment=experiment)


def test_self_reports_outside_their_scales_are_refused(experiment):
    participant = Participant.objects.create(experiment=experiment)
    with pytest.raises(IntegrityError), transaction.atomic():
        Trial.objects.create(participant=participant, index=0, condition="natural", valence=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Trial.objects.create(participant=participant, index=0, condition="natural", intensity=0)


def test_launch_freezes_the_configuration_and_stamps_its_sha256(researcher, default_model):
    experiment = Experiment.objects.create(slug="s", title="S", owner=researcher, consent_text="v1")
    experiment.classifier_models.add(default_model)
    experiment.launch()
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.LIVE
    assert experiment.frozen_config["classifier_models"] == [default_model.sha256]
    assert experiment.config_sha256 == Experiment.hash_config(experiment.frozen_config)
    before = experiment.config_sha256
    experiment.consent_text = "v2"
    assert Experiment.hash_config(experiment.config()) != before


def test_counterbalancing_slots_are_handed_out_once_each(experiment):
    assert [experiment.take_slot() for _ in range(4)] == [0, 1, 2, 3]


def test_researchers_see_only_their_own_and_shared_experiments(experiment, researcher, collaborator,
                                                               other_researcher):
    assert list(Experiment.objects.for_researcher(researcher)) == [experiment]
    assert list(Experiment.objects.for_researcher(collaborator)) == [experiment]
    assert list(Experiment.objects.for_researcher(other_researcher)) == []
