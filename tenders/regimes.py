"""The legal-regime presets the platform ships. Later changes to the law are new presets (a
tender keeps the regime it was published under). Migration 0002 and ``load_demo`` install them;
installing is idempotent."""

import datetime as dt
from decimal import Decimal

# Grounds on which a tender may be cancelled, per regime: an officer chooses one (its code is
# recorded in the ledger) and writes the reason. Law 22/2023/QH15 Art. 17(1) lists Viet Nam's.
VN_CANCELLATION_GROUNDS = [
    {
        "code": "all_bids_non_responsive",
        "vi": "Tất cả hồ sơ dự thầu không đáp ứng yêu cầu của hồ sơ mời thầu",
        "en": "All bids fail to meet the requirements of the bidding documents",
    },
    {
        "code": "scope_changed",
        "vi": "Thay đổi mục tiêu, phạm vi đầu tư do sắp xếp tổ chức bộ máy hoặc bất khả kháng",
        "en": "The objective or scope changed (administrative reorganisation or force majeure)",
    },
    {
        "code": "documents_unlawful",
        "vi": "Hồ sơ mời thầu không tuân thủ quy định của pháp luật về đấu thầu",
        "en": "The bidding documents do not comply with the procurement law",
    },
    {
        "code": "prohibited_practices",
        "vi": "Có hành vi bị cấm trong đấu thầu làm sai lệch kết quả lựa chọn nhà thầu",
        "en": "Prohibited practices distorted the result of the selection",
    },
    {
        "code": "advance_procurement_not_approved",
        "vi": "Tổ chức lựa chọn nhà thầu trước nhưng dự án, dự toán không được phê duyệt",
        "en": "Procurement carried out in advance, but the project or budget was not approved",
    },
]
# UNCITRAL Model Law 2011 Art. 19 (cancellation) and WTO GPA: the entity may cancel for reasons
# stated in the documents, changed needs, lack of funds, or when every submission is rejected.
GENERIC_CANCELLATION_GROUNDS = [
    {
        "code": "all_submissions_rejected",
        "vi": "Tất cả hồ sơ dự thầu bị loại",
        "en": "All submissions were rejected",
    },
    {
        "code": "need_changed",
        "vi": "Nhu cầu mua sắm không còn hoặc đã thay đổi",
        "en": "The need for the subject matter has ended or changed",
    },
    {
        "code": "funding_unavailable",
        "vi": "Không còn nguồn vốn",
        "en": "Funding is no longer available",
    },
    {
        "code": "irregularity",
        "vi": "Sai sót trong quá trình lựa chọn nhà thầu không thể khắc phục",
        "en": "An irregularity in the proceedings that cannot be corrected",
    },
]

