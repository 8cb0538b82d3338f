"""Benchmark: stream the trial CSV export of N synthetic trials, and render the report page once cached.

    .venv/bin/python benchmarks/export.py                    # 1,000,000 trials in /tmp SQLite
    .venv/bin/python benchmarks/export.py --trials 200000
    DATABASE_URL=postgres://postgres@127.0.0.1/fer_bench .venv/bin/python benchmarks/export.py

Targets (issue 6): CSV >= 100,000 rows/s with peak RSS < 300 MB; report page for 100,000 trials < 2 s once
the analysis is cached. Each measurement runs in a fresh process so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
TRIALS_PER_PARTICIPANT = 8


def setup_django(database_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fer_study.settings")
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would carry the parent's peak over exec)."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(slug: str, n_trials: int) -> None:
    """A launched experiment with n_trials classified trials (bulk_create, batches of 5,000)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    from experiments.classifiers import register_default_model
    from experiments.models import Classification, Experiment, Participant, Photo, Trial

    call_command("migrate", verbosity=0)
    if Experiment.objects.filter(slug=slug).exists():
        have = Trial.objects.filter(participant__experiment__slug=slug).count()
        if have == n_trials:
            print(f"  reusing {slug}: {have:,} trials")
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            return
        Experiment.objects.filter(slug=slug).delete()
    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_superuser": True})
    model = register_default_model()
    experiment = Experiment.objects.create(slug=slug, title=f"Benchmark {n_trials:,}", owner=user,
                                           consent_text="benchmark")
    experiment.classifier_models.add(model)
    experiment.launch()
    rng = random.Random(0)
    conditions = ("natural", "express", "opposite", "assigned")
    started = time.perf_counter()
    n_participants = n_trials // TRIALS_PER_PARTICIPANT
    batch = 2000  # participants per transaction
    for first in range(0, n_participants, batch):
        with transaction.atomic():
            people = Participant.objects.bulk_create(
                Participant(experiment=experiment, status="completed")
                for _ in range(min(batch, n_participants - first))
            )
            trials = []
            for person in people:
                for index in range(TRIALS_PER_PARTICIPANT):
                    condition = conditions[index % 4]
                    felt = rng.choice(LABELS)
                    target = {"natural": "", "express": felt, "opposite": experiment.opposite_map[felt],
                              "assigned": rng.choice(LABELS)}[condition]
                    trials.append(Trial(participant=person, index=index, condition=condition, felt=felt,
                                        target=target, intensity=rng.randint(1, 7), valence=rng.randint(1, 9),
                                        arousal=rng.randint(1, 9)))
            trials = Trial.objects.bulk_create(trials, batch_size=5000)
            photos = Photo.objects.bulk_create(
                (Photo(trial=t, sha256="0" * 64, size_bytes=1, width=640, height=480) for t in trials), batch_size=5000)
            rows = []
            for photo, trial in zip(photos, trials, strict=True):
                predicted = (trial.target or trial.felt) if rng.random() < 0.6 else rng.choice(LABELS)
                rest = (1 - 0.7) / (len(LABELS) - 1)
                rows.append(Classification(
                    photo=photo, model=model, status="done", top_label=predicted, face_score=0.93, n_faces=1,
                    probabilities={label: (0.7 if label == predicted else rest) for label in LABELS},
                    model_sha256=model.sha256))
            Classification.objects.bulk_create(rows, batch_size=5000)
        done = first + len(people)
        if done % 20000 < batch:
            print(f"  {done * TRIALS_PER_PARTICIPANT:,} trials ({time.perf_counter() - started:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as a production database keeps them


def measure_csv(slug: str) -> dict:
    from django.contrib.auth import get_user_model
    from django.http import StreamingHttpResponse
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    setup_test_environment()
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    started = time.perf_counter()
    response = client.get(reverse("workspace:export", args=[slug, "trials.csv"]))
    assert isinstance(response, StreamingHttpResponse)
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    rows = lines - 1
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds),
            "megabytes": round(size / 1e6, 1), "peak_rss_mb": round(peak_rss_mb(), 1)}


def measure_report(slug: str) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    setup_test_environment()
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    url = reverse("workspace:report", args=[slug])
    started = time.perf_counter()
    assert client.get(url).status_code == 200
    cold = time.perf_counter() - started
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
    assert response.status_code == 200 and response.context["error"] is None, response.context["error"]
    plot = client.get(reverse("workspace:report_plot", args=[slug, "valence"]))
    return {"trials": response.context["results"]["n_trials"], "first_render_with_analysis_s": round(cold, 2),
            "cached_render_s": round(min(timings), 3), "cached_plot_bytes": len(plot.content),
            "peak_rss_mb": round(peak_rss_mb(), 1)}


def run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True, env=os.environ)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1_000_000)
    parser.add_argument("--report-trials", type=int, default=100_000)
    parser.add_argument("--measure", choices=["csv", "report"], help=argparse.SUPPRESS)
    parser.add_argument("--slug", help=argparse.SUPPRESS)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL") or "sqlite:////tmp/fer_study_bench.sqlite3"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DEBUG", "1")
    setup_django(database_url)
    if args.measure:
        print(json.dumps(measure_csv(args.slug) if args.measure == "csv" else measure_report(args.slug)))
        return
    print(f"database: {database_url.split('@')[-1]}")
    export_slug, report_slug = f"bench-{args.trials}", f"bench-{args.report_trials}"
    print(f"building {args.trials:,} trials ...", flush=True)
    build(export_slug, args.trials)
    if report_slug != export_slug:
        print(f"building {args.report_trials:,} trials ...", flush=True)
        build(report_slug, args.report_trials)
    csv = run_child("--measure", "csv", "--slug", export_slug)
    met = csv["rows_per_second"] >= 1e5 and csv["peak_rss_mb"] < 300
    print(f"CSV export: {csv['rows']:,} rows in {csv['seconds']} s = {csv['rows_per_second']:,} rows/s, "
          f"{csv['megabytes']} MB, peak RSS {csv['peak_rss_mb']} MB "
          f"[target >= 100,000 rows/s, < 300 MB: {'ok' if met else 'MISSED'}]")
    report = run_child("--measure", "report", "--slug", report_slug)
    print(f"Report page, {report['trials']:,} trials: first render (analysis + plots) "
          f"{report['first_render_with_analysis_s']} s; cached {report['cached_render_s']} s, "
          f"peak RSS {report['peak_rss_mb']} MB [target < 2 s: {'ok' if report['cached_render_s'] < 2 else 'MISSED'}]")


if __name__ == "__main__":
    main()
