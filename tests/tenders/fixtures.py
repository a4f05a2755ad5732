from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from procurement.models import OrganisationKind, Role
from tenders import services
from tenders.models import LegalRegime
from tenders.regimes import install_presets


@pytest.fixture
def vn(db) -> LegalRegime:
    # Transactional tests flush the presets the migration installed; installing is idempotent.
    install_presets(LegalRegime)
    return LegalRegime.objects.get(code="vn-2025")


@pytest.fixture
def agency(make_org):
    return make_org(OrganisationKind.AGENCY, province="Hà Nội")


@pytest.fixture
def officer(make_user, agency):
    return make_user((Role.OFFICER, agency))


@pytest.fixture
def supplier(make_user, make_org):
    return make_user((Role.SUPPLIER, make_org(OrganisationKind.SUPPLIER)))


def tender_fields(days: float = 30, **overrides) -> dict:
    deadline = timezone.now() + dt.timedelta(days=days)
    fields = {
        "title": "Sửa chữa cầu Long Biên",
        "description": "Gói thầu sửa chữa mặt cầu.",
        "category": "works",
        "classification_code": "45221111-3",
        "estimated_value": Decimal("50000000000"),
        "currency": "VND",
        "method": "open",
        "evaluation_method": "lowest_price",
        "bid_security_amount": Decimal("1000000000"),
        "bid_validity_days": 120,
        "submission_deadline": deadline,
        "opening_time": deadline + dt.timedelta(minutes=30),
        "province": "Hà Nội",
        "contact_name": "Nguyễn Văn An",
        "contact_email": "an@example.gov.vn",
    }
    fields.update(overrides)
    return fields


LOTS = [
    {
        "title": "Mặt cầu",
        "items": [
            {
                "description": "Thay mặt cầu",
                "quantity": "1200",
                "unit": "m2",
                "classification_code": "45221111-3",
            }
        ],
    }
]


@pytest.fixture
def make_tender(agency, officer, vn):
    def make(publish: bool = False, **overrides):
        tender = services.create_tender(
            agency, actor=officer, regime=vn, lots=LOTS, **tender_fields(**overrides)
        )
        if publish:
            tender = services.publish_tender(tender, actor=officer)
        return tender

    return make
