"""The beat scans' one loop: rows whose deadline passed are marked one at a time, each under its
row lock and re-checked there (a late answer may have come in meanwhile), with a public ledger
entry recorded by the platform."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from procurement.ledger import record_event

BATCH = 500


def mark_overdue(rows, *, due: Callable, mark: Callable) -> int:
    """For each row of ``rows`` (up to BATCH): lock it, skip it unless ``due(row)`` still
    holds, and call ``mark(row)``, which saves the row and returns (entry kind, payload, a
    callback for the entry or None). Returns how many were marked."""
    marked = 0
    for pk in list(rows.values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            # Only the row is locked (of=self), never its tender: the services lock the tender
            # first and the row second, and the opposite order here could deadlock with them.
            row = (
                rows.model.objects.select_for_update(of=("self",))
                .select_related("tender")
                .get(pk=pk)
            )
            if not due(row):
                continue
            kind, payload, after = mark(row)
            entry = record_event(kind, row.tender, payload, actor=None)
            if after is not None:
                after(row, entry)
            marked += 1
    return marked
