"""Open data in the Open Contracting Data Standard (OCDS 1.1), from planning to implementation.

Every public, ledger-recorded change of a tender becomes one release, built by the projector
(``api.opendata.projector``) once its ledger entry is committed: publication (``planning`` +
``tender``), amendments (``tenderAmendment``), answers, closing, opening and complaints
(``tenderUpdate``), cancellation (``tenderCancellation``), the award (``award``), a
re-evaluation (``awardUpdate``), the contract (``contract``), its amendments
(``contractAmendment``), completion (``implementation``) and termination
(``contractTermination``). Each release is the whole public state at that moment: the tender,
the bids, the awards, the contracts and the complaints. Release ids are
``{ocid}-{event}-{ledger seq}``, so they are unique and ordered like the ledger. Records are
compiled from the releases with the Open Contracting Partnership's own ``ocdsmerge``, not by
hand.

Sealed bids never show early: the number of bids and the tenderers only from the closing, the
bids' details and prices only from the public opening, and the committee's disqualifications
only once the award is published (until then they are confidential).

Extensions declared: the official lots and bid extensions, and this platform's own extension
for document hashes and complaints (``api/opendata/ocds_extension``, served at
``/ocds/extension/``).
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from ocdsmerge import Merger

from api.opendata import asof
from bidders.models import Bid, closing_set
from evaluation.models import (
    Attachment,
    Award,
    AwardStatus,
    Complaint,
    Contract,
    ContractStatus,
    Examination,
    Report,
    ReportStatus,
)
from procurement.models import LedgerEntry, Organisation
from tenders import classification
from tenders.methods import RULES as METHODS
from tenders.models import (
    Category,
    EvaluationMethod,
    Method,
    Tender,
    TenderStatus,
    new_ocid,
)

VERSION = "1.1"
LOTS_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/"
    "v1.1.5/extension.json"
)
BID_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/"
    "v1.1.5/extension.json"
)

# The merge rules that OCDS 1.1.5's release schema defines (``omitWhenMerged`` and
# ``wholeListMerge``), for compiling records where the schema cannot be fetched. A test checks
# them against the schema itself; set OCDS_RELEASE_SCHEMA to read them from a schema instead.
CORE_MERGE_RULES: dict[tuple[str, ...], str] = {
    ("id",): "omitWhenMerged",
    ("date",): "omitWhenMerged",
    ("tag",): "omitWhenMerged",
    **{
        path: "wholeListMerge"
        for path in [
            ("awards", "amendment", "changes"),
            ("awards", "amendments", "changes"),
            ("awards", "items", "additionalClassifications"),
            ("awards", "suppliers", "additionalIdentifiers"),
            ("buyer", "additionalIdentifiers"),
            ("contracts", "amendment", "changes"),
            ("contracts", "amendments", "changes"),
            ("contracts", "implementation", "transactions", "payee", "additionalIdentifiers"),
            ("contracts", "implementation", "transactions", "payer", "additionalIdentifiers"),
            ("contracts", "items", "additionalClassifications"),
            ("contracts", "relatedProcesses", "relationship"),
            ("parties", "additionalIdentifiers"),
            ("parties", "roles"),
            ("relatedProcesses", "relationship"),
            ("tender", "additionalProcurementCategories"),
            ("tender", "amendment", "changes"),
            ("tender", "amendments", "changes"),
            ("tender", "items", "additionalClassifications"),
            ("tender", "procuringEntity", "additionalIdentifiers"),
            ("tender", "submissionMethod"),
            ("tender", "tenderers", "additionalIdentifiers"),
        ]
    },
}

CATEGORY = {
    Category.GOODS: "goods",
    Category.WORKS: "works",
    Category.CONSULTING: "services",
    Category.NON_CONSULTING: "services",
    Category.MIXED: "works",
}
AWARD_CRITERIA = {
    EvaluationMethod.LOWEST_PRICE: "priceOnly",
    EvaluationMethod.LOWEST_EVALUATED: "costOnly",
    EvaluationMethod.COMBINED: "ratedCriteria",
    EvaluationMethod.TECHNICAL: "qualityOnly",
}
TENDER_STATUS = {
    TenderStatus.PUBLISHED: "active",
    TenderStatus.CLOSED: "active",
    TenderStatus.OPENED: "active",
    TenderStatus.EVALUATING: "active",
    TenderStatus.AWARDED: "complete",
    TenderStatus.CONTRACTED: "complete",
    TenderStatus.CANCELLED: "cancelled",
    TenderStatus.UNSUCCESSFUL: "unsuccessful",
}
AWARD_STATUS = {
    AwardStatus.ACTIVE: "active",
    AwardStatus.CANCELLED: "cancelled",
}
# OCDS 1.1's contractStatus codelist is closed and has no "completed": a contract that came to
# a close, by completion or early, is "terminated" (implementation.transactions tells which).
CONTRACT_STATUS = {
    ContractStatus.ACTIVE: "active",
    ContractStatus.COMPLETED: "terminated",
    ContractStatus.TERMINATED: "terminated",
}


def _vi(label) -> str:
    """Labels in open data are in Vietnamese, whatever language the request was in."""
    with translation.override("vi"):
        return str(label)


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _day(day: dt.date | None, *, end: bool = False) -> str | None:
    """A calendar date as an OCDS date-time in the publisher's time zone (not UTC, which would
    show the day before): the last second of the day for the end of a period, as the OCDS 1.1
    reference ("Date") suggests, and otherwise (a signature, a payment) the start of the day,
    so that it never falls after the release that reports it."""
    if day is None:
        return None
    time = dt.time(23, 59, 59) if end else dt.time(0)
    return dt.datetime.combine(day, time, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE)).isoformat()


def _amount(value: Decimal | None, currency: str) -> dict | None:
    if value is None:
        return None
    # OCDS amounts are JSON numbers; VND has no minor unit, so whole values stay integers.
    number: int | float = int(value) if value == value.to_integral_value() else float(value)
    return {"amount": number, "currency": currency}


def public_url(path: str) -> str:
    return settings.PUBLIC_BASE_URL + path


def extension_url() -> str:
    return public_url(reverse("ocds-extension", args=["extension.json"]))


def extensions() -> list[str]:
    return [LOTS_EXTENSION, BID_EXTENSION, extension_url()]


def _drop_empty(value: Any) -> Any:
    """OCDS omits empty fields rather than sending nulls or empty strings."""
    if isinstance(value, dict):
        cleaned = {k: _drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value


def _party(tender: Tender) -> dict:
    agency = tender.agency
    return {
        "id": agency.code,
        "name": agency.name_vi,
        "identifier": {"id": agency.tax_code, "legalName": agency.name_vi}
        if agency.tax_code
        else None,
        "address": {"region": agency.province, "countryName": "Việt Nam"},
        "contactPoint": {
            "name": tender.contact_name,
            "email": tender.contact_email,
            "telephone": tender.contact_phone,
        },
        "roles": ["buyer", "procuringEntity"],
    }


def _reference(organisation: Organisation) -> dict:
    return {"id": organisation.code, "name": organisation.name_vi}


class _Parties:
    """The release's parties: one entry per organisation, with every role it plays here. The
    agency's comes from the tender (with its contact point); others from what the platform
    publishes about them anyway (name, tax code, province)."""

    def __init__(self, tender: Tender, h: asof.History) -> None:
        self.by_id = {tender.agency.code: _party(tender)}
        self.h = h

    def reference(self, organisation: Organisation) -> dict:
        """The reference to ``organisation`` as it was named at the release's entry."""
        return _reference(self.h.organisation(organisation))

    def add(self, organisation: Organisation, role: str) -> dict:
        """Give ``organisation`` the ``role``; returns the reference to it."""
        organisation = self.h.organisation(organisation)
        party = self.by_id.get(organisation.code)
        if party is None:
            party = self.by_id[organisation.code] = {
                **_reference(organisation),
                "identifier": {"id": organisation.tax_code, "legalName": organisation.name_vi}
                if organisation.tax_code
                else None,
                "address": {"region": organisation.province},
                "roles": [],
            }
        if role not in party["roles"]:
            party["roles"].append(role)
        return _reference(organisation)

    def __contains__(self, organisation: Organisation) -> bool:
        return organisation.code in self.by_id

    def as_list(self) -> list[dict]:
        return list(self.by_id.values())


