"""The tender lifecycle: drafts, publication against the regime, amendments with forced
extensions, clarifications, cancellation and closing — with their ledger entries."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from evaluation import tasks
from evaluation.services import cancellation as cancelling
from procurement import ledger
from procurement.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from procurement.models import LedgerEntry, OrganisationKind, Role
from tenders import services
from tenders.models import TRANSITIONS, Amendment, Question, Tender, TenderStatus
from tests.tenders.fixtures import LOTS, seat_custodians, tender_fields

pytestmark = pytest.mark.django_db


def entries(kind: str) -> list[dict]:
    ledger.drain()  # deferred entries are appended after a commit, which a test never makes
    return [
        json.loads(bytes(c))
        for c in LedgerEntry.objects.filter(kind=kind)
        .order_by("seq")
        .values_list("canonical", flat=True)
    ]


def test_transition_table_is_closed_and_terminal_states_are_final():
    for source, targets in TRANSITIONS.items():
        assert source in TenderStatus.values
        assert targets <= set(TenderStatus.values)
    for final in ("contracted", "cancelled"):
        assert TRANSITIONS[final] == frozenset()
    # An unsuccessful (or awarded) outcome goes back to evaluation only on an upheld complaint.
    assert TRANSITIONS["unsuccessful"] == frozenset({"evaluating", "cancelled"})
    assert "published" in TRANSITIONS["draft"]
    assert "published" not in TRANSITIONS["closed"]


def test_create_draft_gives_a_reference_and_a_ledger_entry_at_publication(
    make_tender, agency, officer
):
    tender = make_tender()
    assert tender.status == "draft"
    assert tender.reference.startswith("MB-") and tender.reference.endswith(f"{tender.pk:06d}")
    assert entries("TENDER_DRAFTED") == []  # a draft is not public, nor its history
    drafted_hash = tender.content_sha256
    services.publish_tender(tender, actor=officer)
    (entry,) = entries("TENDER_DRAFTED")
    assert entry["subject"] == f"tender:{tender.reference}"
    assert entry["payload"]["content_sha256"] == drafted_hash
    assert tender.lots.get().items.get().unit == "m2"


@pytest.mark.parametrize("who", ["other_officer", "supplier", "evaluator"])
def test_only_officers_of_the_agency_create_tenders(agency, vn, make_org, make_user, supplier, who):
    actor = {
        "other_officer": lambda: make_user((Role.OFFICER, make_org())),
        "supplier": lambda: supplier,
        "evaluator": lambda: make_user((Role.EVALUATOR, agency)),
    }[who]()
    before = Tender.objects.count(), LedgerEntry.objects.count()
    with pytest.raises(PermissionDenied):
        services.create_tender(agency, actor=actor, regime=vn, lots=LOTS, **tender_fields())
    assert (Tender.objects.count(), LedgerEntry.objects.count()) == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"classification_code": "99999999-9"}, "classification_code", "Unknown CPV code"),
        ({"estimated_value": "-5"}, "estimated_value", "positive"),
        ({"estimated_value": "abc"}, "estimated_value", "number"),
        ({"title": "  "}, "title", "required"),
        ({"currency": "dong"}, "currency", "ISO 4217"),
        ({"category": "weapons"}, "category", "not a valid choice"),
        ({"submission_deadline": dt.datetime(2030, 1, 1)}, "submission_deadline", "time zone"),  # noqa: DTZ001
    ],
)
def test_bad_draft_input_is_refused_and_nothing_is_written(
    agency, officer, vn, overrides, field, message
):
    before = Tender.objects.count(), LedgerEntry.objects.count()
    with pytest.raises(InvalidInput) as exc:
        services.create_tender(
            agency, actor=officer, regime=vn, lots=LOTS, **tender_fields(**overrides)
        )
    assert exc.value.field == field
    assert message in exc.value.message
    assert (Tender.objects.count(), LedgerEntry.objects.count()) == before


def test_opening_before_the_deadline_is_refused(agency, officer, vn):
    fields = tender_fields()
    fields["opening_time"] = fields["submission_deadline"] - dt.timedelta(hours=1)
    with pytest.raises(InvalidInput, match="Opening cannot come before"):
        services.create_tender(agency, actor=officer, regime=vn, lots=LOTS, **fields)


def test_a_tender_needs_lots_with_items(agency, officer, vn):
    with pytest.raises(InvalidInput, match="at least one lot"):
        services.create_tender(agency, actor=officer, regime=vn, lots=[], **tender_fields())
    with pytest.raises(InvalidInput, match="no items"):
        services.create_tender(
            agency, actor=officer, regime=vn, lots=[{"title": "A", "items": []}], **tender_fields()
        )
    assert Tender.objects.count() == 0


def test_publish_records_the_content_hash_and_sets_the_question_cutoff(make_tender, officer):
    tender = make_tender()
    tender = services.publish_tender(tender, actor=officer)
    assert tender.status == "published"
    assert tender.enquiry_end == services.question_cutoff(tender)
    assert tender.enquiry_end <= tender.submission_deadline - dt.timedelta(days=3)
    (entry,) = entries("TENDER_PUBLISHED")
    assert entry["payload"]["content_sha256"] == tender.content_sha256
    assert entry["payload"]["regime"] == "vn-2025"


def test_publishing_with_too_short_a_preparation_time_names_the_rule(make_tender, officer):
    tender = make_tender(days=12)
    with pytest.raises(InvalidInput) as exc:
        services.publish_tender(tender, actor=officer)
    assert exc.value.field == "submission_deadline"
    assert "at least 18 calendar days" in exc.value.message
    assert "this deadline gives 11" in exc.value.message or "gives 12" in exc.value.message
    tender.refresh_from_db()
    assert tender.status == "draft"
    assert entries("TENDER_PUBLISHED") == []


def test_small_packages_need_only_nine_days(make_tender, officer):
    tender = make_tender(
        days=10,
        estimated_value=Decimal("5000000000"),
        bid_security_amount=Decimal("60000000"),
    )
    assert services.publish_tender(tender, actor=officer).status == "published"


def test_international_bidding_needs_thirty_five_days(make_tender, officer):
    tender = make_tender(days=30, is_international=True)
    with pytest.raises(InvalidInput, match="at least 35 calendar days"):
        services.publish_tender(tender, actor=officer)


def test_competitive_shopping_counts_working_days(make_tender, officer):
    tender = make_tender(
        days=6,
        method="shopping",
        method_rationale="Standard goods",
        category="goods",
        classification_code="30213100-6",
        estimated_value=Decimal("2000000000"),
        bid_security_amount=Decimal("25000000"),
    )
    with pytest.raises(InvalidInput, match="at least 7 working days"):
        services.publish_tender(tender, actor=officer)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"bid_security_amount": Decimal("10")}, "bid_security_amount"),
        ({"currency": "USD"}, "currency"),
        ({"method": "direct"}, "method_rationale"),
        ({"evaluation_method": "combined", "price_weight": 40}, "criteria"),
        ({"evaluation_method": "combined"}, "price_weight"),
    ],
)
def test_publication_checks_the_regime(make_tender, officer, overrides, field):
    tender = make_tender(**overrides)
    with pytest.raises(InvalidInput) as exc:
        services.publish_tender(tender, actor=officer)
    assert exc.value.field == field


def test_combined_evaluation_with_declared_weights_publishes(agency, officer, vn, custodians):
    tender = services.create_tender(
        agency,
        actor=officer,
        regime=vn,
        lots=LOTS,
        criteria=[
            {"name": "Kinh nghiệm", "kind": "pass_fail"},
            {"name": "Giải pháp kỹ thuật", "kind": "scored", "weight": 70},
            {"name": "Tiến độ", "kind": "scored", "weight": 30},
        ],
        **tender_fields(evaluation_method="combined", price_weight=30),
    )
    seat_custodians(tender, officer, custodians)
    assert services.publish_tender(tender, actor=officer).status == "published"
    assert [c.weight for c in tender.criteria.all()] == [None, 70, 30]


def test_consulting_needs_no_bid_security(make_tender, officer):
    tender = make_tender(
        category="consulting", classification_code="71000000-8", bid_security_amount=0
    )
    assert services.publish_tender(tender, actor=officer).status == "published"


def test_a_draft_is_edited_but_a_published_tender_is_amended(make_tender, officer):
    tender = make_tender()
    services.update_draft(tender, actor=officer, title="Sửa chữa cầu Chương Dương")
    assert Tender.objects.get(pk=tender.pk).title == "Sửa chữa cầu Chương Dương"
    services.publish_tender(tender, actor=officer)
    with pytest.raises(Conflict, match="amended"):
        services.update_draft(tender, actor=officer, title="X")


def test_amendment_keeps_a_readable_history(make_tender, officer):
    tender = make_tender(publish=True, days=40)
    amendment = services.amend_tender(
        tender, actor=officer, rationale="Bổ sung yêu cầu", title="Sửa chữa và sơn cầu"
    )
    assert amendment.number == 1
    assert amendment.changes == {
        "title": {"old": "Sửa chữa cầu Long Biên", "new": "Sửa chữa và sơn cầu"}
    }
    assert amendment.deadline_extended is False
    (entry,) = entries("TENDER_AMENDED")
    assert entry["payload"]["changes"] == amendment.changes
    assert entry["payload"]["content_sha256"] == Tender.objects.get(pk=tender.pk).content_sha256


def test_a_late_amendment_forces_the_deadline_to_the_legal_minimum(make_tender, officer):
    tender = make_tender(publish=True, days=20)
    Tender.objects.filter(pk=tender.pk).update(
        submission_deadline=timezone.now() + dt.timedelta(days=4),
        opening_time=timezone.now() + dt.timedelta(days=4, hours=1),
    )
    amendment = services.amend_tender(
        tender, actor=officer, rationale="Sửa khối lượng", bid_validity_days=150
    )
    tender.refresh_from_db()
    assert amendment.deadline_extended is True
    assert tender.submission_deadline >= timezone.now() + dt.timedelta(days=9, hours=23)
    assert tender.opening_time >= tender.submission_deadline
    assert set(amendment.changes) == {
        "bid_validity_days", "submission_deadline", "opening_time", "enquiry_end"
    }  # fmt: skip
    assert tender.enquiry_end < tender.submission_deadline


def test_amendments_stop_at_the_deadline(make_tender, officer):
    tender = make_tender(publish=True)
    Tender.objects.filter(pk=tender.pk).update(
        submission_deadline=timezone.now() - dt.timedelta(minutes=1)
    )
    with pytest.raises(Conflict, match="no longer open"):
        services.amend_tender(tender, actor=officer, rationale="x", title="y")
    assert Amendment.objects.count() == 0


def test_amendment_cannot_touch_fields_fixed_at_publication(make_tender, officer):
    tender = make_tender(publish=True)
    with pytest.raises(InvalidInput, match="cannot be set here"):
        services.amend_tender(tender, actor=officer, rationale="x", method="direct")


def test_questions_are_answered_to_everybody_without_naming_the_asker(
    make_tender, officer, supplier
):
    tender = make_tender(publish=True)
    question = services.ask_question(tender, actor=supplier, text="Có chấp nhận thép tương đương?")
    (asked,) = entries("QUESTION_ASKED")
    assert asked["actor"] is None
    assert str(supplier.public_id) not in json.dumps(asked)
    services.answer_question(question, actor=officer, answer="Có, nếu đạt TCVN.")
    (answered,) = entries("QUESTION_ANSWERED")
    assert answered["payload"]["answer"] == "Có, nếu đạt TCVN."
    assert str(supplier.public_id) not in json.dumps(answered)
    with pytest.raises(Conflict, match="already been answered"):
        services.answer_question(question, actor=officer, answer="again")


def test_only_suppliers_ask_and_only_the_agencys_officers_answer(
    make_tender, officer, supplier, make_user, make_org
):
    tender = make_tender(publish=True)
    with pytest.raises(PermissionDenied):
        services.ask_question(tender, actor=officer, text="?")
    question = services.ask_question(tender, actor=supplier, text="?")
    stranger = make_user((Role.OFFICER, make_org()))
    with pytest.raises(PermissionDenied):
        services.answer_question(question, actor=stranger, answer="!")
    assert Question.objects.get(pk=question.pk).answered_at is None


def test_questions_close_at_the_cutoff_and_drafts_take_none(make_tender, supplier):
    draft = make_tender()
    with pytest.raises(NotFound):
        services.ask_question(draft, actor=supplier, text="?")
    tender = make_tender(publish=True)
    Tender.objects.filter(pk=tender.pk).update(enquiry_end=timezone.now())
    with pytest.raises(Conflict, match="questions"):
        services.ask_question(tender, actor=supplier, text="?")


def test_a_late_answer_extends_the_deadline(make_tender, officer, supplier):
    tender = make_tender(publish=True)
    question = services.ask_question(tender, actor=supplier, text="Bản vẽ?")
    Tender.objects.filter(pk=tender.pk).update(
        submission_deadline=timezone.now() + dt.timedelta(hours=20),
        opening_time=timezone.now() + dt.timedelta(hours=21),
    )
    services.answer_question(question, actor=officer, answer="Đã đăng.")
    tender.refresh_from_db()
    assert tender.submission_deadline > timezone.now() + dt.timedelta(days=2)
    amendment = tender.amendments.get()
    assert amendment.deadline_extended


def test_cancel_needs_a_reason_and_is_final(make_tender, officer):
    tender = make_tender(publish=True)
    for trivial in (" ", "0", "Hết nhu cầu"):  # a public reason says something
        with pytest.raises(InvalidInput):
            cancelling.cancel_tender(tender, actor=officer, reason=trivial)
    cancelling.cancel_tender(tender, actor=officer, reason="Không còn nhu cầu mua sắm gói thầu này")
    tender.refresh_from_db()
    assert tender.status == "cancelled"
    (entry,) = entries("TENDER_CANCELLED")
    assert entry["payload"] == {"reason": "Không còn nhu cầu mua sắm gói thầu này"}
    with pytest.raises(Conflict):
        cancelling.cancel_tender(tender, actor=officer, reason="Hủy lần nữa vì không còn nhu cầu")
    with pytest.raises(Conflict):
        services.publish_tender(tender, actor=officer)


def test_the_beat_scan_closes_tenders_past_their_deadline_once(make_tender):
    due = make_tender(publish=True)
    later = make_tender(publish=True)
    Tender.objects.filter(pk=due.pk).update(
        submission_deadline=timezone.now() - dt.timedelta(seconds=1)
    )
    assert tasks.close_due_tenders() == 1
    assert tasks.close_due_tenders() == 0
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == ("closed", "published")
    (entry,) = entries("TENDER_CLOSED")
    assert entry["subject"] == f"tender:{due.reference}"


def test_supplier_organisations_cannot_tender(make_org, make_user, vn):
    supplier_org = make_org(OrganisationKind.SUPPLIER)
    admin = make_user(admin=True)
    with pytest.raises(PermissionDenied):
        services.create_tender(
            supplier_org, actor=make_user(), regime=vn, lots=LOTS, **tender_fields()
        )
    with pytest.raises(InvalidInput, match="procuring agency"):
        services.create_tender(supplier_org, actor=None, regime=vn, lots=LOTS, **tender_fields())
    assert admin.is_platform_admin


def test_only_change_status_assigns_a_tenders_status():
    """A static check over the code: the transition table is the only way a status changes.
    (Open data's as-of builder sets it on an unsaved copy it reads from the ledger.)"""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    allowed = {root / "tenders/services/lifecycle.py", root / "api/opendata/asof.py"}
    assigns = re.compile(r"\b(tender|locked|t)\.status\s*=[^=]|Tender\.objects.*update\(.*status=")
    offenders = []
    for floor in ("procurement", "tenders", "bidders", "evaluation", "api"):
        for path in (root / floor).rglob("*.py"):
            if "migrations" in path.parts or path in allowed:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if assigns.search(line):
                    offenders.append(f"{path.relative_to(root)}:{number}")
    assert offenders == [], "use tenders.services.lifecycle.change_status"
