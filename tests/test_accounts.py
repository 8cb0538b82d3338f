"""Accounts: login throttling that cannot be turned against a researcher, and password reset by e-mail."""

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.test_settings import load_settings

pytestmark = pytest.mark.django_db
LOCKED = "Too many failed logins"


@pytest.fixture(autouse=True)
def no_rate_limits(settings):
    """The per-address rate limits are tested elsewhere; here only the account lockouts count."""
    settings.RATELIMIT_ENABLE = False


def from_ip(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def fail_logins(client: Client, username: str, times: int) -> None:
    """`times` wrong passwords; the one that reaches the limit is answered with the lockout already."""
    for attempt in range(1, times + 1):
        status = client.post(reverse("login"), {"username": username, "password": "wrong"}).status_code
        assert status == (429 if attempt >= settings.AXES_FAILURE_LIMIT else 200), (attempt, status)


def logs_in(client: Client, username="researcher", password="research-pass-1"):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_bad_passwords_lock_the_attackers_address_out_not_the_researcher(researcher, settings):
    attacker = from_ip("203.0.113.66")
    fail_logins(attacker, "researcher", settings.AXES_FAILURE_LIMIT)

    refused = logs_in(attacker)
    researcher_elsewhere = from_ip("198.51.100.5")
    allowed = logs_in(researcher_elsewhere)

    assert refused.status_code == 429 and LOCKED in refused.content.decode()
    assert "_auth_user_id" not in attacker.session
    assert allowed.status_code == 302 and researcher_elsewhere.session["_auth_user_id"] == str(researcher.pk)


def test_the_admin_login_is_locked_the_same_way(django_user_model, settings):
    django_user_model.objects.create_superuser("admin", "admin@example.org", "admin-pass-1")
    attacker = from_ip("203.0.113.67")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attacker.post(reverse("admin:login"), {"username": "admin", "password": "wrong"})

    refused = attacker.post(reverse("admin:login"), {"username": "admin", "password": "admin-pass-1"})
    elsewhere = from_ip("198.51.100.6").post(reverse("admin:login"), {"username": "admin",
                                                                       "password": "admin-pass-1"})

    assert refused.status_code == 429 and elsewhere.status_code == 302


def test_full_width_look_alikes_count_against_the_same_account(researcher, settings):
    attacker = from_ip("203.0.113.68")
    look_alikes = ["ｒｅｓｅａｒｃｈｅｒ", " researcher ", "ｒesearcher"]
    for i in range(settings.AXES_FAILURE_LIMIT):
        attacker.post(reverse("login"), {"username": look_alikes[i % 3], "password": "wrong"})

    assert logs_in(attacker).status_code == 429


def test_lockouts_hold_with_the_cache_down(researcher, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing listens there
    attacker = from_ip("203.0.113.69")
    fail_logins(attacker, "researcher", settings.AXES_FAILURE_LIMIT)

    assert logs_in(attacker).status_code == 429


def test_a_successful_login_clears_the_failures(researcher, settings):
    client = from_ip("203.0.113.70")
    fail_logins(client, "researcher", settings.AXES_FAILURE_LIMIT - 1)
    assert logs_in(client).status_code == 302
    client.logout()
    fail_logins(client, "researcher", settings.AXES_FAILURE_LIMIT - 1)
    assert logs_in(client).status_code == 302


@pytest.fixture
def researcher_with_email(researcher):
    researcher.email = "researcher@example.org"
    researcher.save()
    return researcher


def test_password_reset_sends_a_link_through_the_configured_backend(client, researcher_with_email):
    response = client.post(reverse("password_reset"), {"email": "researcher@example.org"})

    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1 and "/accounts/reset/" in mail.outbox[0].body
    link = next(w for w in mail.outbox[0].body.split() if "/accounts/reset/" in w)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and b"new_password1" in form.content


def test_password_reset_is_rate_limited_per_address(client, researcher_with_email, settings):
    settings.PASSWORD_RESET_RATE = "2/h"
    settings.RATELIMIT_ENABLE = True
    answers = [client.post(reverse("password_reset"), {"email": "researcher@example.org"}).status_code
               for _ in range(4)]

    assert answers == [302, 302, 302, 302]
    assert len(mail.outbox) == 2  # the others were answered like any request, and sent nothing


def test_without_a_mail_backend_the_reset_page_says_so(client, researcher_with_email, settings):
    settings.PASSWORD_RESET_BY_EMAIL = False

    page = client.get(reverse("password_reset"))
    sent = client.post(reverse("password_reset"), {"email": "researcher@example.org"})

    assert page.status_code == 503 and b"cannot send you a reset link" in page.content
    assert sent.status_code == 503 and not mail.outbox


def test_production_mail_comes_from_the_environment():
    base = {"DEBUG": "0", "SECRET_KEY": "k" * 60, "ALLOWED_HOSTS": "study.example.org"}
    probe = "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.PASSWORD_RESET_BY_EMAIL, s.EMAIL_HOST)"

    unset = load_settings(probe, **base)
    smtp = load_settings(probe, **base, EMAIL_HOST="smtp.example.org")

    assert unset.returncode == 0 and smtp.returncode == 0, unset.stderr + smtp.stderr
    assert unset.stdout.split()[-2:] == ["django.core.mail.backends.dummy.EmailBackend", "False"]
    assert smtp.stdout.split()[-3:] == ["django.core.mail.backends.smtp.EmailBackend", "True", "smtp.example.org"]