def tender_block(tender: Tender, h: asof.History) -> dict:
    """The tender as it stood at ``h`` (``tender`` is already ``asof.tender_as_of``)."""
    lots = list(tender.lots.prefetch_related("items"))
    items = []
    for lot in lots:
        for item in lot.items.all():
            code = classification.lookup(tender.classification_scheme, item.classification_code)
            items.append(
                {
                    "id": f"{lot.number}-{item.number}",
                    "description": item.description,
                    "classification": {
                        "scheme": tender.classification_scheme,
                        "id": item.classification_code,
                        "description": code.vi if code else None,
                    },
                    "quantity": float(item.quantity)
                    if item.quantity != item.quantity.to_integral_value()
                    else int(item.quantity),
                    "unit": {"name": item.unit},
                    "relatedLot": str(lot.number),
                }
            )
    documents = [
        {
            "id": str(d.public_id),
            "documentType": "biddingDocuments",
            "title": d.title,
            "url": public_url(reverse("api:tender-document", args=[tender.reference, d.public_id])),
            "datePublished": _iso(d.uploaded_at),
            "format": d.content_type,
            "language": "vi",
            "sha256": d.sha256,
        }
        for d in tender.documents.filter(public_id__in=asof.standing_documents(h)).order_by(
            "uploaded_at", "pk"
        )
    ]
    amendments = [
        {
            "id": str(a.number),
            "date": _iso(a.created_at),
            "rationale": a.rationale,
            "description": ", ".join(sorted(a.changes)),
        }
        for a in tender.amendments.filter(ledger_seq__lte=h.seq)
    ]
    if tender.status == TenderStatus.CANCELLED:
        amendments.append(
            {
                "id": "cancellation",
                "date": _iso(tender.cancelled_at),
                "rationale": tender.cancellation_reason,
                "description": "cancellation",
            }
        )
    buyer = {"id": tender.agency.code, "name": tender.agency.name_vi}
    return {
        "id": tender.reference,
        "title": tender.title,
        "description": tender.description,
        "status": TENDER_STATUS.get(tender.status, "planning"),
        "procuringEntity": buyer,
        "items": items,
        "value": _amount(tender.estimated_value, tender.currency),
        "procurementMethod": METHODS[tender.method].ocds_method,
        "procurementMethodDetails": _vi(Method(tender.method).label),
        "procurementMethodRationale": tender.method_rationale,
        "mainProcurementCategory": CATEGORY[tender.category],
        "awardCriteria": AWARD_CRITERIA[tender.evaluation_method],
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": {
            "startDate": _iso(tender.published_at),
            "endDate": _iso(tender.submission_deadline),
        },
        "enquiryPeriod": {
            "startDate": _iso(tender.published_at),
            "endDate": _iso(tender.enquiry_end),
        },
        "hasEnquiries": bool(h.of("QUESTION_ASKED")),
        "documents": documents,
        "amendments": amendments,
        "lots": [
            {
                "id": str(lot.number),
                "title": lot.title,
                "description": lot.description,
                "value": _amount(lot.estimated_value, tender.currency),
                "status": TENDER_STATUS.get(tender.status, "planning"),
            }
            for lot in lots
        ],
    }


