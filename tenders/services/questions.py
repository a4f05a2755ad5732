"""Questions and answers: anyone registered may ask before the cut-off; answers are public
and never name who asked (the ledger holds a salted commitment to the question)."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from procurement.clock import db_now
from procurement.crypto.canonical import canonical_json
from procurement.exceptions import Conflict, NotFound, PermissionDenied
from procurement.ledger import defer_event, record_event
from procurement.models import Role, User
from procurement.permissions import organisations_with_role, require_role
from procurement.validation import clean_text
from tenders.methods import admits
from tenders.models import (
    Question,
    Tender,
    TenderStatus,
)
from tenders.services.amendments import _record_amendment, _require_open
from tenders.services.content import TEXT_LIMIT, _require_officer
from tenders.services.lifecycle import lock_tender
from tenders.services.rules import answer_deadline_floor

S = TenderStatus


def question_commitment(text: str, salt: str) -> str:
    """SHA-256 of the canonical JSON of {"content": {"text": text}, "salt": salt} (the shape
    of the evaluation's commitments): a question's text in the ledger before its answer. The
    salt (32 hex digits, random) keeps a guessed text from being confirmed against it."""
    return hashlib.sha256(canonical_json({"content": {"text": text}, "salt": salt})).hexdigest()


def ask_question(tender: Tender, *, actor: User, text: str) -> Question:
    """A signed-in supplier asks for a clarification. The ledger entry does not name the asker
    (actor is recorded as the platform), so neither the public nor the agency learns who asked
    from it; the asker is kept only in the database, for abuse handling."""
    require_role(actor, Role.SUPPLIER)
    text = clean_text(text, "text", required=True, limit=5000)
    with transaction.atomic():
        tender = lock_tender(tender)
        now = db_now()
        if tender.status != S.PUBLISHED:
            raise NotFound(_("No such open tender."))
        if not tender.accepts_questions_at(now):
            raise Conflict(_("The period for questions on this tender is over."))
        represented = organisations_with_role(actor, Role.SUPPLIER).values_list("pk", flat=True)
        if not admits(tender, represented):
            raise PermissionDenied(
                _("This tender is open only to the suppliers it invited; you represent none.")
            )
        number = tender.questions.count() + 1
        salt = secrets.token_hex(16)
        question = Question.objects.create(
            tender=tender, number=number, text=text, asked_by=actor, asked_at=now, salt=salt
        )
        record_event(
            "QUESTION_ASKED",
            tender,
            {"question": number, "text_commitment": question_commitment(text, salt)},
            actor=None,
        )
    return question


def answer_question(question: Question, *, actor: User | None, answer: str) -> Question:
    """Publish an answer to everybody. An answer later than the regime allows moves the
    deadline to the legal minimum, as an amendment."""
    tender = question.tender
    _require_officer(actor, tender.agency)
    answer = clean_text(answer, "answer", required=True, limit=TEXT_LIMIT)
    with transaction.atomic():
        tender = lock_tender(tender)
        now = db_now()
        _require_open(tender, now)
        question = Question.objects.select_for_update(of=("self",)).get(pk=question.pk)
        if question.answered_at is not None:
            raise Conflict(_("This question has already been answered."))
        question.answer, question.answered_at, question.answered_by = answer, now, actor
        question.save(update_fields=["answer", "answered_at", "answered_by"])
        defer_event(
            "QUESTION_ANSWERED",
            tender,
            # The salt lets anyone check the text against the commitment made when it was asked.
            {"question": question.number, "text": question.text, "salt": question.salt,
             "answer": answer},
            actor=actor,
        )  # fmt: skip
        floor = answer_deadline_floor(tender, now)
        if tender.submission_deadline < floor:
            # An amendment moves the deadline to the later of this floor and its own.
            _record_amendment(
                tender,
                actor=actor,
                now=now,
                rationale=_("Answer to question %(n)d published late: deadline extended.")
                % {"n": question.number},
                changes={"clarification": {"old": None, "new": f"question {question.number}"}},
                at_least=floor,
            )
    return question
