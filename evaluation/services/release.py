"""Key release after closing. A custodian sends its per-tender private key wrapped to the
opening's public key with a signed release statement; the platform checks it against the seat
and the closing and keeps it wrapped, then queues the opening (or, after the opening, the check
of a late key). Which released keys decide the opening is ``evaluation.services.opening``.
"""

from __future__ import annotations

import base64

from django.db import transaction
from django.utils.translation import gettext as _

from evaluation import tasks
from evaluation.services.opening import opening_private_key
from procurement.clock import db_now
from procurement.crypto import keystatement
from procurement.exceptions import Conflict, InvalidInput
from procurement.ledger import record_event
from procurement.models import User
from tenders.models import RosterSeat, Tender, TenderStatus
from tenders.services.custody import identity_key, seat_for

S = TenderStatus


def release_key(tender: Tender, *, actor: User | None, signed: dict) -> RosterSeat:
    """A custodian releases its per-tender key after closing. The platform checks the release
    against the seat and the closing, unwraps the key to check it matches the published one,
    and keeps it wrapped; opening starts once k keys are in."""
    with transaction.atomic():
        tender = Tender.objects.select_for_update(of=("self",)).get(pk=tender.pk)
        seat = seat_for(tender, actor)
        if tender.status == S.PUBLISHED or tender.closing_seq is None:
            raise Conflict(_("The tender has not closed: no key may be released before."))
        if tender.status == S.CANCELLED:
            raise Conflict(_("The tender is cancelled: its bids are never opened."))
        if seat.released_at is not None:
            raise Conflict(_("You have already released your key for this tender."))
        identity = seat.custodian
        try:
            keystatement.verify_release(
                signed if isinstance(signed, dict) else {},
                identity=identity_key(identity.public_key),
                tender=tender.reference,
                custodian=identity.code,
                index=seat.index,
                pk=seat.public_key,
                closing_seq=tender.closing_seq,
                opening_private_key=opening_private_key(tender),
            )
        except keystatement.KeySetError as exc:
            raise InvalidInput(
                _("The key release does not verify: %(reason)s.") % {"reason": exc},
                field="statement",
            ) from None
        seat.release_statement = signed["statement"]
        seat.release_signature = signed["signature"]
        seat.wrapped_key = base64.b64decode(signed["wrapped_key"])
        seat.released_at = db_now()
        entry = record_event(
            "KEY_RELEASED",
            tender,
            {
                "index": seat.index,
                "custodian": identity.code,
                "pk": seat.public_key,
                "statement": seat.release_statement,
                "signature": seat.release_signature,
            },
            actor=actor,
        )
        seat.release_seq = entry.seq
        seat.save()
        released = tender.roster.filter(released_at__isnull=False).count()
        if released >= tender.threshold and tender.status == S.CLOSED:
            # The opening itself decides whether the key set is final (all n, or the window).
            transaction.on_commit(lambda: tasks.open_tender.delay(tender.pk))
        elif tender.opened_at is not None:
            # Released after the opening decided: publish the key and check its shares.
            transaction.on_commit(lambda: tasks.check_late_release.delay(seat.pk))
    return seat
