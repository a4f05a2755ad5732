"""Load the demo organisations and users. Safe to run again: existing rows are left as they are,
and what an interrupted run left (a draft, a drill not opened or not evaluated) is completed or
replaced, never skipped.

Everything goes through the services, so the demo ledger starts with the same entries a real
deployment would have.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from evaluation.services import cancellation as cancelling
from evaluation.services import closing
from procurement import code_release, ledger, services
from procurement.models import Membership, Organisation, OrganisationKind, Role, User

DEMO_PASSWORD = "MinhBach@demo2026"  # noqa: S105 - printed on purpose: demo accounts only

Say = Callable[[str], object]

# The opened drills accept bids for this long once published; the deadline is set from the
# database clock after the custodians' statements, and moved later (publicly) if sealing the
# demo bids outlasts it.
OPENED_WINDOW = 3.0
SUBMIT_MARGIN = dt.timedelta(seconds=2)
PUBLISH_ATTEMPTS = 5
EXTENDED_REASON = (
    "Diễn tập: gia hạn để hồ sơ mẫu kịp nộp trên máy chậm. / "
    "Drill: deadline extended so the demo bids arrive on a slow machine."
)
REPLACED_REASON = (
    "Diễn tập bị gián đoạn khi nạp dữ liệu mẫu; thay bằng gói mới. / "
    "Drill interrupted while loading the demo; replaced by a new one."
)


def _quiet(_message: str) -> None:
    return None


def db_clock() -> dt.datetime:
    from procurement.clock import db_now

    return db_now()


AGENCY, SUPPLIER, OVERSIGHT = (
    OrganisationKind.AGENCY,
    OrganisationKind.SUPPLIER,
    OrganisationKind.OVERSIGHT,
)

ORGANISATIONS = [
    # code, kind, Vietnamese name, English name, tax code, province
    (
        "so-gtvt-ha-noi",
        AGENCY,
        "Sở Giao thông Vận tải Hà Nội",
        "Hanoi Department of Transport",
        "0100100001",
        "Hà Nội",
    ),
    (
        "benh-vien-da-nang",
        AGENCY,
        "Bệnh viện Đa khoa Đà Nẵng",
        "Da Nang General Hospital",
        "0400100002",
        "Đà Nẵng",
    ),
    (
        "ubnd-phuong-ben-thanh",
        AGENCY,
        "UBND phường Bến Thành",
        "Ben Thanh Ward People's Committee",
        "0300100003",
        "TP. Hồ Chí Minh",
    ),
    (
        "kiem-toan-nha-nuoc",
        OVERSIGHT,
        "Kiểm toán Nhà nước",
        "State Audit Office of Viet Nam",
        "",
        "Hà Nội",
    ),
    (
        "giam-sat-cong-dong",
        OVERSIGHT,
        "Trung tâm Giám sát Cộng đồng về Đấu thầu",
        "Community Procurement Monitoring Centre",
        "",
        "Hà Nội",
    ),
    (
        "hoi-dong-kien-nghi",
        OVERSIGHT,
        "Hội đồng Giải quyết Kiến nghị (Bộ Tài chính)",
        "Complaint Review Council (Ministry of Finance)",
        "",
        "Hà Nội",
    ),
    (
        "cong-ty-song-hong",
        SUPPLIER,
        "Công ty TNHH Xây dựng Sông Hồng",
        "Song Hong Construction Co., Ltd.",
        "0101234567",
        "Hà Nội",
    ),
    (
        "thiet-bi-y-te-mekong",
        SUPPLIER,
        "Công ty Cổ phần Thiết bị Y tế Mê Kông",
        "Mekong Medical Equipment JSC",
        "1801234568",
        "Cần Thơ",
    ),
    (
        "saigon-so",
        SUPPLIER,
        "Công ty TNHH Công nghệ Sài Gòn Số",
        "Saigon Digital Technology Co., Ltd.",
        "0312345679",
        "TP. Hồ Chí Minh",
    ),
]

USERS = [
    # username, full name, organisation, roles
    ("officer", "Nguyễn Văn An", "so-gtvt-ha-noi", [Role.OFFICER]),
    ("approver", "Trần Thị Bình", "so-gtvt-ha-noi", [Role.APPROVER]),
    ("evaluator", "Lê Minh Châu", "so-gtvt-ha-noi", [Role.EVALUATOR]),
    ("evaluator-2", "Phan Thị Diệu", "so-gtvt-ha-noi", [Role.EVALUATOR]),
    ("custodian-agency", "Phạm Quốc Dũng", "so-gtvt-ha-noi", [Role.CUSTODIAN]),
    ("officer-hospital", "Hoàng Thu Hà", "benh-vien-da-nang", [Role.OFFICER]),
    ("custodian-audit", "Vũ Thị Hạnh", "kiem-toan-nha-nuoc", [Role.CUSTODIAN]),
    ("auditor", "Đặng Văn Khoa", "kiem-toan-nha-nuoc", [Role.AUDITOR]),
    ("custodian-civil", "Bùi Thị Lan", "giam-sat-cong-dong", [Role.CUSTODIAN]),
    ("reviewer", "Lý Văn Quang", "hoi-dong-kien-nghi", [Role.REVIEWER]),
    ("supplier", "Đỗ Hữu Minh", "cong-ty-song-hong", [Role.SUPPLIER]),
    ("supplier-mekong", "Ngô Thị Nga", "thiet-bi-y-te-mekong", [Role.SUPPLIER]),
    ("supplier-saigon", "Trịnh Công Phúc", "saigon-so", [Role.SUPPLIER]),
]


DEMO_TENDERS = [
    # agency, officer, title, category, CPV, value, days to deadline, items[, other fields]
    ("so-gtvt-ha-noi", "officer", "Sửa chữa mặt cầu Chương Dương", "works", "45221111-3",
     "48500000000", 32, [("Thay lớp phủ mặt cầu", "6200", "m2", "45221111-3")]),
    ("so-gtvt-ha-noi", "officer", "Nâng cấp đường Nguyễn Trãi đoạn Ngã Tư Sở - Khuất Duy Tiến",
     "works", "45233120-6", "18600000000", 21,
     [("Thảm bê tông nhựa", "14500", "m2", "45233120-6")]),
    ("benh-vien-da-nang", "officer-hospital", "Mua sắm máy thở và monitor theo dõi bệnh nhân",
     "goods", "33100000-1", "7400000000", 12,
     [("Máy thở chức năng cao", "12", "chiếc", "33100000-1"),
      ("Monitor theo dõi 6 thông số", "30", "chiếc", "33100000-1")]),
    ("benh-vien-da-nang", "officer-hospital", "Cung cấp dịch vụ vệ sinh bệnh viện năm 2027",
     "non_consulting", "90910000-9", "3900000000", 25,
     [("Vệ sinh khu điều trị", "12", "tháng", "90910000-9")]),
    # Direct contracting: only the invited supplier may bid (tenders/methods.py); the other
    # demo suppliers see the tender and the reason, not the button.
    ("benh-vien-da-nang", "officer-hospital",
     "Vật tư thay thế tương thích cho máy chụp cộng hưởng từ đang sử dụng", "goods",
     "33100000-1", "1800000000", 12,
     [("Cuộn thu tín hiệu đầu (tương thích máy hiện có)", "2", "bộ", "33100000-1")],
     {"method": "direct", "invited_suppliers": ["thiet-bi-y-te-mekong"],
      "method_rationale": "Vật tư phải tương thích với thiết bị đang sử dụng của cùng hãng "
                          "(Luật Đấu thầu 2023, Điều 23)."}),
]  # fmt: skip


def demo_suppliers() -> None:
    """The demo suppliers are registered and approved, as real ones would be."""
    from bidders.models import SupplierProfile
    from bidders.services import registration as supplier_services

    for username, _full_name, code, roles in USERS:
        if Role.SUPPLIER not in roles:
            continue
        organisation = Organisation.objects.get(code=code)
        if SupplierProfile.objects.filter(organisation=organisation).exists():
            continue
        user = User.objects.get(username=username)
        profile = supplier_services.create_profile(
            organisation,
            registered_by=user,
            contact_name=user.full_name,
            contact_email=f"{username}@example.com.vn",
        )
        supplier_services.approve_supplier(profile, actor=None, note="Demo")


def _latest(title: str, *statuses: str):
    """The newest demo tender with this title that is not cancelled (in ``statuses``, if
    given): tenders are found again by title, the only thing a demo run knows them by."""
    from tenders.models import Tender, TenderStatus

    rows = Tender.objects.filter(title=title).exclude(status=TenderStatus.CANCELLED)
    if statuses:
        rows = rows.filter(status__in=statuses)
    return rows.order_by("-pk").first()


def _seat_and_publish(tender, officer, roster: list[str], *, lead: dt.timedelta, say: Say):
    """Seat the demo custodians, have them sign, and publish, with the deadline taken from the
    database clock after the slow steps. A machine slower than ``lead`` gets another try with
    room for twice what the statements took, instead of a draft left behind."""
    from api.site import demo_custodians
    from procurement.clock import db_now
    from procurement.exceptions import InvalidInput
    from tenders import services as tender_services
    from tenders.services import custody

    if not tender.roster.exists():
        custody.set_roster(tender, actor=officer, custodians=roster, threshold=2)
    for _attempt in range(PUBLISH_ATTEMPTS):
        started = db_now()
        deadline = started + lead
        tender = tender_services.update_draft(
            tender, actor=officer, submission_deadline=deadline,
            opening_time=deadline + (tender.opening_time - tender.submission_deadline),
        )  # fmt: skip
        demo_custodians.run_round()  # the key statements, signed for this deadline
        try:
            return tender_services.publish_tender(tender, actor=officer)
        except InvalidInput as exc:
            if exc.field not in ("submission_deadline", "enquiry_end"):
                raise
            took = db_now() - started
            say(f"  {tender.reference}: the custodians took {took.total_seconds():.1f} s, "
                "longer than the deadline allowed; trying again with more time.")  # fmt: skip
            lead += 2 * took
    raise CommandError(f"{tender.reference} could not be published in time; run again.")


def demo_tenders(say: Say = _quiet) -> None:
    """A few published tenders, with an amendment and an answered question, so the portal
    shows something real on first run. Published ones are kept; a draft left by an
    interrupted run is completed and published, never skipped."""
    from decimal import Decimal

    from api.site import demo_custodians
    from tenders import services as tender_services
    from tenders.models import LegalRegime, TenderStatus
    from tenders.regimes import install_presets
    from tenders.services import custody

    install_presets(LegalRegime)
    regime = LegalRegime.objects.get(code="vn-2025")
    demo_custodians.agents()
    for code, username, title, category, cpv, value, days, items, *other in DEMO_TENDERS:
        agency = Organisation.objects.get(code=code)
        officer = User.objects.get(username=username)
        tender = _latest(title)
        if tender is not None and tender.status != TenderStatus.DRAFT:
            continue
        lead = dt.timedelta(days=days)
        if tender is None:
            amount = Decimal(value)
            ceiling = regime.small_works_max if category == "works" else regime.small_goods_max
            share = Decimal("0.012") if amount <= ceiling else Decimal("0.02")
            provisional = db_clock() + lead
            tender = tender_services.create_tender(
                agency,
                actor=officer,
                regime=regime,
                title=title,
                description="Gói thầu trình diễn trên nền tảng Minh Bạch.",
                category=category,
                classification_code=cpv,
                estimated_value=amount,
                bid_security_amount=(amount * share).quantize(Decimal("1")),
                submission_deadline=provisional,
                opening_time=provisional + dt.timedelta(minutes=30),
                province=agency.province,
                contact_name=officer.full_name,
                contact_email=f"{username}@example.gov.vn",
                **(other[0] if other else {}),
                lots=[
                    {
                        "title": title,
                        "items": [
                            {"description": d, "quantity": q, "unit": u, "classification_code": c}
                            for d, q, u, c in items
                        ],
                    }
                ],
            )
        else:
            say(f"  {tender.reference}: a draft left by an interrupted run; completing it.")
        # The demo custodians (agents with their own key folders) give their key statements
        # (the agency's own custodian sits only on its own agency's tenders).
        roster = [
            i.code
            for i in custody.active_identities().filter(is_demo=True).order_by("pk")
            if i.organisation.kind == "oversight" or i.organisation_id == agency.pk
        ]
        _seat_and_publish(tender, officer, roster, lead=lead, say=say)
    first = _latest(DEMO_TENDERS[0][2], TenderStatus.PUBLISHED)
    if first is not None and not first.questions.exists():
        supplier = User.objects.get(username="supplier")
        question = tender_services.ask_question(
            first, actor=supplier, text="Có cho phép thi công vào ban đêm không?"
        )
        officer = User.objects.get(username="officer")
        tender_services.answer_question(
            question,
            actor=officer,
            answer="Có, từ 22 giờ đến 5 giờ sáng, theo phương án phân luồng.",
        )
        tender_services.amend_tender(
            first, actor=officer, rationale="Kéo dài hiệu lực hồ sơ dự thầu", bid_validity_days=150
        )


DRILL_OPENED = "Diễn tập: văn phòng phẩm quý I (đã mở thầu)"
DRILL_OPEN = "Diễn tập: máy in cho phòng một cửa (đang nhận hồ sơ)"
DRILL_AWARDED = "Diễn tập: bàn ghế phòng họp (đã có kết quả, đang chờ ký)"
# The drill tenders that go through evaluation use the combined method, so the demo shows the
# pass/fail examination, independent scores and the price formula together.
DRILL_COMBINED = {
    "evaluation_method": "combined",
    "price_weight": 30,
    "technical_pass_mark": 70,
    "criteria": [
        {"kind": "pass_fail", "name": "Giấy chứng nhận chất lượng sản phẩm"},
        {"kind": "scored", "name": "Chất lượng kỹ thuật", "weight": 70},
        {"kind": "scored", "name": "Tiến độ và bảo hành", "weight": 30},
    ],
}


def _drill_tender(title: str, seconds: float, *, draft=None, say: Say = _quiet, **fields):
    """A tender under the drill regime (no minimum periods) with the demo custodians, accepting
    bids for ``seconds`` from its publication. ``draft``: one left by an interrupted run, to
    complete instead of making another."""
    from decimal import Decimal

    from api.site import demo_custodians
    from tenders import services as tender_services
    from tenders.models import LegalRegime
    from tenders.regimes import install_drill
    from tenders.services import custody

    regime = install_drill(LegalRegime)
    agency = Organisation.objects.get(code="so-gtvt-ha-noi")
    officer = User.objects.get(username="officer")
    tender = draft
    if tender is None:
        provisional = db_clock() + dt.timedelta(hours=1)  # replaced after the slow steps
        tender = tender_services.create_tender(
            agency,
            actor=officer,
            regime=regime,
            title=title,
            description="Gói thầu diễn tập: toàn bộ quy trình niêm phong, đóng thầu và mở thầu "
            "chạy trong vài phút. Drill tender: sealing, closing and opening within minutes.",
            category="goods",
            classification_code="30000000-9",
            estimated_value=Decimal("250000000"),
            bid_security_amount=Decimal("0"),
            submission_deadline=provisional,
            opening_time=provisional,
            province=agency.province,
            contact_name=officer.full_name,
            contact_email="officer@example.gov.vn",
            lots=[{"title": title, "items": [
                {"description": "Văn phòng phẩm", "quantity": "1", "unit": "gói",
                 "classification_code": "30000000-9"}]}],
            **fields,
        )  # fmt: skip
    else:
        say(f"  {tender.reference}: a draft left by an interrupted run; completing it.")
    demo_custodians.agents()  # registered (once) before they can be seated
    roster = [i.code for i in custody.active_identities().filter(is_demo=True).order_by("pk")]
    return _seat_and_publish(tender, officer, roster, lead=dt.timedelta(seconds=seconds), say=say)


def _replace(tender, say: Say) -> None:
    """A drill an interrupted run left where the loader cannot finish it (bids missing after
    its deadline, an evaluation cut short) is cancelled, publicly and with the reason, by the
    platform; the caller makes a new one."""

    say(f"  {tender.reference}: left unfinished by an interrupted run; cancelled and replaced.")
    cancelling.cancel_tender(tender, actor=None, reason=REPLACED_REASON)


def _opened_drill(title: str, bids: list[tuple[str, str, str]], *, say: Say, **fields):
    """A drill tender sealed by the demo suppliers as a sealer would, then closed, released
    by the demo custodians and opened. Resumes what an interrupted run left."""
    import json
    import time

    from api.site import demo_custodians
    from bidders.models import Bid, BidStatus
    from bidders.sealing import seal_for
    from bidders.services import submission
    from evaluation.services import opening
    from tenders import services as tender_services
    from tenders.models import TenderStatus

    S = TenderStatus
    tender = _latest(title)
    if tender is not None and tender.status in (S.PUBLISHED, S.CLOSED):
        submitted = set(
            Bid.objects.filter(tender=tender, status=BidStatus.SUBMITTED).values_list(
                "supplier__code", flat=True
            )
        )
        missing = {code for _user, code, _price in bids} - submitted
        if missing and (tender.status == S.CLOSED or db_clock() >= tender.submission_deadline):
            _replace(tender, say)
            tender = None
    if tender is None or tender.status == S.DRAFT:
        tender = _drill_tender(title, seconds=OPENED_WINDOW, draft=tender, say=say, **fields)
    if tender.status not in (S.PUBLISHED, S.CLOSED):
        return tender  # opened already (or further along in someone's walkthrough)
    officer = User.objects.get(username="officer")
    for username, code, price in bids:
        if Bid.objects.filter(tender=tender, supplier__code=code,
                              status=BidStatus.SUBMITTED).exists():  # fmt: skip
            continue
        started = db_clock()
        sheet = json.dumps({"currency": "VND", "lots": [{"lot": 1, "price": price}]})
        body = seal_for(tender, code, price=sheet.encode(), docs=b"Demo: ho so ky thuat")
        # Sealing on a slow machine can outlast the window: extend it publicly, never skip.
        room = max(SUBMIT_MARGIN, 2 * (db_clock() - started))
        if tender.submission_deadline - db_clock() < room:
            later = db_clock() + room
            tender_services.amend_tender(
                tender, actor=officer, rationale=EXTENDED_REASON,
                submission_deadline=later, opening_time=later,
            )  # fmt: skip
            tender.refresh_from_db()
        submission.submit_bid(
            tender, actor=User.objects.get(username=username), stream=io.BytesIO(body)
        )
    # The custodians' grace and the settle time for bids still being recorded (the closing's).
    wait = max(demo_custodians.GRACE_SECONDS, settings.SUBMISSION_SETTLE_SECONDS) + 0.5
    while db_clock() < tender.submission_deadline + dt.timedelta(seconds=wait):
        time.sleep(0.2)
    closing.close_tender(tender)
    for _round in range(PUBLISH_ATTEMPTS):
        demo_custodians.run_round()
        opening.open_tender(tender)
        tender.refresh_from_db()
        if tender.status == S.OPENED:
            return tender
        time.sleep(0.5)
    raise CommandError(f"{tender.reference} did not open (keys missing); run again.")


def _committee(tender, *usernames, declare: bool = False) -> None:
    from evaluation.models import CommitteeMember, Declaration
    from evaluation.services import committee as evaluation_services

    officer = User.objects.get(username="officer")
    for username in usernames:
        member = User.objects.get(username=username)
        place = CommitteeMember.objects.filter(tender=tender, user=member).first()
        if place is None:
            evaluation_services.appoint(tender, actor=officer, user=member)
        if declare and (place is None or place.declaration == Declaration.PENDING):
            evaluation_services.declare(tender, actor=member, conflict=False)


def _evaluate_and_award(tender) -> None:
    """The committee's whole work on a drill tender, as its members would do it in the portal:
    examination (one bid fails, with its reason), a clarification answered, independent scores,
    the engine run, the report, and approval by the agency's approver."""
    from bidders.models import Bid
    from evaluation.services import award, examination

    first, second = (User.objects.get(username=u) for u in ("evaluator", "evaluator-2"))
    bids = list(Bid.objects.filter(tender=tender).order_by("ledger_seq"))
    keys = [key for key, _label in examination.checks_for(tender)]
    for bid in bids:
        fails = bid.supplier.code == "thiet-bi-y-te-mekong"
        checks = [{"check": k, "passed": not (fails and k == "criterion:1"),
                   "reason": "Không nộp giấy chứng nhận chất lượng" if fails and k == "criterion:1"
                   else ""} for k in keys]  # fmt: skip
        examination.examine(tender, actor=first, bid_id=str(bid.public_id), checks=checks)
    clarification = examination.request_clarification(
        tender, actor=first, bid_id=str(bids[0].public_id), kind="clarification",
        question="Đề nghị làm rõ thời gian bảo hành bàn ghế.",
    )  # fmt: skip
    examination.answer_clarification(
        tender, clarification.number, actor=User.objects.get(username="supplier"),
        answer="Bảo hành 36 tháng tại chỗ.",
    )  # fmt: skip
    passed = [str(b.public_id) for b in examination.scored_bids(tender)]
    points = {first: ("85", "80"), second: ("78", "90")}
    for member, (quality, schedule) in points.items():
        scores = {bid: {"2": quality, "3": schedule} for bid in passed}
        scores[passed[-1]] = {"2": str(int(quality) - 6), "3": schedule}
        examination.submit_sheet(tender, actor=member, scores=scores)
    award.run_evaluation(tender, actor=first)
    report = award.submit_report(
        tender, actor=first,
        summary="Hai hồ sơ đạt yêu cầu; một hồ sơ không có giấy chứng nhận chất lượng. "
        "Đề xuất trao thầu cho nhà thầu xếp hạng thứ nhất.",
    )  # fmt: skip
    award.approve_report(report, actor=User.objects.get(username="approver"))


