"""From the committee's work to a published result: scoring-engine runs, the report, its
approval by a second person (four eyes), the awards with their standstill, debriefings."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import replace
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from bidders.models import Bid, closing_set
from evaluation import scoring
from evaluation.models import (
    Award,
    Clarification,
    ClarificationKind,
    CommitteeMember,
    Debrief,
    EvaluationRun,
    Report,
    ReportStatus,
)
from evaluation.selectors import approved_report
from evaluation.services.commitments import commit
from evaluation.services.complaints import suspended
from evaluation.services.deadlines import mark_overdue
from evaluation.services.examination import (
    SCORED_METHODS,
    TEXT_LIMIT,
    acting_member,
    adjusted,
    aggregate,
    current_examinations,
    locked_for_work,
    may_follow,
    opened_bids,
    scored_bids,
    scoring_complete,
    technically_compliant,
)
from procurement.clock import db_now
from procurement.crypto.canonical import canonical_json
from procurement.exceptions import Conflict, NotFound, PermissionDenied
from procurement.ledger import defer_event, record_event
from procurement.models import Role, User
from procurement.notifications import notify, representatives, staff
from procurement.permissions import has_role, require_role
from procurement.validation import clean_text
from procurement.workdays import shift_working_days
from tenders.models import EnvelopeProcedure, EvaluationMethod, Tender, TenderStatus
from tenders.services.lifecycle import change_status

S = TenderStatus
ENGINE_METHOD = {
    EvaluationMethod.LOWEST_PRICE: "lowest_price",
    EvaluationMethod.LOWEST_EVALUATED: "evaluated_price",
    EvaluationMethod.COMBINED: "combined",
    EvaluationMethod.TECHNICAL: "technical",
}


def record_sha256(record: dict) -> str:
    return hashlib.sha256(canonical_json(record)).hexdigest()


def engine_method(tender: Tender) -> scoring.Method:
    kind = ENGINE_METHOD[tender.evaluation_method]
    return scoring.Method(
        kind=kind,
        price_formula=tender.price_formula,
        price_weight=tender.price_weight if kind == "combined" else 100,
        pass_mark=Decimal(tender.technical_pass_mark) if kind in ("combined", "technical")
        else Decimal(0),
    )  # fmt: skip


def build_record(tender: Tender) -> dict:
    """The engine's inputs from the database and its outputs, per lot. Every opened bid must
    be examined, scored (where the method scores) and priced."""
    if tender.envelope_procedure == EnvelopeProcedure.TWO and tender.financial_opened_at is None:
        raise Conflict(_("Open the financial parts of the compliant bids first."))
    examined = current_examinations(tender)
    passed = scored_bids(tender, examined)  # every opened bid examined
    technical, scores, rows = {}, None, None
    if tender.evaluation_method in SCORED_METHODS:
        rows = aggregate(tender, passed)  # a sheet per member covering exactly these bids
        technical = {bid: row["technical"] for bid, row in rows.items()}
        scores = {bid: {**row, "technical": format(row["technical"], "f")}
                  for bid, row in rows.items()}  # fmt: skip
    method = engine_method(tender)
    bids = list(opened_bids(tender).order_by("ledger_seq"))
    if tender.envelope_procedure == EnvelopeProcedure.TWO:
        compliant = set(technically_compliant(tender, passed, rows))
        unpriced = [b for b in bids if str(b.public_id) in compliant and b.price_sheet is None]
        if unpriced:  # passed after the financial opening: its price was never opened
            raise Conflict(
                _("Bid %(bid)s passed after the financial opening, which did not open its price.")
                % {"bid": unpriced[0].public_id}
            )
    lots = []
    for lot in tender.lots.order_by("number"):
        inputs, offered, corrected = [], {}, {}
        for b in bids:
            line = _lot_price(b, lot.number)
            if line is None:
                continue  # this bid does not offer this lot
            bid = str(b.public_id)
            evaluated, fixed = adjusted(line, examined[b.pk].adjustments.get(str(lot.number)))
            if evaluated <= 0 or fixed <= 0:
                raise Conflict(
                    _("The adjustments of bid %(bid)s leave lot %(lot)s without a positive price.")
                    % {"bid": bid, "lot": lot.number}
                )
            offered[bid], corrected[bid] = format(line, "f"), format(fixed, "f")
            inputs.append(
                scoring.BidInput(
                    bid=bid,
                    seq=b.ledger_seq,
                    price=evaluated,
                    passed=examined[b.pk].passed,
                    technical=technical.get(bid),
                    facts=_facts(tender, b),
                )  # fmt: skip
            )
        estimate = lot.estimated_value
        if estimate is None and tender.lots.count() == 1:
            estimate = tender.estimated_value
        # Abnormally low is about the price the bidder is held to (its bid price, corrected),
        # not the evaluated price, whose priced deviations count for ranking only (E15).
        flags = scoring.abnormally_low(
            [replace(i, price=Decimal(corrected[i.bid])) for i in inputs if i.passed],
            estimate=estimate,
            share_of_estimate=Decimal(tender.abnormal_share_pct) / 100,
            gap_to_mean=Decimal(tender.abnormal_gap_pct) / 100,
        )
        result = scoring.score(inputs, method) if inputs else []
        lots.append({
            "lot": lot.number,
            "estimate": None if estimate is None else format(estimate, "f"),
            **scoring.as_record(inputs, method, result),
            "offered": offered,  # as opened; the engine ranks the evaluated prices ("bids")
            "corrected": corrected,  # offered + arithmetic corrections: the award price
            "abnormally_low": flags,
        })  # fmt: skip
    return {
        "engine": scoring.ENGINE_VERSION,
        "tender": tender.reference,
        "currency": tender.currency,
        "nonce": secrets.token_hex(16),
        "lots": lots,
        "scores": scores,  # the members' mean scores the run used (never the individual sheets)
    }


def _facts(tender: Tender, bid: Bid) -> dict:
    """The tie-break facts the platform knows from the register: a head office in the province
    where the package is carried out. (Women-owned SME status and staff counts are not in the
    register yet; those comparators then tell no bid apart.)"""
    province = (tender.province or "").strip().casefold()
    local = bool(province) and bid.supplier.province.strip().casefold() == province
    return {"local_head_office": local}


def _lot_price(bid: Bid, lot: int) -> Decimal | None:
    """The bid's price for one lot, from its opened price sheet (None when not offered, or in a
    two-envelope tender whose price sheet was not opened)."""
    for line in (bid.price_sheet or {}).get("lots", []):
        if line.get("lot") == lot:
            return Decimal(line["price"])
    return None


def run_evaluation(tender: Tender, *, actor: User | None) -> EvaluationRun:
    """Run the scoring engine on the committee's decisions and store the full record; the
    ledger gets the record's hash (the record itself is published with the award)."""
    member = acting_member(tender, actor)
    with transaction.atomic():
        tender = locked_for_work(tender)
        record = build_record(tender)
        digest = record_sha256(record)
        number = EvaluationRun.objects.filter(tender=tender).count() + 1
        entry = record_event(
            "EVALUATION_RUN",
            tender,
            {"number": number, "engine": scoring.ENGINE_VERSION, "record_sha256": digest},
            actor=member.user,
        )
        return EvaluationRun.objects.create(
            tender=tender, number=number, record=record, sha256=digest, created_by=member.user,
            created_at=entry.recorded_at, ledger_seq=entry.seq,
        )  # fmt: skip


