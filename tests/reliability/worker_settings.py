"""Settings of the worker processes started by the fault tests: the project's, with short recovery windows."""

import os

from fer_study.settings import *  # noqa: F403

# A row claimed by a worker that died is claimable again after this many seconds (production: 120).
CLASSIFICATION_ABANDONED_AFTER = int(os.environ.get("CLASSIFICATION_ABANDONED_AFTER", "3"))
