"""Recovery: how long each fault keeps photos from being classified, with the production windows.

    .venv/bin/python benchmarks/recovery.py                  # every fault, 1 run each
    .venv/bin/python benchmarks/recovery.py --faults redis worker --runs 3

Starts its own stack on 127.0.0.1 (gunicorn with gunicorn.conf.py, the compose file's worker and beat
commands, a private redis-server, PostgreSQL database `fer_recovery` recreated, behind a TCP proxy it
can cut) with the production recovery windows (time limit 30 s, abandoned after 60 s, stale after
120 s, swept every 30 s, heartbeat every 10 s). For each fault, participants submit photos over HTTP
while it lasts; reported: seconds from the end of the fault (or from the kill) until every
acknowledged photo has its classification, beside the bound experiments/checks.py computes.

- redis: SIGKILL of a Redis without persistence, 5 s down; the queued messages are lost.
- worker: SIGKILL of the whole worker mid-batch; a new one starts 5 s later (compose's restart policy).
- database: PostgreSQL unreachable for 20 s (photos refused with 503 meanwhile, then resubmitted).
- frozen: Redis stopped (SIGSTOP) for 20 s, then continued.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PRODUCTION_WINDOWS = {"CLASSIFICATION_TIME_LIMIT": "30", "CLASSIFICATION_ABANDONED_AFTER": "60",
                      "CLASSIFICATION_STALE_AFTER": "120", "CLASSIFICATION_SWEEP_EVERY": "30", "HEARTBEAT_EVERY": "10"}


def setup_django(database_url: str):
    os.environ.update(PRODUCTION_WINDOWS, DATABASE_URL=database_url, CELERY_BROKER_URL="", CACHE_URL="",
                      DJANGO_SETTINGS_MODULE="fer_study.settings")
    import django

    django.setup()


def recreate_database(database_url: str):
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


class Stack:
    def __init__(self, database_url: str, tmp: Path):
        from tests.reliability.faults import Beat, Gunicorn, RedisServer, TcpProxy, Worker, database_url_of, free_port

        self.tmp, self.Worker = tmp, Worker
        self.redis = RedisServer(free_port(), tmp / "redis.log").start()
        host_port = database_url.split("@", 1)[1].split("/", 1)[0]
        host, port = host_port.split(":")
        self.database = TcpProxy(host, int(port)).start()
        name = database_url.rsplit("/", 1)[1]
        proxied = database_url_of({"USER": "postgres", "PASSWORD": "", "HOST": "127.0.0.1", "PORT": self.database.port,
                                   "NAME": name})
        os.environ.update(PRODUCTION_WINDOWS)  # read by stack_environment for every process
        self.places = {"broker_url": self.redis.url, "database_url": proxied, "photo_root": tmp / "photos"}
        self.web = Gunicorn(**self.places, log=tmp / "web.log")
        self.worker = self.start_worker()
        self.beat = Beat(**self.places, log=tmp / "beat.log", schedule=tmp / "celerybeat-schedule")
        self.web.wait_until_serving()

    def start_worker(self):
        return self.Worker(**self.places, log=self.tmp / "worker.log", name="recovery")

    def stop(self):
        for process in (self.web, self.worker, self.beat):
            process.stop()
        self.redis.kill9()
        self.database.stop()


def participants(stack, experiment, n, start):
    from tests.reliability.http_participant import HttpParticipant

    return [HttpParticipant(stack.web.url, experiment.slug, f"198.51.100.{(start + i) % 250 + 1}").walks_to_capture()
            for i in range(n)]


def wait_until_classified(timeout=900) -> float:
    from experiments.models import Classification

    started = time.monotonic()
    while Classification.objects.filter(status=Classification.Status.PENDING).exists():
        if time.monotonic() - started > timeout:
            raise SystemExit("still pending after the timeout")
        time.sleep(0.5)
    return time.monotonic()


def fault_redis(stack, people, photo):
    stack.redis.kill9()
    time.sleep(1)
    for someone in people:
        assert someone.sends_photo(photo).json()["ok"], "a photo was refused while Redis was down"
    time.sleep(4)
    stack.redis.start()
    return time.monotonic()


def fault_worker(stack, people, photo):
    stack.worker.send_signal(signal.SIGSTOP)  # queued, then the worker dies holding them
    for someone in people:
        assert someone.sends_photo(photo).json()["ok"]
    stack.worker.send_signal(signal.SIGCONT)
    time.sleep(0.05)
    killed = time.monotonic()
    stack.worker.kill()
    time.sleep(5)
    stack.worker = stack.start_worker()
    return killed


def fault_database(stack, people, photo):
    stack.database.stop()
    refused = [someone.sends_photo(photo).status_code for someone in people]
    assert set(refused) == {503}, refused
    time.sleep(20)
    stack.database.start()
    back = time.monotonic()
    for someone in people:
        while someone.sends_photo(photo).status_code != 200:
            time.sleep(0.2)
    return back


def fault_frozen(stack, people, photo):
    stack.redis.freeze()
    for someone in people:
        assert someone.sends_photo(photo).json()["ok"]
    time.sleep(20)
    stack.redis.thaw()
    return time.monotonic()


FAULTS = {"redis": fault_redis, "worker": fault_worker, "database": fault_database, "frozen": fault_frozen}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faults", nargs="+", choices=list(FAULTS), default=list(FAULTS))
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--photos", type=int, default=8, help="photos submitted during each fault")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/fer_recovery")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    recreate_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from benchmarks.load import face_jpeg, make_experiment
    from experiments.checks import windows, worst_case_recovery_seconds

    photo = face_jpeg()
    stack = Stack(args.database_url, Path(tempfile.mkdtemp(prefix="fer-recovery-")))
    results = {}
    try:
        for fault in args.faults:
            seconds = []
            for run in range(args.runs):
                experiment = make_experiment(f"recovery-{fault}-{run}", trials=4)
                people = participants(stack, experiment, args.photos, start=len(results) * 50 + run * 10)
                wait_until_classified()
                ended = FAULTS[fault](stack, people, photo)
                seconds.append(round(wait_until_classified() - ended, 1))
                print(f"{fault} run {run + 1}: every photo classified {seconds[-1]} s after the fault ended")
            results[fault] = {"seconds": seconds, "median": statistics.median(seconds), "max": max(seconds)}
        results["bound_seconds"] = worst_case_recovery_seconds(windows())
        results["worker_alive_after"] = stack.worker.alive()
    finally:
        stack.stop()
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
