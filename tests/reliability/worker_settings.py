"""Settings of the worker processes started by the fault tests: the project's, with short recovery windows.

They still pass the recovery-window check (experiments/checks.py), which every worker runs at start.
"""

import os

from fer_study.settings import *  # noqa: F403
from fer_study.settings import CELERY_BEAT_SCHEDULE

# Production: a 30 s time limit, abandoned after 60 s, stale after 120 s, swept every 30 s.
CLASSIFICATION_TIME_LIMIT = int(os.environ.get("CLASSIFICATION_TIME_LIMIT", "3"))
CLASSIFICATION_ABANDONED_AFTER = int(os.environ.get("CLASSIFICATION_ABANDONED_AFTER", "4"))
CLASSIFICATION_STALE_AFTER = int(os.environ.get("CLASSIFICATION_STALE_AFTER", "2"))
CELERY_BEAT_SCHEDULE["requeue-stale-classifications"]["schedule"] = 1
HEARTBEAT_EVERY = int(os.environ.get("HEARTBEAT_EVERY", "1"))
