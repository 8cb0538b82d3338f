"""Raters who leave mid-study give their unanswered photos back, and find their way on when they return."""

import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import F

from experiments.models import Participant, Rating, RatingItem, RatingQuota
from experiments.participation import steps
from experiments.participation.services import OutOfStep
from experiments.ratings.photo_access import photo_url
from experiments.ratings.services import record_answer
from experiments.ratings.tasks import release_abandoned_items
from tests.concurrency import at_the_same_time, needs_row_locks  # noqa: F401 (fixture)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def release_after_two_hours(settings):
    settings.RATING_ITEM_RELEASE_AFTER = 2 * 3600


def goes_idle(rater, hours=3):
    """The rater closed the tab `hours` ago: their consent and every item reached or answered move back."""
    ago = timedelta(hours=hours)
    Participant.objects.filter(pk=rater.row.pk).update(consented_at=F("consented_at") - ago)
    RatingItem.objects.filter(rater=rater.row).update(started_at=F("started_at") - ago,
                                                      completed_at=F("completed_at") - ago)


def starts(rater):
    rater.enters()
    rater.consents()
    assert rater.row.step == steps.RATE
    return rater


def photos_of(rater, **status) -> set[int]:
    return set(rater.row.rating_items.filter(photo__isnull=False, **status).values_list("photo_id", flat=True))


def assert_quotas_match_the_items():
    held = Counter(RatingItem.objects.filter(photo__isnull=False).values_list("photo_id", flat=True))
    assert {pk: n for pk, n in RatingQuota.objects.values_list("photo_id", "assigned") if n} == dict(held)


def test_an_idle_raters_pending_photos_go_to_the_next_rater(photo_participant, make_rating_study, rater_of):
    for _ in range(4):
        photo_participant()
    study = make_rating_study(slug="idle", ratings_per_photo=1, photos_per_rater=2, attention_checks=1)
    gone, busy = starts(rater_of(study)), starts(rater_of(study))
    gone.rates()  # the first item is always a photo
    answered, pending = photos_of(gone, status="answered"), photos_of(gone, status="pending")
    busy_items = list(busy.row.rating_items.values_list("pk", "photo_id", "status"))
    goes_idle(gone)
    goes_idle(busy)
    busy.rates()  # idle for hours, then back: a sign of life
    late = rater_of(study)
    assert late.enters().status_code == 200 and late.code is None  # every photo is held

    assert release_abandoned_items() == 1

    row = gone.row
    assert row.rating_items.filter(status=RatingItem.Status.PENDING).count() == 0
    assert photos_of(gone) == answered and Rating.objects.filter(rater=row).count() == 1
    assert row.condition_order == list(row.rating_items.values_list("kind", flat=True))
    assert RatingQuota.objects.get(photo_id__in=pending).assigned == 0
    assert [pk for pk, _, _ in busy_items] == list(busy.row.rating_items.values_list("pk", flat=True))
    assert_quotas_match_the_items()
    assert release_abandoned_items() == 0  # nothing twice
    starts(late)
    assert photos_of(late) == pending


def test_active_raters_closed_studies_and_raters_left_with_only_checks_keep_their_items(
    photo_participant, make_rating_study, rater_of
):
    for _ in range(3):
        photo_participant()
    fresh = starts(rater_of(make_rating_study(slug="fresh", attention_checks=0)))
    closed_study = make_rating_study(slug="closed", attention_checks=0)
    closing = starts(rater_of(closed_study))
    on_a_check = starts(rater_of(make_rating_study(slug="check-last", photos_per_rater=1, attention_checks=1)))
    on_a_check.rates()
    goes_idle(closing)
    goes_idle(on_a_check)
    closed_study.close()
    goes_idle(fresh, hours=1)  # under the two-hour default

    assert release_abandoned_items() == 0
    assert len(photos_of(fresh, status="pending")) == 3 and len(photos_of(closing, status="pending")) == 3
    assert on_a_check.item.kind == RatingItem.Kind.INSTRUCTION_CHECK  # no photo held: nothing to give back


def test_a_quota_never_drops_below_zero(photo_participant, make_rating_study, rater_of):
    photo_participant()
    rater = starts(rater_of(make_rating_study(slug="zero", attention_checks=0)))
    RatingQuota.objects.update(assigned=0)  # e.g. counts repaired by hand meanwhile
    goes_idle(rater)
    assert release_abandoned_items() == 0
    assert not rater.row.rating_items.exists() and RatingQuota.objects.get().assigned == 0


