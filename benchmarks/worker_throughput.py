"""End-to-end classification throughput of one Celery worker host: photo row -> stored classification.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fer_bench_worker \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/11 .venv/bin/python benchmarks/worker_throughput.py [--photos 600]

Stores N webcam-size photos (640x480 JPEGs of scikit-image's astronaut, each slightly different) in
a fresh database, with their tasks queued in Redis, then starts `celery worker --concurrency 2`
(one onnxruntime thread per process) and reports classifications per second between the first
task starting and the last result stored (worker start-up excluded), median of --runs.

On Linux it also reports where the CPU went per photo over the same span: the worker's parent
(broker traffic, dispatch), its pool processes (the task), the PostgreSQL backends of this database,
redis-server, and everything else on the machine (other load disturbs the figure; it should be ~0).
"""

import argparse
import io
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fer_study.settings")


def make_photos(n: int) -> list[bytes]:
    import numpy as np
    from PIL import Image
    from skimage import data

    base = Image.fromarray(data.astronaut()).resize((640, 640)).crop((0, 0, 640, 480))
    rng = np.random.default_rng(0)
    photos = []
    for _ in range(n):
        noisy = np.clip(np.asarray(base, dtype=np.int16) + rng.integers(-3, 4, (480, 640, 3)), 0, 255)
        buffer = io.BytesIO()
        Image.fromarray(noisy.astype(np.uint8)).save(buffer, "JPEG", quality=90)
        photos.append(buffer.getvalue())
    return photos


def cpu_seconds(match) -> float:
    """Total user+system CPU of the processes for which match(pid, pgrp, cmdline) is true (Linux /proc)."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # the process ended meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        if match(int(entry.name), int(fields[2]), cmdline):
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    user, nice, system, idle, iowait, *rest = map(int, Path("/proc/stat").read_text().split()[1:11])
    return (user + nice + system + sum(rest)) / os.sysconf("SC_CLK_TCK")


def cpu_by_role(worker_pid: int, database: str) -> dict[str, float]:
    roles = {
        "worker parent": cpu_seconds(lambda pid, pgrp, cmd: pid == worker_pid),
        "worker pool": cpu_seconds(lambda pid, pgrp, cmd: pgrp == worker_pid and pid != worker_pid),
        "postgres": cpu_seconds(lambda pid, pgrp, cmd: cmd.startswith("postgres: ") and f" {database} " in cmd),
        "redis": cpu_seconds(lambda pid, pgrp, cmd: cmd.startswith("redis-server")),
    }
    roles["everything else"] = machine_busy_seconds() - sum(roles.values())  # how quiet the machine was
    return roles


def run_once(n: int, photos: list[bytes], photo_root: Path) -> tuple[float, dict[str, float]]:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db.models import Max, Min

    from experiments.classifiers import register_default_model
    from experiments.models import Classification, Experiment, Participant, Trial
    from experiments.photos import accept_photo
    from fer_study.celery import app

    call_command("flush", "--noinput", verbosity=0)
    app.control.purge()
    owner = get_user_model().objects.create_user("bench")
    experiment = Experiment.objects.create(slug="bench", title="Bench", owner=owner, consent_text="ok")
    experiment.classifier_models.add(register_default_model())
    participant = Participant.objects.create(experiment=experiment)
    for index in range(n):
        trial = Trial.objects.create(participant=participant, index=index, condition="natural")
        accept_photo(trial=trial, data=photos[index % len(photos)])  # queued in Redis, no worker yet

    env = {**os.environ, "PHOTO_ROOT": str(photo_root), "INFERENCE_THREADS": "1",
           "DEBUG": "0", "SECRET_KEY": "benchmark-only", "ALLOWED_HOSTS": "localhost"}  # as in production
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "fer_study", "worker", "--concurrency=2", "--loglevel=WARNING",
         "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    database = settings.DATABASES["default"]["NAME"]
    rows = Classification.objects.filter(photo__trial__participant=participant)
    try:
        deadline = time.monotonic() + 600
        while not rows.filter(started_at__isnull=False).exists():  # start-up (model loading) excluded
            time.sleep(0.02)
        cpu_before = cpu_by_role(worker.pid, database)
        while rows.filter(status=Classification.Status.PENDING).exists():
            if time.monotonic() > deadline:
                raise SystemExit("classifications still pending after 600 s")
            time.sleep(0.2)
        cpu_after = cpu_by_role(worker.pid, database)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
    span = rows.aggregate(first=Min("started_at"), last=Max("finished_at"))
    done = rows.filter(status=Classification.Status.DONE).count()
    assert done == n, f"only {done} of {n} classified"
    cpu_ms_per_photo = {role: (cpu_after[role] - cpu_before[role]) * 1000 / n for role in cpu_after}
    return n / (span["last"] - span["first"]).total_seconds(), cpu_ms_per_photo


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=600)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("CELERY_BROKER_URL"):
        raise SystemExit("set DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://... (see the docstring)")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    photo_root = Path(settings.PHOTO_ROOT)
    photos = make_photos(min(args.photos, 50))
    runs = [run_once(args.photos, photos, photo_root) for _ in range(args.runs)]
    rates = [rate for rate, _ in runs]
    print(f"{args.photos} photos, worker --concurrency 2, one onnxruntime thread each")
    print("runs (classifications/s): " + ", ".join(f"{rate:.0f}" for rate in rates))
    print(f"median: {statistics.median(rates):.0f} photos per second, photo row to stored classification")
    print("CPU per photo, median of runs (ms):")
    for role in runs[0][1]:
        print(f"  {role:16s} {statistics.median(cpu[role] for _, cpu in runs):6.1f}")


if __name__ == "__main__":
    main()
