"""What a rater's answers change. Each function locks the rater at their current item (the shared
step machinery of `experiments.participation.services`) and moves the pointer once, so a double
click or a replayed request stores nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ..models import Participant, Rating, RatingItem
from ..participation import steps
from ..participation.services import OutOfStep, advance, at_position
from ..participation.steps import Position


def photo_is_available(item: RatingItem) -> bool:
    """The item's photo can still be shown (not withdrawn, not deleted by the photo policy)."""
    if item.kind != RatingItem.Kind.PHOTO:
        return True
    photo = item.photo
    return photo is not None and photo.deleted_at is None and bool(photo.file)


MAX_RESPONSE_MS = 24 * 3600 * 1000  # longer than a day is not a response time: recorded as unknown


def _response_ms(client_timings: dict, shown_at: datetime | None, now: datetime) -> int | None:
    """The client's own measure (shown → answered) when sent, else the server's; None beyond a day."""
    shown_ms, answered_ms = client_timings.get("shown_ms"), client_timings.get("answered_ms")
    if shown_ms is not None and answered_ms is not None and answered_ms >= shown_ms:
        measured = answered_ms - shown_ms
    elif shown_at is not None:
        measured = int((now - shown_at).total_seconds() * 1000)
    else:
        return None
    return measured if measured <= MAX_RESPONSE_MS else None


def record_answer(
    *,
    participant: Participant,
    index: int,
    label: str,
    felt_guess: str = "",
    confidence: int | None = None,
    client_timings: dict | None = None,
) -> RatingItem:
    """A rater's answer to their current item: a Rating for a photo, pass/fail for an attention check."""
    position = Position(steps.RATE, index)
    client_timings = client_timings or {}
    with at_position(participant, position) as rater:
        item = rater.rating_items.select_related("photo").filter(index=index).first()
        if item is None:  # released while the page was open (`abandoned`): nothing to answer
            raise OutOfStep(rater)
        now = timezone.now()
        item.answer_label = label
        item.client_timings = {**client_timings, "server_answered": now.isoformat()}
        item.status = RatingItem.Status.ANSWERED
        if item.kind == RatingItem.Kind.INSTRUCTION_CHECK:
            item.passed = label == item.expected_label
        elif photo_is_available(item):
            Rating.objects.create(
                rater=rater,
                photo=item.photo,
                label=label,
                felt_guess=felt_guess,
                confidence=confidence,
                response_ms=_response_ms(client_timings, item.started_at, now),
            )
        else:  # withdrawn or deleted while the page was open: nothing to record
            item.status = RatingItem.Status.SKIPPED
        item.save(update_fields=["answer_label", "client_timings", "status", "passed"])
        advance(rater, leaving=position)
        return item


def skip_unavailable(*, participant: Participant, index: int) -> Position:
    """Pass over an item whose photo was withdrawn or deleted after it was assigned."""
    position = Position(steps.RATE, index)
    with at_position(participant, position) as rater:
        if not rater.rating_items.filter(index=index).update(status=RatingItem.Status.SKIPPED):
            raise OutOfStep(rater)  # released meanwhile
        return advance(rater, leaving=position)
