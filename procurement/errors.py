"""How the platform answers what no view answers: unmatched URLs, oversized or malformed
requests, server and database failures, and sign-in lockouts.

Under ``/api/`` every answer is the API's one error format (``api.exceptions``):
``{"error": {"code", "message", "field", "details"}}``; elsewhere Django's own error pages.
A database or storage outage answers 503 with ``Retry-After`` (a retry can succeed), not 500.
"""

from __future__ import annotations

import errno
import logging
import math

from axes.helpers import get_cool_off
from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
# How long a client should wait before retrying after an outage answered 503.
RETRY_AFTER_SECONDS = 30
# Storage errors worth retrying (a full or failing volume); other OSErrors are bugs.
_TRANSIENT_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EAGAIN, errno.EDQUOT, errno.ETIMEDOUT}


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def api_error(
    code: str, message: str, status: int, *, retry_after: int | None = None
) -> JsonResponse:
    body = {"error": {"code": code, "message": message, "field": None, "details": None}}
    response = JsonResponse(body, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _page(title: str, status: int) -> HttpResponse:
    return HttpResponse(
        defaults.ERROR_PAGE_TEMPLATE % {"title": title, "details": ""}, status=status
    )


def bad_request(request, exception):
    too_big = isinstance(exception, RequestDataTooBig)
    if is_api(request):
        if too_big:
            message = _("The request body is larger than %(n)d bytes.") % {
                "n": settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            }
            return api_error("request_too_large", message, 413)
        return api_error("bad_request", _("The request is malformed."), 400)
    if too_big:
        return _page("Request Entity Too Large (413)", 413)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api(request):
        return api_error(
            "permission_denied", _("You do not have permission to perform this action."), 403
        )
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if is_api(request):
        return api_error("not_found", _("Not found."), 404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api(request):
        return api_error("server_error", _("A server error occurred."), 500)
    return defaults.server_error(request)


def is_outage(exc: BaseException) -> bool:
    """A failure of the database or of storage that a later retry can get past."""
    if isinstance(exc, OperationalError | InterfaceError | ConnectionError | TimeoutError):
        return True
    return isinstance(exc, OSError) and exc.errno in _TRANSIENT_ERRNOS


def unavailable(request) -> HttpResponse:
    if is_api(request):
        return api_error(
            "unavailable",
            _("The service is briefly unavailable; try again later."),
            503,
            retry_after=RETRY_AFTER_SECONDS,
        )
    response = _page("Service Unavailable (503)", 503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class ErrorMiddleware:
    """Refuses a NUL in the path (404) or the query string (400) before any view sees it
    (no tender, ocid or ledger subject holds one, and PostgreSQL cannot compare with one), and
    answers database and storage outages with 503 + ``Retry-After``."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:
            raise Http404
        if any("\x00" in key + "".join(values) for key, values in request.GET.lists()):
            raise BadRequest("NUL in the query string")
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_outage(exception):
            return None
        logger.error("outage answered 503: %s %s", request.method, request.path, exc_info=exception)
        return unavailable(request)


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lockout answer (``AXES_LOCKOUT_CALLABLE``): 429 with ``Retry-After``, in the
    API's error format under ``/api/`` and as the lockout page elsewhere."""
    cool_off = get_cool_off(request)
    retry_after = math.ceil(cool_off.total_seconds()) if cool_off else None
    message = _("Too many failed sign-ins from this address; try again later.")
    if is_api(request):
        return api_error("throttled", message, 429, retry_after=retry_after)
    response = render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response