def demo_drills(say: Say = _quiet) -> None:
    """Drill tenders (the drill regime: no minimum periods, a 3-minute standstill):
    - one opened, with its committee appointed: sign in as ``evaluator`` and ``evaluator-2``
      to declare, examine, score and report, as ``approver`` to approve, as a supplier to
      complain, as ``reviewer`` to decide, and as ``officer`` to sign the contract;
    - one already awarded, in its standstill, with the whole evaluation public and checkable;
    - one open for bids for 30 minutes, to seal and submit and watch it close and open.
    Kept once they reached that point; what an interrupted run left is completed or, where
    it cannot be, cancelled and made again."""
    from evaluation.models import Report, ReportStatus
    from tenders.models import TenderStatus

    S = TenderStatus
    tender = _opened_drill(DRILL_OPENED, [
        ("supplier", "cong-ty-song-hong", "238500000"),
        ("supplier-saigon", "saigon-so", "229900000"),
    ], say=say, **DRILL_COMBINED)  # fmt: skip
    if tender.status == S.OPENED:
        _committee(tender, "evaluator", "evaluator-2")

    awarded = _latest(DRILL_AWARDED)
    decided = Report.objects.filter(
        tender=awarded, status__in=[ReportStatus.APPROVED, ReportStatus.SUPERSEDED]
    ).exists()
    if awarded is not None and not decided and awarded.status in (S.OPENED, S.EVALUATING):
        _replace(awarded, say)  # its evaluation was cut short: start it again
        awarded = None
    if awarded is None or (not decided and awarded.status in (S.DRAFT, S.PUBLISHED, S.CLOSED)):
        tender = _opened_drill(DRILL_AWARDED, [
            ("supplier", "cong-ty-song-hong", "241000000"),
            ("supplier-saigon", "saigon-so", "236500000"),
            ("supplier-mekong", "thiet-bi-y-te-mekong", "199000000"),
        ], say=say, **DRILL_COMBINED)  # fmt: skip
        _committee(tender, "evaluator", "evaluator-2", declare=True)
        _evaluate_and_award(tender)

    waiting = _latest(DRILL_OPEN, S.DRAFT, S.PUBLISHED)
    if waiting is None or waiting.status == S.DRAFT:
        _drill_tender(DRILL_OPEN, seconds=30 * 60, draft=waiting, say=say)


