"""The recovery windows must fit together; `manage.py check` (and so migrate, and every worker and beat
at start) refuses windows that would let a fault wait on the wrong clock.

A classification whose message was lost (a broker restart) is sent again by the sweeper once it was
sent CLASSIFICATION_STALE_AFTER ago; one whose worker died mid-task once it was also claimed
CLASSIFICATION_ABANDONED_AFTER ago. The sweeper runs every CLASSIFICATION_SWEEP_EVERY seconds, so:

    worst case = max(CLASSIFICATION_STALE_AFTER, CLASSIFICATION_ABANDONED_AFTER) + CLASSIFICATION_SWEEP_EVERY

plus the time to classify. The README states this figure beside the measured ones.
"""

from django.conf import settings
from django.core import checks

TAG = "recovery"


def windows() -> dict[str, int]:
    from .tasks import MISSING_FILE_RETRIES, classify_photo

    return {
        "time_limit": classify_photo.time_limit,
        "longest_retry_countdown": max(classify_photo.retry_backoff_max, 2 ** MISSING_FILE_RETRIES),
        "stale_after": settings.CLASSIFICATION_STALE_AFTER,
        "abandoned_after": settings.CLASSIFICATION_ABANDONED_AFTER,
        "sweep_every": settings.CELERY_BEAT_SCHEDULE["requeue-stale-classifications"]["schedule"],
        "visibility_timeout": settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"],
    }


def worst_case_recovery_seconds(w: dict[str, int]) -> int:
    """The longest a lost or abandoned classification waits before it is sent again.

    >>> worst_case_recovery_seconds({"stale_after": 120, "abandoned_after": 60, "sweep_every": 30})
    150
    """
    return max(w["stale_after"], w["abandoned_after"]) + w["sweep_every"]


def problems(w: dict[str, int]) -> list[checks.CheckMessage]:
    """The windows that do not fit together, as Django system check errors.

    >>> shipped = {"time_limit": 30, "longest_retry_countdown": 120, "stale_after": 120, "abandoned_after": 60,
    ...            "sweep_every": 30, "visibility_timeout": 600}
    >>> problems(shipped)
    []
    >>> [message.id for message in problems({**shipped, "abandoned_after": 20})]
    ['experiments.E101', 'experiments.E103']
    """
    found = []
    if w["abandoned_after"] <= w["time_limit"]:
        found.append(checks.Error(
            f"CLASSIFICATION_ABANDONED_AFTER ({w['abandoned_after']} s) must be longer than the classification "
            f"time limit ({w['time_limit']} s), or the sweeper hands a photo a live worker is classifying to another.",
            id="experiments.E101"))
    if w["visibility_timeout"] <= w["time_limit"] + w["longest_retry_countdown"]:
        found.append(checks.Error(
            f"CELERY_VISIBILITY_TIMEOUT ({w['visibility_timeout']} s) must be longer than the time limit plus the "
            f"longest retry countdown ({w['time_limit'] + w['longest_retry_countdown']} s), or Redis delivers a "
            "running or waiting task a second time.", id="experiments.E102"))
    if w["sweep_every"] > min(w["stale_after"], w["abandoned_after"]):
        found.append(checks.Error(
            f"CLASSIFICATION_SWEEP_EVERY ({w['sweep_every']} s) must not be longer than CLASSIFICATION_STALE_AFTER "
            "and CLASSIFICATION_ABANDONED_AFTER: recovery would wait for the sweep rather than the windows.",
            id="experiments.E103"))
    return found


@checks.register(TAG)
def recovery_windows(app_configs=None, **kwargs):
    return problems(windows())
