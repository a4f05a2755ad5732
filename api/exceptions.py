"""One exception handler: every API error has the same shape.

{"error": {"code": "invalid", "message": "...", "field": "size" | null, "details": {...}}}
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from api.parsers import RequestTooLarge
from procurement import exceptions as domain

DOMAIN_STATUS = {
    domain.NotFound: status.HTTP_404_NOT_FOUND,
    domain.PermissionDenied: status.HTTP_403_FORBIDDEN,
    domain.InvalidInput: status.HTTP_400_BAD_REQUEST,
    domain.Conflict: status.HTTP_409_CONFLICT,
}


def _body(code: str, message: str, field: str | None = None, details=None) -> dict:
    return {"error": {"code": code, "message": message, "field": field, "details": details}}


def exception_handler(exc, context):
    if isinstance(exc, domain.DomainError):
        http_status = next(
            (s for cls, s in DOMAIN_STATUS.items() if isinstance(exc, cls)),
            status.HTTP_400_BAD_REQUEST,
        )
        return Response(_body(exc.code, exc.message, exc.field), status=http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):  # a form or multipart body over Django's limit
        exc = RequestTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handling (and logging) takes it
    if isinstance(exc, exceptions.ValidationError):
        details = response.data
        field, message = None, _("Invalid input.")
        if isinstance(details, dict) and details:
            field = next(iter(details))
            first = details[field]
            message = str(first[0] if isinstance(first, list) and first else first)
            if field == "non_field_errors":
                field = None
        elif isinstance(details, list) and details:
            message = str(details[0])
        response.data = _body("invalid", message, field, details)
    else:
        code = getattr(exc, "default_code", "error")
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = _body(code, str(detail))
    return response
