"""Input serializers are validated the same way in every view: errors become the API's one
error format through the exception handler."""

from __future__ import annotations

from rest_framework import serializers


def valid(serializer_class: type[serializers.Serializer], request, **kwargs) -> dict:
    data = serializer_class(data=request.data, **kwargs)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)