def proposals_of(run: EvaluationRun) -> list[dict]:
    """The first-ranked bid of each lot that has one (the committee cannot pick another)."""
    bids = {str(b.public_id): b for b in Bid.objects.filter(tender=run.tender)
            .select_related("supplier")}  # fmt: skip
    out = []
    for lot in run.record["lots"]:
        first = next((r for r in lot["result"] if r["rank"] == 1), None)
        if first is None:
            continue
        bid = bids[first["bid"]]
        price = lot["corrected"][first["bid"]]  # priced deviations count for ranking only
        out.append({"lot": lot["lot"], "bid": first["bid"], "supplier": bid.supplier.code,
                    "value": price})  # fmt: skip
    return out


def submit_report(tender: Tender, *, actor: User | None, summary: str) -> Report:
    """The committee sends its report, on the latest run, to the approver. A proposed bid
    flagged abnormally low needs the bidder's answered explanation first."""
    member = acting_member(tender, actor)
    summary = clean_text(summary, "summary", required=True, limit=TEXT_LIMIT)
    with transaction.atomic():
        tender = locked_for_work(tender)
        run = EvaluationRun.objects.filter(tender=tender).order_by("-number").first()
        if run is None:
            raise Conflict(_("Run the scoring engine first."))
        if Clarification.objects.filter(tender=tender, answered_at=None, missed_at=None).exists():
            raise Conflict(_("Clarification requests are still waiting for their answers."))
        if tender.evaluation_method in SCORED_METHODS and not scoring_complete(tender):
            raise Conflict(_("Not every member has submitted scores yet."))
        if record_sha256(build_record_inputs_only(tender, run)) != record_sha256(
            build_record_inputs_only(tender, run, stored=True)
        ):
            raise Conflict(_("Decisions changed after the last run: run the engine again."))
        proposals = proposals_of(run)
        flagged = {bid for lot in run.record["lots"] for bid in lot["abnormally_low"]} & {
            p["bid"] for p in proposals
        }
        explained = set(
            Clarification.objects.filter(
                tender=tender, kind=ClarificationKind.ABNORMALLY_LOW, answered_at__isnull=False
            ).values_list("bid__public_id", flat=True)
        )
        missing = sorted(flagged - {str(b) for b in explained})
        if missing:
            raise Conflict(
                _("The proposed bid %(bids)s is abnormally low: ask the bidder to explain it.")
                % {"bids": ", ".join(missing)}
            )
        number = Report.objects.filter(tender=tender).count() + 1
        content = {"number": number, "run": run.number, "summary": summary,
                   "proposals": proposals}  # fmt: skip
        salt, digest = commit(content)
        entry = record_event(
            "REPORT_SUBMITTED",
            tender,
            {"number": number, "run": run.number, "record_sha256": run.sha256,
             "commitment": digest},
            actor=member.user,
        )  # fmt: skip
        report = Report.objects.create(
            tender=tender, number=number, run=run, summary=summary, proposals=proposals,
            salt=salt, commitment=digest, submitted_by=member.user,
            submitted_at=entry.recorded_at, ledger_seq=entry.seq,
        )  # fmt: skip
        link = f"/workspace/{tender.reference}/evaluation/"
        notify(staff(tender.agency, Role.APPROVER), "report_submitted",
               {"tender": tender.reference}, link)  # fmt: skip
    return report


