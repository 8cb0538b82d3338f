"""Raters take the rating study through the same entry, consent, resume and completion as the photo study."""

import pytest
from django.urls import reverse

from experiments.models import Participant, Rating, RatingItem
from experiments.participation import steps
from experiments.ratings.analysis import attention_frame

pytestmark = pytest.mark.django_db


@pytest.fixture
def six_photos(photo_participant):
    return [photo_participant() for _ in range(6)]


def test_a_rater_rates_each_item_and_gets_the_completion_code(six_photos, rater, rating_study):
    response = rater.enters(PROLIFIC_PID="rater-1", STUDY_ID="s", SESSION_ID="x")
    assert response.status_code == 302
    consent = rater.client.get(rater.here)
    assert consent.status_code == 200 and b"Information and consent" in consent.content
    rater.consents()
    row = rater.row
    assert row.status == Participant.Status.IN_PROGRESS and row.step == steps.RATE
    kinds = list(row.rating_items.values_list("kind", flat=True))
    assert kinds.count(RatingItem.Kind.PHOTO) == 3 and kinds.count(RatingItem.Kind.INSTRUCTION_CHECK) == 1
    assert row.order_seed is not None and row.condition_order == kinds  # the order is stored

    while rater.row.step == steps.RATE:
        item = rater.item
        page = rater.client.get(rater.here)
        assert page.status_code == 200
        assert page["Cache-Control"].startswith("max-age=0")  # never cached: back and reload ask again
        if item.kind == RatingItem.Kind.PHOTO:
            assert b"Which expression does this face show?" in page.content
            assert b"What do you think this person actually felt?" in page.content
            assert b"/image/" in page.content
        else:
            assert b"/image/" not in page.content
        response = rater.rates(label="sad", felt_guess="happy", confidence=6,
                               shown_ms=1_700_000_000_000, answered_ms=1_700_000_002_500)
        assert response.status_code == 302

    assert rater.row.step == steps.DEBRIEF
    rater.finishes()
    done = rater.client.get(rater.here)
    assert rater.row.status == Participant.Status.COMPLETED
    assert b"R4TED" in done.content

    ratings = Rating.objects.filter(rater=rater.row)
    assert ratings.count() == 3
    assert {(r.label, r.felt_guess, r.confidence, r.response_ms) for r in ratings} == {("sad", "happy", 6, 2500)}
    for item in rater.row.rating_items.all():
        assert item.started_at and item.completed_at and item.status == RatingItem.Status.ANSWERED
        assert "server_answered" in item.client_timings


def test_a_rater_who_returns_lands_on_their_current_item(six_photos, rater):
    rater.enters(PROLIFIC_PID="rater-2")
    rater.consents()
    rater.rates()
    current = rater.here
    again = rater.enters(PROLIFIC_PID="rater-2")
    assert again.url == current
    # An earlier item's URL redirects to the current one.
    first = reverse("study_rate", kwargs={"code": rater.code, "number": 1})
    assert rater.client.get(first).url == current


def test_without_felt_guess_only_the_expression_and_confidence_are_asked(six_photos, make_rating_study, rater_of):
    rater = rater_of(make_rating_study(slug="no-guess", ask_felt_guess=False, attention_checks=0))
    rater.enters()
    rater.consents()
    page = rater.client.get(rater.here)
    assert b"actually felt" not in page.content
    assert rater.client.post(rater.here, {"label": "happy", "confidence": 3}).status_code == 302
    assert Rating.objects.get().felt_guess == ""


def test_an_incomplete_answer_is_asked_again(six_photos, make_rating_study, rater_of):
    rater = rater_of(make_rating_study(slug="strict", attention_checks=0))
    rater.enters()
    rater.consents()
    response = rater.client.post(rater.here, {"label": "happy"})
    assert response.status_code == 400
    assert Rating.objects.count() == 0 and rater.row.trial_pointer == 0


def test_a_double_submitted_answer_is_stored_once(six_photos, make_rating_study, rater_of):
    rater = rater_of(make_rating_study(slug="twice", attention_checks=0))
    rater.enters()
    rater.consents()
    url, answer = rater.here, rater.answer(rater.item)
    rater.client.post(url, answer)
    rater.client.post(url, answer)
    assert Rating.objects.count() == 1 and rater.row.trial_pointer == 1


def test_a_rating_study_with_nothing_to_rate_is_not_open(rater):
    response = rater.enters()
    assert response.status_code == 200 and b"not taking participants" in response.content
    assert not Participant.objects.filter(experiment=rater.experiment).exists()


def test_a_draft_rating_study_admits_no_one(six_photos, make_rating_study, rater_of):
    rater = rater_of(make_rating_study(slug="draft", launch=False))
    assert rater.enters().status_code == 404 and rater.code is None  # a draft looks like no study


def test_attention_checks_are_recorded_and_exported(six_photos, make_rating_study, rater_of):
    study = make_rating_study(slug="careful", attention_checks=2, photos_per_rater=2)
    careful, careless = rater_of(study), rater_of(study)
    careful.takes_rating_study()
    careless.enters()
    careless.consents()
    while careless.row.step == steps.RATE:
        item = careless.item
        wrong = "angry" if item.expected_label != "angry" else "happy"
        careless.client.post(careless.here, {"label": wrong, "felt_guess": "happy", "confidence": 4})

    checks = RatingItem.objects.filter(kind=RatingItem.Kind.INSTRUCTION_CHECK)
    assert checks.count() == 4
    assert set(checks.filter(rater=careful.row).values_list("passed", flat=True)) == {True}
    assert set(checks.filter(rater=careless.row).values_list("passed", flat=True)) == {False}
    assert not Rating.objects.filter(photo__isnull=True).exists()  # checks are never ratings

    frame = attention_frame(study)
    assert len(frame) == 4
    assert frame.groupby("rater_id")["passed"].all().sort_values().tolist() == [False, True]
    # A check is never the first item, and the instruction names the label to pick.
    assert not checks.filter(index=0).exists()
    item = RatingItem.objects.filter(rater=careful.row, kind=RatingItem.Kind.INSTRUCTION_CHECK).first()
    assert item.expected_label in study.labels
