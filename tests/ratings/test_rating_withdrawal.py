"""Withdrawal: a photo participant's photos leave the pool and the analysis; a rater's ratings are deleted."""

import pytest
from django.urls import reverse

from experiments.exports.tidy import rating_frame
from experiments.models import Participant, Rating, RatingItem, RatingQuota
from experiments.participation import services, steps

pytestmark = pytest.mark.django_db


def test_a_withdrawn_photo_participant_drops_out_of_assignment_and_analysis(
    photo_participant, experiment, make_rating_study, rater_of
):
    leaving, staying = photo_participant(), photo_participant()
    study = make_rating_study(slug="w1", ratings_per_photo=3, photos_per_rater=2, attention_checks=0)
    early = rater_of(study)
    early.takes_rating_study()
    assert set(rating_frame(experiment)["participant_id"]) == {f"p{leaving.pk}", f"p{staying.pk}"}

    services.withdraw_by_code(withdrawal_code=leaving.withdrawal_code)

    assert set(rating_frame(experiment)["participant_id"]) == {f"p{staying.pk}"}
    assert not Rating.objects.filter(photo__trial__participant=leaving).exists()
    late = rater_of(study)
    late.enters()
    late.consents()
    assert set(late.row.rating_items.values_list("photo__trial__participant", flat=True)) == {staying.pk}


def test_a_rater_holding_a_withdrawn_photo_passes_over_it(photo_participant, make_rating_study, rater_of):
    people = [photo_participant() for _ in range(2)]
    study = make_rating_study(slug="w2", ratings_per_photo=1, photos_per_rater=2, attention_checks=0)
    rater = rater_of(study)
    rater.enters()
    rater.consents()
    second = rater.row.rating_items.get(index=1)
    owner = Participant.objects.get(trials__photo=second.photo)
    services.withdraw(participant=owner)

    rater.rates()  # the first photo
    assert rater.client.get(rater.here).status_code == 302  # the withdrawn photo is passed over
    assert rater.row.step == steps.DEBRIEF
    second.refresh_from_db()
    assert second.photo is None and second.status == RatingItem.Status.SKIPPED
    assert Rating.objects.filter(rater=rater.row).count() == 1
    assert {p.pk for p in people} - {owner.pk} == set(
        Rating.objects.values_list("photo__trial__participant", flat=True)
    )


def test_a_withdrawn_raters_ratings_are_deleted_and_their_photos_go_back(
    photo_participant, experiment, make_rating_study, rater_of
):
    for _ in range(2):
        photo_participant()
    study = make_rating_study(slug="w3", ratings_per_photo=1, photos_per_rater=2, attention_checks=1)
    rater = rater_of(study)
    rater.takes_rating_study()
    assert Rating.objects.count() == 2 and len(rating_frame(experiment)) == 2
    assert rater_of(study).enters().status_code == 200  # every photo is taken (k=1): not open

    response = rater.client.post(
        reverse("study_withdraw"), {"withdrawal_code": rater.row.withdrawal_code}
    )
    assert response.status_code == 200
    assert rater.row.status == Participant.Status.WITHDRAWN
    assert Rating.objects.count() == 0 and RatingItem.objects.count() == 0
    assert len(rating_frame(experiment)) == 0
    assert set(RatingQuota.objects.values_list("assigned", flat=True)) == {0}
    newcomer = rater_of(study)
    newcomer.enters()
    newcomer.consents()
    assert newcomer.row.rating_items.filter(photo__isnull=False).count() == 2


def test_a_rater_can_stop_during_the_study(photo_participant, make_rating_study, rater_of):
    photo_participant()
    rater = rater_of(make_rating_study(slug="w4", attention_checks=0))
    rater.enters()
    rater.consents()
    rater.client.post(reverse("study_stop", args=[rater.code]))
    assert rater.row.status == Participant.Status.WITHDRAWN
    assert not RatingItem.objects.exists() and not Rating.objects.exists()