def _disqualified(tender: Tender, report: Report | None) -> set[int]:
    """The bids (pks) that failed the committee's examination, as revealed with the published
    result. Before it, or while a re-evaluation runs, the examination is confidential."""
    if report is None or report.decision_seq is None:
        return set()
    latest: dict[int, bool] = {}
    rows = Examination.objects.filter(tender=tender, ledger_seq__lte=report.decision_seq)
    for bid_id, passed in rows.order_by("version").values_list("bid_id", "passed"):
        latest[bid_id] = passed
    return {bid_id for bid_id, passed in latest.items() if not passed}


def _bid_status(bid: Bid, disqualified: set[int], h: asof.History) -> str:
    """bidStatus codes: an opened bid goes on to the evaluation ("valid") unless the opening
    found its envelope invalid or the published result disqualified it."""
    key = str(bid.public_id)
    if key in h.bids("BID_INVALID", "BID_UNREADABLE") or bid.pk in disqualified:
        return "disqualified"
    if key in h.bids("BID_OPENED"):
        return "valid"
    return "pending"


def _bids(
    tender: Tender, bids: list[Bid], parties: _Parties, report: Report | None, h: asof.History
) -> dict:
    """Bid statistics from the closing; each bid's details (tenderer, status, price) only
    from the public opening."""
    if tender.closing_seq is None:
        return {}
    block: dict[str, Any] = {
        "statistics": [
            {"id": "bids", "measure": "bids", "value": len(bids), "date": _iso(tender.closed_at)}
        ]
    }
    if tender.opened_at is not None:
        disqualified = _disqualified(tender, report)
        priced = h.priced()
        block["details"] = [
            {
                "id": str(bid.public_id),
                "date": _iso(bid.submitted_at),
                "status": _bid_status(bid, disqualified, h),
                "tenderers": [parties.add(bid.supplier, "tenderer")],
                "value": _amount(bid.price_total, tender.currency)
                if str(bid.public_id) in priced
                else None,
                "relatedLots": [
                    str(line["lot"]) for line in (bid.price_sheet or {}).get("lots", [])
                ],
            }
            for bid in bids
        ]
    return block


