"""Which photos a rater gets: the consent filter, never their own, never twice, k per photo, spread evenly."""

from collections import Counter

import pytest

from experiments.models import Classification, Participant, Photo, RatingItem, RatingQuota
from experiments.participation import services
from experiments.ratings.assignment import assign_items, eligible_photos
from tests.ratings.conftest import assigned_photos

pytestmark = pytest.mark.django_db


def test_only_consented_classified_present_photos_of_current_participants_are_assigned(
    photo_participant, make_rating_study, rater_of
):
    ok = photo_participant()
    no_consent = photo_participant(rating=False)
    withdrawn = photo_participant()
    services.withdraw(participant=withdrawn)
    gone = photo_participant(status=Participant.Status.WITHDRAWN)  # a stub that still has a photo row
    declined = photo_participant(status=Participant.Status.DECLINED)
    unclassified = photo_participant(classification=Classification.Status.PENDING)
    no_face = photo_participant(classification=Classification.Status.NO_FACE)
    failed = photo_participant(classification=Classification.Status.FAILED)
    deleted = photo_participant()
    Photo.objects.get(trial__participant=deleted).delete_file()
    study = make_rating_study(slug="filter", ratings_per_photo=5, photos_per_rater=10, attention_checks=0)

    assert list(eligible_photos(study)) == [Photo.objects.get(trial__participant=ok)]
    raters = [rater_of(study) for _ in range(3)]
    for rater in raters:
        rater.enters()
        rater.consents()
    shown_owners = set(RatingItem.objects.values_list("photo__trial__participant", flat=True))
    assert shown_owners == {ok.pk}
    for never in (no_consent, gone, declined, unclassified, no_face, failed, deleted):
        assert never.pk not in shown_owners


def test_a_photo_classified_by_any_model_with_a_face_is_eligible(photo_participant, rating_study, default_model):
    person = photo_participant(classification=Classification.Status.NO_FACE)
    assert not eligible_photos(rating_study).exists()
    from experiments.models import ClassifierModel

    second = ClassifierModel.objects.create(name="other", onnx_path="x.onnx", sha256="1" * 64, card={})
    Classification.objects.create(photo=Photo.objects.get(trial__participant=person), model=second, status="done")
    assert eligible_photos(rating_study).count() == 1


def test_photos_of_other_experiments_are_not_shown(photo_participant, researcher, make_rating_study):
    from experiments.models import Experiment

    photo_participant()
    unrelated = Experiment.objects.create(slug="unrelated", title="Unrelated", owner=researcher, consent_text=".")
    person = photo_participant(of=unrelated)
    study = make_rating_study(slug="only-linked")
    assert not eligible_photos(study).filter(trial__participant=person).exists()
    assert eligible_photos(study).count() == 1


def test_a_rater_never_sees_photos_of_their_own_recruitment_id(photo_participant, make_rating_study, rater_of):
    mine = photo_participant(external_id="PID-42", trials=2)
    others = [photo_participant() for _ in range(3)]
    study = make_rating_study(slug="not-mine", ratings_per_photo=3, photos_per_rater=10, attention_checks=0)
    rater = rater_of(study)
    rater.enters(PROLIFIC_PID="PID-42")
    rater.consents()
    owners = set(rater.row.rating_items.values_list("photo__trial__participant", flat=True))
    assert owners == {o.pk for o in others} and mine.pk not in owners


def test_a_rater_never_sees_photos_taken_in_the_same_browser(photo_participant, experiment, make_rating_study,
                                                            rater_of):
    mine = photo_participant()
    other = photo_participant()
    study = make_rating_study(slug="same-browser", ratings_per_photo=3, photos_per_rater=10, attention_checks=0)
    rater = rater_of(study)
    session = rater.client.session  # this browser took the photo study (views.remember)
    session[f"study:{experiment.slug}"] = mine.public_code
    session.save()
    rater.enters()
    rater.consents()
    owners = set(rater.row.rating_items.values_list("photo__trial__participant", flat=True))
    assert owners == {other.pk}


def test_each_photo_gets_k_ratings_spread_evenly_and_never_twice_to_a_rater(
    photo_participant, make_rating_study, rater_of
):
    for _ in range(6):
        photo_participant()
    study = make_rating_study(slug="even", ratings_per_photo=2, photos_per_rater=3, attention_checks=0)
    raters = [rater_of(study) for _ in range(4)]

    for n, rater in enumerate(raters, start=1):
        rater.enters()
        rater.consents()
        photos = assigned_photos(rater)
        assert len(photos) == len(set(photos)) == 3  # never the same photo twice
        held = Counter(RatingItem.objects.filter(photo__isnull=False).values_list("photo_id", flat=True))
        # Least-held first: after every rater, no photo is more than one assignment ahead of another.
        counts = [held.get(photo.pk, 0) for photo in Photo.objects.all()]
        assert max(counts) - min(counts) <= 1, (n, counts)

    assert sorted(RatingQuota.objects.values_list("assigned", flat=True)) == [2] * 6
    assert set(held.values()) == {2}
    # Every place is taken: the next rater is not admitted.
    late = rater_of(study)
    assert late.enters().status_code == 200 and late.code is None


def test_the_rater_order_is_seeded_and_stored(photo_participant, make_rating_study, rater_of):
    for _ in range(8):
        photo_participant()
    study = make_rating_study(slug="seeded", ratings_per_photo=8, photos_per_rater=8, attention_checks=2)
    rater = rater_of(study)
    rater.enters()
    rater.consents()
    row = rater.row
    stored = list(row.rating_items.order_by("index").values_list("kind", "photo_id", "expected_label"))
    assert row.condition_order == [kind for kind, _, _ in stored]

    # The same seed over the same photos gives the same order; the order is not the photo id order.
    RatingItem.objects.filter(rater=row).delete()
    RatingQuota.objects.update(assigned=0)
    again = assign_items(rater=row, seed=row.order_seed)
    assert [(i.kind, i.photo_id, i.expected_label) for i in again] == stored
    photo_order = [photo for _, photo, _ in stored if photo]
    assert photo_order != sorted(photo_order)


def test_a_photo_at_k_is_never_taken_again_even_if_the_counts_were_read_before(photo_participant, rating_study):
    """The conditional UPDATE, not the earlier read, decides: a stale candidate list cannot exceed k."""
    import random

    from experiments.ratings.assignment import _claim

    photo = Photo.objects.get(trial__participant=photo_participant())
    rng = random.Random(0)
    assert _claim(rating_study, [photo.pk], k=2, wanted=1, rng=rng) == [photo.pk]
    assert _claim(rating_study, [photo.pk], k=2, wanted=1, rng=rng) == [photo.pk]
    assert _claim(rating_study, [photo.pk], k=2, wanted=1, rng=rng) == []
    assert RatingQuota.objects.get().assigned == 2