PRESETS = [
    {
        "code": "vn-2025",
        "name_vi": "Việt Nam — Luật Đấu thầu 22/2023 (sửa đổi), Nghị định 214/2025",
        "name_en": "Viet Nam — Procurement Law 22/2023 (as amended), Decree 214/2025",
        "legal_basis": (
            "Law 22/2023/QH15 as amended; Decree 214/2025/ND-CP Art. 28 (preparation time, "
            "amendments, clarifications); Law Art. 14 (bid security); Law Art. 17 "
            "(cancellation); Labour Code Art. 112 (public holidays)."
        ),
        "cancellation_grounds": VN_CANCELLATION_GROUNDS,
        "holiday_calendar": "VN",
        "domestic_currency": "VND",
        "prep_days": 18,
        "prep_days_small": 9,
        "prep_days_international": 35,
        "prep_days_international_small": 18,
        "shopping_prep_working_days": 7,
        "small_goods_max": Decimal("10000000000"),
        "small_works_max": Decimal("20000000000"),
        "amendment_days": 10,
        "amendment_working_days_small": 3,
        "question_working_days": 3,
        "question_working_days_international": 5,
        "answer_working_days": 2,
        "security_min_pct_small": Decimal("1.00"),
        "security_max_pct_small": Decimal("1.50"),
        "security_min_pct": Decimal("1.50"),
        "security_max_pct": Decimal("3.00"),
        # No legal standstill in Viet Nam, but result petitions are due within 10 days of the
        # result's publication (D214 Art. 138), so signing waits for them (§1.11 C1).
        "standstill": dt.timedelta(days=10),
        "clarification_working_days": 3,
        "debrief_working_days": 2,
        "complaint_answer_working_days": 7,
        "escalation_working_days": 5,
        "review_days": 30,
    },
    {
        "code": "uncitral-gpa",
        "name_vi": "Chung — Luật mẫu UNCITRAL 2011 / Hiệp định GPA của WTO",
        "name_en": "Generic — UNCITRAL Model Law 2011 / WTO GPA",
        "legal_basis": (
            "WTO GPA Art. XI (40 days, less 5 each for electronic notice, documents and "
            "submission; 10 for commercial goods); UNCITRAL Model Law Art. 14-15 "
            "(clarifications and modifications in time for all suppliers); Art. 19 "
            "(cancellation)."
        ),
        "cancellation_grounds": GENERIC_CANCELLATION_GROUNDS,
        "holiday_calendar": "",
        "domestic_currency": "",
        "prep_days": 25,
        "prep_days_small": 10,
        "prep_days_international": 25,
        "prep_days_international_small": 10,
        "shopping_prep_working_days": 5,
        "small_goods_max": Decimal("0"),
        "small_works_max": Decimal("0"),
        "amendment_days": 6,
        "amendment_working_days_small": 4,
        "question_working_days": 6,
        "question_working_days_international": 6,
        "answer_working_days": 4,
        "security_min_pct_small": Decimal("0"),
        "security_max_pct_small": Decimal("5.00"),
        "security_min_pct": Decimal("0"),
        "security_max_pct": Decimal("5.00"),
        # GPA Art. XVIII: at least 10 days to challenge; UNCITRAL Art. 66: the entity decides
        # within 3 working days whether to entertain an application.
        "standstill": dt.timedelta(days=10),
        "clarification_working_days": 5,
        "debrief_working_days": 5,
        "complaint_answer_working_days": 3,
        "escalation_working_days": 10,
        "review_days": 30,
    },
]


def install_presets(regime_model) -> None:
    """Create or refresh the presets. Takes the model so migrations can pass their own."""
    known = {f.name for f in regime_model._meta.get_fields()}
    for preset in PRESETS:  # an early migration's model lacks the fields added since
        defaults = {k: v for k, v in preset.items() if k in known}
        regime_model.objects.update_or_create(code=preset["code"], defaults=defaults)


# A drill regime with no minimum periods, so a whole tender (publication, deadline, closing,
# key release, opening) can run in minutes on the demo and in tests. Never installed by the
# migrations: only ``load_demo`` (the embedded default) and the tests install it.
DRILL = {
    "code": "drill",
    "name_vi": "Diễn tập — chỉ dùng để trình diễn và kiểm thử, không có giá trị pháp lý",
    "name_en": "Drill — for demonstration and testing only, no legal effect",
    "legal_basis": "None: a demonstration regime with no minimum periods.",
    "cancellation_grounds": VN_CANCELLATION_GROUNDS,
    "holiday_calendar": "",
    "domestic_currency": "",
    "prep_days": 0,
    "prep_days_small": 0,
    "prep_days_international": 0,
    "prep_days_international_small": 0,
    "shopping_prep_working_days": 0,
    "small_goods_max": Decimal("0"),
    "small_works_max": Decimal("0"),
    "amendment_days": 0,
    "amendment_working_days_small": 0,
    "question_working_days": 0,
    "question_working_days_international": 0,
    "answer_working_days": 0,
    "security_min_pct_small": Decimal("0"),
    "security_max_pct_small": Decimal("100"),
    "security_min_pct": Decimal("0"),
    "security_max_pct": Decimal("100"),
    "standstill": dt.timedelta(minutes=3),
    "clarification_working_days": 1,
    "debrief_working_days": 1,
    "complaint_answer_working_days": 1,
    "escalation_working_days": 1,
    "review_days": 1,
}


def install_drill(regime_model):
    regime, _ = regime_model.objects.update_or_create(code=DRILL["code"], defaults=DRILL)
    return regime