def build_record_inputs_only(tender: Tender, run: EvaluationRun, *, stored: bool = False) -> dict:
    """The run's inputs (not its nonce or outputs): from the stored record, or recomputed from
    the database now, to tell whether a decision changed since the run."""
    if stored:
        lots = run.record["lots"]
    else:
        fresh = build_record(tender)
        lots = fresh["lots"]
    return {"lots": [{"lot": lot["lot"], "method": lot["method"], "bids": lot["bids"]}
                     for lot in lots]}  # fmt: skip


def _approver(report: Report, actor: User | None) -> User:
    """Four eyes: an approver of the agency who was never on this tender's committee and did
    not write the report."""
    require_role(actor, Role.APPROVER, report.tender.agency)
    if CommitteeMember.objects.filter(tender=report.tender, user=actor).exists():
        raise PermissionDenied(_("A member of the committee cannot approve its report."))
    if report.submitted_by_id == actor.pk:
        raise PermissionDenied(_("A member of the committee cannot approve its report."))
    return actor


def _locked_report(report: Report) -> tuple[Report, Tender]:
    tender = Tender.objects.select_for_update(of=("self",)).get(pk=report.tender_id)
    report = Report.objects.select_for_update(of=("self",)).get(pk=report.pk)
    if report.status != ReportStatus.SUBMITTED:
        raise Conflict(_("This report is not awaiting approval."))
    return report, tender


def return_report(report: Report, *, actor: User | None, reason: str) -> Report:
    """Send the report back to the committee with reasons; the evaluation reopens."""
    actor = _approver(report, actor)
    reason = clean_text(reason, "reason", required=True, limit=TEXT_LIMIT)
    with transaction.atomic():
        report, tender = _locked_report(report)
        salt, digest = commit({"number": report.number, "reason": reason})
        entry = record_event(
            "REPORT_RETURNED", tender, {"number": report.number, "commitment": digest},
            actor=actor,
        )  # fmt: skip
        report.status, report.decided_by = ReportStatus.RETURNED, actor
        report.decided_at, report.decision_seq = entry.recorded_at, entry.seq
        report.decision_reason, report.decision_salt = reason, salt
        report.save()
        notify([report.submitted_by], "report_returned", {"tender": tender.reference},
               link=f"/workspace/{tender.reference}/evaluation/")  # fmt: skip
    return report


