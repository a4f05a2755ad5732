"""The OpenAPI schema documents every error an operation can answer, in the one error format.

drf-spectacular documents only what a view declares, so the 4xx and 503 answers of the
exception handler, the throttles, the parser and the outage middleware were undocumented. This
AutoSchema adds them to each operation from what the view is: a body can be malformed (400) or
too large (413), a token can be wrong (401), a role missing (403), a path object missing (404),
a state not allow the write (409), a client too fast (429), the database away (503).
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class TokenScheme(KnoxTokenScheme):
    """The API's token (``procurement.auth.TokenAuthentication``, knox's in one query): the
    same security scheme as knox's, under the same name."""

    target_class = "procurement.auth.TokenAuthentication"


DESCRIPTIONS = {
    400: "Invalid input: a malformed body or parameter, or a value the service refuses.",
    401: "No valid credentials: a missing, unknown or expired token.",
    403: "The signed-in user lacks the role or the permission this action needs.",
    404: "Not found, or not visible to the one asking (the two are indistinguishable).",
    409: "The object's current state does not allow this action now.",
    413: "The request body is larger than the limit.",
    429: "Too many requests; retry after the number of seconds in Retry-After.",
    503: "Briefly unavailable (database or storage); retry after Retry-After seconds.",
}


class ErrorDetail(serializers.Serializer):
    code = serializers.CharField(help_text="machine-readable: invalid, not_found, conflict, …")
    message = serializers.CharField(help_text="for people, in the request's language")
    field = serializers.CharField(allow_null=True, help_text="the input field at fault, if any")
    details = serializers.JSONField(allow_null=True, help_text="every field's messages, if any")


class Error(serializers.Serializer):
    error = ErrorDetail()


class AutoSchema(openapi.AutoSchema):
    def error_statuses(self) -> set[int]:
        view, method = self.view, self.method
        statuses = {400, 429, 503}
        authenticates = bool(getattr(view, "authentication_classes", None))
        permissions = view.get_permissions() if hasattr(view, "get_permissions") else []
        open_to_all = all(isinstance(p, AllowAny) for p in permissions)
        if authenticates:
            statuses.add(401)
        if authenticates or not open_to_all:
            statuses.add(403)
        if method in UNSAFE:
            statuses |= {404, 409, 413}  # 404: an object the body names
        elif "{" in self.path or self._is_list_view():
            statuses.add(404)  # a path object, or a page number past the end
        return statuses

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in sorted(self.error_statuses()):
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    OpenApiResponse(Error, description=DESCRIPTIONS[status]), str(status)
                )
        return responses
