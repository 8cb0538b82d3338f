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

A place is given back (`release_items`) when a rater withdraws, or leaves their pending items
unanswered for too long (`abandoned`).
"""

from __future__ import annotations

import random
from collections.abc import Collection

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from ..models import Classification, Experiment, Participant, Photo, RatingItem, RatingQuota

INSTRUCTION_CHECK = RatingItem.Kind.INSTRUCTION_CHECK


def setting(experiment: Experiment, name: str):
    """A value of the study's configuration in force (`Experiment.effective_config`)."""
    return experiment.effective_config()[name]


def eligible_photos(rating_experiment: Experiment) -> QuerySet[Photo]:
    """Photos the rating study may show: consented, not withdrawn, stored, a face found by some model."""
    face_found = Classification.objects.filter(photo=OuterRef("pk"), status=Classification.Status.DONE)
    return (
        Photo.objects.present()
        .exclude(file="")
        .filter(
            Exists(face_found),
            trial__participant__experiment__in=rating_experiment.frozen_sources(),
            trial__participant__photos_for_rating=True,
        )
        .exclude(trial__participant__status__in=[Participant.Status.WITHDRAWN, Participant.Status.DECLINED])
    )


def own_participants(rater: Participant, own_codes: Collection[str] = ()) -> QuerySet[Participant]:
    """Photo participants who are this rater: same recruitment id, or remembered by the same browser."""
    same_person = Q(public_code__in=list(own_codes))
    for panel_id in {rater.external_id, rater.repeated_external_id} - {""}:
        same_person |= Q(external_id=panel_id) | Q(repeated_external_id=panel_id)
    return Participant.objects.filter(same_person, experiment__in=rater.experiment.frozen_sources())


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


def lock_study(experiment_id: int) -> None:
    """Lock the rating study's row. Assignment holds it from `take_slot` on, so a release waits for an
    assignment in progress instead of the two waiting on each other's quota rows."""
    list(Experiment.objects.select_for_update().filter(pk=experiment_id).values_list("pk"))


def assign_items(*, rater: Participant, seed: int, own_codes: Collection[str] = ()) -> list[RatingItem]:
    """Create the rater's items after any they still hold: their photos and attention checks, in a
    seeded random order. At consent that is the whole share; for a rater whose pending items were
    released (`abandoned`), the rest of it.

    Call with the rating study's row locked (at consent, after `take_slot`). Returns the new items in
    order (possibly none).
    """
    experiment = rater.experiment
    kept = list(rater.rating_items.values_list("index", "kind"))
    start = max((index for index, _ in kept), default=-1) + 1
    rng = random.Random(seed + start)  # a top-up draws its own stream, still reproducible from the stored seed
    kept_photos = sum(kind == RatingItem.Kind.PHOTO for _, kind in kept)
    photo_ids = list(
        open_photos(experiment)
        .exclude(trial__participant__in=own_participants(rater, own_codes))
        .exclude(rating_items__rater=rater)
        .values_list("pk", flat=True)
    )
    claimed = _claim(experiment, photo_ids, k=setting(experiment, "ratings_per_photo"),
                     wanted=max(setting(experiment, "photos_per_rater") - kept_photos, 0), rng=rng)
    rng.shuffle(claimed)
    kinds: list[tuple[str, int | None, str]] = [(RatingItem.Kind.PHOTO, pk, "") for pk in claimed]
    if claimed:
        for _ in range(setting(experiment, "attention_checks") - (len(kept) - kept_photos)):
            # Never first, so the rater has seen how an item works before a check.
            at = rng.randint(1, len(kinds))
            kinds.insert(at, (INSTRUCTION_CHECK, None, rng.choice(setting(experiment, "labels"))))
    items = [
        RatingItem(rater=rater, index=index, kind=kind, photo_id=photo_id, expected_label=expected)
        for index, (kind, photo_id, expected) in enumerate(kinds, start=start)
    ]
    return RatingItem.objects.bulk_create(items)


def release_items(*, rater: Participant, pending_only: bool = False) -> int:
    """Give the rater's photos back to the pool; returns how many places were freed.

    Withdrawal releases every item (their ratings are deleted too); an abandoned session only the
    pending ones, so what was answered stays. Call with the rater's row locked, as answers lock it.
    """
    items = rater.rating_items.all()
    if pending_only:
        items = items.filter(status=RatingItem.Status.PENDING)
    held = list(items.values_list("pk", "photo_id"))
    if not held:
        return 0
    lock_study(rater.experiment_id)
    quotas = RatingQuota.objects.filter(experiment_id=rater.experiment_id, assigned__gt=0)  # never below 0
    freed = 0
    for pk, photo_id in held:
        deleted, _ = items.filter(pk=pk).delete()  # conditional: an item answered since the read stays
        if deleted and photo_id is not None:
            freed += quotas.filter(photo_id=photo_id).update(assigned=F("assigned") - 1)
    return freed
