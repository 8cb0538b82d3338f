"""Raters who leave mid-study: their unanswered photos go back to the pool, and where they land on return.

A rater holds their photos from consent on (`assignment`), so one who closes the tab would keep those
photos from ever reaching k ratings. Beat runs `tasks.release_abandoned_items`: a rater of a live
rating study with no sign of life (consent, an item reached or answered) for
`settings.RATING_ITEM_RELEASE_AFTER` seconds loses their pending items; what they answered stays.
Their pointer stays on the first released index, which now names no item.

A released rater who comes back (`continue_after_release`) is given the rest of their share from the
photos open at that moment, with the study locked as at consent; if none is left, or the study has
closed, they go to the debrief and finish with the ratings they gave.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from ..models import Experiment, Participant, RatingItem
from ..participation import steps
from ..participation.services import at_position, time_key
from ..participation.steps import Position
from . import assignment


def abandoned_raters(idle_since: datetime) -> QuerySet[Participant]:
    """Raters of live rating studies holding photos unanswered, with no sign of life since `idle_since`."""
    pending = RatingItem.objects.filter(rater=OuterRef("pk"), status=RatingItem.Status.PENDING, photo__isnull=False)
    # An item is reached (started_at) when the previous one is answered, the first one at consent.
    lively = RatingItem.objects.filter(rater=OuterRef("pk")).filter(
        Q(started_at__gte=idle_since) | Q(completed_at__gte=idle_since)
    )
    return Participant.objects.filter(
        Exists(pending),
        ~Exists(lively),
        experiment__kind=Experiment.Kind.RATING,
        experiment__status=Experiment.Status.LIVE,
        status__in=[Participant.Status.CONSENTED, Participant.Status.IN_PROGRESS],
        consented_at__lt=idle_since,
    )


def release_abandoned(*, rater_id: int, idle_since: datetime) -> int:
    """Release this rater's pending items if they are still idle once their row is locked; returns
    how many photo places were freed.

    Answers take the same lock (`at_position`), so an answer arriving now is either stored first (and
    is a sign of life: nothing is released) or finds its item gone and is sent on (`OutOfStep`).
    """
    with transaction.atomic():
        try:
            rater = Participant.objects.select_for_update().get(pk=rater_id)
        except Participant.DoesNotExist:
            return 0
        if not abandoned_raters(idle_since).filter(pk=rater.pk).exists():  # read after the lock: fresh
            return 0
        here = steps.current_position(rater)
        freed = assignment.release_items(rater=rater, pending_only=True)
        rater.condition_order = list(rater.rating_items.order_by("index").values_list("kind", flat=True))
        rater.step_times = {**rater.step_times, f"{time_key(here)}.released": timezone.now().isoformat()}
        rater.save(update_fields=["condition_order", "step_times"])
        return freed


def is_released(participant: Participant, position: Position) -> bool:
    """A rater whose pointer names an item that is gone: released while they were away."""
    return (
        position.step == steps.RATE
        and steps.is_rater(participant)
        and not participant.rating_items.filter(index=position.index).exists()
    )


def continue_after_release(*, participant: Participant, own_codes: Collection[str] = ()) -> Position:
    """Where a released rater goes on: new items for the rest of their share, else the debrief.

    `own_codes` as at consent (the photo participants this browser was), so they never get their own.
    """
    here = steps.current_position(participant)
    with at_position(participant, here) as rater:
        if not is_released(rater, here):
            return here  # another of their requests was first
        assignment.lock_study(rater.experiment_id)
        items = []
        if rater.experiment.status == Experiment.Status.LIVE:
            items = assignment.assign_items(rater=rater, seed=rater.order_seed or 0, own_codes=own_codes)
        now = timezone.now()
        if items:
            arriving = Position(steps.RATE, items[0].index)
            RatingItem.objects.filter(pk=items[0].pk).update(started_at=now)
            rater.trial_pointer = arriving.index
        else:
            arriving = Position(steps.DEBRIEF)
        rater.step = arriving.step
        rater.condition_order = list(rater.rating_items.order_by("index").values_list("kind", flat=True))
        rater.step_times = {**rater.step_times, f"{time_key(arriving)}.again": now.isoformat()}
        rater.save(update_fields=["step", "trial_pointer", "condition_order", "step_times"])
        return arriving
