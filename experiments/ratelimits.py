"""Per-IP (and per-username) rate limits chosen by the resolved URL name, in one middleware.

The participant and login views stay untouched: `RATE_LIMITS` in settings maps a view name to a
rate, the methods it counts and what it counts by; the counting is django-ratelimit's
(https://django-ratelimit.readthedocs.io/en/stable/usage.html#core-methods) on the default cache,
which must be shared by all web processes (Redis) for the limits to mean what they say. A cache that
cannot answer lets the request through (and is skipped for a while, experiments/circuits.py): an
outage of the counters must not lock participants out. `client_ip` is the address counted behind a
trusted reverse proxy.

>>> parse_rule({"rate": "5/m"})["methods"]
('GET', 'POST')
"""

import ipaddress
import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

from .circuits import REDIS_ERRORS, cache_circuit

log = logging.getLogger(__name__)

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


def forwarded_client(remote_addr: str, forwarded_for: str, trusted: list[str]) -> str:
    """The client's address: `remote_addr`, unless that is a trusted proxy, then the right-most address in
    X-Forwarded-For that is not one. What a client writes into the header itself stays on the left, since
    every proxy appends the address it saw, so it is never taken.

    >>> forwarded_client("172.30.0.2", "6.6.6.6, 203.0.113.9", ["172.30.0.0/24"])
    '203.0.113.9'
    >>> forwarded_client("198.51.100.7", "6.6.6.6", ["172.30.0.0/24"])  # not from the proxy: header ignored
    '198.51.100.7'
    """
    networks = [ipaddress.ip_network(network, strict=False) for network in trusted]

    def is_trusted(address: str) -> bool:
        try:
            return any(ipaddress.ip_address(address) in network for network in networks)
        except ValueError:
            return False

    if not is_trusted(remote_addr):
        return remote_addr
    for address in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        if not is_trusted(address):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return remote_addr  # a malformed header from the proxy's side: count the proxy
    return remote_addr


def client_ip(request) -> str:
    """RATELIMIT_IP_META_KEY: the address rate limits count (and the access log records)."""
    return forwarded_client(request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", ""),
                            settings.TRUSTED_PROXIES)


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
        limited = counted(request, group=group, key="ip", rate=rule["rate"], method=rule["methods"])
        if rule["per_username"] and username_of(group, request):
            limited |= counted(request, group=group + ":user", key=username_of, rate=rule["per_username"],
                               method=rule["methods"])
        return too_many(request) if limited else None


def counted(request, **rule) -> bool:
    """Count the request; True if it is over the limit. Fails open: RATELIMIT_FAIL_OPEN only covers a cache
    that answers without a count, not one that raises, so the errors of a Redis that is down are caught here."""
    if not cache_circuit.allows():
        return False
    try:
        return is_ratelimited(request, increment=True, **rule)
    except REDIS_ERRORS as error:
        cache_circuit.trip(error)
        return False
