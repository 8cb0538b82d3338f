"""Per-IP (and per-username) rate limits chosen by the resolved URL name, in one middleware.

The participant and login views stay untouched: `RATE_LIMITS` in settings maps a view name to a
rate, the methods it counts and what it counts by; the counting is django-ratelimit's
(https://django-ratelimit.readthedocs.io/en/stable/usage.html#core-methods) on the default cache,
which must be shared by all web processes (Redis) for the limits to mean what they say.

>>> parse_rule({"rate": "5/m"})["methods"]
('GET', 'POST')
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

# View name (with namespace, as in reverse()) -> rule. Settings can replace any of them.
DEFAULT_RATE_LIMITS = {
    # Labs and classrooms put many participants behind one address: keep participant limits generous.
    "study_entry": {"rate": "60/m", "methods": ("GET",)},
    "study_capture": {"rate": "120/m", "methods": ("POST",)},
    # Per address only: a per-username limit would lock a researcher out from every address; the
    # per-account lockout is django-axes' (username + address together, experiments/accounts.py).
    "login": {"rate": "20/m", "methods": ("POST",)},
    "admin:login": {"rate": "20/m", "methods": ("POST",)},
    "password_reset": {"rate": "10/h", "methods": ("POST",)},
}


def parse_rule(rule: dict) -> dict:
    return {"methods": ("GET", "POST"), "per_username": None, **rule}


def username_of(group: str, request) -> str:
    return request.POST.get("username", "").strip().lower()


def too_many(request) -> HttpResponse:
    message = _("Too many attempts; please wait a minute and try again.")
    if "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"ok": False, "error": message}, status=429)
    else:
        title = escape(_("Too many attempts"))
        body = f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{title}</title>' \
               f"<h1>{title}</h1><p>{escape(message)}</p></html>"
        response = HttpResponse(body, status=429)
    response["Retry-After"] = "60"
    response["Cache-Control"] = "no-store"
    return response


class RateLimitMiddleware:
    """Place it after CommonMiddleware and before CsrfViewMiddleware: a refused request costs nothing more."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        rules = getattr(settings, "RATE_LIMITS", DEFAULT_RATE_LIMITS)
        rule = rules.get(match.view_name) if match else None
        if rule is None:
            return None
        rule = parse_rule(rule)
        if request.method not in rule["methods"]:
            return None
        group = f"ratelimit:{match.view_name}"
        limited = is_ratelimited(request, group=group, key="ip", rate=rule["rate"], method=rule["methods"],
                                 increment=True)
        if rule["per_username"] and username_of(group, request):
            limited |= is_ratelimited(request, group=group + ":user", key=username_of, rate=rule["per_username"],
                                      method=rule["methods"], increment=True)
        return too_many(request) if limited else None
