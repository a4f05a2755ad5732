"""What the public sees of an evaluation once the result is approved: the engine's record, the
aggregate scores, every examination version, clarification, report and return reason revealed
with its salt, each checked against the commitment the ledger got when it was made.

Individual members' score sheets are never published (only the aggregate, as the law asks);
their commitments are in the ledger for auditors, who see the sheets."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from decimal import Decimal

from django.core.cache import cache

from bidders.models import Bid
from evaluation import scoring
from evaluation.models import Clarification, EvaluationRun, Examination, Report, ReportStatus
from evaluation.services.award import published_report, published_report_state
from evaluation.services.commitments import commitment
from evaluation.services.examination import (
    adjusted,
    answer_content,
    examination_content,
    question_content,
)
from procurement.models import LedgerEntry
from tenders.models import Tender

CACHE_SECONDS = 3600


def _payloads(tender: Tender, seqs: set[int]) -> dict[int, dict]:
    rows = LedgerEntry.objects.filter(subject=tender.ledger_subject, seq__in=seqs)
    return {e.seq: json.loads(bytes(e.canonical))["payload"] for e in rows}


def _revealed(content: dict, salt: str, seq: int | None, payloads: dict, published=None) -> dict:
    if published is None and seq is not None:
        published = payloads.get(seq, {}).get("commitment")
    digest = commitment(content, salt)
    return {"content": content, "salt": salt, "commitment": digest, "ledger_seq": seq,
            "matches_ledger": published == digest}  # fmt: skip


def _return_commitment(payloads: dict, report: Report) -> str | None:
    """A report sent back by the approver has its commitment in REPORT_RETURNED; one sent back
    by an upheld complaint, in TENDER_REEVALUATION's list."""
    payload = payloads.get(report.decision_seq, {})
    if "commitment" in payload:
        return payload["commitment"]
    return next((r["commitment"] for r in payload.get("reports_returned", [])
                 if r["number"] == report.number), None)  # fmt: skip


def adjustment_checks(record: dict, examinations: list[dict], bids) -> list[dict]:
    """Per lot: every evaluated price is the offered price plus the revealed adjustments, and
    every offered price is the opened one."""
    latest = {}
    for e in examinations:  # in version order: the last one counts
        latest[e["content"]["bid"]] = e["content"].get("adjustments", {})
    opened = {str(b.public_id): b.price_sheet or {} for b in bids}
    out = []
    for lot in record["lots"]:
        ok = True
        for b in lot["bids"]:
            offered = Decimal(lot["offered"][b["bid"]])
            evaluated, _corrected = adjusted(offered, latest.get(b["bid"], {}).get(str(lot["lot"])))
            line = next((x for x in opened.get(b["bid"], {}).get("lots", [])
                         if x.get("lot") == lot["lot"]), None)  # fmt: skip
            ok &= (
                evaluated == Decimal(b["price"])
                and line is not None
                and (Decimal(line["price"]) == offered)
            )
        out.append({"lot": lot["lot"], "matches": ok})
    return out


def public_evaluation(tender: Tender) -> dict | None:
    """The published evaluation of an awarded (or unsuccessful) tender; None before that. After
    an upheld complaint reopens the evaluation, the last published one stays, marked
    superseded, until the next approval."""
    state = published_report_state(tender)
    if state is None:
        return None
    # Once published, all of this is frozen until the next report is approved or this one is
    # superseded, so it is computed (re-run and hash checks included) once per such state:
    # kept in this process as it is (a large tender's record takes longer to unpickle from
    # the shared cache than the rest of its page to render), and in the shared cache.
    key = _cache_key(tender, *state)
    cached = _local.get(key)
    if cached is not None:
        return cached
    cached = cache.get(key)
    if cached is None:
        report = published_report(tender)
        if report is None:  # pragma: no cover - a published report is never deleted
            return None
        cached = _compute(tender, report)
        key = _cache_key(tender, report.pk, report.status, report.run.sha256)
        cache.set(key, cached, timeout=CACHE_SECONDS)
    _local.put(key, cached)
    return cached


class _Recent:
    """The few most recently read published evaluations of this process, by their content
    key (so never stale); read-only for every caller."""

    def __init__(self, size: int) -> None:
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key: str):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: str, value) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_local = _Recent(32)


def _cache_key(tender: Tender, report_pk: int, status: str, sha256: str) -> str:
    return f"public-evaluation:{tender.pk}:{report_pk}:{status}:{sha256}"


def _compute(tender: Tender, report: Report) -> dict:
    # Only what was decided up to this report's approval: a re-evaluation's work stays
    # confidential until its own report is approved.
    cut = report.decision_seq
    examinations = list(
        Examination.objects.filter(tender=tender, ledger_seq__lte=cut).select_related("bid")
    )
    clarifications = list(
        Clarification.objects.filter(tender=tender, request_seq__lte=cut).select_related("bid")
    )
    reports = list(Report.objects.filter(tender=tender, ledger_seq__lte=cut).select_related("run"))
    runs = list(EvaluationRun.objects.filter(tender=tender, ledger_seq__lte=cut))
    seqs = {e.ledger_seq for e in examinations} | {r.ledger_seq for r in reports}
    seqs |= {c.request_seq for c in clarifications} | {c.answer_seq for c in clarifications
                                                      if c.answer_seq}  # fmt: skip
    seqs |= {r.decision_seq for r in reports if r.decision_seq} | {r.ledger_seq for r in runs}
    payloads = _payloads(tender, seqs)
    revealed_examinations = [
        _revealed(
            examination_content(str(e.bid.public_id), e.version, e.checks, e.adjustments),
            e.salt,
            e.ledger_seq,
            payloads,
        )  # fmt: skip
        for e in sorted(examinations, key=lambda e: (e.bid.ledger_seq, e.version))
    ]
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
        if (
            r.status == ReportStatus.RETURNED
            and r.decision_seq is not None
            and (r.decision_seq <= cut)
        ):
            row["returned"] = _revealed(
                {"number": r.number, "reason": r.decision_reason}, r.decision_salt,
                r.decision_seq, payloads, published=_return_commitment(payloads, r),
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
        "adjustments_check": adjustment_checks(
            report.run.record,
            revealed_examinations,
            Bid.objects.filter(tender=tender, opened_at__isnull=False),
        ),
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
        "scores": report.run.record["scores"],  # as the run used them
        "examinations": revealed_examinations,
        "clarifications": [
            {
                "number": c.number,
                "due_at": c.due_at,
                "answered_at": c.answered_at,
                "missed": c.missed_at is not None,
                "request": _revealed(question_content(c), c.salt, c.request_seq, payloads),
                "answer": _revealed(answer_content(c), c.salt, c.answer_seq, payloads)
                if c.answer_seq and c.answer_seq <= cut
                else None,
            }
            for c in clarifications
        ],
        "reports": out_reports,
    }