def approve_report(report: Report, *, actor: User | None) -> Report:
    """Approve and publish: the awards (or the unsuccessful outcome), the run's record, every
    committed decision revealed, and the standstill in which complaints may be filed and no
    contract signed. Every bidder is notified."""
    actor = _approver(report, actor)
    with transaction.atomic():
        report, tender = _locked_report(report)
        if tender.status != S.EVALUATING:
            raise Conflict(_("The evaluation of this tender is not open."))
        if suspended(tender, "award"):
            raise Conflict(_("An open complaint suspends the award of this tender."))
        now = db_now()
        standstill_until = now + tender.regime.standstill
        outcome = S.AWARDED if report.proposals else S.UNSUCCESSFUL
        bids = {str(b.public_id): b for b in Bid.objects.filter(tender=tender)
                .select_related("supplier")}  # fmt: skip
        lots = {lot.number: lot for lot in tender.lots.all()}
        awards = [
            Award(
                public_id=uuid.uuid4(),
                tender=tender,
                report=report,
                lot=lots[p["lot"]],
                bid=bids[p["bid"]],
                supplier=bids[p["bid"]].supplier,
                value=Decimal(p["value"]),
                currency=tender.currency,
                date=now,
                ledger_seq=0,
            )  # fmt: skip
            for p in report.proposals
        ]
        entry = record_event(
            "TENDER_AWARDED" if awards else "TENDER_UNSUCCESSFUL",
            tender,
            {
                "report": report.number,
                "run": report.run.number,
                "record_sha256": report.run.sha256,
                "report_commitment": report.commitment,
                "awards": [
                    {"award": str(a.public_id), "lot": a.lot.number, "bid": str(a.bid.public_id),
                     "supplier": a.supplier.code, "value": format(a.value, "f"),
                     "currency": a.currency}
                    for a in awards
                ],
                "standstill_until": standstill_until,
                "status": outcome.value,
            },
            actor=actor,
        )  # fmt: skip
        for a in awards:
            a.ledger_seq = entry.seq
        Award.objects.bulk_create(awards)
        report.status, report.decided_by, report.decided_at = ReportStatus.APPROVED, actor, now
        report.decision_seq, report.standstill_until = entry.seq, standstill_until
        report.save()
        change_status(tender, outcome)
        tender.save(update_fields=["status"])
        bidders = {b.supplier for b in closing_set(tender).select_related("supplier")}
        link = f"/tenders/{tender.reference}/"
        notify(representatives(bidders), "award_published", {"tender": tender.reference}, link)
        for a in awards:
            notify(representatives([a.supplier]), "award_won",
                   {"tender": tender.reference, "lot": a.lot.number}, link)  # fmt: skip
    return report


def _published_reports(tender: Tender):
    return Report.objects.filter(
        tender=tender, status__in=[ReportStatus.APPROVED, ReportStatus.SUPERSEDED]
    ).order_by("-number")


def published_report(tender: Tender) -> Report | None:
    """The latest report ever approved: it stays public after an upheld complaint reopens the
    evaluation (marked as superseded)."""
    return _published_reports(tender).select_related("run").first()


def published_report_state(tender: Tender) -> tuple | None:
    """What identifies the published evaluation's content (the report, its status and its
    run's record hash), without reading the record itself (hundreds of kilobytes of JSON on a
    large tender)."""
    return _published_reports(tender).values_list("pk", "status", "run__sha256").first()


def reports_for(tender: Tender, user: User | None):
    """Reports before publication: the committee's acting members, the agency's officers and
    approvers, and auditors."""
    if not may_follow(tender, user):
        raise NotFound(_("No such tender."))
    return Report.objects.filter(tender=tender).select_related("run").order_by("number")


def report_by_number(tender: Tender, user: User | None, number: int) -> Report:
    report = reports_for(tender, user).filter(number=number).first()
    if report is None:
        raise NotFound(_("No such report."))
    return report


