"""Open data in the Open Contracting Data Standard (OCDS 1.1) for the planning and tender stages.

Every public, ledger-recorded change of a tender writes one release, in the same transaction as
its ledger entry: publication (``planning`` + ``tender``), amendments (``tenderAmendment``),
answers and closing (``tenderUpdate``), cancellation (``tenderCancellation``). Release ids are
``{ocid}-{event}-{ledger seq}``, so they are unique and ordered like the ledger. Records are
compiled from the releases with the Open Contracting Partnership's own ``ocdsmerge``, not by hand.

Extensions declared: the official lots extension, and this platform's small extension for
document hashes (``tenders/ocds_extension``, served at ``/ocds/extension/``).
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from ocdsmerge import Merger

from procurement.models import LedgerEntry
from tenders import classification
from tenders.models import (
    Category,
    EvaluationMethod,
    Method,
    OcdsRelease,
    Tender,
    TenderStatus,
)

VERSION = "1.1"
LOTS_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/"
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

METHOD = {
    Method.OPEN: "open",
    Method.RESTRICTED: "selective",
    Method.DIRECT: "direct",
    Method.SHOPPING: "open",  # published to all on the system, like open bidding
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


def _vi(label) -> str:
    """Labels in open data are in Vietnamese, whatever language the request was in."""
    with translation.override("vi"):
        return str(label)


def new_ocid(reference: str) -> str:
    return f"{settings.OCDS_OCID_PREFIX}-{reference}"


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


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
    return [LOTS_EXTENSION, extension_url()]


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


def tender_block(tender: Tender) -> dict:
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
        for d in tender.documents.filter(superseded_by__isnull=True).order_by("uploaded_at")
    ]
    amendments = [
        {
            "id": str(a.number),
            "date": _iso(a.created_at),
            "rationale": a.rationale,
            "description": ", ".join(sorted(a.changes)),
        }
        for a in tender.amendments.all()
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
        "procurementMethod": METHOD[tender.method],
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
        "hasEnquiries": tender.questions.exists(),
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


def build_release(tender: Tender, *, event: str, tag: list[str], entry: LedgerEntry) -> dict:
    ocid = tender.ocid or new_ocid(tender.reference)
    release = {
        "ocid": ocid,
        "id": f"{ocid}-{event}-{entry.seq}",
        "date": _iso(entry.recorded_at),
        "tag": tag,
        "initiationType": "tender",
        "language": "vi",
        "parties": [_party(tender)],
        "buyer": {"id": tender.agency.code, "name": tender.agency.name_vi},
        "tender": tender_block(tender),
    }
    if "planning" in tag:
        release["planning"] = {
            "budget": {"amount": _amount(tender.estimated_value, tender.currency)}
        }
    return _drop_empty(release)


def record_release(tender: Tender, *, event: str, tag: list[str], entry: LedgerEntry) -> None:
    """Write the release for a ledger entry. Call inside the service's transaction, after the
    tender's new state is saved. Tenders never published have no public releases."""
    if tender.published_at is None:
        return
    data = build_release(tender, event=event, tag=tag, entry=entry)
    OcdsRelease.objects.create(
        tender=tender,
        ocid=data["ocid"],
        release_id=data["id"],
        date=entry.recorded_at,
        tag=tag,
        ledger_seq=entry.seq,
        data=data,
    )


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
