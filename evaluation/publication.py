"""What the public sees of an evaluation once the result is approved: the engine's record, the
aggregate scores, every examination version, clarification, report and return reason revealed
with its salt, each checked against the commitment the ledger got when it was made.

Individual members' score sheets are never published (only the aggregate, as the law asks);
their commitments are in the ledger for auditors, who see the sheets."""

from __future__ import annotations

import json

from django.core.cache import cache

from evaluation import scoring
from evaluation.award import published_report
from evaluation.commitments import commitment
from evaluation.examination import answer_content, examination_content, question_content
from evaluation.models import Clarification, EvaluationRun, Examination, Report, ReportStatus
from procurement.models import LedgerEntry
from tenders.models import Tender

CACHE_SECONDS = 3600


def _payloads(tender: Tender, seqs: set[int]) -> dict[int, dict]:
    rows = LedgerEntry.objects.filter(subject=tender.ledger_subject, seq__in=seqs)
    return {e.seq: json.loads(bytes(e.canonical))["payload"] for e in rows}


def _revealed(content: dict, salt: str, seq: int | None, payloads: dict) -> dict:
    published = payloads.get(seq, {}).get("commitment") if seq is not None else None
    digest = commitment(content, salt)
    return {"content": content, "salt": salt, "commitment": digest, "ledger_seq": seq,
            "matches_ledger": published == digest}  # fmt: skip


def public_evaluation(tender: Tender) -> dict | None:
    """The published evaluation of an awarded (or unsuccessful) tender; None before that. After
    an upheld complaint reopens the evaluation, the last published one stays, marked
    superseded, until the next approval."""
    report = published_report(tender)
    if report is None:
        return None
    # Once published, all of this is frozen until the next report is approved or this one is
    # superseded, so it is computed (re-run and hash checks included) once per such state.
    key = f"public-evaluation:{tender.pk}:{report.pk}:{report.status}:{report.run.sha256}"
    cached = cache.get(key)
    if cached is None:
        cached = _compute(tender, report)
        cache.set(key, cached, timeout=CACHE_SECONDS)
    return cached


def _compute(tender: Tender, report: Report) -> dict:
    examinations = list(Examination.objects.filter(tender=tender).select_related("bid"))
    clarifications = list(Clarification.objects.filter(tender=tender).select_related("bid"))
    reports = list(Report.objects.filter(tender=tender).select_related("run"))
    runs = list(EvaluationRun.objects.filter(tender=tender))
    seqs = {e.ledger_seq for e in examinations} | {r.ledger_seq for r in reports}
    seqs |= {c.request_seq for c in clarifications} | {c.answer_seq for c in clarifications
                                                      if c.answer_seq}  # fmt: skip
    seqs |= {r.decision_seq for r in reports if r.decision_seq} | {r.ledger_seq for r in runs}
    payloads = _payloads(tender, seqs)
    out_reports = []
    for r in reports:
        row = {
            "number": r.number,
            "status": r.status,
            "submitted_at": r.submitted_at,
            "decided_at": r.decided_at,
            "report": _revealed(
                {
                    "number": r.number,
                    "run": r.run.number,
                    "summary": r.summary,
                    "proposals": r.proposals,
                },
                r.salt,
                r.ledger_seq,
                payloads,
            ),  # fmt: skip
        }
        if r.status == ReportStatus.RETURNED:
            row["returned"] = _revealed(
                {"number": r.number, "reason": r.decision_reason}, r.decision_salt,
                r.decision_seq, payloads,
            )  # fmt: skip
        out_reports.append(row)
    return {
        "report": report.number,
        "superseded": report.status == ReportStatus.SUPERSEDED,
        "approved_at": report.decided_at,
        "standstill_until": report.standstill_until,
        "summary": report.summary,
        "record": report.run.record,
        "record_sha256": report.run.sha256,
        "record_ledger_seq": report.run.ledger_seq,
        "rerun": scoring.rerun(report.run.record),
        "runs": [
            {
                "number": run.number,
                "sha256": run.sha256,
                "ledger_seq": run.ledger_seq,
                "matches_ledger": payloads.get(run.ledger_seq, {}).get("record_sha256")
                == run.sha256,
            }
            for run in runs
        ],  # fmt: skip
        "scores": report.run.record.get("scores"),  # as the run used them
        "examinations": [
            _revealed(
                examination_content(str(e.bid.public_id), e.version, e.checks, e.adjustments),
                e.salt,
                e.ledger_seq,
                payloads,
            )
            for e in sorted(examinations, key=lambda e: (e.bid.ledger_seq, e.version))
        ],
        "clarifications": [
            {
                "number": c.number,
                "due_at": c.due_at,
                "answered_at": c.answered_at,
                "missed": c.missed_at is not None,
                "request": _revealed(question_content(c), c.salt, c.request_seq, payloads),
                "answer": _revealed(answer_content(c), c.salt, c.answer_seq, payloads)
                if c.answer_seq
                else None,
            }
            for c in clarifications
        ],
        "reports": out_reports,
    }
