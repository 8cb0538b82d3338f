"""Researcher and admin accounts: login throttling (django-axes) keyed as authentication keys users,
and password reset by e-mail only when a mail backend is configured.

Lockouts count failures per username *and* address, in the database (axes' database handler), so
they hold with Redis down and cannot be turned against a researcher: ten bad passwords from one
address lock that address out of that account, not the researcher out from everywhere.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django_ratelimit.decorators import ratelimit

from . import ratelimits


def login_username(request, credentials: dict | None = None) -> str:
    """The username as authentication compares it: stripped like the login form's field and NFKC-normalised
    (`AbstractBaseUser.normalize_username`, so a full-width look-alike is the same account); case is
    kept, as ModelBackend's lookup keeps it.

    >>> login_username(None, {"username": " ｒｅｓｅａｒｃｈｅｒ "})
    'researcher'
    """
    raw = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD)
    if raw is None and request is not None:
        raw = request.POST.get(settings.AXES_USERNAME_FORM_FIELD, "")
    return get_user_model().normalize_username(str(raw or "").strip())


def client_ip(request) -> str:
    """The client address exactly as the rate limits key it (behind a trusted proxy, the address it passes
    on); empty for the requests Django makes up itself (a test client's logout has no REMOTE_ADDR)."""
    return ratelimits.client_ip(request) if request is not None else ""


def password_reset_configured() -> bool:
    return settings.PASSWORD_RESET_BY_EMAIL


@ratelimit(key="post:email", rate=lambda group, request: settings.PASSWORD_RESET_RATE, method="POST", block=False)
def password_reset(request, *args, **kwargs):
    """Django's password reset, sent through the configured mail backend; with none, the page says so.

    The per-address limit on the form's e-mail is here; the per-IP one is `RATE_LIMITS["password_reset"]`.
    A limited request is answered like any other (on to "check your mail"), and no mail is sent.
    """
    if not password_reset_configured():
        return render(request, "registration/password_reset_unavailable.html", status=503)
    if getattr(request, "limited", False):
        return redirect("password_reset_done")
    return auth_views.PasswordResetView.as_view()(request, *args, **kwargs)
