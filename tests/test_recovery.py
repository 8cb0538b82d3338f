"""Recovery windows that fit together, checked at start; workers' heartbeats on the live page; the
worked examples of the fault-handling modules."""

import doctest
import importlib
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from experiments.checks import problems, windows, worst_case_recovery_seconds
from experiments.models import Heartbeat

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["experiments.checks", "experiments.circuits", "experiments.ratelimits"])
def test_the_worked_examples_hold(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0


def test_the_shipped_windows_fit_and_bound_recovery_to_two_and_a_half_minutes():
    assert problems(windows()) == []
    assert worst_case_recovery_seconds(windows()) == 150  # the figure the README states


def manage_py_check(**env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CLASSIFICATION_")} | env
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120)


def test_windows_that_do_not_fit_stop_the_start(tmp_path):
    """An abandoned window shorter than the task's time limit would hand a running photo to a second worker."""
    refused = manage_py_check(CLASSIFICATION_ABANDONED_AFTER="20")
    worker = subprocess.run([sys.executable, "-m", "celery", "-A", "fer_study", "worker", "--pool=solo"],
                            cwd=ROOT, env={**os.environ, "CLASSIFICATION_TIME_LIMIT": "90"},
                            capture_output=True, text=True, timeout=120)

    assert refused.returncode != 0 and "experiments.E101" in refused.stderr
    assert "CLASSIFICATION_ABANDONED_AFTER (20 s) must be longer" in refused.stderr
    assert worker.returncode != 0 and "experiments.E101" in worker.stderr + worker.stdout


@pytest.mark.django_db
def test_the_live_page_shows_whether_workers_are_alive(client, researcher, experiment, settings):
    now = timezone.now()
    Heartbeat.objects.create(name="celery@alive", kind="worker", started_at=now, seen_at=now - timedelta(seconds=2))
    Heartbeat.objects.create(name="celery@gone", kind="worker", started_at=now, seen_at=now - timedelta(minutes=5))
    Heartbeat.objects.create(name="sweeper", kind="sweeper", started_at=now, seen_at=now - timedelta(seconds=20))
    client.force_login(researcher)

    live = client.get(reverse("workspace:live_json", args=[experiment.slug])).json()["workers"]
    page = client.get(reverse("workspace:live", args=[experiment.slug])).content.decode()

    assert live["workers_alive"] == 1 and 19 <= live["last_sweep_seconds_ago"] <= 30
    assert [(w["name"], w["alive"]) for w in live["workers"]] == [("celery@alive", True), ("celery@gone", False)]
    assert "celery@gone" in page and "not beating" in page and "No worker is connected" not in page


@pytest.mark.django_db
def test_the_live_page_says_when_no_worker_is_connected(client, researcher, experiment):
    client.force_login(researcher)
    page = client.get(reverse("workspace:live", args=[experiment.slug])).content.decode()
    assert "No worker is connected: photos are stored and will be classified when a worker is back." in page
