"""Load: N concurrent simulated participants take the whole study against the production stack.

    .venv/bin/python benchmarks/load.py                       # 100 participants, 1 run
    .venv/bin/python benchmarks/load.py --participants 150 --runs 3 --think 1.0

The script starts everything itself on 127.0.0.1 and stops it afterwards: gunicorn (DEBUG off,
gunicorn.conf.py with 4 gthread processes), 2 Celery worker processes, on a fresh PostgreSQL database
(`fer_load`, dropped and created) and Redis db 14 of the local server. Each participant is a browser:
GET each page, wait a "think" time, POST the form (CSRF token and all); the photo goes by fetch as
multipart, answered in JSON.
Rate limits are switched off (RATELIMIT_ENABLE=0): every simulated participant comes from 127.0.0.1.

Reported: throughput, p50/p95/p99 per step, errors; then the database: photos stored == photos
acknowledged, and the time until every classification is finished (queue drain).
Target (issue 8): zero errors, zero lost photos, photo submission p95 < 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
STEP_OF = {"consent": "consent", "camera": "camera", "feeling": "felt", "instruction": "instruction",
           "photo": "photo", "check": "check", "feedback": "feedback", "debrief": "debrief", "done": "done"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def step_of(path: str) -> str:
    if path.startswith("/s/"):
        return "entry"
    return STEP_OF.get(path.rstrip("/").split("/")[-1], "other:" + path)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def face_jpeg() -> bytes:
    from PIL import Image
    from skimage import data

    image = Image.fromarray(data.astronaut()).resize((640, 640)).crop((0, 0, 640, 480))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


# --- the stack ------------------------------------------------------------------------------------


class Stack:
    def __init__(self, args):
        self.args = args
        self.port = free_port()
        self.tmp = Path(tempfile.mkdtemp(prefix="fer-load-"))
        self.processes: list[subprocess.Popen] = []
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "fer_study.settings",
            "DEBUG": "0",
            "SECRET_KEY": "load-test-only-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": args.database_url,
            "CELERY_BROKER_URL": args.broker_url,
            "PHOTO_ROOT": str(self.tmp / "photos"),
            "INFERENCE_THREADS": "1",
            "LOG_LEVEL": "WARNING",
            "RATELIMIT_ENABLE": "0",  # every simulated participant comes from 127.0.0.1
        }

    def run(self, *command):
        subprocess.run(command, cwd=ROOT, env=self.env, check=True, stdout=subprocess.DEVNULL)

    def start(self):
        self.recreate_database()
        self.run(PYTHON, "manage.py", "migrate", "--noinput")
        self.run(PYTHON, "manage.py", "collectstatic", "--noinput")  # DEBUG off: the manifest storage
        import redis

        redis.Redis.from_url(self.args.broker_url).flushdb()
        log = (self.tmp / "stack.log").open("w")
        self.env.update(GUNICORN_BIND=f"127.0.0.1:{self.port}", WEB_PROCESSES=str(self.args.web_workers))
        self.spawn([str(ROOT / ".venv/bin/gunicorn"), "fer_study.wsgi", "-c", str(ROOT / "gunicorn.conf.py")], log)
        for n in range(self.args.celery_workers):
            nice = ["nice", "-n", str(self.args.worker_nice)] if self.args.worker_nice else []
            self.spawn([*nice, PYTHON, "-m", "celery", "-A", "fer_study", "worker", "--concurrency=1",
                        "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
                        "-n", f"load{n}@%h"], log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):  # not listening yet
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", headers=self.https).status_code == 200:
                    return
            time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer; see {self.tmp / 'stack.log'}")

    @property
    def https(self) -> dict:
        # As behind the TLS proxy: SECURE_PROXY_SSL_HEADER makes Django treat the request as https.
        return {"X-Forwarded-Proto": "https", "Origin": f"https://127.0.0.1:{self.port}"}

    def spawn(self, command, log):
        self.processes.append(subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                               start_new_session=True))

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def recreate_database(self):
        import psycopg

        name = self.args.database_url.rsplit("/", 1)[1]
        admin = self.args.database_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')

    def django(self):
        os.environ.update({k: v for k, v in self.env.items() if k != "DJANGO_SETTINGS_MODULE"})
        os.environ["DJANGO_SETTINGS_MODULE"] = "fer_study.settings"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()


def make_experiment(slug: str, trials: int):
    from django.contrib.auth import get_user_model

    from experiments.classifiers import register_default_model
    from experiments.models import Experiment

    owner, _ = get_user_model().objects.get_or_create(username="load-researcher")
    plan = {"natural": 1, "express": 1, "opposite": 1, "assigned": 1}
    plan = {k: trials // 4 + (1 if i < trials % 4 else 0) for i, k in enumerate(plan)}
    experiment = Experiment.objects.create(slug=slug, title=slug, owner=owner, consent_text="Load test.",
                                           debrief_text="Thanks.", trial_plan=plan)
    experiment.classifier_models.add(register_default_model())
    experiment.launch()
    return experiment


# --- the participants -----------------------------------------------------------------------------


class Run:
    def __init__(self, stack: Stack, slug: str, args, photo: bytes):
        self.stack, self.slug, self.args, self.photo = stack, slug, args, photo
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.acknowledged = 0
        self.completed = 0
        self.last_ack = 0.0

    async def request(self, client, cookies, method, url, step, **kwargs):
        headers = {**self.stack.https, **kwargs.pop("headers", {})}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if method == "POST":
            headers["Referer"] = f"https://127.0.0.1:{self.stack.port}{url}"
        started = time.perf_counter()
        response = await client.request(method, url, headers=headers, **kwargs)
        self.latency[f"{step} {method}"].append((time.perf_counter() - started) * 1000)
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]
        return response

    async def think(self):
        if self.args.think:
            await asyncio.sleep(random.uniform(0.5, 1.5) * self.args.think)

    async def participant(self, client, number: int):
        cookies: dict[str, str] = {}
        await asyncio.sleep(random.uniform(0, self.args.ramp))
        response = await self.request(client, cookies, "GET", f"/s/{self.slug}/?pid=p{number}", "entry")
        if response.status_code != 302:
            return self.fail("entry", response)
        url = response.headers["location"]
        for _ in range(200):
            step = step_of(url)
            page = await self.request(client, cookies, "GET", url, step)
            if page.status_code != 200:
                return self.fail(step + " GET", page)
            if step == "done":
                self.completed += 1
                return
            await self.think()
            form = {"csrfmiddlewaretoken": cookies.get("csrftoken", "")}
            if step == "photo":
                response = await self.request(
                    client, cookies, "POST", url, step,
                    data={**form, "source": "webcam", "captured_ms": str(int(time.time() * 1000))},
                    files={"photo": ("snapshot.jpg", self.photo, "image/jpeg")},
                    headers={"Accept": "application/json", "X-CSRFToken": cookies.get("csrftoken", "")},
                )
                answer = response.json() if response.headers.get("content-type", "").startswith("application/json") \
                    else {}
                if response.status_code != 200 or not answer.get("ok"):
                    return self.fail("photo POST", response)
                self.acknowledged += 1
                self.last_ack = time.monotonic()
                url = answer["next"]
                continue
            if step == "consent":
                form["photos_for_research"] = "on"
            elif step == "felt":
                form.update(felt=random.choice(["happy", "sad", "angry", "neutral"]), intensity="5", valence="6",
                            arousal="4")
            elif step == "check":
                form["pose_rating"] = "5"
            elif step not in ("camera", "instruction", "feedback", "debrief"):
                return self.fail(step, page)
            response = await self.request(client, cookies, "POST", url, step, data=form)
            if response.status_code != 302:
                return self.fail(step + " POST", response)
            url = response.headers["location"]
        self.fail("loop", None)

    def fail(self, step, response):
        detail = f"{response.status_code} {response.text[:160]!r}" if response is not None else "too many steps"
        self.errors.append(f"{step}: {detail}")

    async def go(self) -> float:
        n = self.args.participants
        limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=n)
        timeout = httpx.Timeout(60.0)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.stack.port}", limits=limits,
                                     timeout=timeout) as client:
            started = time.monotonic()
            results = await asyncio.gather(*(self.participant(client, n) for n in range(self.args.participants)),
                                           return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    self.errors.append(f"exception: {type(result).__name__}: {result}")
            return time.monotonic() - started


def check_database(slug: str, run: Run, drain_timeout: float) -> dict:
    from django.db.models import Count

    from experiments.models import Classification, Photo

    photos = Photo.objects.filter(trial__participant__experiment__slug=slug)
    rows = Classification.objects.filter(photo__trial__participant__experiment__slug=slug)
    deadline = time.monotonic() + drain_timeout
    while rows.filter(status=Classification.Status.PENDING).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    drain = time.monotonic() - run.last_ack
    statuses = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
    return {
        "photos_stored": photos.count(),
        "photos_acknowledged": run.acknowledged,
        "photo_files_present": sum(1 for p in photos if p.file and p.file.storage.exists(p.file.name)),
        "classifications": rows.count(),
        "classification_status": statuses,
        "pending_after_drain": rows.filter(status=Classification.Status.PENDING).count(),
        "drain_seconds_after_last_ack": round(drain, 2),
    }


def summary(run: Run, elapsed: float, db: dict) -> dict:
    requests = sum(len(v) for v in run.latency.values())
    steps = {
        step: {"n": len(v), "p50_ms": round(percentile(v, 50), 1), "p95_ms": round(percentile(v, 95), 1),
               "p99_ms": round(percentile(v, 99), 1), "max_ms": round(max(v), 1)}
        for step, v in sorted(run.latency.items())
    }
    return {
        "participants": run.args.participants,
        "completed": run.completed,
        "elapsed_s": round(elapsed, 1),
        "requests": requests,
        "throughput_rps": round(requests / elapsed, 1),
        "photos_per_s": round(run.acknowledged / elapsed, 2),
        "errors": len(run.errors),
        "error_samples": run.errors[:5],
        "steps": steps,
        "database": db,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=100)
    parser.add_argument("--trials", type=int, default=4, help="trials per participant")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between a page and its POST")
    parser.add_argument("--ramp", type=float, default=2.0, help="participants arrive within this many seconds")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--celery-workers", type=int, default=2)
    parser.add_argument("--worker-nice", type=int, default=0, help="run the Celery workers at this niceness")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/fer_load")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--drain-timeout", type=float, default=300)
    parser.add_argument("--json", type=Path, help="write all runs' results here")
    args = parser.parse_args()

    stack = Stack(args)
    stack.start()
    stack.django()
    photo = face_jpeg()
    results = []
    try:
        for number in range(1, args.runs + 1):
            slug = f"load-{number}"
            make_experiment(slug, args.trials)
            run = Run(stack, slug, args, photo)
            elapsed = asyncio.run(run.go())
            result = summary(run, elapsed, check_database(slug, run, args.drain_timeout))
            results.append(result)
            photo_step = result["steps"].get("photo POST", {})
            db = result["database"]
            print(f"run {number}: {result['completed']}/{args.participants} completed in {result['elapsed_s']} s, "
                  f"{result['throughput_rps']} req/s, errors {result['errors']}, photo POST p50/p95/p99 "
                  f"{photo_step.get('p50_ms')}/{photo_step.get('p95_ms')}/{photo_step.get('p99_ms')} ms, "
                  f"stored {db['photos_stored']} == acked {db['photos_acknowledged']}, "
                  f"drained {db['drain_seconds_after_last_ack']} s after the last ack, "
                  f"pending {db['pending_after_drain']}", flush=True)
    finally:
        stack.stop()
    print(json.dumps(results[-1] if len(results) == 1 else {"runs": results}, indent=1))
    if len(results) > 1:
        med = lambda key: statistics.median(r["steps"]["photo POST"][key] for r in results)  # noqa: E731
        print(f"median of {len(results)} runs: photo POST p50 {med('p50_ms')} ms, p95 {med('p95_ms')} ms, "
              f"p99 {med('p99_ms')} ms; throughput {statistics.median(r['throughput_rps'] for r in results)} req/s; "
              f"drain {statistics.median(r['database']['drain_seconds_after_last_ack'] for r in results)} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    ok = all(r["errors"] == 0 and r["database"]["photos_stored"] == r["database"]["photos_acknowledged"]
             and r["database"]["pending_after_drain"] == 0 for r in results)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
