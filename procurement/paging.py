"""Pagination that stays fast on millions of rows: the total is counted only up to a cap
(``COUNT(*)`` over a ``LIMIT`` subquery), and shown as "10,000+" beyond it."""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator
from rest_framework.pagination import PageNumberPagination

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
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
        return self._get_page(self.object_list[bottom:top], number, self)


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
