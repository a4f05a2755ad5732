"""Capped counting (procurement/paging.py): every strategy counts the same rows, and the planner
settings it makes end with its own statements."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.db.models import Q

from procurement import paging
from tenders.models import Tender

postgresql_only = pytest.mark.skipif(
    "not __import__('django.db').db.connection.vendor == 'postgresql'",
    reason="the stepped count and the planner settings are PostgreSQL's",
)


class Script:
    """A fake executor for walk_count: answers each call from a list, records the statements."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls: list[list[str]] = []

    def __call__(self, statements):
        self.calls.append([sql for sql, _ in statements])
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def count_sql(where):
    return (f"COUNT WHERE {where}" if where else "COUNT", None)


def walk(script, cap=1000):
    return paging.walk_count(count_sql, table="t", cap=cap, execute=script)


def test_a_probe_that_reaches_the_cap_answers_alone():
    script = Script((11, 2000, True, 11))
    assert walk(script, cap=10) == 11
    assert len(script.calls) == 1
    assert "ctid < '(200,0)'" in script.calls[0][1]


def test_a_probe_over_the_whole_table_is_the_exact_count():
    script = Script((7, 150, False, 7))
    assert walk(script) == 7
    assert len(script.calls) == 1


def test_dense_matches_are_counted_by_a_plain_scan_with_a_time_limit():
    script = Script((45, 2000, True, 45), (1001,))  # 2.25 % of the probe matched
    assert walk(script) == 1001
    settings, statement = script.calls[1]
    assert "enable_bitmapscan" in settings and "statement_timeout" in settings
    assert statement == "COUNT"


def test_sparse_matches_are_counted_by_the_planners_own_plan():
    script = Script((39, 2000, True, 39), (40,))  # 1.95 %
    assert walk(script) == 40
    assert script.calls[1] == ["COUNT"]


@pytest.mark.parametrize(
    ("matches", "alone", "walks"),
    [
        (39, 39, False),  # 1.95 %, the text alone as sparse: a bitmap collects few matches
        (39, 100, True),  # 1.95 %, the text alone 5 %: its bitmap would collect many
        (29, 160, False),  # 1.45 %: too sparse to walk even so
    ],
)
def test_a_dense_text_narrowed_by_other_filters_is_still_walked(matches, alone, walks):
    script = Script((matches, 2000, True, alone), (1001,) if walks else (40,))
    assert walk(script) == (1001 if walks else 40)
    assert (len(script.calls[1]) == 2) is walks  # the walk's settings, then the count


def test_a_plain_scan_that_overruns_falls_back_to_the_planners_plan():
    script = Script((45, 2000, True, 45), OperationalError("canceling statement"), (1001,))
    assert walk(script) == 1001
    assert script.calls[2] == ["COUNT"]


@pytest.fixture
def generated(db):
    call_command("generate_tenders", count=60, agencies=5, batch=60, stdout=io.StringIO())


QUERIES = [
    Q(),
    Q(category="goods"),
    Q(province="Đà Nẵng"),
    Q(reference="GEN-nothing"),
]


@postgresql_only
@pytest.mark.parametrize("condition", QUERIES)
@pytest.mark.parametrize("density", [0.0, 2.0])  # always a plain scan; never one
@pytest.mark.parametrize("probe_pages", [0, 1, 200])  # no probe; part of the table; all of it
@pytest.mark.parametrize("cap", [5, 1000])
def test_every_strategy_counts_the_same_rows(
    generated, monkeypatch, condition, density, probe_pages, cap
):
    monkeypatch.setattr(paging, "WALK_DENSITY", density)
    monkeypatch.setattr(paging, "WALK_DENSITY_BESIDE", density)
    monkeypatch.setattr(paging, "PROBE_PAGES", probe_pages)
    # Marked before the filter, as the text search is before the search form's other filters.
    rows = paging.count_by_walk(Tender.objects.order_by("-published_at")).filter(condition)
    expected = min(Tender.objects.filter(condition).count(), cap + 1)
    assert paging.capped_count(rows, cap) == expected


@postgresql_only
def test_planner_settings_end_with_the_count_and_the_page(generated, monkeypatch):
    monkeypatch.setattr(paging, "WALK_DENSITY", 0.0)
    monkeypatch.setattr(paging, "PROBE_PAGES", 1)
    rows = paging.count_by_walk(Tender.objects.order_by("-published_at", "-pk"))
    paginator = paging.CappedPaginator(rows, 10)
    monkeypatch.setattr(paging, "COUNT_CAP", 20)
    assert paginator.capped
    assert len(paginator.page(1).object_list) == 10
    # Inside the test's own transaction too: the settings were rolled back with their savepoint.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('enable_bitmapscan'), current_setting('enable_seqscan'),"
            " current_setting('enable_indexscan'), current_setting('statement_timeout')"
        )
        assert cursor.fetchone() == ("on", "on", "on", "0")


def test_without_the_mark_the_count_is_one_capped_statement(generated, django_assert_num_queries):
    rows = Tender.objects.order_by("-published_at")
    with django_assert_num_queries(1):
        assert paging.capped_count(rows, 10) == 11