def test_a_released_rater_who_returns_rates_fresh_photos_to_the_end(photo_participant, make_rating_study, rater_of):
    for _ in range(3):
        photo_participant()
    study = make_rating_study(slug="back", ratings_per_photo=1, photos_per_rater=2, attention_checks=1)
    rater = starts(rater_of(study))
    rater.rates()
    kept = photos_of(rater, status="answered")
    released_at = rater.here
    goes_idle(rater)
    assert release_abandoned_items() == 1

    assert rater.enters().url == released_at  # the study link still lands where they left
    response = rater.client.get(released_at)
    assert response.status_code == 302 and rater.row.step == steps.RATE
    assert rater.client.get(response.url).status_code == 200
    row = rater.row
    assert Counter(row.rating_items.values_list("kind", flat=True)) == {"photo": 2, "instruction_check": 1}
    assert row.condition_order == list(row.rating_items.values_list("kind", flat=True))
    assert rater.item.started_at is not None and row.step_times[f"trial{row.trial_pointer + 1}.rate.again"]
    assert_quotas_match_the_items()

    while rater.row.step == steps.RATE:
        assert rater.rates().status_code == 302
    rater.finishes()
    assert rater.row.status == Participant.Status.COMPLETED
    assert kept < photos_of(rater) and Rating.objects.filter(rater=rater.row).count() == 2


def test_a_released_rater_with_nothing_left_finishes_with_their_ratings(
    photo_participant, make_rating_study, rater_of
):
    for _ in range(2):
        photo_participant()
    study = make_rating_study(slug="taken", ratings_per_photo=1, photos_per_rater=2, attention_checks=0)
    rater = starts(rater_of(study))
    rater.rates()
    index, shown = rater.row.trial_pointer, photo_url(rater.code, rater.item.photo_id)
    assert rater.client.get(shown).status_code == 200
    goes_idle(rater)
    assert release_abandoned_items() == 1
    assert rater.client.get(shown).status_code == 404  # the released photo is shown no more
    starts(rater_of(study))  # takes the released photo: none is open now
    with pytest.raises(OutOfStep):  # an answer from a tab left open finds nothing to answer
        record_answer(participant=rater.row, index=index, label="happy")

    response = rater.client.post(rater.here, {"label": "happy", "felt_guess": "sad", "confidence": 5})
    assert response.url == steps.url_for(rater.row, steps.Position(steps.DEBRIEF))
    assert rater.row.step == steps.DEBRIEF and not rater.row.rating_items.filter(status="pending").exists()
    done = rater.client.get(rater.finishes().url)
    assert rater.row.status == Participant.Status.COMPLETED and b"R4TED" in done.content
    assert Rating.objects.filter(rater=rater.row).count() == 1


@pytest.mark.usefixtures("needs_row_locks")
def test_an_answer_at_the_moment_of_release_is_stored_or_sent_on_never_half(
    photo_participant, make_rating_study, rater_of
):
    for _ in range(4):
        photo_participant()
    study = make_rating_study(slug="race", ratings_per_photo=1, photos_per_rater=3, attention_checks=0)
    rater = starts(rater_of(study))
    rater.rates()
    url, answer = rater.here, rater.answer(rater.item)
    goes_idle(rater)

    freed, response = at_the_same_time(release_abandoned_items, lambda: rater.client.post(url, answer))

    assert response.status_code == 302
    answered = rater.row.rating_items.filter(status=RatingItem.Status.ANSWERED)
    assert set(Rating.objects.values_list("photo_id", flat=True)) == set(answered.values_list("photo_id", flat=True))
    if freed:  # the release was first: the answer found its item gone and is sent to new photos
        assert answered.count() == 1 and freed == 2
    else:  # the answer was first and counts as a sign of life
        assert answered.count() == 2 and rater.row.rating_items.count() == 3
    assert_quotas_match_the_items()


def test_beat_runs_the_release_as_a_task_the_worker_registers():
    entry = settings.CELERY_BEAT_SCHEDULE["release-abandoned-rating-items"]
    # A fresh process, as a worker starts: the task must come from autodiscovery, not from this test's imports.
    script = ("import django; django.setup(); from fer_study.celery import app; "
              "app.loader.import_default_modules(); print(' '.join(app.tasks))")
    registered = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                                cwd=Path(__file__).resolve().parents[2]).stdout.split()
    assert entry["task"] in registered and entry["task"] == release_abandoned_items.name
    assert entry["schedule"] > 0
