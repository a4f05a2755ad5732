"""The national-scale data generator (run here at a tiny scale) and capped counting."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from procurement import paging
from tenders.models import Item, Lot, Tender, TenderDocument

pytestmark = pytest.mark.django_db


def test_generator_makes_tenders_with_lots_items_and_documents():
    call_command("generate_tenders", count=120, agencies=30, batch=50, stdout=io.StringIO())
    assert Tender.objects.count() == 120
    assert Lot.objects.count() == 120
    assert TenderDocument.objects.count() == 120
    assert Item.objects.count() >= 120
    statuses = set(Tender.objects.values_list("status", flat=True))
    assert "published" in statuses and statuses <= {"published", "closed", "cancelled"}
    assert Tender.objects.values("agency").distinct().count() > 10
    tender = Tender.objects.filter(status="published").first()
    assert tender.published_at < tender.submission_deadline < tender.opening_time
    # Adding more continues the numbering.
    call_command("generate_tenders", count=10, agencies=30, batch=50, stdout=io.StringIO())
    assert Tender.objects.count() == 130
    assert Tender.objects.values("reference").distinct().count() == 130


def test_generator_refuses_a_database_with_real_tenders(make_tender):
    make_tender()
    with pytest.raises(CommandError, match="real tenders"):
        call_command("generate_tenders", count=5, stdout=io.StringIO())


def test_counts_stop_at_the_cap(client, api, monkeypatch):
    call_command("generate_tenders", count=40, agencies=5, batch=40, stdout=io.StringIO())
    monkeypatch.setattr(paging, "COUNT_CAP", 10)
    page = client.get(reverse("tenders"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["page"].paginator.capped
    assert "More than 1,000 tenders" in page.content.decode()
    body = api.get(reverse("api:tenders")).json()
    assert body["count"] == 11 and body["count_capped"] is True
    assert len(body["results"]) == 40  # the page is not cut short by the capped count
    # The total is unknown past the cap: the pager does not guess one, in either language.
    assert "<span>Page 1</span>" in page.content.decode()
    vi = client.get(reverse("tenders"), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "<span>Trang 1</span>" in vi and "Hơn 1.000 gói thầu" in vi
    monkeypatch.setattr(paging, "COUNT_CAP", 1000)
    whole = client.get(reverse("tenders"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<span>Page 1 of 2</span>" in whole and "40 tenders" in whole
