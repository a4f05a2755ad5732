"""The tender's one way to change status: the transition table (``tenders.models.TRANSITIONS``)
is checked here and nowhere else, by every phase that moves a tender (publication, closing,
opening, examination, award, complaints, contracts, cancellation).

A service locks the tender (``lock_tender``), checks its own guard, calls ``change_status``,
saves with ``update_fields`` and records its ledger entry, all in one transaction.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from procurement.exceptions import Conflict
from tenders.models import Tender, TenderStatus, can_move


def lock_tender(tender: Tender) -> Tender:
    """The tender's row, locked for the caller's transaction (only its own row: the agency and
    the regime it reads are not locked)."""
    return (
        Tender.objects.select_for_update(of=("self",))
        .select_related("regime", "agency")
        .get(pk=tender.pk)
    )


def change_status(tender: Tender, target: str) -> dict:
    """Move ``tender`` to ``target`` if the transition table allows it; otherwise a Conflict
    that names both states. Returns the ledger fact ``{"status": target}``; the caller saves."""
    if not can_move(tender.status, target):
        raise Conflict(
            _("A tender that is “%(status)s” cannot become “%(target)s”.")
            % {"status": tender.get_status_display(), "target": TenderStatus(target).label}
        )
    tender.status = target
    return {"status": TenderStatus(target).value}
