"""Celery tasks of the rating studies: thin, policy in the decorator."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .abandoned import abandoned_raters, release_abandoned

log = logging.getLogger(__name__)


# No retries: the job is idempotent and beat runs it again shortly, which is the retry.
@shared_task(ignore_result=True, soft_time_limit=240, time_limit=300)
def release_abandoned_items() -> int:
    """Raters idle for RATING_ITEM_RELEASE_AFTER seconds give their unanswered photos back to the pool."""
    idle_since = timezone.now() - timedelta(seconds=settings.RATING_ITEM_RELEASE_AFTER)
    raters = list(abandoned_raters(idle_since).values_list("pk", flat=True))
    freed = sum(release_abandoned(rater_id=pk, idle_since=idle_since) for pk in raters)
    if raters:
        log.info("idle raters: %d; photo places given back: %d", len(raters), freed)
    return freed
