"""Search and filters over tenders, shared by the portal's search page and the API.

Text search uses PostgreSQL full-text search over an accent-insensitive ``simple`` + ``unaccent``
configuration (Vietnamese has no stemmer; "cau" finds "cầu") with a GIN index; on SQLite it falls
back to a case-insensitive substring match.
"""

from __future__ import annotations

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from procurement import paging
from tenders.models import MONEY, Category, Method, Tender, TenderStatus


def text_search(queryset, value: str):
    value = value.strip()[:200]
    if not value:
        return queryset
    if connection.vendor == "postgresql":
        # The column exists only on PostgreSQL (migration 0003), so the model does not declare
        # it; the condition is written so the planner uses its GIN index.
        matches = queryset.extra(  # noqa: S610 - parameterised, no user text in the SQL
            where=["tenders_tender.search_vector @@ websearch_to_tsquery('minhbach', %s)"],
            params=[value],
        )
        # A GIN condition: counted by a plain scan first when matches are dense (paging).
        return paging.count_by_walk(matches)
    return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment, taken to UTC before it reaches the database: PostgreSQL refuses a
    time-zone offset beyond ±15:59 (``+20:00`` was a 500); one beyond ±24 h, or a moment that
    leaves the calendar once in UTC, is an invalid value."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None or moment.tzinfo is None:
            return moment
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class TenderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    agency = django_filters.CharFilter(field_name="agency__code", label=_("Agency code"))
    # distinct=False: no join here can repeat a row, and DISTINCT over every column would make
    # the database sort the whole match set on each page.
    status = django_filters.MultipleChoiceFilter(
        choices=TenderStatus.choices, label=_("Status"), distinct=False
    )
    classification = django_filters.CharFilter(
        field_name="classification_code", lookup_expr="startswith", label=_("Classification")
    )
    method = django_filters.MultipleChoiceFilter(
        choices=Method.choices, label=_("Method"), distinct=False
    )
    category = django_filters.MultipleChoiceFilter(
        choices=Category.choices, label=_("Category"), distinct=False
    )
    province = django_filters.CharFilter(label=_("Province or city"))
    # Bounded like the column: PostgreSQL refuses to compare with a numeral beyond its range
    # (-1e999999 was a 500).
    value_min = django_filters.NumberFilter(
        field_name="estimated_value", lookup_expr="gte", label=_("Value from"), **MONEY
    )
    value_max = django_filters.NumberFilter(
        field_name="estimated_value", lookup_expr="lte", label=_("Value up to"), **MONEY
    )
    deadline_after = UtcDateTimeFilter(
        field_name="submission_deadline", lookup_expr="gte", label=_("Deadline from")
    )
    deadline_before = UtcDateTimeFilter(
        field_name="submission_deadline", lookup_expr="lte", label=_("Deadline until")
    )
    ordering = django_filters.OrderingFilter(
        fields=["submission_deadline", "published_at", "estimated_value"],
        label=_("Sort by"),
    )

    class Meta:
        model = Tender
        fields: list[str] = []

    def search(self, queryset, name, value):
        return text_search(queryset, value)
