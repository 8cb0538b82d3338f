"""Signs of life: workers and beat say they are alive, so a researcher and the health checks can tell.

- A worker's consumer ticks in its event loop every HEARTBEAT_EVERY seconds while it is connected to
  the broker (the step is stopped and restarted with the connection); a thread turns recent ticks into
  a `Heartbeat` row and touches LIVENESS_FILE. A worker that lost the broker, or whose loop is stuck,
  stops beating, so an age on the live page means "not consuming since", not "process exists".
- Beat touches LIVENESS_FILE at every tick (`LivenessScheduler`); the sweeper task it sends writes the
  "sweeper" row, which shows the whole path beat -> broker -> worker -> database works.
Nothing here imports models at import time: fer_study/celery.py loads it before Django is set up.
"""

import logging
import threading
import time
from pathlib import Path

from celery import bootsteps
from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone

log = logging.getLogger(__name__)
STARTED = timezone.now()


def touch_liveness_file() -> None:
    if settings.LIVENESS_FILE:
        Path(settings.LIVENESS_FILE).touch()


def record(name: str, kind: str) -> None:
    from .models import Heartbeat

    now = timezone.now()
    Heartbeat.objects.update_or_create(name=name[:200], defaults={"kind": kind, "seen_at": now},
                                       create_defaults={"kind": kind, "seen_at": now, "started_at": STARTED})


def worker_status(*, now=None) -> dict:
    """What the live page shows: each worker seen in the last hour with its age, and the last sweep."""
    from .models import Heartbeat

    now = now or timezone.now()
    stale_after = 3 * settings.HEARTBEAT_EVERY
    rows = list(Heartbeat.objects.recent())
    workers = [{"name": row.name, "seen_seconds_ago": round((now - row.seen_at).total_seconds(), 1),
                "alive": (now - row.seen_at).total_seconds() <= stale_after}
               for row in rows if row.kind == Heartbeat.Kind.WORKER]
    sweeps = [row for row in rows if row.kind == Heartbeat.Kind.SWEEPER]
    return {
        "workers_alive": sum(worker["alive"] for worker in workers),
        "workers": workers,
        "last_sweep_seconds_ago": round((now - sweeps[0].seen_at).total_seconds(), 1) if sweeps else None,
    }


class ConsumerHeartbeat(bootsteps.StartStopStep):
    """Consumer bootstep (started after the task consumer, stopped whenever the broker connection is lost)."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, c, **kwargs):
        super().__init__(c, **kwargs)
        self.name = c.hostname
        self.every = settings.HEARTBEAT_EVERY
        self.ticked_at = 0.0
        self.timer_entry = None
        self.wake = threading.Event()
        self.writer = None

    def start(self, c):
        self.tick()
        self.timer_entry = c.timer.call_repeatedly(self.every, self.tick)
        if self.writer is None:
            self.writer = threading.Thread(target=self.write_forever, name="heartbeat", daemon=True)
            self.writer.start()
        self.wake.set()

    def stop(self, c):
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None
        self.ticked_at = 0.0

    shutdown = stop

    def tick(self):
        self.ticked_at = time.monotonic()

    def write_forever(self):
        from .models import Heartbeat

        while True:
            self.wake.wait(self.every)
            self.wake.clear()
            if time.monotonic() - self.ticked_at > 2 * self.every:
                continue  # the event loop has not ticked: disconnected or stuck, so say nothing
            try:
                close_old_connections()
                record(self.name, Heartbeat.Kind.WORKER)
                touch_liveness_file()
            except Exception as error:  # a database outage must not end the thread
                log.warning("heartbeat not recorded: %s: %s", type(error).__name__, error)
            finally:
                connections.close_all()  # no connection held across a fork of the pool


class LivenessScheduler(PersistentScheduler):
    """Celery beat's default scheduler, touching LIVENESS_FILE at each tick (every HEARTBEAT_EVERY at most)."""

    def tick(self, *args, **kwargs):
        touch_liveness_file()
        return super().tick(*args, **kwargs)
