"""OCDS after the opening: bids (statistics from the closing, details and prices from the
opening, disqualifications from the published result), awards, complaints (the platform's
extension), contracts with their signed documents, amendments and payment. Every package is
validated with libcoveocds (``validate``, from tests/api/opendata/ocds_fixtures.py) and the
record is
cross-checked against ocdskit's merge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.timezone import localdate

from evaluation.models import Attachment, Award, Contract
from procurement.clock import db_now
from tests.evaluation.flow import (
    award_lowest_price,
    examine,
    open_with_bids,
    pass_standstill,
    post,
)

# Releases are projected once each service commits, as in production: real transactions.
pytestmark = pytest.mark.django_db(transaction=True)
pytest_plugins = ["tests.api.opendata.ocds_fixtures"]
PDF = b"%PDF-1.7\n% Minh Bach test\n"
PRICES = ["41000000000.00", "43000000000.00"]


def pdf(name="don-kien-nghi.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def multipart(api_as, user, name, tender, data, *args):
    return api_as(user).post(
        reverse(f"api:{name}", args=[tender.reference, *args]), data, format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def releases_of(client, tender) -> dict:
    return client.get(reverse("ocds-releases", args=[tender.ocid])).json()


def by_event(package: dict, event: str) -> list[dict]:
    """The releases of one kind of event (release ids are ``{ocid}-{event}-{seq}``)."""
    return [r for r in package["releases"] if r["id"].rsplit("-", 1)[0].endswith(f"-{event}")]


def test_award_complaint_contract_amendment_and_payment_are_open_data(
    api_as, client, make_tender, make_bidder, custodians, officer, members, approver, reviewer,
    validate, ocds_dir, settings,
):  # fmt: skip
    # Given a tender with two sealed bids: nothing about them is public before the closing.
    tender = make_tender(publish=True)
    opened = open_with_bids(api_as, tender, make_bidder, custodians, PRICES, officer=officer,
                            members=members)  # fmt: skip
    t = opened.tender
    (_, winner_org), (loser, loser_org) = opened.bidders

    # When the committee awards it, a bidder complains about the result and loses at the
    # review body, and the contract is signed, amended and completed with its payment.
    award_lowest_price(api_as, opened, approver)
    award = Award.objects.get()
    result = {"subject": "result", "text": "Hồ sơ trúng thầu không đủ năng lực", "files": [pdf()]}
    assert multipart(api_as, loser, "tender-complaints", t, result).status_code == 201
    answer = {"upheld": False, "text": "Nhà thầu đáp ứng đủ năng lực."}
    assert multipart(api_as, officer, "tender-complaint-answer", t, answer, 1).status_code == 200
    assert post(api_as, loser, "tender-complaint-escalate", t, None, 1).status_code == 200
    decision = {"upheld": False, "text": "Không có căn cứ."}
    ruling = multipart(api_as, reviewer, "tender-complaint-decide", t, decision, 1)
    assert ruling.status_code == 200, ruling.json()
    pass_standstill(t)
    today = localdate(db_now())
    signed = multipart(api_as, officer, "tender-contracts", t, {
        "award": str(award.public_id), "title": "Hợp đồng sửa chữa mặt cầu",
        "value": "41000000000.00", "signed_on": today.isoformat(),
        "start_date": today.isoformat(),
        "end_date": (today + dt.timedelta(days=180)).isoformat(), "files": [pdf("hd.pdf")],
    })  # fmt: skip
    assert signed.status_code == 201, signed.json()
    contract = Contract.objects.get()
    amend = {"reason": "Bổ sung khối lượng phát sinh", "value": "42500000000.00",
             "files": [pdf("phu-luc.pdf")]}  # fmt: skip
    assert multipart(api_as, officer, "tender-contract-amend", t, amend,
                     contract.public_id).status_code == 201  # fmt: skip
    done = post(api_as, officer, "tender-contract-close", t,
                {"completed": True, "paid": "42500000000.00"}, contract.public_id)  # fmt: skip
    assert done.status_code == 200, done.json()

    # Then every step is a release, in ledger order.
    package = releases_of(client, t)
    releases = package["releases"]
    assert [r["tag"] for r in releases] == [
        ["planning", "tender"],
        ["tenderUpdate"],  # closing
        ["tenderUpdate"],  # opening
        ["award"],
        ["tenderUpdate"],  # complaint filed
        ["tenderUpdate"],  # answered
        ["tenderUpdate"],  # escalated
        ["tenderUpdate"],  # decided
        ["contract"],
        ["contractAmendment"],
        ["implementation"],
    ]
    published = releases[0]
    (closing,) = by_event(package, "closing")
    (opening,) = by_event(package, "opening")

    # Sealed bids: no bid data before the closing; the count and tenderers from it; details
    # with prices only from the opening.
    assert "bids" not in published
    assert "tenderers" not in published["tender"]
    assert "numberOfTenderers" not in published["tender"]
    assert [p["roles"] for p in published["parties"]] == [["buyer", "procuringEntity"]]
    assert closing["bids"] == {
        "statistics": [{"id": "bids", "measure": "bids", "value": 2, "date": iso(t.closed_at)}]
    }
    assert closing["tender"]["numberOfTenderers"] == 2
    assert closing["tender"]["tenderers"] == [
        {"id": winner_org.code, "name": winner_org.name_vi},
        {"id": loser_org.code, "name": loser_org.name_vi},
    ]
    assert {p["id"]: p["roles"] for p in closing["parties"]} == {
        t.agency.code: ["buyer", "procuringEntity"],
        winner_org.code: ["tenderer"],
        loser_org.code: ["tenderer"],
    }
    details = opening["bids"]["details"]
    assert [d["id"] for d in details] == opened.bids
    assert [d["value"] for d in details] == [
        {"amount": 41000000000, "currency": "VND"},
        {"amount": 43000000000, "currency": "VND"},
    ]
    assert [d["status"] for d in details] == ["valid", "valid"]
    assert [d["tenderers"][0]["id"] for d in details] == [winner_org.code, loser_org.code]
    assert details[0]["relatedLots"] == ["1"]
    assert opening["bids"]["statistics"][0]["value"] == 2
    assert opening["tender"]["awardPeriod"] == {"startDate": iso(t.opened_at)}
    assert "awards" not in opening

    # The award: its supplier, value, lot and bid.
    (award_release,) = by_event(package, "award")
    (published_award,) = award_release["awards"]
    assert published_award == {
        "id": str(award.public_id),
        "title": award.lot.title,
        "status": "active",
        "date": iso(award.date),
        "value": {"amount": 41000000000, "currency": "VND"},
        "suppliers": [{"id": winner_org.code, "name": winner_org.name_vi}],
        "relatedLots": ["1"],
        "relatedBid": opened.bids[0],
    }
    assert award_release["tender"]["status"] == "complete"
    assert award_release["tender"]["awardPeriod"]["endDate"] == published_award["date"]
    roles = {p["id"]: p["roles"] for p in award_release["parties"]}
    assert roles[winner_org.code] == ["tenderer", "supplier"]
    assert roles[loser_org.code] == ["tenderer"]

    # The complaint, through each of its steps.
    complaint_releases = by_event(package, "complaint")
    assert [r["complaints"][0]["status"] for r in complaint_releases] == [
        "with_agency", "answered", "with_review", "dismissed",
    ]  # fmt: skip
    filed, answered, _escalated, decided = (r["complaints"][0] for r in complaint_releases)
    assert filed["number"] == 1 and filed["subject"] == "result"
    assert filed["complainant"] == {"id": loser_org.code, "name": loser_org.name_vi}
    assert filed["description"] == result["text"]
    assert filed["deadlines"]["answerMissed"] is False and "answer" not in filed
    file_attachment = Attachment.objects.get(complaint__isnull=False)
    path = reverse("api:tender-attachment", args=[t.reference, file_attachment.pk])
    assert filed["documents"] == [
        {
            "id": str(file_attachment.pk),
            "title": "don-kien-nghi.pdf",
            "url": settings.PUBLIC_BASE_URL + path,
            "datePublished": iso(file_attachment.uploaded_at),
            "format": "application/pdf",
            "sha256": file_attachment.sha256,
        }
    ]
    assert client.get(path).status_code == 200
    assert answered["answer"]["description"] == answer["text"]
    assert answered["deadlines"]["escalationDue"]
    assert decided["escalatedDate"] and decided["deadlines"]["reviewMissed"] is False
    assert decided["decision"]["description"] == decision["text"]
    assert "remedy" not in decided["decision"]

    # The contract: signed with its document, amended, completed with its payment.
    (contract_release,) = by_event(package, "contract")
    (signed_contract,) = contract_release["contracts"]
    signed_copy = Attachment.objects.get(contract=contract, title="hd.pdf")
    assert signed_contract["id"] == str(contract.public_id)
    assert signed_contract["awardID"] == str(award.public_id)
    assert signed_contract["status"] == "active"
    assert signed_contract["dateSigned"] == f"{today.isoformat()}T00:00:00+07:00"
    assert signed_contract["period"] == {
        "startDate": f"{today.isoformat()}T00:00:00+07:00",
        "endDate": f"{(today + dt.timedelta(days=180)).isoformat()}T23:59:59+07:00",
    }
    assert signed_contract["value"] == {"amount": 41000000000, "currency": "VND"}
    (document,) = signed_contract["documents"]
    assert document["documentType"] == "contractSigned"
    assert document["sha256"] == signed_copy.sha256
    assert "implementation" not in signed_contract
    (amendment_release,) = by_event(package, "contract-amendment")
    amended = amendment_release["contracts"][0]
    assert amended["value"] == {"amount": 42500000000, "currency": "VND"}
    (amendment,) = amended["amendments"]
    assert amendment["id"] == "1" and amendment["rationale"] == amend["reason"]
    assert amendment["description"] == "Giá hợp đồng: 41000000000.00 → 42500000000.00 VND"
    assert [d["documentType"] for d in amended["documents"]] == [
        "contractSigned", "contractAnnexe",
    ]  # fmt: skip
    (completion,) = by_event(package, "contract-implementation")
    completed = completion["contracts"][0]
    assert completed["status"] == "terminated"
    assert completed["implementation"]["transactions"] == [
        {
            "id": "1",
            "date": f"{today.isoformat()}T00:00:00+07:00",
            "value": {"amount": 42500000000, "currency": "VND"},
            "payer": {"id": t.agency.code, "name": t.agency.name_vi},
            "payee": {"id": winner_org.code, "name": winner_org.name_vi},
        }
    ]
    roles = {p["id"]: p["roles"] for p in completion["parties"]}
    assert roles[t.agency.code] == ["buyer", "procuringEntity", "payer"]
    assert roles[winner_org.code] == ["tenderer", "supplier", "payee"]

    # And the packages validate; the record compiles to ocdskit's merge of the same releases.
    validate(package)
    record = client.get(reverse("ocds-record", args=[t.ocid])).json()
    validate(record, record=True)
    from ocdskit.combine import merge  # noqa: PLC0415 - a test-only tool

    schema = str(ocds_dir / "schema-1.1.5" / "release-schema.json")
    (theirs,) = list(merge([package], schema=schema))
    compiled = record["records"][0]["compiledRelease"]
    assert compiled == theirs
    assert compiled["complaints"][0]["status"] == "dismissed"
    assert compiled["contracts"][0]["implementation"]["transactions"][0]["id"] == "1"


def test_disqualification_is_published_with_the_result_not_before(
    api_as, client, make_tender, make_bidder, custodians, officer, members, approver, validate
):
    # Given two opened bids, the lower one failing the committee's (confidential) examination.
    tender = make_tender(publish=True)
    opened = open_with_bids(api_as, tender, make_bidder, custodians, PRICES, officer=officer,
                            members=members)  # fmt: skip
    t, member = opened.tender, members[0]
    first, second = opened.bids
    assert examine(api_as, member, t, first, fail="bid_security",
                   reason="Bảo lãnh hết hạn").status_code == 201  # fmt: skip
    assert examine(api_as, member, t, second).status_code == 201
    assert post(api_as, member, "tender-runs", t).status_code == 201
    report = post(api_as, member, "tender-reports", t, {"summary": "Đánh giá."})
    assert report.status_code == 201, report.json()

    # When the result is approved and published,
    approved = post(api_as, approver, "tender-report-approve", t, None, report.json()["number"])
    assert approved.status_code == 200, approved.json()

    # Then the disqualification shows from the award release only, and the award names the
    # second bid.
    package = releases_of(client, t)
    (opening,) = by_event(package, "opening")
    (award_release,) = by_event(package, "award")
    assert [d["status"] for d in opening["bids"]["details"]] == ["valid", "valid"]
    assert [d["status"] for d in award_release["bids"]["details"]] == ["disqualified", "valid"]
    assert award_release["awards"][0]["relatedBid"] == second
    assert award_release["awards"][0]["value"] == {"amount": 43000000000, "currency": "VND"}
    validate(package)


def test_unsuccessful_tender_publishes_no_award(
    api_as, client, make_tender, make_bidder, custodians, officer, members, approver, validate
):
    tender = make_tender(publish=True)
    opened = open_with_bids(api_as, tender, make_bidder, custodians, PRICES[:1], officer=officer,
                            members=members)  # fmt: skip
    t, member = opened.tender, members[0]
    assert examine(api_as, member, t, opened.bids[0], fail="eligibility",
                   reason="Không đủ tư cách hợp lệ").status_code == 201  # fmt: skip
    assert post(api_as, member, "tender-runs", t).status_code == 201
    report = post(api_as, member, "tender-reports", t, {"summary": "Không có hồ sơ đạt."})
    assert report.json()["proposals"] == []
    assert post(api_as, approver, "tender-report-approve", t, None, 1).status_code == 200

    package = releases_of(client, t)
    (last,) = by_event(package, "unsuccessful")
    assert last["tag"] == ["tenderUpdate"]
    assert last["tender"]["status"] == "unsuccessful"
    assert "awards" not in last
    assert [d["status"] for d in last["bids"]["details"]] == ["disqualified"]
    validate(package)


def test_re_evaluation_cancels_the_award_in_open_data(
    api_as, client, make_tender, make_bidder, custodians, officer, members, approver, validate
):
    # Given a published award and a bidder's complaint about the result,
    tender = make_tender(publish=True)
    opened = open_with_bids(api_as, tender, make_bidder, custodians, PRICES, officer=officer,
                            members=members)  # fmt: skip
    award_lowest_price(api_as, opened, approver)
    t = opened.tender
    _, (loser, _) = opened.bidders
    complaint = {"subject": "result", "text": "Bảo lãnh của nhà thầu trúng thầu đã hết hạn"}
    assert multipart(api_as, loser, "tender-complaints", t, complaint).status_code == 201

    # When the agency upholds it and orders a re-evaluation,
    upheld = multipart(api_as, officer, "tender-complaint-answer", t,
                       {"upheld": True, "text": "Đúng, bảo lãnh hết hạn.",
                        "remedy": "re_evaluation"}, 1)  # fmt: skip
    assert upheld.status_code == 200, upheld.json()

    # Then the complaint shows the agency's decision and remedy, and the next release cancels
    # the award with its reason and reopens the tender.
    package = releases_of(client, t)
    assert [r["tag"] for r in package["releases"]][-3:] == [
        ["tenderUpdate"], ["tenderUpdate"], ["awardUpdate"],
    ]  # fmt: skip
    decided = by_event(package, "complaint")[-1]["complaints"][0]
    assert decided["status"] == "upheld"
    assert decided["decision"] == {
        "description": "Đúng, bảo lãnh hết hạn.",
        "date": decided["answer"]["date"],
        "remedy": "re_evaluation",
    }
    (update,) = by_event(package, "reevaluation")
    (cancelled,) = update["awards"]
    assert cancelled["status"] == "cancelled"
    assert cancelled["description"] == Award.objects.get().cancelled_reason
    assert update["tender"]["status"] == "active"
    assert "endDate" not in update["tender"]["awardPeriod"]
    validate(package)


def test_complaint_about_the_documents_names_an_interested_party(
    api_as, client, make_tender, make_bidder, validate
):
    # Given a published tender, when a supplier that has not bid complains about its documents,
    tender = make_tender(publish=True)
    user, organisation = make_bidder()
    filed = multipart(api_as, user, "tender-complaints", tender,
                      {"subject": "documents", "text": "HSMT hạn chế cạnh tranh"})  # fmt: skip
    assert filed.status_code == 201, filed.json()

    # Then the release lists the complaint and the supplier as an interested party, and still
    # nothing about bids.
    package = releases_of(client, tender)
    (release,) = by_event(package, "complaint")
    assert release["complaints"][0]["subject"] == "documents"
    assert {p["id"]: p["roles"] for p in release["parties"]} == {
        tender.agency.code: ["buyer", "procuringEntity"],
        organisation.code: ["interestedParty"],
    }
    assert "bids" not in release and "tenderers" not in release["tender"]
    validate(package)