def _tenderers(tender: Tender, bids: list[Bid], parties: _Parties) -> dict:
    if tender.closing_seq is None:
        return {}
    tenderers = {bid.supplier.code: parties.add(bid.supplier, "tenderer") for bid in bids}
    return {"numberOfTenderers": len(tenderers), "tenderers": list(tenderers.values())}


def _award_status(award: Award, h: asof.History) -> str:
    """Awards are only ever cancelled by a re-evaluation, which cancels every active one."""
    return AwardStatus.CANCELLED if h.reevaluated_after(award.ledger_seq) else AwardStatus.ACTIVE


def _awards(tender: Tender, parties: _Parties, h: asof.History) -> list[dict]:
    awards = (
        Award.objects.filter(tender=tender, ledger_seq__lte=h.seq)
        .select_related("lot", "supplier", "bid")
        .order_by("ledger_seq", "lot__number")
    )
    return [
        {
            "id": str(a.public_id),
            "title": a.lot.title,
            "description": a.cancelled_reason
            if _award_status(a, h) == AwardStatus.CANCELLED
            else None,
            "status": AWARD_STATUS[_award_status(a, h)],
            "date": _iso(a.date),
            "value": _amount(a.value, a.currency),
            "suppliers": [parties.add(a.supplier, "supplier")],
            "relatedLots": [str(a.lot.number)],
            "relatedBid": str(a.bid.public_id),
        }
        for a in awards
    ]


def _attachment(tender: Tender, a: Attachment, document_type: str | None = None) -> dict:
    return {
        "id": str(a.pk),
        "documentType": document_type,
        "title": a.title,
        "url": public_url(reverse("api:tender-attachment", args=[tender.reference, a.pk])),
        "datePublished": _iso(a.uploaded_at),
        "format": a.content_type,
        "sha256": a.sha256,
    }


def _money_change(old: Decimal, new: Decimal, currency: str) -> str | None:
    return None if old == new else f"Giá hợp đồng: {old:f} → {new:f} {currency}"


