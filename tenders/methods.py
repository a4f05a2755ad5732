"""The procurement methods' rules, declared once: who may bid, how many suppliers an invited
tender names, whether the method must be justified, which of the regime's preparation periods
applies and how open data calls it.

Who may bid:

- ``anyone``: any approved supplier that is not debarred (open bidding, competitive shopping);
- ``invited``: only the suppliers the tender names (restricted bidding: a shortlist;
  direct contracting: one supplier). The list is part of the tender's content, fixed at
  publication and published with it (the ``TENDER_PUBLISHED`` entry's ``invited`` field), so
  the public can check that no one else was let in.

The periods themselves are the regime's numbers (``tenders.models.LegalRegime``); this table
only says which one a method uses. ``tenders.services.rules.check_publishable`` checks a tender
against its method's row, ``bidders.services.submission`` and ``tenders.services.questions``
refuse an uninvited supplier, and ``api.opendata.ocds`` takes ``procurementMethod`` from here.

To add a method: a ``Method`` choice in ``tenders.models`` (and its migration) and one row
below; docs/architecture.md walks through it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenders.models import Method, Tender

ANYONE = "anyone"
INVITED = "invited"

# The most suppliers one tender may invite (a shortlist, not a register).
MAX_INVITED = 100


@dataclass(frozen=True)
class MethodRule:
    method: str
    who_may_bid: str  # ANYONE or INVITED
    min_invited: int  # with INVITED: the fewest suppliers the tender must name
    max_invited: int  # with INVITED: the most (0 with ANYONE: an open tender names no one)
    needs_rationale: bool  # the officer must say why the tender is not open bidding
    preparation: str  # "bidding": the regime's prep_days*; "shopping": its shopping working days
    ocds_method: str  # OCDS procurementMethod (closed codelist: open, selective, limited, direct)
    source: str  # where the rule comes from

    @property
    def invites(self) -> bool:
        return self.who_may_bid == INVITED


RULES: dict[str, MethodRule] = {
    rule.method: rule
    for rule in (
        MethodRule(
            Method.OPEN, ANYONE, 0, 0, False, "bidding", "open",
            "Law 22/2023 Art. 21",
        ),
        # A shortlist of at least three (D214 Art. 25(2)); published, so who was shut out shows.
        MethodRule(
            Method.RESTRICTED, INVITED, 3, MAX_INVITED, True, "bidding", "selective",
            "Law 22/2023 Art. 22; Decree 214/2025 Art. 25(2)",
        ),
        # One named supplier; the same preparation floor as bidding (no shorter one is set).
        MethodRule(
            Method.DIRECT, INVITED, 1, 1, True, "bidding", "direct",
            "Law 22/2023 Art. 23; Decree 214/2025 Art. 78-80",
        ),
        # Published to every supplier on the system, like open bidding, with its own period.
        MethodRule(
            Method.SHOPPING, ANYONE, 0, 0, True, "shopping", "open",
            "Law 22/2023 Art. 24; Decree 214/2025 Art. 81",
        ),
    )
}  # fmt: skip


def rule_for(method: str) -> MethodRule:
    return RULES[method]


def admits(tender: Tender, supplier_ids) -> bool:
    """May one of the suppliers ``supplier_ids`` (primary keys, or a subquery of them) bid on
    or ask about ``tender``? Anyone may under an open method; under an invited one, only a
    supplier on the list."""
    if not RULES[tender.method].invites:
        return True
    return tender.invitations.filter(supplier_id__in=supplier_ids).exists()