# --- Debriefing -----------------------------------------------------------------------------


def bidder_organisation(tender: Tender, user: User | None):
    """The user's organisation among the tender's bidders (closing set), or None."""
    if user is None or not user.is_authenticated:
        return None
    bid = (
        closing_set(tender)
        .filter(
            supplier__memberships__user=user,
            supplier__memberships__role=Role.SUPPLIER,
            supplier__memberships__is_active=True,
        )
        .select_related("supplier")
        .first()
    )
    return bid.supplier if bid else None


def request_debrief(tender: Tender, *, actor: User | None, question: str) -> Debrief:
    """A bidder asks why it lost, after the result is published; the agency answers within
    the regime's working days."""
    organisation = bidder_organisation(tender, actor)
    if organisation is None:
        raise PermissionDenied(_("Only the tender's bidders may ask for a debriefing."))
    question = clean_text(question, "question", required=True, limit=TEXT_LIMIT)
    with transaction.atomic():
        tender = Tender.objects.select_for_update(of=("self",)).get(pk=tender.pk)
        if approved_report(tender) is None:
            raise Conflict(_("A debriefing is asked for after the result is published."))
        now = db_now()
        regime = tender.regime
        due = shift_working_days(now, regime.debrief_working_days, regime.holiday_calendar)
        number = Debrief.objects.filter(tender=tender).count() + 1
        # Who asked stays between the bidder and the agency: the entry says that a request was
        # made and when it is due, and commits to the rest.
        salt, digest = commit({"number": number, "supplier": organisation.code,
                               "question": question})  # fmt: skip
        defer_event(
            "DEBRIEF_REQUESTED", tender,
            {"number": number, "due_at": due, "commitment": digest}, actor=None,
        )  # fmt: skip
        return Debrief.objects.create(
            tender=tender, number=number, salt=salt, supplier=organisation, question=question,
            asked_by=actor, asked_at=now, due_at=due,
        )  # fmt: skip


def answer_debrief(tender: Tender, debrief_id: int, *, actor: User | None, answer: str) -> Debrief:
    """The agency's officer answers a debriefing request (late answers are marked late)."""
    answer = clean_text(answer, "answer", required=True, limit=TEXT_LIMIT)
    with transaction.atomic():
        d = (
            Debrief.objects.select_for_update(of=("self",))
            .select_related("tender", "supplier")
            .filter(tender=tender, pk=debrief_id)
            .first()
        )
        if d is None or not has_role(actor, Role.OFFICER, d.tender.agency):
            raise NotFound(_("No such debriefing request."))
        if d.answered_at is not None:
            raise Conflict(_("This request has already been answered."))
        d.answer, d.answered_by, d.answered_at = answer, actor, db_now()
        d.save(update_fields=["answer", "answered_by", "answered_at"])
        defer_event(
            "DEBRIEF_ANSWERED", d.tender,
            {"number": d.number, "late": d.answered_at > d.due_at}, actor=actor,
        )  # fmt: skip
        link = f"/tenders/{d.tender.reference}/debriefs/"
        notify(representatives([d.supplier]), "debrief_answered",
               {"tender": d.tender.reference}, link)  # fmt: skip
    return d


def debriefs_for(tender: Tender, user: User | None):
    """The agency's officers and auditors see all; a bidder its own."""
    rows = Debrief.objects.filter(tender=tender).select_related("supplier")
    if has_role(user, Role.OFFICER, tender.agency) or has_role(user, Role.AUDITOR):
        return rows
    organisation = bidder_organisation(tender, user)
    if organisation is None:
        raise NotFound(_("No such tender."))
    return rows.filter(supplier=organisation)


def track_missed_debriefs(now=None) -> int:
    """Beat: debriefing requests the agency let pass unanswered, marked publicly."""
    rows = Debrief.objects.filter(answered_at=None, missed_at=None, due_at__lte=now or db_now())

    def mark(d):
        d.missed_at = db_now()
        d.save(update_fields=["missed_at"])
        return "DEBRIEF_DEADLINE_MISSED", {"number": d.number}, None

    return mark_overdue(
        rows, due=lambda d: d.answered_at is None and d.missed_at is None, mark=mark
    )
