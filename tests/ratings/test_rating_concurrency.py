"""Raters arriving at once never push a photo beyond k: the database decides, not the order of requests.

These need real row locks, so they run on PostgreSQL (CI) and are skipped on SQLite.
"""

import random
from collections import Counter

import pytest
from django.db import transaction

from experiments.models import Photo, RatingItem, RatingQuota
from experiments.ratings.assignment import _claim
from tests.concurrency import at_the_same_time, needs_row_locks  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("needs_row_locks")]


def test_raters_consenting_at_once_never_push_a_photo_beyond_k(photo_participant, make_rating_study, rater_of):
    for _ in range(4):
        photo_participant()
    study = make_rating_study(slug="rush", ratings_per_photo=2, photos_per_rater=3, attention_checks=1)
    raters = [rater_of(study) for _ in range(6)]
    for rater in raters:
        rater.enters()
    urls = [rater.here for rater in raters]

    at_the_same_time(*[
        lambda rater=rater, url=url: rater.client.post(url, {"agree": "1"})
        for rater, url in zip(raters, urls, strict=True)
    ])

    held = Counter(RatingItem.objects.filter(photo__isnull=False).values_list("photo_id", flat=True))
    assert set(held.values()) == {2}  # all 4 x k=2 places are taken, none twice over
    assert dict(RatingQuota.objects.values_list("photo_id", "assigned")) == dict(held)
    for rater in raters:
        photos = list(rater.row.rating_items.filter(photo__isnull=False).values_list("photo_id", flat=True))
        assert len(photos) == len(set(photos))
    assert sum(held.values()) == 8


def test_simultaneous_claims_on_one_photo_stop_at_k(photo_participant, rating_study):
    """The conditional UPDATE alone holds the line, whatever each claimant read before."""
    photo = Photo.objects.get(trial__participant=photo_participant())

    def claim():
        with transaction.atomic():
            return _claim(rating_study, [photo.pk], k=2, wanted=1, rng=random.Random())

    results = at_the_same_time(*[claim for _ in range(8)])
    assert sum(len(r) for r in results) == 2
    assert RatingQuota.objects.get(photo=photo).assigned == 2
