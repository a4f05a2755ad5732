"""Complaints (kiến nghị): filed by a supplier with documents, public on the platform; answered
by the agency within the regime's working days; escalated to the review body (an oversight
institution's complaint reviewers), which decides within its days. An open complaint suspends
the step it concerns: the award (documents, process) or the contract (result). Missed deadlines
are found by the beat scan and shown publicly."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.utils.translation import gettext as _

from bidders.models import closing_set
from evaluation.models import (
    SUSPENDS,
    Attachment,
    Award,
    AwardStatus,
    CommitteeMember,
    Complaint,
    ComplaintStatus,
    ComplaintSubject,
    Remedy,
    Report,
    ReportStatus,
    ScoreSheet,
)
from evaluation.selectors import approved_report
from evaluation.services.cancellation import cancel_tender
from evaluation.services.commitments import commit
from evaluation.services.deadlines import mark_overdue
from evaluation.services.examination import TEXT_LIMIT
from procurement.clock import db_now
from procurement.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from procurement.ledger import record_event
from procurement.models import Organisation, Role, User
from procurement.notifications import notify, representatives, staff
from procurement.permissions import has_role, organisations_with_role
from procurement.validation import clean_text
from procurement.workdays import shift_working_days
from tenders import services as tender_services
from tenders.models import Tender, TenderStatus
from tenders.services.lifecycle import change_status

S = TenderStatus
MAX_ATTACHMENTS = 10


def store_attachments(tender, uploads, *, actor, complaint=None, contract=None) -> list[dict]:
    """Check and keep uploaded files; returns their public descriptions for the ledger."""
    if len(uploads) > MAX_ATTACHMENTS:
        raise InvalidInput(_("At most %(n)d files.") % {"n": MAX_ATTACHMENTS}, field="files")
    checked = [(u, *tender_services.inspect_upload(u)) for u in uploads]
    out, now = [], db_now()
    for upload, filename, content_type, size, sha256 in checked:
        a = Attachment(
            tender=tender, complaint=complaint, contract=contract, title=filename,
            filename=filename, content_type=content_type, size=size, sha256=sha256,
            uploaded_by=actor, uploaded_at=now,
        )  # fmt: skip
        a.file.save("upload", upload, save=False)
        a.save()
        out.append({"file": filename, "sha256": sha256, "size": size})
    return out


def still_open(complaint: Complaint, now: dt.datetime) -> bool:
    """Open, counting a dismissed complaint only until its escalation window ends (the beat
    scan then closes it for good)."""
    if complaint.status == ComplaintStatus.ANSWERED:
        return complaint.escalation_due is not None and now < complaint.escalation_due
    return complaint.is_open


def suspended(tender: Tender, step: str) -> list[Complaint]:
    """The open complaints that suspend ``step`` ("award" or "contract") of this tender."""
    subjects = [s for s, suspends in SUSPENDS.items() if suspends == step]
    now = db_now()
    rows = Complaint.objects.filter(tender=tender, subject__in=subjects)
    return [c for c in rows if still_open(c, now)]


def _complainant(tender: Tender, actor: User | None, subject: str) -> Organisation:
    """Documents: any supplier. Process and result: only the tender's bidders."""
    organisations = organisations_with_role(actor, Role.SUPPLIER)
    if subject != ComplaintSubject.DOCUMENTS:
        bidders = closing_set(tender).values("supplier")
        organisations = organisations.filter(pk__in=bidders)
    organisation = organisations.first()
    if organisation is None:
        raise PermissionDenied(
            _("Complaints about the documents come from suppliers; others from the bidders.")
        )
    return organisation


def _window(tender: Tender, subject: str, now: dt.datetime) -> None:
    """When each kind of complaint may be filed (procurement-rules §1.12)."""
    report = approved_report(tender)
    if subject == ComplaintSubject.DOCUMENTS:
        if tender.status != S.PUBLISHED or now >= tender.submission_deadline:
            raise Conflict(_("Complaints about the documents are filed before the deadline."))
    elif subject == ComplaintSubject.PROCESS:
        if (
            tender.status not in (S.CLOSED, S.OPENED, S.EVALUATING)
            or report is not None
            and (tender.status != S.EVALUATING)
        ):
            raise Conflict(_("Complaints about the procedure are filed before the result."))
    elif report is None or tender.status not in (S.AWARDED, S.UNSUCCESSFUL):
        raise Conflict(_("Complaints about the result are filed after its publication."))
    elif now >= report.standstill_until:
        raise Conflict(_("The window for complaints about the result has closed."))


