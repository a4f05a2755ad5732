"""Pagination that stays fast on millions of rows.

- The total is counted only up to a cap (``COUNT(*)`` over an unordered ``LIMIT`` subquery) and
  shown as "more than 1,000" beyond it.
- When a result set is that large, the first rows in the requested order are best found by
  walking the ordering's index and skipping non-matching rows. PostgreSQL's planner cannot know
  this for correlated conditions (the words of a phrase, say: it multiplies their frequencies
  and expects a handful of rows), so it fetches every match and sorts it, which at a million
  tenders costs half a second. We do know it — the capped count just said so — and read that
  page with bitmap scans, sequential scans, sorts and parallel workers discouraged for that one
  statement (set in a savepoint rolled back after it: ``undone``), which leaves the ordered
  index walk.
- The same misestimate makes the capped count itself slow for a full-text condition: a GIN
  index is read only by a bitmap scan, which collects *every* match (83,000 rows for one
  common word at a million tenders: 20-50 ms, and 80-120 ms when the planner ANDs it with a
  B-tree bitmap over a value range) before the first 1,001 are counted. A plain scan that stops
  at the 1,001st match is cheaper whenever matches are dense. A queryset marked with
  ``count_by_walk`` (the tenders' text search marks its own) is therefore counted in steps
  (``walk_count``): a probe over the table's first ``PROBE_PAGES`` pages measures how dense the
  matches are (of the whole condition, and of the marked one alone: ``_walk_pays``); if they
  are dense, a plain scan stops at the cap; otherwise, or if that scan
  overruns ``WALK_TIMEOUT_MS`` (matches dense at the start of the table only), the planner's own
  count runs as before. Every path counts the same rows: only the plan differs.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination

COUNT_CAP = 1_000
# The probe reads the table's first pages (about 2,000 tenders, ~2 ms) to measure the share of
# rows that match; the plain scan is chosen from WALK_DENSITY up: at a million tenders it
# then reads at most ~50,000 rows (~50 ms), the point where a bitmap scan starts to win.
PROBE_PAGES = 200
WALK_DENSITY = 0.02
DENSE_ALONE = 0.05
WALK_DENSITY_BESIDE = 0.015
WALK_TIMEOUT_MS = 100


def _settings(*names: str, **values: object) -> str:
    """One statement setting planner options until the end of the transaction."""
    pairs = [(name, "off") for name in names] + list(values.items())
    return "SELECT " + ", ".join(f"set_config('{n}', '{v}', true)" for n, v in pairs)


# The probe reads the first pages in order, not through an index that would take it anywhere.
_PROBE_SETTINGS = _settings("enable_bitmapscan", "enable_indexscan", "enable_indexonlyscan")
# Parallel workers off: on a busy machine their start costs more than the short scan they share.
_WALK_SETTINGS = _settings(
    "enable_bitmapscan", statement_timeout=WALK_TIMEOUT_MS, max_parallel_workers_per_gather=0
)
# For the page past the cap: the ordered index walk (see the module's docstring). Parallel
# workers are off too: for a misestimated walk the planner starts them, ~10 ms for 25 rows.
ORDERED_WALK_SETTINGS = _settings(
    "enable_bitmapscan", "enable_seqscan", "enable_sort", max_parallel_workers_per_gather=0
)


def count_by_walk(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Mark ``queryset`` (and every queryset derived from it) as one whose capped count should
    try a plain scan first: for conditions only a GIN index serves (see the module docstring).
    The mark lives on the query, which Django copies with every clone; it keeps ``queryset``
    itself, so that the probe can also measure how dense its matches are before the other
    filters narrow them."""
    queryset.query.count_by_walk = queryset  # type: ignore[attr-defined]
    return queryset


def capped_count(
    queryset: QuerySet[Any],
    cap: int | None = None,
    execute: Callable[[list[tuple[str, Any]]], tuple] | None = None,
) -> int:
    """The number of rows of ``queryset``, counted up to ``cap + 1`` at most. ``execute`` runs
    the statements (``execute_undone`` by default; bench/search_bench.py times the same)."""
    cap = COUNT_CAP if cap is None else cap
    rows = queryset.order_by()
    alone = getattr(rows.query, "count_by_walk", None)
    if connection.vendor == "postgresql" and alone is not None:
        return walk_count(
            lambda where: capped_count_sql(rows, cap, where),
            table=rows.model._meta.db_table,
            cap=cap,
            execute=execute or execute_undone,
            alone=lambda where: capped_count_sql(alone, cap, where),
        )
    if execute is not None:
        return execute([capped_count_sql(rows, cap)])[0]
    return rows[: cap + 1].count()


