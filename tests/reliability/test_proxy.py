"""The compose file's reverse proxy, for real: deploy/nginx.conf.template rendered as the nginx image
renders it, run by Debian's nginx in front of a gunicorn with the production settings (HTTPS redirect,
secure cookies, rate limits), as in docker-compose.yml.

- TLS works and plain HTTP is sent to HTTPS;
- the rate limit counts the real client, whatever X-Forwarded-For the client makes up;
- a body over the limit is refused by nginx;
- slow clients cost nginx connections, not the one sync gunicorn worker behind it (request buffering).
"""

import re
import shutil
import signal
import socket
import ssl
import subprocess
import time

import httpx
import pytest
from django.db import connection

from experiments.models import Participant
from tests.conftest import REQUIRE_SERVICES
from tests.reliability.faults import ROOT, Gunicorn, Process, database_url_of, free_port, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")


def render(template: str, values: dict[str, str]) -> str:
    """What the nginx image's envsubst does with the variables it is given: ${NAME} only."""
    return re.sub(r"\$\{(\w+)\}", lambda match: values[match.group(1)], template)


def self_signed_certificate(folder):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(folder / "privkey.pem"), "-out", str(folder / "fullchain.pem")],
                   check=True, capture_output=True)
    return folder / "fullchain.pem", folder / "privkey.pem"


@pytest.fixture
def proxied(tmp_path, experiment):
    """nginx (the compose template) -> gunicorn with one sync worker: the worst case behind the proxy."""
    if NGINX is None:
        if REQUIRE_SERVICES:
            pytest.fail("nginx is not installed (.ci/run installs nginx-light)", pytrace=False)
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    no_config = tmp_path / "no-config.py"
    no_config.write_text("")
    web = Gunicorn(broker_url="", database_url=database_url_of(connection.settings_dict),
                   photo_root=tmp_path / "photos", log=tmp_path / "web.log", config=no_config,
                   options=("--workers", "1", "--worker-class", "sync"), FER_BEHIND_TLS="1")
    certificate, key = self_signed_certificate(tmp_path)
    http_port, https_port = free_port(), free_port()
    site = render((ROOT / "deploy" / "nginx.conf.template").read_text(), {
        "UPSTREAM": f"127.0.0.1:{web.port}", "LISTEN_HTTP": f"127.0.0.1:{http_port}",
        "LISTEN_HTTPS": f"127.0.0.1:{https_port}", "TLS_CERTIFICATE": str(certificate),
        "TLS_CERTIFICATE_KEY": str(key), "MAX_BODY": "10m",
    })
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(f"""
        daemon off; worker_processes 1; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;
        events {{}}
        http {{
            access_log {tmp_path}/access.log;
            client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;
            fastcgi_temp_path {tmp_path}/fastcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;
            include {tmp_path}/site.conf;
        }}""")
    proxy = Process([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "user root;"],
                    env={"PATH": "/usr/sbin:/usr/bin"}, log=tmp_path / "nginx.log")
    try:
        web.wait_until_serving()  # /healthz: the one path plain HTTP may reach
        wait_for(lambda: answers(https_port), timeout=20, what="nginx", on_timeout=lambda: (tmp_path / "error.log")
                 .read_text() if (tmp_path / "error.log").exists() else proxy.tail())
        yield {"http": f"http://localhost:{http_port}", "https": f"https://localhost:{https_port}", "web": web,
               "https_port": https_port}
    finally:
        proxy.send_signal(signal.SIGQUIT)
        proxy.stop()
        web.stop()


def answers(port) -> bool:
    try:
        return httpx.get(f"https://localhost:{port}/withdraw/", verify=False, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_proxy_speaks_tls_and_sends_plain_http_there(proxied):
    redirected = httpx.get(proxied["http"] + "/withdraw/")
    secure = httpx.get(proxied["https"] + "/withdraw/", verify=False)

    assert redirected.status_code == 301 and redirected.headers["location"].startswith("https://localhost")
    assert secure.status_code == 200 and secure.http_version in ("HTTP/1.1", "HTTP/2")
    assert "Strict-Transport-Security" in secure.headers  # Django saw the request as HTTPS
    assert "Secure" in secure.headers["set-cookie"]


def test_rate_limits_count_the_real_client_whatever_it_claims_to_be(proxied, experiment, settings):
    limit = int(settings.RATE_LIMITS["study_entry"]["rate"].split("/")[0])
    url = f"{proxied['https']}/s/{experiment.slug}/"
    answers = [httpx.get(url, headers={"X-Forwarded-For": f"6.6.6.{n}"}, verify=False).status_code  # a new browser each
               for n in range(limit + 1)]

    assert answers[:limit] == [302] * limit
    assert answers[limit] == 429  # one client, however many addresses it wrote into the header
    assert Participant.objects.count() == limit


def tls_client(port: int) -> ssl.SSLSocket:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")


def test_a_body_over_the_limit_is_refused_by_the_proxy(proxied):
    with tls_client(proxied["https_port"]) as client:
        client.sendall(b"POST /withdraw/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 11534336\r\n\r\n")
        answer = client.recv(4096)

    assert answer.startswith(b"HTTP/1.1 413")
    assert "POST /withdraw/" not in proxied["web"].tail()  # gunicorn never saw it


def test_slow_clients_cost_the_proxy_a_connection_not_the_only_worker(proxied):
    slow = []
    for _ in range(3):
        client = tls_client(proxied["https_port"])
        client.sendall(b"POST /withdraw/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\nwithdrawal_c")
        slow.append(client)
    time.sleep(0.5)
    try:
        assert httpx.get(proxied["https"] + "/withdraw/", verify=False, timeout=3).status_code == 200
    finally:
        for client in slow:
            client.close()
