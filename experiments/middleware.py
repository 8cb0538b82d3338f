"""Request hygiene for every endpoint, anonymous ones included, before any view or middleware reads
the body: a cap on its size, no NUL bytes in what the browser sent, and private caching of researcher
pages.

- Size: a Content-Length over the cap is refused (413) without reading a byte. A chunked body (no
  Content-Length; gunicorn decodes it and says so with `wsgi.input_terminated`) is read into a spool
  only up to the cap. Photo submissions (`UPLOAD_VIEWS`) may send `DATA_UPLOAD_MAX_MEMORY_SIZE`,
  everything else `REQUEST_MAX_BYTES`.
- NUL: PostgreSQL text cannot hold U+0000, and no form field needs it: any in the query string or a
  form field is a 400 with a message (files are not fields: a photo may contain any byte).
- Researcher pages and API answers (`PRIVATE_NAMESPACES`) carry `Cache-Control: private, no-store`.
"""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.html import escape
from django.utils.translation import gettext as _

UPLOAD_VIEWS = {"study_capture"}
PRIVATE_NAMESPACES = {"workspace", "api", "admin"}
PRIVATE = "private, no-store"
SPOOL_IN_MEMORY = 1024 * 1024


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def refusal(request, status: int, title: str, message: str) -> HttpResponse:
    if wants_json(request) or request.path.startswith("/api/"):
        response = JsonResponse({"ok": False, "error": message}, status=status)
    else:
        body = (f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{escape(title)}</title>'
                f"<h1>{escape(title)}</h1><p>{escape(message)}</p></html>")
        response = HttpResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


def view_name(request) -> str:
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return ""


def body_cap(name: str) -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE if name in UPLOAD_VIEWS else settings.REQUEST_MAX_BYTES


def too_large(request, cap: int) -> HttpResponse:
    limit = max(cap // (1024 * 1024), 1)
    return refusal(request, 413, _("Too large"),
                   _("What you sent is too large (more than %(limit)s MB). Please try again with a smaller photo.")
                   % {"limit": limit} if cap > settings.REQUEST_MAX_BYTES else
                   _("What you sent is too large (more than %(limit)s MB).") % {"limit": limit})


def spool_chunked(request, cap: int) -> None:
    """Read a body of unknown length up to `cap` bytes, so Django parses it as if it had a length."""
    source, spool, total = request.environ["wsgi.input"], tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY), 0
    while block := source.read(64 * 1024):
        total += len(block)
        if total > cap:
            spool.close()
            raise RequestDataTooBig(f"chunked body over {cap} bytes")
        spool.write(block)
    spool.seek(0)
    request.META["CONTENT_LENGTH"] = str(total)
    request._stream = LimitedStream(spool, total)


def has_nul(query) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in query.lists())


class RequestHygieneMiddleware:
    """Place it right after SecurityMiddleware: before anything that reads the body (CSRF, rate limits)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = view_name(request)
        refused = self.refuse(request, name)
        response = refused or self.get_response(request)
        if name.split(":")[0] in PRIVATE_NAMESPACES:
            response["Cache-Control"] = PRIVATE
        return response

    def refuse(self, request, name: str) -> HttpResponse | None:
        cap = body_cap(name)
        length = request.META.get("CONTENT_LENGTH") or ""
        try:
            if length and int(length) > cap:
                return too_large(request, cap)
            if not length and request.environ.get("wsgi.input_terminated") and request.method in ("POST", "PUT",
                                                                                                   "PATCH"):
                spool_chunked(request, cap)
        except ValueError:
            return refusal(request, 400, _("Bad request"), _("The request's length could not be read."))
        except RequestDataTooBig:
            return too_large(request, cap)
        if has_nul(request.GET) or (request.method == "POST" and has_nul(request.POST)):
            return refusal(request, 400, _("Bad request"),
                           _("What you sent contains a character that is not allowed (a NUL byte)."))
        return None
