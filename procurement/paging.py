"""Pagination that stays fast on millions of rows.

- The total is counted only up to a cap (``COUNT(*)`` over an unordered ``LIMIT`` subquery) and
  shown as "more than 1,000" beyond it.
- When a result set is that large, the first rows in the requested order are best found by
  walking the ordering's index and skipping non-matching rows. PostgreSQL's planner cannot know
  this for correlated conditions (the words of a phrase, say: it multiplies their frequencies
  and expects a handful of rows), so it fetches every match and sorts it, which at a million
  tenders costs half a second. We do know it — the capped count just said so — and read that
  page with bitmap scans, sequential scans and sorts discouraged for that one statement
  (``SET LOCAL`` inside its own transaction), which leaves the ordered index walk.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination

COUNT_CAP = 1_000


class CappedPaginator(Paginator):
    # A queryset, not any sequence: the capped count needs order_by().
    object_list: QuerySet[Any]

    @cached_property
    def count(self) -> int:
        # Without ORDER BY the database stops after COUNT_CAP + 1 matches instead of sorting
        # every match first.
        return self.object_list.order_by()[: COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        # Past the cap the count is a floor, not the total: never cut a page short by it.
        if not self.capped and top + self.orphans >= self.count:
            top = self.count
        rows: QuerySet[Any] | list[Any] = self.object_list[bottom:top]
        if self.capped and connection.vendor == "postgresql":
            with transaction.atomic(), connection.cursor() as cursor:
                for setting in ("enable_bitmapscan", "enable_seqscan", "enable_sort"):
                    cursor.execute(f"SET LOCAL {setting} = off")
                rows = list(rows)
        # Django's page-class hook, which django-stubs does not declare.
        return self._get_page(rows, number, self)  # type: ignore[attr-defined]


class CappedPagination(PageNumberPagination):
    """DRF pagination over CappedPaginator; ``count_capped`` says the count stopped at the cap."""

    django_paginator_class = CappedPaginator
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.page.paginator.capped
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_capped"] = {"type": "boolean"}
        return schema
