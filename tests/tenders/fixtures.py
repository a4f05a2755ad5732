from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.utils import timezone

from procurement.crypto import keystatement
from procurement.models import OrganisationKind, Role
from tenders import services
from tenders.models import LegalRegime
from tenders.regimes import install_drill, install_presets
from tenders.services import custody


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


@dataclass
class Custodian:
    """A test custodian: the user, its registered identity and, on its own side, the private
    identity key and the per-tender keys it generated."""

    user: object
    identity: object
    key: Ed25519PrivateKey
    tender_keys: dict = field(default_factory=dict)

    def give_statement(self, tender):
        """Generate this custodian's key for ``tender`` and send the signed statement."""
        seat = tender.roster.get(custodian=self.identity)
        private = X25519PrivateKey.generate()
        self.tender_keys[tender.reference] = private
        signed = keystatement.make_statement(
            tender=tender.reference,
            deadline=custody.iso(tender.submission_deadline),
            custodian=self.identity.code,
            index=seat.index,
            public_key=private.public_key(),
            identity=self.key,
        )
        return custody.submit_statement(tender, actor=self.user, signed=signed)

    def release(self, tender) -> dict:
        tender.refresh_from_db()
        seat = tender.roster.get(custodian=self.identity)
        opening = keystatement.X25519PublicKey.from_public_bytes(
            base64.b64decode(tender.opening_public_key)
        )
        return keystatement.make_release(
            tender=tender.reference,
            custodian=self.identity.code,
            index=seat.index,
            private_key=self.tender_keys[tender.reference],
            closing_seq=tender.closing_seq,
            opening_public_key=opening,
            identity=self.key,
        )


@pytest.fixture
def custodians(make_user, make_org, agency) -> list[Custodian]:
    """Three custodians from three organisations: the agency and two oversight institutions."""
    people = []
    for org in (agency, make_org(OrganisationKind.OVERSIGHT), make_org(OrganisationKind.OVERSIGHT)):
        user = make_user((Role.CUSTODIAN, org))
        key = Ed25519PrivateKey.generate()
        public = base64.b64encode(key.public_key().public_bytes_raw()).decode()
        identity = custody.register_identity(org, actor=user, public_key=public)
        people.append(Custodian(user=user, identity=identity, key=key))
    return people


def seat_custodians(tender, officer, custodians, threshold: int = 2):
    custody.set_roster(
        tender, actor=officer, custodians=[c.identity.code for c in custodians], threshold=threshold
    )
    for custodian in custodians:
        custodian.give_statement(tender)


@pytest.fixture
def make_tender(agency, officer, vn, custodians):
    def make(publish: bool = False, roster: bool = True, **overrides):
        """A draft (with its roster and key statements, ready to publish) or, with
        ``publish``, a published tender."""
        tender = services.create_tender(
            agency, actor=officer, regime=vn, lots=LOTS, **tender_fields(**overrides)
        )
        if roster:
            seat_custodians(tender, officer, custodians)
        if publish:
            tender = services.publish_tender(tender, actor=officer)
        return tender

    return make


@pytest.fixture
def drill(db) -> LegalRegime:
    """The drill regime (no minimum periods), for tenders that close within seconds."""
    return install_drill(LegalRegime)


@pytest.fixture
def make_drill_tender(agency, officer, drill, custodians):
    """A published tender whose deadline is ``seconds`` from now (by the database clock)."""
    from procurement.clock import db_now

    def make(seconds: float = 2.0, roster: list | None = None, **overrides):
        deadline = db_now() + dt.timedelta(seconds=seconds)
        fields = tender_fields(submission_deadline=deadline, opening_time=deadline, **overrides)
        tender = services.create_tender(agency, actor=officer, regime=drill, lots=LOTS, **fields)
        seat_custodians(tender, officer, roster or custodians)
        return services.publish_tender(tender, actor=officer)

    return make