def _end_change(old: dt.date, new: dt.date) -> str | None:
    return None if old == new else f"Ngày kết thúc: {old.isoformat()} → {new.isoformat()}"


def _contract_status(contract: Contract, h: asof.History) -> str:
    key = str(contract.public_id)
    if h.contract_step(key, "CONTRACT_COMPLETED"):
        return ContractStatus.COMPLETED
    if h.contract_step(key, "CONTRACT_TERMINATED"):
        return ContractStatus.TERMINATED
    return ContractStatus.ACTIVE


def _contracts(tender: Tender, parties: _Parties, h: asof.History) -> list[dict]:
    contracts = list(
        Contract.objects.filter(tender=tender, ledger_seq__lte=h.seq)
        .select_related("award", "supplier")
        .prefetch_related("amendments", "attachments")
        .order_by("ledger_seq")
    )
    # The files recorded with the signature came before its ledger entry; later ones came
    # with amendments (in Vietnamese practice, annexes to the contract: phụ lục hợp đồng).
    signed_at = dict(
        LedgerEntry.objects.filter(seq__in=[c.ledger_seq for c in contracts]).values_list(
            "seq", "recorded_at"
        )
    )
    out = []
    for c in contracts:
        signing = signed_at.get(c.ledger_seq)
        amendments = [m for m in c.amendments.all() if m.ledger_seq <= h.seq]
        asof.undo_contract_amendments(c, c.amendments.all(), h.seq)
        c.status = _contract_status(c, h)
        transactions = []
        if c.status == ContractStatus.COMPLETED and c.paid is not None:
            parties.add(tender.agency, "payer")
            transactions.append(
                {
                    "id": "1",
                    "date": _day(c.closed_on),
                    "value": _amount(c.paid, c.currency),
                    "payer": _reference(tender.agency),
                    "payee": parties.add(c.supplier, "payee"),
                }
            )
        out.append(
            {
                "id": str(c.public_id),
                "awardID": str(c.award.public_id),
                "title": c.title,
                "status": CONTRACT_STATUS[c.status],
                "period": {"startDate": _day(c.start_date), "endDate": _day(c.end_date, end=True)},
                "value": _amount(c.value, c.currency),
                "dateSigned": _day(c.signed_on),
                "documents": [
                    _attachment(
                        tender,
                        a,
                        "contractSigned"
                        if signing is None or a.uploaded_at <= signing
                        else "contractAnnexe",
                    )
                    for a in c.attachments.all()
                    if a.uploaded_at <= h.time
                ],
                "amendments": [
                    {
                        "id": str(m.number),
                        "date": _iso(m.amended_on),
                        "rationale": m.reason,
                        "description": "; ".join(
                            change
                            for change in (
                                _money_change(m.old_value, m.new_value, c.currency),
                                _end_change(m.old_end_date, m.new_end_date),
                            )
                            if change
                        ),
                    }
                    for m in amendments
                ],
                "implementation": {"transactions": transactions},
            }
        )
    return out


def _complaints(tender: Tender, parties: _Parties, h: asof.History) -> list[dict]:
    """Complaints are public on the platform from their filing (the platform's extension)."""
    out = []
    complaints = (
        Complaint.objects.filter(tender=tender, ledger_seq__lte=h.seq)
        .select_related("complainant")
        .prefetch_related("attachments")
        .order_by("number")
    )
    for c in map(lambda c: asof.complaint_as_of(c, h), complaints):
        if c.complainant not in parties:
            # Not a tenderer (a complaint about the documents is open to any supplier).
            parties.add(c.complainant, "interestedParty")
        out.append(
            {
                "id": str(c.public_id),
                "number": c.number,
                "status": c.status,
                "subject": c.subject,
                "complainant": parties.reference(c.complainant),
                "description": c.text,
                "dateSubmitted": _iso(c.filed_at),
                "answer": {"description": c.answer, "date": _iso(c.answered_at)},
                "escalatedDate": _iso(c.escalated_at),
                "decision": {
                    "description": c.decision,
                    "date": _iso(c.decided_at),
                    "remedy": c.remedy,
                }
                if c.decision
                else None,
                "deadlines": {
                    "answerDue": _iso(c.answer_due),
                    "escalationDue": _iso(c.escalation_due),
                    "reviewDue": _iso(c.review_due),
                    "answerMissed": c.answer_missed_at is not None
                    if c.answer_due is not None
                    else None,
                    "reviewMissed": c.review_missed_at is not None
                    if c.review_due is not None
                    else None,
                },
                "documents": [
                    _attachment(tender, a) for a in c.attachments.all() if a.uploaded_at <= h.time
                ],
            }
        )
    return out


