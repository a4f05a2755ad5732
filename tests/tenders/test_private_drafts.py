"""A draft is not public, and neither is its history: an anonymous observer polling the public
ledger, the tender list, the OCDS feed and the checkpoints sees nothing while a draft is made,
edited, given its roster and key statements. Publication discloses the history in order, then
publishes. Clarification questions are committed with a salt that the answer reveals."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evaluation.services import cancellation as cancelling
from procurement.crypto.canonical import canonical_json
from procurement.models import LedgerEntry
from tenders import services
from tenders.models import DraftEvent

# Releases are projected once each service commits, as in production: real transactions.
pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.7\n" + b"z" * 500


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def observe(api, client) -> dict:
    """Everything an anonymous observer can poll."""
    size = LedgerEntry.objects.count() + 5
    return {
        "entries": api.get(reverse("api:ledger-entries"), {"start": 0, "end": size}).json(),
        "checkpoint": client.get(reverse("api:ledger-checkpoint")).content,
        "tenders": api.get(reverse("api:tenders")).json(),
        "feed": client.get(reverse("ocds-feed")).json()["releases"],
        "ledger_page": client.get(reverse("ledger")).status_code,
        "search": client.get(reverse("tenders")).content.count(b"MB-"),
    }


def kinds(entries: list[dict]) -> list[str]:
    return [e["kind"] for e in entries]


def subject_entries(api, tender) -> list[dict]:
    url = reverse("api:ledger-entries")
    return api.get(url, {"subject": tender.ledger_subject}).json()


def test_an_anonymous_observer_sees_nothing_of_a_draft(api, client, make_tender, officer, vn):
    before = observe(api, client)
    tender = make_tender()  # created, roster set, every custodian's key statement
    services.update_draft(tender, actor=officer, title="Sửa chữa cầu Long Biên (đợt 2)")
    services.add_document(
        tender, actor=officer, title="Hồ sơ mời thầu",
        upload=SimpleUploadedFile("hsmt.pdf", PDF, content_type="application/pdf"),
    )  # fmt: skip
    assert observe(api, client) == before
    assert subject_entries(api, tender) == []
    assert api.get(reverse("api:tender", args=[tender.reference])).status_code == 404
    assert client.get(reverse("tender", args=[tender.reference])).status_code == 404
    kept = list(DraftEvent.objects.filter(tender=tender).values_list("kind", flat=True))
    assert kept == ["TENDER_DRAFTED", "ROSTER_SET", "KEY_STATEMENT", "KEY_STATEMENT",
                    "KEY_STATEMENT", "TENDER_DRAFT_UPDATED", "TENDER_DRAFT_UPDATED"]  # fmt: skip

    services.publish_tender(tender, actor=officer)
    public = subject_entries(api, tender)
    assert kinds(public) == [*kept, "TENDER_PUBLISHED"]
    documents = [json.loads(e["entry"]) for e in public]
    drafted = documents[0]
    assert drafted["actor"] == officer.ledger_subject
    assert set(drafted["payload"]) == {"agency", "content_sha256", "draft_time"}
    # The log's own time is the publication; draft_time is when the step was taken.
    times = [d["payload"]["draft_time"] for d in documents[:-1]]
    assert times == sorted(times)
    assert min(d["time"] for d in documents) >= times[-1]  # all written at the publication
    # The last draft edit commits to the content that was published.
    assert documents[-2]["payload"]["content_sha256"] != ""
    assert not DraftEvent.objects.filter(tender=tender, ledger_seq__isnull=True).exists()


def test_cancelling_a_draft_discloses_its_history_with_the_cancellation(api, make_tender, officer):
    tender = make_tender(roster=False)
    assert subject_entries(api, tender) == []
    cancelling.cancel_tender(tender, actor=officer, reason="Dự án bị hoãn sang năm ngân sách sau.")
    assert kinds(subject_entries(api, tender)) == ["TENDER_DRAFTED", "TENDER_CANCELLED"]


def test_a_refused_publication_keeps_the_history_private(api, make_tender, officer):
    tender = make_tender(days=2)  # too short under the regime: publication refused
    with pytest.raises(Exception, match="at least"):
        services.publish_tender(tender, actor=officer)
    assert subject_entries(api, tender) == []
    assert DraftEvent.objects.filter(tender=tender, ledger_seq__isnull=True).count() == 5


def test_questions_are_committed_with_a_salt_the_answer_reveals(
    api, make_tender, officer, supplier
):
    tender = make_tender(publish=True)
    text = "Có chấp nhận thép tương đương?"
    question = services.ask_question(tender, actor=supplier, text=text)
    (asked,) = [
        json.loads(e["entry"]) for e in subject_entries(api, tender)
        if e["kind"] == "QUESTION_ASKED"
    ]  # fmt: skip
    commitment = asked["payload"]["text_commitment"]
    assert set(asked["payload"]) == {"question", "text_commitment"}
    # Not the bare hash a guess could be checked against, and not checkable without the salt.
    assert commitment != hashlib.sha256(text.encode()).hexdigest()
    assert len(question.salt) == 32
    listed = api.get(reverse("api:tender-questions", args=[tender.reference])).json()
    assert listed == []  # unanswered: neither text nor salt is public

    services.answer_question(question, actor=officer, answer="Có, nếu đạt TCVN.")
    (answered,) = [
        json.loads(e["entry"]) for e in subject_entries(api, tender)
        if e["kind"] == "QUESTION_ANSWERED"
    ]  # fmt: skip
    salt = answered["payload"]["salt"]
    (row,) = api.get(reverse("api:tender-questions", args=[tender.reference])).json()
    assert row["salt"] == salt == question.salt
    # Anyone recomputes the commitment from what the answer published.
    recomputed = hashlib.sha256(
        canonical_json({"content": {"text": answered["payload"]["text"]}, "salt": salt})
    ).hexdigest()
    assert recomputed == commitment
    other = services.ask_question(tender, actor=supplier, text=text)
    assert other.salt != question.salt  # the same text never gives the same commitment
