"""Error pages that the capture page's fetch can read: JSON with an `error` for the participant.

Django answers a body it cannot parse (too large, too many fields or files, broken multipart) with
handler400 before any view runs, often from the CSRF middleware; and a database that refuses
connections ends in handler500. Browsers get Django's plain pages; fetch (Accept: application/json)
gets `{"ok": false, "error": ...}`, which static/study/capture.js shows as is.
"""

import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


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


def server_error(request):
    """A database outage is temporary (503, try again); anything else is our fault (500)."""
    exception = sys.exc_info()[1]  # Django calls handler500 while handling the exception
    if not wants_json(request):
        return defaults.server_error(request)
    if isinstance(exception, (OperationalError, InterfaceError)):
        message = _("The study server is busy for a moment. Please try again.")
        response = JsonResponse({"ok": False, "error": message, "retry": True}, status=503)
        response["Retry-After"] = "5"
        return response
    message = _("Something went wrong on our side. Please try again.")
    return JsonResponse({"ok": False, "error": message, "retry": True}, status=500)
