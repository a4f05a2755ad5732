"""Role matrix for every write of evaluation and after: each endpoint refuses every role that
may not use it (401, 403 or 404) and nothing changes on a refusal: no ledger entry, no row."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.timezone import localdate

from evaluation.models import (
    Award,
    Clarification,
    Complaint,
    Contract,
    Debrief,
    EvaluationRun,
    Examination,
    Report,
    ScoreSheet,
)
from procurement.models import LedgerEntry, OrganisationKind, Role
from tests.evaluation.flow import (
    COMBINED,
    award_lowest_price,
    checks,
    open_with_bids,
    pass_standstill,
    sheet,
)

pytestmark = pytest.mark.django_db
DENIED = (401, 403, 404)


@pytest.fixture
def people(make_user, make_org, agency, make_bidder):
    other_agency = make_org(OrganisationKind.AGENCY)
    oversight = make_org(OrganisationKind.OVERSIGHT)
    outsider, _ = make_bidder()
    return {
        "anonymous": None,
        "outsider supplier": outsider,
        "other officer": make_user((Role.OFFICER, other_agency)),
        "evaluator not on the committee": make_user((Role.EVALUATOR, agency)),
        "approver": make_user((Role.APPROVER, agency)),
        "other approver": make_user((Role.APPROVER, other_agency)),
        "auditor": make_user((Role.AUDITOR, oversight)),
        "reviewer": make_user((Role.REVIEWER, oversight)),
        "custodian": make_user((Role.CUSTODIAN, oversight)),
    }


def snapshot():
    models = (Examination, Clarification, ScoreSheet, EvaluationRun, Report, Award, Debrief,
              Complaint, Contract)  # fmt: skip
    return LedgerEntry.objects.count(), [m.objects.count() for m in models]


def refused_for(api, actors: dict, name, args, data, fmt="json"):
    for label, actor in actors.items():
        client = api(actor)
        before = snapshot()
        response = client.post(reverse(f"api:{name}", args=args), data, format=fmt)
        assert response.status_code in DENIED, (name, label, response.status_code)
        assert snapshot() == before, (name, label)


@pytest.fixture
def api(api_as):
    from rest_framework.test import APIClient

    return lambda user: api_as(user) if user is not None else APIClient()


@pytest.fixture
def scene(api_as, make_tender, make_bidder, custodians, officer, agency, make_user):
    members = [make_user((Role.EVALUATOR, agency)) for _ in range(2)]
    tender = make_tender(publish=True, **COMBINED)
    return open_with_bids(api_as, tender, make_bidder, custodians,
                          ["41000000000.00", "43000000000.00"], officer=officer,
                          members=members)  # fmt: skip


def test_committee_writes_refuse_everyone_else(api, scene, people, officer):
    t, (a, b) = scene.tender, scene.bids
    bidder = scene.bidders[0][0]
    actors = {**people, "officer": officer, "bidder": bidder}
    ref = [t.reference]
    refused_for(api, actors, "tender-examinations", ref, {"bid": a, "checks": checks(t)})
    refused_for(api, actors, "tender-clarifications", ref, {"bid": a, "question": "?"})
    for bid in (a, b):
        assert api(scene.members[0]).post(reverse("api:tender-examinations", args=ref),
                                           {"bid": bid, "checks": checks(t)},
                                           format="json").status_code == 201  # fmt: skip
    scores = {"scores": sheet(t, [a, b], {a: (80, 80), b: (70, 90)})}
    refused_for(api, actors, "tender-scores", ref, scores)
    for m in scene.members:
        assert api(m).post(reverse("api:tender-scores", args=ref), scores,
                           format="json").status_code == 201  # fmt: skip
    refused_for(api, actors, "tender-runs", ref, {})
    assert api(scene.members[0]).post(reverse("api:tender-runs", args=ref)).status_code == 201
    refused_for(api, actors, "tender-reports", ref, {"summary": "…"})
    report = api(scene.members[0]).post(reverse("api:tender-reports", args=ref),
                                        {"summary": "…"}, format="json")  # fmt: skip
    assert report.status_code == 201
    # Approval: never a member, never outside the agency, never without the approver role.
    approver = actors.pop("approver")
    judges = {**actors, "member": scene.members[0], "other member": scene.members[1]}
    refused_for(api, judges, "tender-report-approve", [*ref, 1], {})
    refused_for(api, judges, "tender-report-return", [*ref, 1], {"reason": "…"})
    assert api(approver).post(reverse("api:tender-report-approve", args=[*ref, 1])
                              ).status_code == 200  # fmt: skip


def test_bidder_writes_refuse_everyone_else(api, scene, people, officer):
    t, (a, _b) = scene.tender, scene.bids
    (bidder, _), (other_bidder, _) = scene.bidders
    member = scene.members[0]
    api(member).post(reverse("api:tender-clarifications", args=[t.reference]),
                     {"bid": a, "question": "Làm rõ?"}, format="json")  # fmt: skip
    actors = {**people, "officer": officer, "member": member, "other bidder": other_bidder}
    refused_for(api, actors, "tender-clarification-answer", [t.reference, 1], {"answer": "…"})
    assert api(bidder).post(reverse("api:tender-clarification-answer", args=[t.reference, 1]),
                            {"answer": "Đã rõ"}, format="json").status_code == 200  # fmt: skip


def test_after_award_writes_refuse_everyone_else(api, scene, people, officer, make_user):
    t = scene.tender
    (winner, _), (loser, _) = scene.bidders
    approver = people["approver"]
    for bid in scene.bids:
        api(scene.members[0]).post(reverse("api:tender-examinations", args=[t.reference]),
                                   {"bid": bid, "checks": checks(t)}, format="json")  # fmt: skip
    scores = {"scores": sheet(t, scene.bids, {b: (80, 80) for b in scene.bids})}
    for m in scene.members:
        api(m).post(reverse("api:tender-scores", args=[t.reference]), scores, format="json")
    award_lowest_price(api, scene, approver)
    ref = [t.reference]
    # Debriefing: only the tender's bidders ask; only the agency's officers answer.
    refused_for(api, {**people, "officer": officer, "member": scene.members[0]},
                "tender-debriefs", ref, {"question": "?"})  # fmt: skip
    debrief = api(loser).post(reverse("api:tender-debriefs", args=ref), {"question": "Vì sao?"},
                              format="json").json()["id"]  # fmt: skip
    refused_for(api, {**people, "bidder": loser, "member": scene.members[0]},
                "tender-debrief-answer", [*ref, debrief], {"answer": "…"})  # fmt: skip
    # Complaints about the result: only the tender's bidders file them.
    complaint = {"subject": "result", "text": "Kiến nghị"}
    refused_for(api, {**people, "officer": officer, "member": scene.members[0]},
                "tender-complaints", ref, complaint, fmt="multipart")  # fmt: skip
    assert api(loser).post(reverse("api:tender-complaints", args=ref), complaint,
                           format="multipart").status_code == 201  # fmt: skip
    answer = {"upheld": False, "text": "Bác"}
    refused_for(api, {**people, "bidder": loser, "member": scene.members[0], "approver": approver},
                "tender-complaint-answer", [*ref, 1], answer, fmt="multipart")  # fmt: skip
    refused_for(api, {**people, "winner": winner, "officer": officer},
                "tender-complaint-withdraw", [*ref, 1], {})  # fmt: skip
    api(officer).post(reverse("api:tender-complaint-answer", args=[*ref, 1]), answer,
                      format="multipart")  # fmt: skip
    refused_for(api, {**people, "winner": winner, "officer": officer},
                "tender-complaint-escalate", [*ref, 1], {})  # fmt: skip
    api(loser).post(reverse("api:tender-complaint-escalate", args=[*ref, 1]))
    reviewer = people.pop("reviewer")
    refused_for(api, {**people, "officer": officer, "bidder": loser},
                "tender-complaint-decide", [*ref, 1], answer, fmt="multipart")  # fmt: skip
    assert api(reviewer).post(reverse("api:tender-complaint-decide", args=[*ref, 1]), answer,
                              format="multipart").status_code == 200  # fmt: skip
    # Contracts: only the agency's officers sign, amend and close.
    pass_standstill(t)
    from django.core.files.uploadedfile import SimpleUploadedFile

    award = Award.objects.get()
    from procurement.clock import db_now

    today = localdate(db_now()).isoformat()
    contract = {"award": str(award.public_id), "title": "HĐ", "value": "41000000000.00",
                "signed_on": today, "start_date": today, "end_date": "2030-11-20"}  # fmt: skip
    actors = {**people, "winner": winner, "member": scene.members[0], "approver": approver,
              "reviewer": reviewer}  # fmt: skip
    for label, actor in actors.items():
        before = snapshot()
        response = api(actor).post(
            reverse("api:tender-contracts", args=ref),
            {**contract, "files": [SimpleUploadedFile("hd.pdf", b"%PDF-1.7 hd")]},
            format="multipart",
        )
        assert response.status_code in DENIED, label
        assert snapshot() == before
    signed = api(officer).post(
        reverse("api:tender-contracts", args=ref),
        {**contract, "files": [SimpleUploadedFile("hd.pdf", b"%PDF-1.7 hd")]}, format="multipart",
    ).json()["id"]  # fmt: skip
    refused_for(api, actors, "tender-contract-amend", [*ref, signed],
                {"reason": "…", "value": "1.00"}, fmt="multipart")  # fmt: skip
    refused_for(api, actors, "tender-contract-close", [*ref, signed], {"completed": True})