def file_complaint(
    tender: Tender, *, actor: User | None, subject: str, text: str, uploads=(), to_review=False
) -> Complaint:
    """File a complaint; with ``to_review`` it goes straight to the review body."""
    if subject not in ComplaintSubject.values:
        raise InvalidInput(_("Say what the complaint is about."), field="subject")
    complainant = _complainant(tender, actor, subject)
    text = clean_text(text, "text", required=True, limit=TEXT_LIMIT)
    with transaction.atomic():
        tender = (
            Tender.objects.select_for_update(of=("self",))
            .select_related("regime")
            .get(pk=tender.pk)
        )
        now = db_now()
        _window(tender, subject, now)
        regime = tender.regime
        number = Complaint.objects.filter(tender=tender).count() + 1
        complaint = Complaint(
            public_id=uuid.uuid4(), tender=tender, number=number, complainant=complainant,
            filed_by=actor, subject=subject, text=text, filed_at=now, ledger_seq=0,
        )  # fmt: skip
        if to_review:
            complaint.status, complaint.escalated_at = ComplaintStatus.WITH_REVIEW, now
            complaint.review_due = now + dt.timedelta(days=regime.review_days)
        else:
            complaint.status = ComplaintStatus.WITH_AGENCY
            complaint.answer_due = shift_working_days(
                now, regime.complaint_answer_working_days, regime.holiday_calendar
            )
        complaint.save()
        files = store_attachments(tender, list(uploads), actor=actor, complaint=complaint)
        entry = record_event(
            "COMPLAINT_FILED",
            tender,
            {"complaint": str(complaint.public_id), "number": number,
             "complainant": complainant.code, "subject": subject, "text": text, "files": files,
             "to": "review_body" if to_review else "agency",
             "due_at": complaint.review_due if to_review else complaint.answer_due,
             "suspends": SUSPENDS[subject]},
            actor=actor,
        )  # fmt: skip
        complaint.ledger_seq = entry.seq
        complaint.save(update_fields=["ledger_seq"])
        notify(staff(tender.agency, Role.OFFICER), "complaint_filed",
               {"tender": tender.reference}, f"/tenders/{tender.reference}/")  # fmt: skip
    return complaint


def _locked(complaint: Complaint) -> tuple[Complaint, Tender]:
    tender = (
        Tender.objects.select_for_update(of=("self",))
        .select_related("regime")
        .get(pk=complaint.tender_id)
    )
    return Complaint.objects.select_for_update(of=("self",)).get(pk=complaint.pk), tender


def answer(complaint: Complaint, *, actor: User | None, upheld: bool, text: str,
           remedy: str = "", uploads=()) -> Complaint:  # fmt: skip
    """The agency's answer: upheld (with a remedy it then applies) or dismissed. A dismissed
    complaint can be escalated within the regime's working days."""
    if not has_role(actor, Role.OFFICER, complaint.tender.agency):
        raise PermissionDenied(_("The procuring agency's officers answer complaints."))
    text = clean_text(text, "text", required=True, limit=TEXT_LIMIT)
    remedy = _remedy(upheld, remedy)
    with transaction.atomic():
        complaint, tender = _locked(complaint)
        if complaint.status != ComplaintStatus.WITH_AGENCY:
            raise Conflict(_("This complaint is not waiting for the agency's answer."))
        now = db_now()
        regime = tender.regime
        complaint.answer, complaint.answered_at, complaint.answered_by = text, now, actor
        if upheld:
            complaint.status, complaint.remedy = ComplaintStatus.UPHELD, remedy
            complaint.decision, complaint.decided_at, complaint.decided_by = text, now, actor
        else:
            complaint.status = ComplaintStatus.ANSWERED
            complaint.escalation_due = shift_working_days(
                now, regime.escalation_working_days, regime.holiday_calendar
            )
        complaint.save()
        files = store_attachments(tender, list(uploads), actor=actor, complaint=complaint)
        late = complaint.answer_due is not None and now > complaint.answer_due
        record_event(
            "COMPLAINT_ANSWERED",
            tender,
            {"number": complaint.number, "upheld": upheld, "remedy": remedy, "text": text,
             "files": files, "late": late,
             "escalation_due": complaint.escalation_due},
            actor=actor,
        )  # fmt: skip
        if upheld:
            _apply_remedy(tender, complaint, actor)
        notify(representatives([complaint.complainant]), "complaint_decided",
               {"tender": tender.reference}, f"/tenders/{tender.reference}/")  # fmt: skip
    return complaint