def capped_count_sql(rows: QuerySet[Any], cap: int, where: str | None = None) -> tuple[str, Any]:
    """The capped count's statement for ``rows``, with one more raw condition if given."""
    if where:
        rows = rows.extra(where=[where])  # noqa: S610 - our own condition, no user text
    sql, params = rows.order_by().values("pk")[: cap + 1].query.sql_with_params()
    return f"SELECT COUNT(*) FROM ({sql}) AS capped", params  # noqa: S608 - compiled by the ORM


@contextmanager
def undone():
    """A cursor in a transaction (a savepoint inside another) that is rolled back: for reads,
    so that planner settings made with ``set_config(..., true)`` end with them, even inside an
    outer transaction (where a released savepoint would keep them until that one ends)."""
    with transaction.atomic(), connection.cursor() as cursor:
        yield cursor
        transaction.set_rollback(True)


def execute_undone(statements: list[tuple[str, Any]]) -> tuple:
    """Run ``statements`` ``undone`` and return the last one's first row."""
    with undone() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
        return cursor.fetchone()


def walk_count(
    count_sql: Callable[[str | None], tuple[str, Any]],
    *,
    table: str,
    cap: int,
    execute: Callable[[list[tuple[str, Any]]], tuple],
    alone: Callable[[str | None], tuple[str, Any]] | None = None,
) -> int:
    """The capped count in steps (module docstring). ``count_sql(extra_where)`` gives the
    capped count's statement with one more condition (or none), ``alone`` the same for the
    marked condition without the filters added after it; ``execute`` runs statements in one
    transaction and returns the last one's first row."""
    probe_where = f"\"{table}\".ctid < '({PROBE_PAGES},0)'::tid"
    probe_sql, probe_params = count_sql(probe_where)
    alone_sql, alone_params = alone(probe_where) if alone else ("SELECT NULL", ())
    # The probe's matches, how many rows it read, whether the table goes on past it, and the
    # marked condition's own matches.
    probe = (
        f'SELECT ({probe_sql}), (SELECT COUNT(*) FROM "{table}" WHERE {probe_where}),'  # noqa: S608
        f" pg_relation_size('\"{table}\"') > {PROBE_PAGES} * current_setting('block_size')::int,"
        f" ({alone_sql})"
    )
    matches, probed, more, alone_matches = execute(
        [(_PROBE_SETTINGS, None), (probe, (*(probe_params or ()), *alone_params))]
    )
    if matches > cap or not more:
        return matches
    sql, params = count_sql(None)
    if probed and _walk_pays(matches / probed, (alone_matches or 0) / probed):
        try:
            return execute([(_WALK_SETTINGS, None), (sql, params)])[0]
        except OperationalError:  # the scan overran its time: the planner's own count instead
            pass
    return execute([(sql, params)])[0]


def _walk_pays(density: float, alone: float) -> bool:
    """Whether a plain scan should beat the planner's bitmap plan, from the probe's densities:
    of the whole condition, and of the marked (GIN) condition alone. When the GIN condition
    alone is dense, every bitmap plan collects its many matches and the planner tends to AND
    them with a B-tree bitmap over a value range or a category (80-170 ms at a million
    tenders), so the scan is worth it down to a lower density of the whole condition."""
    return density >= WALK_DENSITY or (alone >= DENSE_ALONE and density >= WALK_DENSITY_BESIDE)


class CappedPaginator(Paginator):
    # A queryset, not any sequence: the capped count needs order_by().
    object_list: QuerySet[Any]

    @cached_property
    def count(self) -> int:
        # Without ORDER BY the database stops after COUNT_CAP + 1 matches instead of sorting
        # every match first.
        return capped_count(self.object_list)

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
        sliced = self.object_list[bottom:top]
        rows: QuerySet[Any] | list[Any] = sliced
        if self.capped and connection.vendor == "postgresql":
            rows = self._walk(sliced)
        # Django's page-class hook, which django-stubs does not declare.
        return self._get_page(rows, number, self)  # type: ignore[attr-defined]

    @staticmethod
    def _walk(rows: QuerySet[Any]) -> list[Any]:
        with undone() as cursor:  # the settings end with the statement
            cursor.execute(ORDERED_WALK_SETTINGS)
            return list(rows)


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
