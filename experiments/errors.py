"""Error pages a participant can read: JSON for the capture page's fetch, HTML for everything else.

Django answers a body it cannot parse (too large, too many fields or files, broken multipart) with
handler400 before any view runs, often from the CSRF middleware. An outage of a service the page
needs (PostgreSQL, or Redis for the cache and the broker) is temporary: every page answers 503 with
`Retry-After` and a page in the participant's language that says their answers are kept and to
wait. `OutageMiddleware` answers for errors raised in views; `server_error` (handler500) for errors
raised anywhere else, such as a session saved after the view. Fetch (Accept: application/json)
gets `{"ok": false, "error": ...}`, which static/study/capture.js shows as is.
"""

import logging
import sys

import kombu.exceptions
import redis.exceptions
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _
from django.views import defaults

from .photos import PhotoStorageFull

log = logging.getLogger(__name__)

# A database, cache or broker that does not answer: temporary, so the page says to wait, not that we broke.
OUTAGE_ERRORS = (OperationalError, InterfaceError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                 kombu.exceptions.OperationalError)
RETRY_AFTER_SECONDS = 30
FULL_DISK_RETRY_AFTER_SECONDS = 3600  # someone must free space first: not "try again now"


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def bad_request(request, exception=None):
    if not wants_json(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        limit = settings.PHOTO_MAX_BYTES // (1024 * 1024)
        message = _("What you sent is too large (more than %(limit)s MB). Please try again with a smaller photo.")
        return JsonResponse({"ok": False, "error": message % {"limit": limit}}, status=413)
    message = _("What you sent could not be read. Please try again.")
    return JsonResponse({"ok": False, "error": message}, status=400)


def unavailable(request, *, retry_after: int = RETRY_AFTER_SECONDS, message: str = "") -> HttpResponse:
    """503 with Retry-After, rendered without touching the database (no context processors, no session)."""
    if wants_json(request):  # the capture page's fetch: its send button is still there
        message = message or _("The study server is busy for a moment. Please wait a few seconds and try again.")
        soon = retry_after <= RETRY_AFTER_SECONDS
        response = JsonResponse({"ok": False, "error": message, "retry": soon}, status=503)
    else:
        message = message or _("The study server is busy for a moment. Your answers so far are saved. "
                               "Please wait a minute, then reload this page.")
        body = render_to_string("unavailable.html", {"message": message, "retry_after": retry_after})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


class OutageMiddleware(MiddlewareMixin):
    """A view that meets a database, cache or broker outage answers 503, not 500 (and never a traceback)."""

    def process_exception(self, request, exception):
        if isinstance(exception, PhotoStorageFull):  # the admins were alerted where it was raised
            return unavailable(request, retry_after=FULL_DISK_RETRY_AFTER_SECONDS, message=str(exception.message))
        if isinstance(exception, OUTAGE_ERRORS):
            log.warning("%s %s answered 503: %s: %s", request.method, request.path, type(exception).__name__,
                        exception)
            return unavailable(request)
        return None


def server_error(request):
    """An outage raised outside a view is still temporary (503); anything else is our fault (500)."""
    exception = sys.exc_info()[1]  # Django calls handler500 while handling the exception
    if isinstance(exception, OUTAGE_ERRORS):
        return unavailable(request)
    if not wants_json(request):
        return defaults.server_error(request)
    message = _("Something went wrong on our side. Please try again.")
    return JsonResponse({"ok": False, "error": message, "retry": True}, status=500)
