"""Settings of the processes the fault tests start (gunicorn, worker, beat): production, DEBUG off, with
short recovery windows that still pass the recovery-window check every worker runs at start.

TLS is the proxy's job (deploy/nginx.conf.template): these processes are spoken to over plain HTTP, as the
proxy speaks to gunicorn, so the HTTPS redirect and secure cookies are off, unless FER_BEHIND_TLS=1
(tests/reliability/test_proxy.py puts the real proxy in front). Static files are served without the
collectstatic manifest.
"""

import os

from fer_study.settings import *  # noqa: F403
from fer_study.settings import CELERY_BEAT_SCHEDULE, STORAGES

# Production: a 30 s time limit, abandoned after 60 s, stale after 120 s, swept every 30 s.
CLASSIFICATION_TIME_LIMIT = int(os.environ.get("CLASSIFICATION_TIME_LIMIT", "3"))
CLASSIFICATION_ABANDONED_AFTER = int(os.environ.get("CLASSIFICATION_ABANDONED_AFTER", "4"))
CLASSIFICATION_STALE_AFTER = int(os.environ.get("CLASSIFICATION_STALE_AFTER", "2"))
SWEEP_EVERY = int(os.environ.get("CLASSIFICATION_SWEEP_EVERY", "1"))
CELERY_BEAT_SCHEDULE = {  # a new dict: importing this module must not change fer_study.settings
    **CELERY_BEAT_SCHEDULE,
    "requeue-stale-classifications": {**CELERY_BEAT_SCHEDULE["requeue-stale-classifications"],
                                      "schedule": SWEEP_EVERY, "options": {"expires": SWEEP_EVERY}},
}
HEARTBEAT_EVERY = int(os.environ.get("HEARTBEAT_EVERY", "1"))
CELERY_BEAT_MAX_LOOP_INTERVAL = HEARTBEAT_EVERY

if os.environ.get("FER_BEHIND_TLS") != "1":  # behind the real proxy (test_proxy.py) everything stays as in production
    SECURE_SSL_REDIRECT = False
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
    SECURE_HSTS_SECONDS = 0
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