def escalate(complaint: Complaint, *, actor: User | None) -> Complaint:
    """The complainant takes a dismissed (or unanswered, once due) complaint to the review
    body, within the escalation window."""
    if not has_role(actor, Role.SUPPLIER, complaint.complainant):
        raise NotFound(_("No such complaint."))
    with transaction.atomic():
        complaint, tender = _locked(complaint)
        now = db_now()
        unanswered = complaint.status == ComplaintStatus.WITH_AGENCY and now >= complaint.answer_due
        if complaint.status == ComplaintStatus.ANSWERED:
            if now >= complaint.escalation_due:
                raise Conflict(_("The time to escalate this complaint has passed."))
        elif not unanswered:
            raise Conflict(_("Only a dismissed or unanswered complaint can be escalated."))
        complaint.status, complaint.escalated_at = ComplaintStatus.WITH_REVIEW, now
        complaint.review_due = now + dt.timedelta(days=tender.regime.review_days)
        complaint.save()
        record_event(
            "COMPLAINT_ESCALATED", tender,
            {"number": complaint.number, "review_due": complaint.review_due}, actor=actor,
        )  # fmt: skip
    return complaint


def decide(complaint: Complaint, *, actor: User | None, upheld: bool, text: str,
           remedy: str = "", uploads=()) -> Complaint:  # fmt: skip
    """The review body's decision, published with its reasons and remedy."""
    if not has_role(actor, Role.REVIEWER):
        raise PermissionDenied(_("Complaint reviewers of an oversight body decide escalations."))
    text = clean_text(text, "text", required=True, limit=TEXT_LIMIT)
    remedy = _remedy(upheld, remedy)
    with transaction.atomic():
        complaint, tender = _locked(complaint)
        if _involved(tender, complaint, actor):
            raise PermissionDenied(
                _("You took part in this tender or this complaint and cannot decide it.")
            )
        if complaint.status != ComplaintStatus.WITH_REVIEW:
            raise Conflict(_("This complaint is not before the review body."))
        now = db_now()
        complaint.status = ComplaintStatus.UPHELD if upheld else ComplaintStatus.DISMISSED
        complaint.remedy, complaint.decision = remedy, text
        complaint.decided_at, complaint.decided_by = now, actor
        complaint.save()
        files = store_attachments(tender, list(uploads), actor=actor, complaint=complaint)
        record_event(
            "COMPLAINT_DECIDED",
            tender,
            {"number": complaint.number, "upheld": upheld, "remedy": remedy, "text": text,
             "files": files, "late": now > complaint.review_due},
            actor=actor,
        )  # fmt: skip
        if upheld:
            _apply_remedy(tender, complaint, actor)
        notify(
            [*representatives([complaint.complainant]), *staff(tender.agency, Role.OFFICER)],
            "complaint_decided", {"tender": tender.reference}, f"/tenders/{tender.reference}/",
        )  # fmt: skip
    return complaint


def _involved(tender: Tender, complaint: Complaint, user: User) -> bool:
    """A reviewer may not decide a complaint about a tender it evaluated, approved or answered
    for, nor one filed by an organisation it represents."""
    return (
        CommitteeMember.objects.filter(tender=tender, user=user).exists()
        or Report.objects.filter(tender=tender, decided_by=user).exists()
        or Complaint.objects.filter(tender=tender, answered_by=user).exists()
        or has_role(user, Role.SUPPLIER, complaint.complainant)
        or has_role(user, Role.OFFICER, tender.agency)
        or has_role(user, Role.APPROVER, tender.agency)
    )


def withdraw(complaint: Complaint, *, actor: User | None) -> Complaint:
    if not has_role(actor, Role.SUPPLIER, complaint.complainant):
        raise NotFound(_("No such complaint."))
    with transaction.atomic():
        complaint, tender = _locked(complaint)
        if not complaint.is_open:
            raise Conflict(_("This complaint is already closed."))
        complaint.status, complaint.decided_at = ComplaintStatus.WITHDRAWN, db_now()
        complaint.save()
        record_event("COMPLAINT_WITHDRAWN", tender, {"number": complaint.number}, actor=actor)
    return complaint


def _remedy(upheld: bool, remedy: str) -> str:
    remedy = remedy or ""
    if remedy not in Remedy.values or (upheld and not remedy) or (not upheld and remedy):
        raise InvalidInput(_("An upheld complaint names its remedy; a dismissed one none."),
                           field="remedy")  # fmt: skip
    return remedy


def _bilingual(vi: str, en: str) -> str:
    """Reasons the platform writes itself are stored in both languages (they show on pages in
    either, and in the Vietnamese open data)."""
    return f"{vi} / {en}"


