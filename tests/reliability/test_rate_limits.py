"""Rate limits by URL name: participant entry, photo submission, researcher login (per IP; the per-account
lockout is django-axes', tested in tests/test_accounts.py)."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from experiments.models import Participant, Photo
from experiments.participation import steps

pytestmark = pytest.mark.django_db

MESSAGE = "Too many attempts; please wait a minute and try again."


@pytest.fixture(autouse=True)
def rate_limited(settings):
    """Tiny limits (per day: no window edge in a test), counted in a cache of their own."""
    assert "experiments.ratelimits.RateLimitMiddleware" in settings.MIDDLEWARE
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "rate-limit-tests"}}
    settings.RATE_LIMITS = {
        "study_entry": {"rate": "3/d", "methods": ("GET",)},
        "study_capture": {"rate": "3/d", "methods": ("POST",)},
        "login": {"rate": "5/d", "methods": ("POST",)},
    }
    cache.clear()
    yield settings
    cache.clear()


def from_ip(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def test_entry_is_limited_per_address(experiment):
    url = reverse("study_entry", args=[experiment.slug])
    crowd = from_ip("203.0.113.7")

    answers = [from_ip("203.0.113.7").get(url).status_code for _ in range(3)]
    refused = crowd.get(url)

    assert answers == [302, 302, 302]
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert MESSAGE in refused.content.decode() and "<h1>" in refused.content.decode()
    assert Participant.objects.count() == 3  # the refused visit admitted nobody
    assert from_ip("198.51.100.1").get(url).status_code == 302  # other addresses are not affected


def test_photo_submissions_are_limited_and_answered_in_json(participant, text_file, face_jpeg):
    participant.walks_to_capture()
    assert participant.row.step == steps.CAPTURE
    assert participant.client.get(participant.here).status_code == 200  # showing the page is not counted

    tries = [participant.sends_photo(text_file).status_code for _ in range(3)]
    refused = participant.sends_photo(face_jpeg)

    assert tries == [400, 400, 400]
    assert refused.status_code == 429
    assert refused.json() == {"ok": False, "error": MESSAGE}
    assert not Photo.objects.exists() and participant.row.step == steps.CAPTURE


def test_other_participant_pages_are_not_limited(participant):
    participant.enters()
    for _ in range(6):
        assert participant.client.get(participant.here).status_code == 200


def test_researcher_login_is_limited_per_address(researcher):
    url = reverse("login")
    client = from_ip("192.0.2.10")

    answers = [client.post(url, {"username": f"guess{i}", "password": "wrong"}).status_code for i in range(5)]
    refused = client.post(url, {"username": "researcher", "password": "research-pass-1"})

    assert answers == [200] * 5  # the form again, with its error
    assert refused.status_code == 429 and MESSAGE in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(url).status_code == 200  # showing the login page is not counted


def test_a_successful_login_within_the_limit_works(researcher):
    client = from_ip("192.0.2.40")
    response = client.post(reverse("login"), {"username": "researcher", "password": "research-pass-1"})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(researcher.pk)


def test_limits_can_be_switched_off(experiment, settings):
    settings.RATELIMIT_ENABLE = False
    url = reverse("study_entry", args=[experiment.slug])
    assert all(from_ip("203.0.113.9").get(url).status_code == 302 for _ in range(6))


@pytest.fixture
def cache_at(settings):
    """Point the rate-limit counters at a Redis of our choosing; the circuit starts closed."""
    from experiments.circuits import cache_circuit

    counters = settings.CACHES

    def use(url):
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                                       "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
        cache_circuit.open_until = 0.0

    yield use
    settings.CACHES = counters  # before the other fixtures clear the cache on their way out
    cache_circuit.open_until = 0.0


def test_limits_fail_open_when_the_cache_is_down(experiment, cache_at, caplog):
    """RATELIMIT_FAIL_OPEN only covers a cache that answers without a count: a Redis that refuses
    connections raised through the middleware and every limited page answered 500."""
    from tests.reliability.faults import free_port

    cache_at(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    url = reverse("study_entry", args=[experiment.slug])

    answers = [from_ip("203.0.113.50").get(url).status_code for _ in range(5)]

    assert answers == [302] * 5 and Participant.objects.count() == 5
    assert sum("not waiting on it" in record.getMessage() for record in caplog.records) == 1  # said once


@pytest.mark.services
def test_a_frozen_cache_costs_one_timeout_then_is_skipped(experiment, cache_at, tmp_path):
    from experiments.circuits import cache_circuit
    from tests.reliability.faults import RedisServer, free_port

    redis = RedisServer(free_port(), tmp_path / "redis.log").start()
    cache_at(redis.url)
    url = reverse("study_entry", args=[experiment.slug])
    try:
        redis.freeze()  # accepts connections, answers nothing
        first = from_ip("203.0.113.51").get(url)
        skipped_until = cache_circuit.open_until
        second = from_ip("203.0.113.52").get(url)
    finally:
        redis.kill9()

    assert (first.status_code, second.status_code) == (302, 302)
    assert not cache_circuit.allows() and cache_circuit.open_until == skipped_until  # the second never waited


def test_behind_a_trusted_proxy_the_client_address_is_counted(experiment, settings):
    settings.TRUSTED_PROXIES = ["10.9.0.0/24"]
    url = reverse("study_entry", args=[experiment.slug])

    def visit(remote, forwarded):
        return Client(REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded).get(url).status_code

    through_proxy = [visit("10.9.0.2", f"198.51.100.{n}, 203.0.113.70") for n in range(4)]  # one client
    elsewhere = visit("10.9.0.2", "203.0.113.71")
    spoofing = [visit("192.0.2.99", f"203.0.113.{n}") for n in range(4)]  # header ignored: not from the proxy

    assert through_proxy == [302, 302, 302, 429]
    assert elsewhere == 302
    assert spoofing == [302, 302, 302, 429]