def _approved_report(tender: Tender, h: asof.History) -> Report | None:
    """The result that stood at ``h``: the last one approved by then, unless an upheld
    complaint reopened the evaluation after it."""
    report = (
        Report.objects.filter(
            tender=tender,
            decision_seq__lte=h.seq,
            status__in=[ReportStatus.APPROVED, ReportStatus.SUPERSEDED],
        )
        .order_by("-decision_seq")
        .first()
    )
    if report is None or h.reevaluated_after(report.decision_seq):
        return None
    return report


def build_release(tender: Tender, *, event: str, tag: list[str], entry: LedgerEntry) -> dict:
    """The release for a ledger entry: the whole public state of the contracting process as it
    stood at that entry (``api.opendata.asof``), so that it is the same whenever it is built."""
    h = asof.history(tender, entry)
    tender = asof.tender_as_of(tender, h)
    ocid = tender.ocid or new_ocid(tender.reference)
    parties = _Parties(tender, h)
    bids = list(closing_set(tender).select_related("supplier")) if tender.closing_seq else []
    report = _approved_report(tender, h)
    block = {
        **tender_block(tender, h),
        **_tenderers(tender, bids, parties),
        "awardPeriod": {
            "startDate": _iso(tender.opened_at),
            "endDate": _iso(report.decided_at) if report else None,
        },
    }
    release = {
        "ocid": ocid,
        "id": f"{ocid}-{event}-{entry.seq}",
        "date": _iso(entry.recorded_at),
        "tag": tag,
        "initiationType": "tender",
        "language": "vi",
        "parties": [],  # filled last: every section below adds the organisations it names
        "buyer": _reference(tender.agency),
        "tender": block,
        "bids": _bids(tender, bids, parties, report, h),
        "awards": _awards(tender, parties, h),
        "contracts": _contracts(tender, parties, h),
        "complaints": _complaints(tender, parties, h),
    }
    if "planning" in tag:
        release["planning"] = {
            "budget": {"amount": _amount(tender.estimated_value, tender.currency)}
        }
    release["parties"] = parties.as_list()
    return _drop_empty(release)


def _package(uri: str, published: dt.datetime) -> dict:
    """The metadata every release or record package carries."""
    return {
        "uri": uri,
        "version": VERSION,
        "publishedDate": _iso(published),
        "publisher": {"name": settings.OCDS_PUBLISHER_NAME},
        "license": settings.OCDS_LICENSE,
        "publicationPolicy": public_url("/"),
        "extensions": extensions(),
    }


def release_package(releases: list[dict], *, uri: str, published: dt.datetime) -> dict:
    return {**_package(uri, published), "releases": releases}


@functools.cache
def _merger() -> Merger:
    if settings.OCDS_RELEASE_SCHEMA:
        return Merger(schema=settings.OCDS_RELEASE_SCHEMA)
    return Merger(merge_rules=CORE_MERGE_RULES)


def record_package(ocid: str, releases: list[dict], *, uri: str, published: dt.datetime) -> dict:
    """A record package for one contracting process, compiled with ``ocdsmerge``."""
    compiled = _merger().create_compiled_release(releases)
    record = {"ocid": ocid, "releases": releases, "compiledRelease": compiled}
    return {**_package(uri, published), "records": [record]}
