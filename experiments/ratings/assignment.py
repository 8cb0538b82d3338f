"""Which photos a rater rates.

A photo is eligible when its participant (in one of the rating study's source experiments) consented
to `photos_for_rating` and has not withdrawn, the photo is still stored, and at least one model found
a face in it (classification status done).

Each photo is held by at most k = `ratings_per_photo` raters. The count is a `RatingQuota` row per
(rating study, photo), taken with a conditional UPDATE (`assigned < k`) whose row count is checked, so
the database, not the order of requests, keeps a photo at k. Raters take the least-held photos first
(ties broken at random), which spreads ratings evenly. Assignment runs inside the consent transaction
after `Experiment.take_slot()` has updated (and so row-locked) the experiment, so raters arriving at
once are assigned one after the other and each sees the counts the previous one left.

A rater never sees their own photos. A rater is matched to photo participants
  - by recruitment id: the same PROLIFIC_PID / pid (`Participant.external_id`) in a source experiment;
  - by browser: the photo participants' public codes remembered in the rater's Django session
    (`study:<slug>` keys, set when that browser took the photo study).
A rater is one `Participant` of the rating study, and a photo appears in their list at most once
(unique constraint on `RatingItem(rater, photo)`).
"""

from __future__ import annotations

import random
from collections.abc import Collection

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from ..models import Classification, Experiment, Participant, Photo, RatingItem, RatingQuota

INSTRUCTION_CHECK = RatingItem.Kind.INSTRUCTION_CHECK


def setting(experiment: Experiment, name: str):
    """A value of the configuration frozen at launch (the field's value for studies frozen before it existed)."""
    frozen = experiment.frozen_config or {}
    return frozen[name] if name in frozen else getattr(experiment, name)


def eligible_photos(rating_experiment: Experiment) -> QuerySet[Photo]:
    """Photos the rating study may show: consented, not withdrawn, stored, a face found by some model."""
    face_found = Classification.objects.filter(photo=OuterRef("pk"), status=Classification.Status.DONE)
    return (
        Photo.objects.present()
        .exclude(file="")
        .filter(
            Exists(face_found),
            trial__participant__experiment__in=rating_experiment.source_experiments.all(),
            trial__participant__photos_for_rating=True,
        )
        .exclude(trial__participant__status__in=[Participant.Status.WITHDRAWN, Participant.Status.DECLINED])
    )


def own_participants(rater: Participant, own_codes: Collection[str] = ()) -> QuerySet[Participant]:
    """Photo participants who are this rater: same recruitment id, or remembered by the same browser."""
    same_person = Q(public_code__in=list(own_codes))
    if rater.external_id:
        same_person |= Q(external_id=rater.external_id)
    return Participant.objects.filter(same_person, experiment__in=rater.experiment.source_experiments.all())


def open_photos(rating_experiment: Experiment) -> QuerySet[Photo]:
    """Eligible photos still held by fewer than k raters."""
    k = setting(rating_experiment, "ratings_per_photo")
    full = RatingQuota.objects.filter(experiment=rating_experiment, assigned__gte=k).values("photo_id")
    return eligible_photos(rating_experiment).exclude(pk__in=full)


def has_photos_to_rate(rating_experiment: Experiment) -> bool:
    return open_photos(rating_experiment).exists()


def _claim(
    rating_experiment: Experiment, photo_ids: list[int], *, k: int, wanted: int, rng: random.Random
) -> list[int]:
    """Take up to `wanted` of these photos, least held first; each claim is a conditional UPDATE."""
    RatingQuota.objects.bulk_create(
        [RatingQuota(experiment=rating_experiment, photo_id=pk) for pk in photo_ids], ignore_conflicts=True
    )
    quotas = RatingQuota.objects.filter(experiment=rating_experiment, photo_id__in=photo_ids, assigned__lt=k)
    held = dict(quotas.values_list("photo_id", "assigned"))
    candidates = sorted(held, key=lambda pk: (held[pk], rng.random()))
    claimed: list[int] = []
    for pk in candidates:
        if len(claimed) == wanted:
            break
        taken = RatingQuota.objects.filter(experiment=rating_experiment, photo_id=pk, assigned__lt=k).update(
            assigned=F("assigned") + 1
        )
        if taken:  # 0 when another rater took the last place meanwhile
            claimed.append(pk)
    return claimed


def assign_items(*, rater: Participant, seed: int, own_codes: Collection[str] = ()) -> list[RatingItem]:
    """Create the rater's items: their photos and attention checks, in a seeded random order.

    Call inside the consent transaction. Returns the items in order (possibly none).
    """
    experiment = rater.experiment
    rng = random.Random(seed)
    photo_ids = list(
        open_photos(experiment)
        .exclude(trial__participant__in=own_participants(rater, own_codes))
        .exclude(rating_items__rater=rater)
        .values_list("pk", flat=True)
    )
    claimed = _claim(experiment, photo_ids, k=setting(experiment, "ratings_per_photo"),
                     wanted=setting(experiment, "photos_per_rater"), rng=rng)
    rng.shuffle(claimed)
    kinds: list[tuple[str, int | None, str]] = [(RatingItem.Kind.PHOTO, pk, "") for pk in claimed]
    if claimed:
        for _ in range(setting(experiment, "attention_checks")):
            # Never first, so the rater has seen how an item works before a check.
            at = rng.randint(1, len(kinds))
            kinds.insert(at, (INSTRUCTION_CHECK, None, rng.choice(setting(experiment, "labels"))))
    items = [
        RatingItem(rater=rater, index=index, kind=kind, photo_id=photo_id, expected_label=expected)
        for index, (kind, photo_id, expected) in enumerate(kinds)
    ]
    return RatingItem.objects.bulk_create(items)


def release_items(*, rater: Participant) -> int:
    """A withdrawing rater's photos go back to the pool (their ratings are deleted); returns how many."""
    photo_ids = list(rater.rating_items.filter(photo__isnull=False).values_list("photo_id", flat=True))
    released = RatingQuota.objects.filter(
        experiment_id=rater.experiment_id, photo_id__in=photo_ids, assigned__gt=0
    ).update(assigned=F("assigned") - 1)
    rater.rating_items.all().delete()
    return released
