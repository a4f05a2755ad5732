"""Load the demo organisations and users. Safe to run again: existing rows are left as they are.

Everything goes through the services, so the demo ledger starts with the same entries a real
deployment would have.
"""

from __future__ import annotations

import datetime as dt
import io

from django.core.management.base import BaseCommand
from django.db import transaction

from procurement import code_release, ledger, services
from procurement.models import Membership, Organisation, OrganisationKind, Role, User

DEMO_PASSWORD = "MinhBach@demo2026"  # noqa: S105 - printed on purpose: demo accounts only

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
    ("custodian-agency", "Phạm Quốc Dũng", "so-gtvt-ha-noi", [Role.CUSTODIAN]),
    ("officer-hospital", "Hoàng Thu Hà", "benh-vien-da-nang", [Role.OFFICER]),
    ("custodian-audit", "Vũ Thị Hạnh", "kiem-toan-nha-nuoc", [Role.CUSTODIAN]),
    ("auditor", "Đặng Văn Khoa", "kiem-toan-nha-nuoc", [Role.AUDITOR]),
    ("custodian-civil", "Bùi Thị Lan", "giam-sat-cong-dong", [Role.CUSTODIAN]),
    ("supplier", "Đỗ Hữu Minh", "cong-ty-song-hong", [Role.SUPPLIER]),
    ("supplier-mekong", "Ngô Thị Nga", "thiet-bi-y-te-mekong", [Role.SUPPLIER]),
    ("supplier-saigon", "Trịnh Công Phúc", "saigon-so", [Role.SUPPLIER]),
]


DEMO_TENDERS = [
    # agency, officer, title, category, CPV, value, days to deadline, items
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
]  # fmt: skip


def demo_suppliers() -> None:
    """The demo suppliers are registered and approved, as real ones would be."""
    from bidders import services as supplier_services
    from bidders.models import SupplierProfile

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


def demo_tenders() -> None:
    """A few published tenders, with an amendment and an answered question, so the portal
    shows something real on first run. Skipped once the demo agencies have tenders."""
    from decimal import Decimal

    from django.utils import timezone

    from procurement import demo_custodians
    from tenders import custody
    from tenders import services as tender_services
    from tenders.models import LegalRegime, Tender
    from tenders.regimes import install_presets

    install_presets(LegalRegime)
    regime = LegalRegime.objects.get(code="vn-2025")
    demo_custodians.agents()
    for code, username, title, category, cpv, value, days, items in DEMO_TENDERS:
        agency = Organisation.objects.get(code=code)
        if Tender.objects.filter(agency=agency, title=title).exists():
            continue
        officer = User.objects.get(username=username)
        deadline = (timezone.now() + timezone.timedelta(days=days)).replace(
            minute=0, second=0, microsecond=0
        )
        amount = Decimal(value)
        small_ceiling = regime.small_works_max if category == "works" else regime.small_goods_max
        share = Decimal("0.012") if amount <= small_ceiling else Decimal("0.02")
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
            submission_deadline=deadline,
            opening_time=deadline + timezone.timedelta(minutes=30),
            province=agency.province,
            contact_name=officer.full_name,
            contact_email=f"{username}@example.gov.vn",
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
        # The demo custodians (agents with their own key folders) give their key statements.
        # (the agency's own custodian sits only on its own agency's tenders).
        roster = [
            i.code
            for i in custody.active_identities().filter(is_demo=True).order_by("pk")
            if i.organisation.kind == "oversight" or i.organisation_id == agency.pk
        ]
        custody.set_roster(tender, actor=officer, custodians=roster, threshold=2)
        demo_custodians.run_round()
        tender_services.publish_tender(tender, actor=officer)
    first = Tender.objects.filter(title=DEMO_TENDERS[0][2]).first()
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


def _drill_tender(title: str, seconds: float):
    """A tender under the drill regime (no minimum periods) with the demo custodians."""
    from decimal import Decimal

    from procurement import demo_custodians
    from procurement.clock import db_now
    from tenders import custody
    from tenders import services as tender_services
    from tenders.models import LegalRegime
    from tenders.regimes import install_drill

    regime = install_drill(LegalRegime)
    agency = Organisation.objects.get(code="so-gtvt-ha-noi")
    officer = User.objects.get(username="officer")
    deadline = db_now() + dt.timedelta(seconds=seconds)
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
        submission_deadline=deadline,
        opening_time=deadline,
        province=agency.province,
        contact_name=officer.full_name,
        contact_email="officer@example.gov.vn",
        lots=[{"title": title, "items": [
            {"description": "Văn phòng phẩm", "quantity": "1", "unit": "gói",
             "classification_code": "30000000-9"}]}],
    )  # fmt: skip
    roster = [i.code for i in custody.active_identities().filter(is_demo=True).order_by("pk")]
    custody.set_roster(tender, actor=officer, custodians=roster, threshold=2)
    demo_custodians.run_round()
    return tender_services.publish_tender(tender, actor=officer)


def demo_drills() -> None:
    """Two drill tenders: one already through closing, key release and opening (so the
    opening record is there to check), and one open for bids for 30 minutes, so a visitor can
    seal and submit and watch it close and open. Sealed by the demo suppliers as a sealer
    would; skipped while they exist."""
    import json
    import time

    from bidders import opening, submission
    from bidders.sealing import seal_for
    from procurement import demo_custodians
    from procurement.clock import db_now
    from tenders import services as tender_services
    from tenders.models import Tender, TenderStatus

    if not Tender.objects.filter(title=DRILL_OPENED).exists():
        tender = _drill_tender(DRILL_OPENED, seconds=3)
        for username, code, price in [("supplier", "cong-ty-song-hong", "238500000"),
                                      ("supplier-saigon", "saigon-so", "229900000")]:  # fmt: skip
            sheet = json.dumps({"currency": "VND", "lots": [{"lot": 1, "price": price}]})
            body = seal_for(tender, code, price=sheet.encode(), docs=b"Demo: ho so ky thuat")
            submission.submit_bid(
                tender, actor=User.objects.get(username=username), stream=io.BytesIO(body)
            )
        while db_now() < tender.submission_deadline + dt.timedelta(
            seconds=demo_custodians.GRACE_SECONDS + 0.5
        ):
            time.sleep(0.5)
        tender_services.close_tender(tender)
        demo_custodians.run_round()
        opening.open_tender(tender)
    open_drill = Tender.objects.filter(title=DRILL_OPEN, status=TenderStatus.PUBLISHED).exists()
    if not open_drill:
        _drill_tender(DRILL_OPEN, seconds=30 * 60)


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
        demo_tenders()
        demo_drills()
        code_release.record("demo")
        checkpoint = ledger.make_checkpoint(actor=None)

        self.stdout.write(self.style.SUCCESS("Demo data is loaded."))
        self.stdout.write(f"Demo password for every account below: {DEMO_PASSWORD}")
        self.stdout.write(f"  {'admin':<18} platform administrator")
        for username, _full_name, code, roles in USERS:
            self.stdout.write(f"  {username:<18} {', '.join(roles)} @ {code}")
        self.stdout.write(f"Ledger: {checkpoint.tree_size} entries under the latest checkpoint.")
