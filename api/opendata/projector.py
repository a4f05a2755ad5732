"""The OCDS projection of the ledger: each public ledger entry that changes a contracting
process becomes one release, in ``seq`` order, with a watermark (``LedgerProjection`` "ocds").

Services only record ledger entries; they never build open data. The kernel runs
``project_after_commit`` once each writing transaction that appended an entry making a release
has committed (``settings.LEDGER_PROJECTORS``; without waiting for a busy watermark), the beat
runs ``project`` every ``OCDS_PROJECTION_SCAN_SECONDS`` to catch up after a crash, and
``manage.py project_open_data`` runs it by hand (``--rebuild`` builds every release again from
the ledger, byte for byte the same). The feed serves releases up to the watermark only, and
releases are written in ledger order under the watermark's lock, so a reader following the
feed never skips one.

Which entries make releases, and with which OCDS tags, is the table ``RELEASES`` below: the one
place that maps the ledger's vocabulary onto OCDS's.
"""

from __future__ import annotations

from django.db import transaction

from api.opendata import ocds
from api.opendata.models import OcdsRelease
from procurement import ledger
from procurement.models import LedgerEntry
from tenders.models import Tender

NAME = "ocds"
BATCH = 500
_COMPLAINT = ("complaint", ["tenderUpdate"])

# Entry kind -> (release event, OCDS release tags). The event names the release id:
# ``{ocid}-{event}-{seq}``.
RELEASES: dict[str, tuple[str, list[str]]] = {
    "TENDER_PUBLISHED": ("tender", ["planning", "tender"]),
    "TENDER_AMENDED": ("amendment", ["tenderAmendment"]),
    "QUESTION_ANSWERED": ("enquiry", ["tenderUpdate"]),
    "TENDER_CANCELLED": ("cancellation", ["tenderCancellation"]),
    "TENDER_CLOSED": ("closing", ["tenderUpdate"]),
    "TENDER_OPENED": ("opening", ["tenderUpdate"]),
    "TENDER_AWARDED": ("award", ["award"]),
    "TENDER_UNSUCCESSFUL": ("unsuccessful", ["tenderUpdate"]),
    "TENDER_REEVALUATION": ("reevaluation", ["awardUpdate"]),
    "COMPLAINT_FILED": _COMPLAINT,
    "COMPLAINT_ANSWERED": _COMPLAINT,
    "COMPLAINT_ESCALATED": _COMPLAINT,
    "COMPLAINT_DECIDED": _COMPLAINT,
    "COMPLAINT_WITHDRAWN": _COMPLAINT,
    "COMPLAINT_DEADLINE_MISSED": _COMPLAINT,
    "COMPLAINT_CLOSED": _COMPLAINT,
    "CONTRACT_SIGNED": ("contract", ["contract"]),
    "CONTRACT_AMENDED": ("contract-amendment", ["contractAmendment"]),
    "CONTRACT_COMPLETED": ("contract-implementation", ["implementation"]),
    "CONTRACT_TERMINATED": ("contract-contractTermination", ["contractTermination"]),
}


def _tender_of(entry: LedgerEntry) -> Tender | None:
    prefix, _, reference = entry.subject.partition(":")
    if prefix != "tender":
        return None
    return Tender.objects.select_related("agency", "regime").filter(reference=reference).first()


def project_entry(entry: LedgerEntry) -> None:
    """The release of one entry, if it makes one. Tenders never published (a cancelled draft)
    have no public releases."""
    if entry.kind not in RELEASES:
        return
    tender = _tender_of(entry)
    if tender is None or tender.published_at is None:
        return
    if OcdsRelease.objects.filter(ledger_seq=entry.seq).exists():
        return  # projected before the watermark moved (written with its entry, before 0007)
    event, tag = RELEASES[entry.kind]
    data = ocds.build_release(tender, event=event, tag=tag, entry=entry)
    OcdsRelease.objects.create(
        tender=tender,
        ocid=data["ocid"],
        release_id=data["id"],
        date=entry.recorded_at,
        tag=tag,
        ledger_seq=entry.seq,
        data=data,
    )


def project(*, batch: int | None = None, until_done: bool = True) -> int:
    """Project the entries after the watermark, ``batch`` (default ``BATCH``) per transaction.
    Returns how many entries were read."""
    batch = batch or BATCH
    total = 0
    while True:
        done = ledger.advance_projection(NAME, project_entry, batch=batch)
        total += done
        if done < batch or not until_done:
            return total


def project_after_commit(kinds: frozenset[str]) -> int:
    """Run after each writing transaction commits (``settings.LEDGER_PROJECTORS``) with the
    kinds of entry it appended: nothing unless one of them makes a release, and at most one
    batch, so a request never carries a backlog (after an outage or a rebuild); the beat scan
    (``project_open_data``) catches up the rest.

    It does not wait for the watermark: if another process holds it, that process looks again
    once it has released it, and so projects this transaction's entries (committed before this
    one found the watermark held) within its batch."""
    if RELEASES.keys().isdisjoint(kinds):
        return 0
    total = 0
    while total < BATCH:
        done = ledger.advance_projection(NAME, project_entry, batch=BATCH - total, skip_locked=True)
        if done is None:
            break
        total += done
        if done == 0 or ledger.tree_size() - 1 <= watermark():
            break
    return total


def rebuild(*, batch: int = BATCH) -> int:
    """Throw the releases away and project the whole ledger again. Each release is built as of
    its entry (``api.opendata.asof``), so the rebuilt releases are byte for byte the ones the
    projector wrote live. The table is emptied and the watermark reset in one transaction: a
    reader meanwhile sees the old releases or none, never a mix."""
    with transaction.atomic():
        OcdsRelease.objects.all().delete()
        ledger.reset_projection(NAME)
    return project(batch=batch)


def watermark() -> int:
    return ledger.projection_watermark(NAME)
