"""Real processes for the fault tests: gunicorn, Celery worker and beat (started with the commands in
docker-compose.yml), a private redis-server, a TCP proxy to PostgreSQL.

Everything listens on 127.0.0.1 and is stopped by the caller; nothing touches the machine's own Redis.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
STACK_SETTINGS = "tests.reliability.stack_settings"


def compose_command(service: str) -> list[str]:
    """The service's command in docker-compose.yml, run with this interpreter: tests use the flags production uses."""
    command = shlex.split(yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"][service]["command"])
    assert command[0] == "celery", command
    return [sys.executable, "-m", "celery", *command[1:]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str, every: float = 0.1, on_timeout=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{on_timeout()}")


def database_url_of(db_settings) -> str:
    user = db_settings["USER"] or "postgres"
    password = f":{db_settings['PASSWORD']}" if db_settings["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db_settings['HOST']}:{db_settings['PORT']}/{db_settings['NAME']}"


def stack_environment(*, broker_url: str, database_url: str, photo_root: Path, **more: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": STACK_SETTINGS,
        "DEBUG": "0",
        "SECRET_KEY": "fault-tests-only-" + "k" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "CACHE_URL": broker_url.rsplit("/", 1)[0] + "/1" if broker_url else "",  # no broker: in-process
        "PHOTO_ROOT": str(photo_root),
        "PYTHONPATH": str(ROOT),
        **more,
    }


class Process:
    """A process in its own group (so SIGKILL takes its children too), logging to `log`."""

    def __init__(self, command: list[str], *, env: dict[str, str], log: Path):
        self.log_path = log
        self.log = log.open("a")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def alive(self) -> bool:
        return self.process.poll() is None

    def send_signal(self, sig) -> None:
        os.killpg(self.process.pid, sig)

    def kill(self, sig=signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill(signal.SIGTERM)
        self.log.close()

    def tail(self) -> str:
        return self.log_path.read_text()[-4000:]


class Worker(Process):
    """The compose file's worker command, on the given broker, database and photo folder."""

    def __init__(self, *, broker_url: str, database_url: str, photo_root: Path, log: Path, name: str, **env: str):
        environment = stack_environment(broker_url=broker_url, database_url=database_url, photo_root=photo_root,
                                        **env)
        super().__init__([*compose_command("worker"), "-n", f"{name}-{os.getpid()}@%h"], env=environment, log=log)


class Beat(Process):
    """The compose file's beat command: the sweeper runs every second (stack_settings)."""

    def __init__(self, *, broker_url: str, database_url: str, photo_root: Path, log: Path, schedule: Path):
        environment = stack_environment(broker_url=broker_url, database_url=database_url, photo_root=photo_root)
        command = [arg if not arg.endswith("celerybeat-schedule") else str(schedule) for arg in compose_command("beat")]
        super().__init__(command, env=environment, log=log)


class Gunicorn(Process):
    """gunicorn with the project's gunicorn.conf.py (gthread) on a free port, behind no proxy: the test
    client plays the proxy, so requests from 127.0.0.1 are trusted to say who the client is."""

    def __init__(self, *, broker_url: str, database_url: str, photo_root: Path, log: Path, processes: int = 2,
                 config: Path = ROOT / "gunicorn.conf.py", options: tuple[str, ...] = (), **env: str):
        self.port = free_port()
        environment = stack_environment(broker_url=broker_url, database_url=database_url, photo_root=photo_root,
                                        GUNICORN_BIND=f"127.0.0.1:{self.port}", WEB_PROCESSES=str(processes),
                                        TRUSTED_PROXIES="127.0.0.1/32", **env)
        bind = ("--bind", f"127.0.0.1:{self.port}")  # the project's config reads GUNICORN_BIND; another may not
        super().__init__([sys.executable, "-m", "gunicorn", "fer_study.wsgi", "-c", str(config), *bind, *options],
                         env=environment, log=log)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_until_serving(self, timeout: float = 60, path: str = "/healthz") -> Gunicorn:
        import httpx

        def serving():
            if not self.alive():
                raise AssertionError("gunicorn exited:\n" + self.tail())
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(self.url + path, timeout=2).status_code == 200
            return False

        wait_for(serving, timeout=timeout, what="gunicorn to answer /healthz", every=0.2, on_timeout=self.tail)
        return self


class RedisServer:
    """A throwaway redis-server without persistence: a kill -9 loses every queued message."""

    def __init__(self, port: int, log: Path):
        self.port = port
        self.log = log
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        import redis

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=self.log.open("a"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)

        def answers():
            try:
                return client.ping()
            except redis.RedisError:
                return False

        wait_for(answers, timeout=10, what=f"redis-server on port {self.port}")
        return self

    def kill9(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGCONT)  # a frozen one too
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def freeze(self) -> None:
        os.killpg(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.killpg(self.process.pid, signal.SIGCONT)


class TcpProxy:
    """127.0.0.1:<port> -> target. `stop()` cuts every open connection and refuses new ones until `start()`."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> TcpProxy:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(128)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()
        return self

    def _accept(self, server):
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source, sink):
        try:
            with contextlib.suppress(OSError):  # either side closed: the cut this proxy exists for
                while data := source.recv(65536):
                    sink.sendall(data)
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.shutdown(socket.SHUT_RDWR)  # wakes the accept() above
            self._server.close()
            self._server = None
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()
