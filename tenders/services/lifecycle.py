"""The tender's one way to change status: the transition table (``tenders.models.TRANSITIONS``)
is checked here and nowhere else, by every phase that moves a tender (publication, closing,
opening, examination, award, complaints, contracts, cancellation).

A service locks the tender (``lock_tender``), checks its own guard, calls ``change_status``,
saves with ``update_fields`` and records its ledger entry, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from procurement import prepared
from procurement.clock import db_now
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


class Gate(NamedTuple):
    """What a submission reads of its tender under the shared lock, and the database clock
    read in the same statement; ``also``: the caller's extra columns, read in that statement."""

    status: str
    submission_deadline: dt.datetime
    keyset_hash: str
    now: dt.datetime
    also: tuple = ()


def hold_tender(
    tender: Tender, also: str = "", params: tuple | list = (), name: str = "mb_hold_tender"
) -> Gate:
    """The tender's row under a shared lock (PostgreSQL ``FOR SHARE``) for the caller's
    transaction, with the database clock, in one statement: many submissions hold it side by
    side, while a writer of the row (closing, an amendment, a cancellation: ``lock_tender``)
    waits for every holder to commit and new holders wait for the writer. So a submission never
    serialises another, and the closing sees every bid whose transaction held the tender open.
    SQLite serialises writes anyway and its clock is this process's.

    ``also`` adds columns to that one statement (scalar subqueries, comma-separated, with
    ``params``): what the caller must read under the lock costs no further round trip. They
    lock nothing themselves. ``name``: the prepared statement's (one per ``also``)."""
    postgres = connection.vendor == "postgresql"
    table = Tender._meta.db_table
    columns = "status, submission_deadline, keyset_hash"
    columns += ", clock_timestamp()" if postgres else ""
    extra = f", {also}" if also else ""
    lock = " FOR SHARE OF t" if postgres else ""
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            name,
            f"SELECT {columns}{extra} FROM {table} t WHERE t.id = %s{lock}",  # noqa: S608 - no user input
            [*params, tender.pk],
        )
        row = cursor.fetchone()
    if postgres:
        status, deadline, keyset, now, *rest = row
        return Gate(status, deadline, keyset, now.astimezone(dt.UTC), tuple(rest))
    status, deadline, keyset, *rest = row
    return Gate(status, _aware(deadline), keyset, db_now(), tuple(rest))


def _aware(value) -> dt.datetime:
    """A raw SQLite datetime (text, UTC) as an aware datetime."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def settled(deadline: dt.datetime) -> dt.datetime:
    """When the closing may happen: the deadline plus the time a bid that arrived before it
    may take to be recorded (SUBMISSION_SETTLE_SECONDS)."""
    return deadline + dt.timedelta(seconds=settings.SUBMISSION_SETTLE_SECONDS)


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
