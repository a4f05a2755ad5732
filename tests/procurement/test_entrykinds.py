"""The ledger's vocabulary is declared once (procurement/crypto/entrykinds.py): record_event and
record_sealed refuse anything else, each kind is recorded only on its declared floor, and the
docs' table is generated from it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import transaction

from procurement import ledger, sealedlog
from procurement.crypto import entrykinds
from procurement.exceptions import LedgerError
from procurement.models import LedgerEntry, SealedStatement
from tenders.models import TenderStatus

ROOT = Path(__file__).resolve().parents[2]
RECORDERS = {"record_event", "defer_event", "record_sealed", "record", "_append", "Event"}
PLATFORM_KINDS = {name for name, kind in entrykinds.KINDS.items() if kind.floor != "tests"}


def recorded_kinds() -> dict[str, set[str]]:
    """Kind -> the floors whose code records it: the kind's name as the first argument of a
    recording call (``record_event``, ``record_sealed``, ``drafts.record``, ``_append``'s third),
    as a ``kind=`` given to or defaulted by a recording helper, or as the first item of a tuple a
    deadline scan's ``mark`` returns."""
    found: dict[str, set[str]] = {}

    def names(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return names(node.body) + names(node.orelse)
        if isinstance(node, ast.Name) and node.id in entrykinds.KINDS:
            return [node.id]
        return []

    for floor in (*entrykinds.FLOORS, "api"):  # the interface records nothing itself
        for path in (ROOT / floor).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                candidates: list[ast.AST] = []
                if isinstance(node, ast.Call):
                    func = node.func
                    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    if name in RECORDERS and node.args:
                        candidates.append(node.args[2] if name == "_append" else node.args[0])
                    # a recording helper told which kind: _record_invalid(..., kind="...")
                    if name not in ("filter", "exclude", "get"):  # a query reads, not records
                        candidates += [k.value for k in node.keywords if k.arg == "kind"]
                elif isinstance(node, ast.FunctionDef):  # and its default kind
                    arguments = (
                        node.args.args[-len(node.args.defaults) :] if node.args.defaults else []
                    )
                    candidates += [
                        d
                        for a, d in zip(arguments, node.args.defaults, strict=True)
                        if a.arg == "kind"
                    ]
                    candidates += [
                        d
                        for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
                        if a.arg == "kind" and d is not None
                    ]
                elif isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
                    candidates.append(node.value.elts[0])
                for candidate in candidates:
                    for kind in names(candidate):
                        if kind in entrykinds.KINDS:
                            found.setdefault(kind, set()).add(floor)
    return found


def test_every_kind_is_recorded_and_only_on_its_floor():
    found = recorded_kinds()
    assert set(found) == PLATFORM_KINDS, "declared but never recorded, or the reverse"
    wrong = {k: floors for k, floors in found.items() if floors != {entrykinds.KINDS[k].floor}}
    assert wrong == {}


def test_the_docs_table_is_generated_from_the_registry():
    assert (ROOT / "docs" / "ledger-entries.md").read_text(encoding="utf-8") == (
        entrykinds.markdown()
    ), "regenerate: python -m procurement.crypto.entrykinds > docs/ledger-entries.md"


def test_declarations_are_well_formed():
    for kind in entrykinds.KINDS.values():
        assert ledger.KIND_RE.match(kind.name)
        assert not kind.fields & kind.optional, kind.name
        if kind.name in PLATFORM_KINDS:
            assert kind.summary.endswith("."), kind.name
        if kind.moves_status == entrykinds.PAYLOAD:
            assert "status" in kind.fields | kind.optional, kind.name
        elif kind.moves_status:
            assert kind.moves_status in TenderStatus.values, kind.name
    with pytest.raises(entrykinds.EntryKindError, match="declared twice"):
        entrykinds.register(entrykinds.KINDS["TENDER_CLOSED"])


@pytest.mark.django_db
def test_an_unknown_kind_is_refused_and_nothing_is_appended():
    before = LedgerEntry.objects.count()
    refused = pytest.raises(LedgerError, match="unknown entry kind 'TENDER_TELEPORTED'")
    with refused, transaction.atomic():
        ledger.record_event("TENDER_TELEPORTED", "tender:T-1", {}, actor=None)
    assert LedgerEntry.objects.count() == before


@pytest.mark.django_db
def test_a_payload_must_have_exactly_the_declared_fields():
    refused = pytest.raises(LedgerError, match=r"missing \['reason'\], undeclared \['why'\]")
    with refused, transaction.atomic():
        ledger.record_event("TENDER_CANCELLED", "tender:T-1", {"why": "x"}, actor=None)
    with transaction.atomic():  # the optional fields may come or not
        ledger.record_event("TENDER_CANCELLED", "tender:T-1", {"reason": "x"}, actor=None)
        ledger.record_event(
            "TENDER_CANCELLED", "tender:T-2", {"reason": "x", "ground": "g"}, actor=None
        )
    assert LedgerEntry.objects.filter(kind="TENDER_CANCELLED").count() == 2


@pytest.mark.django_db
def test_only_sealed_kinds_are_sealed_statements(make_tender):
    tender = make_tender()
    with pytest.raises(LedgerError, match="not a sealed statement"), transaction.atomic():
        sealedlog.record_sealed(
            "TENDER_CANCELLED", tender, {"reason": "x"}, actor=None,
            sealed_until=tender.submission_deadline,
        )  # fmt: skip
    with pytest.raises(LedgerError, match="BID_WITHDRAWN payload"), transaction.atomic():
        sealedlog.record_sealed(
            "BID_WITHDRAWN", tender, {"bid": "b"}, actor=None,
            sealed_until=tender.submission_deadline,
        )  # fmt: skip
    assert SealedStatement.objects.count() == 0


@pytest.mark.django_db
def test_a_sealed_kind_is_never_appended_in_the_clear():
    statement = dict.fromkeys(entrykinds.KINDS["BID_SUBMITTED"].fields, "x")
    with pytest.raises(LedgerError, match="BID_SUBMITTED is sealed"), transaction.atomic():
        ledger.record_event("BID_SUBMITTED", "tender:T-1", statement, actor=None)
    assert not LedgerEntry.objects.filter(subject="tender:T-1").exists()
    with transaction.atomic():  # revealed at closing, and a restoration after it, are public
        revealed = {"statement": "s", "batch_seq": 1, "slot": 0, "path": []}
        ledger.record_event("BID_SUBMITTED", "tender:T-1", revealed, actor=None)
        restored = {"bid": "b", "envelope_sha256": "0" * 64}
        ledger.record_event("ENVELOPE_RESTORED", "tender:T-1", restored, actor=None)
    assert LedgerEntry.objects.filter(subject="tender:T-1").count() == 2


@pytest.mark.django_db
def test_a_draft_step_is_checked_when_taken_not_at_publication(make_tender):
    from tenders.models import DraftEvent
    from tenders.services import drafts

    tender = make_tender()
    kept = DraftEvent.objects.filter(tender=tender).count()
    with pytest.raises(LedgerError, match="TENDER_DRAFT_UPDATED payload"), transaction.atomic():
        drafts.record("TENDER_DRAFT_UPDATED", tender, {"sha": "x"}, actor=None)
    with pytest.raises(LedgerError, match="not a draft step"), transaction.atomic():
        drafts.record("TENDER_CANCELLED", tender, {"reason": "x"}, actor=None)
    assert DraftEvent.objects.filter(tender=tender).count() == kept
