"""The size of one tender: lots, items and criteria are bounded, in the service, the API and the
web form, with a 400 naming the field and nothing written."""

from __future__ import annotations

import pytest
from django.urls import reverse

from procurement.exceptions import InvalidInput
from procurement.models import LedgerEntry
from tenders import services
from tenders.models import MAX_CRITERIA, MAX_ITEMS, MAX_LOTS, Item, Lot, Tender
from tests.api.test_tenders_api import payload
from tests.tenders.fixtures import LOTS, tender_fields
from tests.tenders.test_tenders_web import form_data

pytestmark = pytest.mark.django_db

ITEM = {"description": "Bút bi", "quantity": "1", "unit": "cái",
        "classification_code": "30000000-9"}  # fmt: skip


def lots(count: int, items_each: int = 1) -> list[dict]:
    return [{"title": f"Phần {n}", "items": [ITEM] * items_each} for n in range(count)]


def criteria(count: int) -> list[dict]:
    return [{"name": f"Tiêu chí {n}", "kind": "pass_fail"} for n in range(count)]


def test_the_limits_themselves():
    assert (MAX_LOTS, MAX_ITEMS, MAX_CRITERIA) == (500, 2_000, 50)


def test_a_tender_at_every_limit_is_accepted(agency, officer, vn):
    # MAX_LOTS lots holding MAX_ITEMS items between them, and MAX_CRITERIA criteria.
    each, extra = divmod(MAX_ITEMS, MAX_LOTS)
    assert extra == 0
    tender = services.create_tender(
        agency, actor=officer, regime=vn, lots=lots(MAX_LOTS, each),
        criteria=criteria(MAX_CRITERIA), **tender_fields(),
    )  # fmt: skip
    assert Lot.objects.filter(tender=tender).count() == MAX_LOTS
    assert Item.objects.filter(lot__tender=tender).count() == MAX_ITEMS
    assert tender.criteria.count() == MAX_CRITERIA
    assert [i.number for i in tender.lots.get(number=2).items.all()] == list(range(1, each + 1))


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        ({"lots": lots(MAX_LOTS + 1)}, "lots", "at most 500 lots; this one has 501."),
        ({"lots": lots(1, MAX_ITEMS + 1)}, "lots",
         "at most 2000 items over all its lots; this one has 2001."),
        ({"lots": lots(2, MAX_ITEMS // 2 + 1)}, "lots", "this one has 2002."),
        ({"lots": LOTS, "criteria": criteria(MAX_CRITERIA + 1)}, "criteria",
         "at most 50 criteria; this one has 51."),
    ],
)  # fmt: skip
def test_the_service_refuses_a_tender_over_a_limit(agency, officer, vn, arguments, field, message):
    before = LedgerEntry.objects.count()
    with pytest.raises(InvalidInput) as refused:
        services.create_tender(agency, actor=officer, regime=vn, **arguments, **tender_fields())
    assert refused.value.field == field
    assert refused.value.message.endswith(message)
    assert Tender.objects.count() == 0 and LedgerEntry.objects.count() == before


def test_editing_a_draft_over_a_limit_changes_nothing(make_tender, officer):
    tender = make_tender()
    before = LedgerEntry.objects.count()
    with pytest.raises(InvalidInput) as refused:
        services.update_draft(tender, actor=officer, lots=lots(MAX_LOTS + 1))
    assert refused.value.field == "lots"
    assert list(tender.lots.values_list("title", flat=True)) == ["Mặt cầu"]
    assert LedgerEntry.objects.count() == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"lots": lots(MAX_LOTS + 1)}, "lots",
         "A tender can have at most 500 lots; this one has 501."),
        ({"lots": lots(1, 20_000)}, "lots",
         "A tender can have at most 2000 items over all its lots; this one has 20000."),
        ({"criteria": criteria(MAX_CRITERIA + 1)}, "criteria",
         "A tender can have at most 50 criteria; this one has 51."),
    ],
)  # fmt: skip
def test_the_api_answers_400_naming_the_field(api_as, officer, agency, body, field, message):
    data = {**payload(agency), **body}
    before = LedgerEntry.objects.count()
    response = api_as(officer).post(
        reverse("api:tenders"), data, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["field"], error["message"]) == (field, message)
    assert Tender.objects.count() == 0 and LedgerEntry.objects.count() == before


def test_the_api_refuses_an_oversized_edit_of_a_draft(api_as, officer, make_tender):
    tender = make_tender()
    response = api_as(officer).patch(
        reverse("api:tender", args=[tender.reference]),
        {"criteria": criteria(MAX_CRITERIA + 1)},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "criteria"
    assert tender.criteria.count() == 0


def test_the_web_form_puts_the_limit_on_the_items_field(client, officer, agency, vn):
    client.force_login(officer)
    lines = "\n".join(["Bút bi; 1; cái; 30000000-9"] * (MAX_ITEMS + 1))
    response = client.post(
        reverse("workspace-create"),
        form_data(agency, regime=vn.pk, items=lines),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["items"] == [
        "A tender can have at most 2000 items over all its lots; this one has 2001."
    ]
    many_lots = "\n".join(f"# Phần {n}\nBút bi; 1; cái; 30000000-9" for n in range(MAX_LOTS))
    response = client.post(
        reverse("workspace-create"),
        form_data(agency, regime=vn.pk, items="Bút; 1; cái; 30000000-9\n" + many_lots),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.context["form"].errors["items"] == [
        "A tender can have at most 500 lots; this one has 501."
    ]
    assert Tender.objects.count() == 0