def _apply_remedy(tender: Tender, complaint: Complaint, actor: User | None) -> None:
    """Re-evaluation: a report awaiting approval goes back to the committee; a published result
    is superseded (it stays public, marked so), its awards are cancelled, and the tender goes
    back to the committee. Cancellation: the tender is cancelled. Correction: recorded; the
    agency acts on it."""
    n = complaint.number
    if complaint.remedy == Remedy.RE_EVALUATION and tender.status in (
        S.EVALUATING, S.AWARDED, S.UNSUCCESSFUL
    ):  # fmt: skip
        reason = _bilingual(f"Đánh giá lại theo kiến nghị số {n}.",
                            f"Re-evaluation ordered on complaint {n}.")  # fmt: skip
        cancelled = Award.objects.filter(tender=tender, status=AwardStatus.ACTIVE).update(
            status=AwardStatus.CANCELLED, cancelled_reason=reason
        )
        pending = list(Report.objects.filter(tender=tender, status=ReportStatus.SUBMITTED))
        # The committee evaluates again: its members score again too.
        rescore = ScoreSheet.objects.filter(tender=tender, superseded_at=None).update(
            superseded_at=db_now()
        )
        superseded = Report.objects.filter(tender=tender, status=ReportStatus.APPROVED).update(
            status=ReportStatus.SUPERSEDED
        )
        moved = {}
        if tender.status != S.EVALUATING:
            moved = change_status(tender, S.EVALUATING)
            tender.save(update_fields=["status"])
        returned = []
        for report in pending:
            salt, digest = commit({"number": report.number, "reason": reason})
            report.status, report.decision_reason, report.decision_salt = (
                ReportStatus.RETURNED, reason, salt)  # fmt: skip
            returned.append((report, digest))
        entry = record_event(
            "TENDER_REEVALUATION",
            tender,
            {"complaint": n, "awards_cancelled": cancelled, "results_superseded": superseded,
             "reports_returned": [{"number": r.number, "commitment": d} for r, d in returned],
             "scores_reset": bool(rescore),
             **moved},
            actor=actor,
        )  # fmt: skip
        for report, _digest in returned:
            report.decided_at, report.decision_seq = entry.recorded_at, entry.seq
            report.save(update_fields=["status", "decision_reason", "decision_salt",
                                       "decided_at", "decision_seq"])  # fmt: skip
    elif complaint.remedy == Remedy.CANCELLATION and tender.status not in (
        S.CANCELLED, S.CONTRACTED, S.DRAFT
    ):  # fmt: skip
        reason = _bilingual(f"Hủy thầu theo kiến nghị số {n}.", f"Cancelled on complaint {n}.")
        cancel_tender(tender, actor=None, reason=reason)


def complaints_of(tender: Tender):
    """Complaints are public: content, answers, decisions, deadlines and missed ones."""
    return (
        Complaint.objects.filter(tender=tender)
        .select_related("complainant")
        .prefetch_related("attachments")
    )


def complaint_by_number(tender: Tender, number: int) -> Complaint:
    complaint = complaints_of(tender).filter(number=number).first()
    if complaint is None:
        raise NotFound(_("No such complaint."))
    return complaint


def track_missed(now=None) -> int:
    """Beat: mark the agency's and the review body's missed deadlines, publicly, and close for
    good the dismissed complaints not escalated in time."""
    now = now or db_now()

    def missed(field: str, who: str):
        def mark(c):
            setattr(c, field, db_now())
            c.save(update_fields=[field])
            return "COMPLAINT_DEADLINE_MISSED", {"number": c.number, "by": who}, None

        return mark

    def close(c):
        c.status, c.decided_at = ComplaintStatus.DISMISSED, db_now()
        c.save(update_fields=["status", "decided_at"])
        payload = {"number": c.number, "outcome": "dismissed", "reason": "not escalated in time"}
        return "COMPLAINT_CLOSED", payload, None

    W, A, R = ComplaintStatus.WITH_AGENCY, ComplaintStatus.ANSWERED, ComplaintStatus.WITH_REVIEW
    return (
        mark_overdue(
            Complaint.objects.filter(status=W, answer_missed_at=None, answer_due__lte=now),
            due=lambda c: c.status == W and c.answer_missed_at is None,
            mark=missed("answer_missed_at", "agency"),
        )
        + mark_overdue(
            Complaint.objects.filter(status=R, review_missed_at=None, review_due__lte=now),
            due=lambda c: c.status == R and c.review_missed_at is None,
            mark=missed("review_missed_at", "review_body"),
        )
        + mark_overdue(
            Complaint.objects.filter(status=A, escalation_due__lte=now),
            due=lambda c: c.status == A,
            mark=close,
        )
    )
