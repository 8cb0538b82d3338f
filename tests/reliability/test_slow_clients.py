"""Three slow clients against a real gunicorn: they hold every one of the three sync workers gunicorn
used to run with, and the site stops answering; with gunicorn.conf.py (gthread) it keeps answering.
In the full stack nginx buffers whole requests first (tests/reliability/test_proxy.py).
"""

import contextlib
import socket

import httpx

from tests.reliability.faults import Gunicorn

SLOW_CLIENTS = 3


def open_slow_clients(port: int) -> list[socket.socket]:
    """Clients that start their headers and never finish them (each holds whatever is reading them)."""
    clients = []
    for _ in range(SLOW_CLIENTS):
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(b"GET /withdraw/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        clients.append(client)
    return clients


def answers_while_slow_clients_wait(tmp_path, name: str, **gunicorn) -> bool:
    web = Gunicorn(broker_url="", database_url=f"sqlite:///{tmp_path / 'unused.sqlite3'}", photo_root=tmp_path,
                   log=tmp_path / f"{name}.log", **gunicorn)
    try:
        web.wait_until_serving(path="/withdraw/")  # a page that needs no database
        clients = open_slow_clients(web.port)
        try:
            with contextlib.suppress(httpx.TimeoutException):
                return httpx.get(web.url + "/withdraw/", timeout=3).status_code == 200
            return False
        finally:
            for client in clients:
                client.close()
    finally:
        web.stop()


def test_three_slow_clients_no_longer_take_the_site_down(tmp_path):
    no_config = tmp_path / "no-config.py"  # the command the image used to run: 3 sync workers, nothing else
    no_config.write_text("")
    shipped_before = answers_while_slow_clients_wait(tmp_path, "sync", config=no_config, options=("--workers", "3"))
    now = answers_while_slow_clients_wait(tmp_path, "gthread")

    assert shipped_before is False  # the control: these clients really do hold a sync worker each
    assert now is True