class Command(BaseCommand):
    help = "Create demo agencies, suppliers, oversight institutions and users for every role."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            for code, kind, name_vi, name_en, tax_code, province in ORGANISATIONS:
                if not Organisation.objects.filter(code=code).exists():
                    services.create_organisation(
                        code=code,
                        kind=kind,
                        name_vi=name_vi,
                        name_en=name_en,
                        tax_code=tax_code,
                        province=province,
                        actor=None,
                    )
            if not User.objects.filter(username="admin").exists():
                services.create_user(
                    username="admin",
                    password=DEMO_PASSWORD,
                    full_name="Quản trị nền tảng",
                    is_platform_admin=True,
                    actor=None,
                )
            for username, full_name, code, roles in USERS:
                user = User.objects.filter(username=username).first()
                if user is None:
                    user = services.create_user(
                        username=username,
                        password=DEMO_PASSWORD,
                        full_name=full_name,
                        actor=None,
                    )
                organisation = Organisation.objects.get(code=code)
                for role in roles:
                    held = Membership.objects.filter(
                        user=user, organisation=organisation, role=role, is_active=True
                    ).exists()
                    if not held:
                        services.grant_membership(organisation, user=user, role=role, actor=None)
        demo_suppliers()
        demo_tenders(say=self.stdout.write)
        demo_drills(say=self.stdout.write)
        code_release.record("demo")
        checkpoint = ledger.make_checkpoint(actor=None)

        self.stdout.write(self.style.SUCCESS("Demo data is loaded."))
        self.stdout.write(f"Demo password for every account below: {DEMO_PASSWORD}")
        self.stdout.write(f"  {'admin':<18} platform administrator")
        for username, _full_name, code, roles in USERS:
            self.stdout.write(f"  {username:<18} {', '.join(roles)} @ {code}")
        self.stdout.write(f"Ledger: {checkpoint.tree_size} entries under the latest checkpoint.")
