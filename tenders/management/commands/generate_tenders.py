"""Generate a realistic national-scale data set of published tenders, for benchmarks.

    manage.py generate_tenders --count 100000 [--seed 1] [--batch 5000]

Agencies across the 34 provinces and cities, tenders with lots, items and document metadata,
Vietnamese titles built from real procurement vocabulary, values spread over five orders of
magnitude, deadlines from last year to next quarter. Rows are bulk-inserted without ledger
entries or files: this is load for measuring search and listing, never a real history, so the
command refuses to run unless the database is empty of real tenders or ``--force`` is given,
and never in production.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from procurement.models import Organisation, OrganisationKind, User
from tenders.methods import RULES
from tenders.models import (
    EvaluationMethod,
    Item,
    LegalRegime,
    Lot,
    Method,
    Tender,
    TenderDocument,
    TenderStatus,
)
from tenders.regimes import install_presets

PROVINCES = [
    "Hà Nội", "TP. Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Huế", "Quảng Ninh",
    "Cao Bằng", "Lạng Sơn", "Lai Châu", "Điện Biên", "Sơn La", "Thanh Hóa", "Nghệ An",
    "Hà Tĩnh", "Tuyên Quang", "Lào Cai", "Thái Nguyên", "Phú Thọ", "Bắc Ninh", "Hưng Yên",
    "Ninh Bình", "Quảng Trị", "Quảng Ngãi", "Gia Lai", "Khánh Hòa", "Lâm Đồng", "Đắk Lắk",
    "Đồng Nai", "Tây Ninh", "Vĩnh Long", "Đồng Tháp", "Cà Mau", "An Giang",
]  # fmt: skip
AGENCY_KINDS = [
    "Sở Giao thông Vận tải", "Sở Y tế", "Sở Giáo dục và Đào tạo", "Bệnh viện Đa khoa",
    "Sở Xây dựng", "Ban Quản lý dự án đầu tư xây dựng", "Sở Tài nguyên và Môi trường",
    "Trường Đại học", "Công an", "UBND",
]  # fmt: skip
SUBJECTS = [
    # (category, CPV, title stem, items: (description, unit, quantity range))
    ("works", "45233120-6", "Nâng cấp, mở rộng đường", [("Thảm bê tông nhựa", "m2", (500, 50000)),
        ("Hệ thống thoát nước dọc", "m", (100, 5000))]),
    ("works", "45221111-3", "Sửa chữa cầu", [("Thay khe co giãn", "bộ", (2, 40)),
        ("Sơn kết cấu thép", "m2", (200, 8000))]),
    ("works", "45210000-2", "Xây dựng nhà lớp học", [("Phần thân công trình", "m2", (300, 4000))]),
    ("goods", "30213100-6", "Mua sắm máy tính xách tay", [("Máy tính xách tay", "chiếc", (5, 500))]),
    ("goods", "33100000-1", "Mua sắm thiết bị y tế", [("Máy siêu âm", "chiếc", (1, 10)),
        ("Monitor theo dõi bệnh nhân", "chiếc", (2, 60))]),
    ("goods", "33600000-6", "Cung ứng thuốc", [("Thuốc kháng sinh", "hộp", (100, 100000))]),
    ("goods", "09134100-8", "Cung cấp nhiên liệu", [("Dầu diesel", "lít", (1000, 500000))]),
    ("goods", "39000000-2", "Mua sắm bàn ghế", [("Bàn ghế học sinh", "bộ", (20, 2000))]),
    ("non_consulting", "90910000-9", "Dịch vụ vệ sinh", [("Vệ sinh công nghiệp", "tháng", (3, 24))]),
    ("non_consulting", "79000000-4", "Dịch vụ bảo vệ", [("Bảo vệ chuyên nghiệp", "tháng", (6, 36))]),
    ("consulting", "71000000-8", "Tư vấn giám sát thi công", [("Giám sát thi công", "gói", (1, 1))]),
    ("consulting", "72000000-5", "Tư vấn xây dựng phần mềm", [("Phát triển phần mềm", "gói", (1, 1))]),
]  # fmt: skip
PLACES = ["huyện", "xã", "phường", "thị trấn", "khu công nghiệp", "trung tâm"]
NAMES = ["Hòa Bình", "Thống Nhất", "Độc Lập", "Tân Phú", "An Khánh", "Phú Mỹ", "Bình An",
         "Đông Anh", "Sóc Sơn", "Long Thành", "Vĩnh Phúc", "Cẩm Lệ", "Ninh Kiều", "Thủ Đức"]  # fmt: skip
# Methods that admit any supplier: synthetic tenders name no invited suppliers.
METHODS = [Method.OPEN] * 8 + [Method.SHOPPING]
STATUSES = [TenderStatus.PUBLISHED] * 3 + [TenderStatus.CLOSED] * 5 + [TenderStatus.CANCELLED]


class Command(BaseCommand):
    help = "Bulk-generate published tenders with lots, items and documents, for benchmarks."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--agencies", type=int, default=2_000)
        parser.add_argument("--batch", type=int, default=5_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--force", action="store_true", help="add to a database with data")

    def handle(self, *args, count: int, agencies: int, batch: int, seed: int, force: bool, **_):
        if settings.PRODUCTION:
            raise CommandError("generate_tenders never runs in production")
        if count < 1 or batch < 1:
            raise CommandError("--count and --batch must be positive")
        if Tender.objects.exclude(reference__startswith="GEN-").exists() and not force:
            raise CommandError("this database has real tenders; use a separate one or --force")
        rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
        install_presets(LegalRegime)
        regime = LegalRegime.objects.get(code="vn-2025")
        owner = self._owner()
        orgs = self._agencies(agencies)
        start_number = Tender.objects.filter(reference__startswith="GEN-").count()
        started = time.monotonic()
        for first in range(0, count, batch):
            size = min(batch, count - first)
            with transaction.atomic():
                self._batch(rng, regime, orgs, owner, start_number + first, size)
            done = first + size
            rate = done / (time.monotonic() - started)
            self.stdout.write(f"{done:>9,} tenders  ({rate:,.0f}/s)", ending="\r")
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(f"Generated {count:,} tenders in {time.monotonic() - started:.0f} s")
        )

    def _owner(self) -> User:
        user, _ = User.objects.get_or_create(
            username="generator", defaults={"full_name": "Synthetic data", "is_active": False}
        )
        return user

    def _agencies(self, wanted: int) -> list[Organisation]:
        existing = list(Organisation.objects.filter(code__startswith="gen-agency-"))
        rows = []
        for n in range(len(existing), wanted):
            province = PROVINCES[n % len(PROVINCES)]
            kind = AGENCY_KINDS[(n // len(PROVINCES)) % len(AGENCY_KINDS)]
            rows.append(
                Organisation(
                    code=f"gen-agency-{n:05d}",
                    kind=OrganisationKind.AGENCY,
                    name_vi=f"{kind} {province} {n // (len(PROVINCES) * len(AGENCY_KINDS)) + 1}",
                    name_en=f"Agency {n} ({province})",
                    province=province,
                )
            )
        Organisation.objects.bulk_create(rows, batch_size=1000)
        return list(Organisation.objects.filter(code__startswith="gen-agency-"))

    def _batch(self, rng, regime, orgs, owner, offset: int, size: int) -> None:
        now = timezone.now()
        tenders, plans = [], []
        for i in range(size):
            number = offset + i + 1
            category, cpv, stem, items = rng.choice(SUBJECTS)
            agency = rng.choice(orgs)
            value = Decimal(int(10 ** rng.uniform(8, 12.5))).quantize(Decimal("1000000"))
            published = now - dt.timedelta(days=rng.uniform(-5, 400))
            deadline = published + dt.timedelta(days=rng.randint(10, 40), hours=rng.randint(0, 9))
            status = TenderStatus.PUBLISHED if deadline > now else rng.choice(STATUSES[3:])
            method = rng.choice(METHODS)
            reference = f"GEN-{published.year}-{number:07d}"
            place = f"{rng.choice(PLACES)} {rng.choice(NAMES)}, {agency.province}"
            tenders.append(
                Tender(
                    public_id=uuid.uuid4(),
                    reference=reference,
                    ocid=f"{settings.OCDS_OCID_PREFIX}-{reference}",
                    agency=agency,
                    regime=regime,
                    status=status,
                    title=f"{stem} {place}",
                    description=f"Gói thầu {stem.lower()} tại {place}, năm {published.year}.",
                    category=category,
                    classification_code=cpv,
                    estimated_value=value,
                    method=method,
                    method_rationale="Theo kế hoạch được duyệt"
                    if RULES[method].needs_rationale
                    else "",
                    evaluation_method=EvaluationMethod.LOWEST_PRICE,
                    bid_security_amount=(value * Decimal("0.015")).quantize(Decimal("1")),
                    submission_deadline=deadline,
                    opening_time=deadline + dt.timedelta(minutes=30),
                    enquiry_end=deadline - dt.timedelta(days=4),
                    province=agency.province,
                    contact_name="Cán bộ mua sắm",
                    contact_email="muasam@example.gov.vn",
                    published_at=published,
                    closed_at=deadline if status == TenderStatus.CLOSED else None,
                    cancelled_at=deadline if status == TenderStatus.CANCELLED else None,
                    cancellation_reason="Thay đổi nhu cầu"
                    if status == TenderStatus.CANCELLED
                    else "",
                )
            )
            plans.append(items)
        Tender.objects.bulk_create(tenders, batch_size=2000)
        saved = {
            t.reference: t
            for t in Tender.objects.filter(reference__in=[t.reference for t in tenders]).only(
                "pk", "reference", "classification_code", "published_at"
            )
        }
        lots = [Lot(tender=saved[t.reference], number=1, title=t.title) for t in tenders]
        Lot.objects.bulk_create(lots, batch_size=2000)
        lot_ids = dict(Lot.objects.filter(tender__in=saved.values()).values_list("tender_id", "pk"))
        rows, documents = [], []
        for tender, items in zip(tenders, plans, strict=True):
            saved_tender = saved[tender.reference]
            for n, (description, unit, (low, high)) in enumerate(items, start=1):
                rows.append(
                    Item(
                        lot_id=lot_ids[saved_tender.pk],
                        number=n,
                        description=description,
                        quantity=Decimal(rng.randint(low, high)),
                        unit=unit,
                        classification_code=tender.classification_code,
                    )
                )
            digest = hashlib.sha256(tender.reference.encode()).hexdigest()
            documents.append(
                TenderDocument(
                    public_id=uuid.uuid4(),
                    tender=saved_tender,
                    title="Hồ sơ mời thầu",
                    filename=f"{tender.reference}.pdf",
                    content_type="application/pdf",
                    size=rng.randint(200_000, 20_000_000),
                    sha256=digest,
                    file=f"generated/{digest}",
                    uploaded_by=owner,
                )
            )
        Item.objects.bulk_create(rows, batch_size=5000)
        TenderDocument.objects.bulk_create(documents, batch_size=2000)
