"""Custody of a tender's bids: custodians' identity keys, the roster, their signed per-tender
key statements and the key set that publication commits to. The key releases after closing
are ``evaluation.services.release``.

The platform only ever holds public keys before the deadline. Each custodian makes its
per-tender key pair on its own machine (browser or custodian agent) and sends a statement
signed with its identity key; after closing it sends the private key wrapped to the opening's
public key, with a signed release statement (procurement/crypto/keystatement.py).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections import Counter

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import transaction
from django.utils.translation import gettext as _

from procurement.clock import db_now
from procurement.crypto import keystatement
from procurement.exceptions import Conflict, InvalidInput, PermissionDenied
from procurement.ledger import record_event
from procurement.models import CustodianIdentity, Organisation, OrganisationKind, Role, User
from procurement.permissions import has_role, require_role
from tenders.models import RosterSeat, Tender, TenderStatus
from tenders.services import drafts

S = TenderStatus
MAX_ROSTER = 15


def iso(moment: dt.datetime) -> str:
    """The deadline as key statements carry it: UTC, seconds and fractions as stored."""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def identity_key(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (TypeError, ValueError, binascii.Error):
        raise InvalidInput(
            _("An identity key is the base64 of a 32-byte Ed25519 public key."),
            field="public_key",
        ) from None


# --- Identities -----------------------------------------------------------------------------


def register_identity(
    organisation: Organisation, *, actor: User | None, public_key: str, is_demo: bool = False
) -> CustodianIdentity:
    """A custodian registers the public half of its identity key. A new key replaces the old
    one (seats already filled keep the statements the old key signed)."""
    require_role(actor, Role.CUSTODIAN, organisation)
    identity_key(public_key)
    with transaction.atomic():
        if CustodianIdentity.objects.filter(public_key=public_key).exists():
            raise Conflict(_("This identity key is already registered."))
        now = db_now()
        old = (
            CustodianIdentity.objects.select_for_update(of=("self",))
            .filter(user=actor, organisation=organisation, revoked_at__isnull=True)
            .first()
        )
        if old is not None:
            pending = RosterSeat.objects.filter(custodian=old, released_at__isnull=True).exclude(
                tender__status__in=[S.CANCELLED, S.OPENED, S.EVALUATING, S.AWARDED,
                                    S.CONTRACTED, S.UNSUCCESSFUL]
            )  # fmt: skip
            if pending.exists():
                raise Conflict(
                    _("Your current key still holds places on open tenders; replace it after.")
                )
            old.revoked_at = now
            old.save(update_fields=["revoked_at"])
        number = CustodianIdentity.objects.filter(organisation=organisation).count() + 1
        identity = CustodianIdentity(
            code=f"{organisation.code}-{number}"[:60],
            user=actor,
            organisation=organisation,
            public_key=public_key,
            is_demo=is_demo,
            registered_at=now,
        )
        entry = record_event(
            "CUSTODIAN_REGISTERED",
            identity,
            {
                "organisation": organisation.code,
                "identity_key": public_key,
                "replaces": old.code if old else None,
                "demo": is_demo,
            },
            actor=actor,
        )
        identity.ledger_seq = entry.seq
        identity.save()
    return identity


def active_identities():
    return CustodianIdentity.objects.filter(revoked_at__isnull=True).select_related("organisation")


# --- The roster -----------------------------------------------------------------------------


def eligible_identities(tender: Tender):
    """Custodians who may sit on this tender's roster: oversight institutions' and its own
    agency's."""
    from django.db.models import Q  # noqa: PLC0415

    return active_identities().filter(
        Q(organisation__kind=OrganisationKind.OVERSIGHT) | Q(organisation=tender.agency)
    )


def _require_officer(actor: User | None, tender: Tender) -> None:
    require_role(actor, Role.OFFICER, tender.agency)


def set_roster(tender: Tender, *, actor: User | None, custodians: list[str], threshold: int):
    """Name the tender's n custodians (in order) and k. Draft only; any statements already
    given are dropped, since they belong to the old roster."""
    _require_officer(actor, tender)
    if not isinstance(custodians, list) or not all(isinstance(c, str) for c in custodians):
        raise InvalidInput(_("List the custodians by their codes."), field="custodians")
    n = len(custodians)
    if len(set(custodians)) != n:
        raise InvalidInput(_("A custodian can hold only one place."), field="custodians")
    if not isinstance(threshold, int) or isinstance(threshold, bool):
        raise InvalidInput(_("The threshold must be a whole number."), field="threshold")
    if not 2 <= threshold <= n <= MAX_ROSTER:
        raise InvalidInput(
            _("Need 2 ≤ k ≤ n ≤ %(max)d: k = %(k)d keys of n = %(n)d custodians.")
            % {"max": MAX_ROSTER, "k": threshold, "n": n},
            field="threshold",
        )
    identities = {i.code: i for i in active_identities().filter(code__in=custodians)}
    unknown = [c for c in custodians if c not in identities]
    if unknown:
        raise InvalidInput(
            _("Unknown custodian: %(codes)s.") % {"codes": ", ".join(unknown)}, field="custodians"
        )
    for identity in identities.values():
        org = identity.organisation
        if not (org.kind == OrganisationKind.OVERSIGHT or org.pk == tender.agency_id):
            raise InvalidInput(
                _("%(code)s is not from an oversight institution or this agency.")
                % {"code": identity.code},
                field="custodians",
            )
        if not has_role(identity.user, Role.CUSTODIAN, org):
            raise InvalidInput(
                _("%(code)s no longer holds the custodian role.") % {"code": identity.code},
                field="custodians",
            )
    if len({identities[c].organisation_id for c in custodians}) < 2:
        raise InvalidInput(
            _("Custodians must come from at least two different organisations."),
            field="custodians",
        )
    if len({identities[c].user_id for c in custodians}) < n:
        raise InvalidInput(_("One person can hold only one place."), field="custodians")
    seats_by_org = Counter(identities[c].organisation_id for c in custodians)
    if max(seats_by_org.values()) >= threshold:
        # Otherwise one institution (the agency, say) could open the bids on its own.
        raise InvalidInput(
            _("No organisation may hold k or more places: k = %(k)d.") % {"k": threshold},
            field="custodians",
        )
    with transaction.atomic():
        tender = Tender.objects.select_for_update(of=("self",)).get(pk=tender.pk)
        if tender.status != S.DRAFT:
            raise Conflict(_("The roster is fixed once the tender is published."))
        tender.roster.all().delete()
        RosterSeat.objects.bulk_create(
            RosterSeat(tender=tender, index=i, custodian=identities[code])
            for i, code in enumerate(custodians, start=1)
        )
        tender.threshold = threshold
        tender.keyset_hash = ""
        tender.save(update_fields=["threshold", "keyset_hash"])
        drafts.record(  # private until publication, like the draft itself
            "ROSTER_SET",
            tender,
            {
                "threshold": threshold,
                "custodians": [
                    {
                        "index": i,
                        "custodian": code,
                        "organisation": identities[code].organisation.code,
                        "identity_key": identities[code].public_key,
                    }
                    for i, code in enumerate(custodians, start=1)
                ],
            },
            actor=actor,
        )
    return tender


def reset_statements(tender: Tender) -> None:
    """The deadline of a draft changed: statements bind it, so they must be given again."""
    tender.roster.exclude(statement="").update(
        statement="", signature="", public_key="", statement_at=None
    )


def seat_for(tender: Tender, actor: User | None) -> RosterSeat:
    seat = (
        RosterSeat.objects.select_for_update(of=("self",))
        .select_related("custodian")
        .filter(tender=tender, custodian__user=actor)
        .first()
    )
    if (
        seat is None
        or actor is None
        or not has_role(actor, Role.CUSTODIAN, seat.custodian.organisation)
    ):
        raise PermissionDenied(_("You hold no custodian place on this tender."))
    return seat


def submit_statement(tender: Tender, *, actor: User | None, signed: dict) -> RosterSeat:
    """A custodian's signed per-tender public key for its place in the roster."""
    with transaction.atomic():
        tender = Tender.objects.select_for_update(of=("self",)).get(pk=tender.pk)
        seat = seat_for(tender, actor)
        if tender.status != S.DRAFT:
            raise Conflict(_("Key statements are given before publication."))
        identity = seat.custodian
        try:
            _custodian, key = keystatement.verify_statement(
                signed if isinstance(signed, dict) else {},
                identities={identity.code: identity_key(identity.public_key)},
                tender=tender.reference,
                deadline=statement_deadline(tender),
                index=seat.index,
            )
        except keystatement.KeySetError as exc:
            raise InvalidInput(
                _("The key statement does not verify: %(reason)s.") % {"reason": exc},
                field="statement",
            ) from None
        seat.statement = signed["statement"]
        seat.signature = signed["signature"]
        seat.public_key = keystatement.public_key_b64(key)
        seat.statement_at = db_now()
        seat.save()
        drafts.record(  # private until publication, like the draft itself
            "KEY_STATEMENT",
            tender,
            {"index": seat.index, "custodian": identity.code, **seat.signed},
            actor=actor,
        )
    return seat


def statement_deadline(tender: Tender) -> str:
    """The deadline the tender's key statements are signed for: the one at publication (a
    later extension keeps the key set), or the draft's current one."""
    return iso(tender.keyset_deadline or tender.submission_deadline)


def verified_keyset(tender: Tender) -> keystatement.KeySet:
    """The tender's key set, verified; Conflict naming the custodians still to answer."""
    seats = list(tender.roster.select_related("custodian").order_by("index"))
    if len(seats) < 2:
        raise Conflict(_("Name the key custodians (the roster) before publishing."))
    missing = [s.custodian.code for s in seats if not s.statement]
    if missing:
        raise Conflict(
            _("Waiting for the key statements of: %(codes)s.") % {"codes": ", ".join(missing)}
        )
    try:
        return keystatement.verify_keyset(
            [s.signed for s in seats],
            identities={s.custodian.code: identity_key(s.custodian.public_key) for s in seats},
            tender=tender.reference,
            deadline=statement_deadline(tender),
            n=len(seats),
        )
    except keystatement.KeySetError as exc:
        raise Conflict(_("The key set does not verify: %(reason)s.") % {"reason": exc}) from None


def keyset_document(tender: Tender) -> list[dict]:
    """The published key set: what sealers verify and ``keyset_hash`` is computed over."""
    return [s.signed for s in tender.roster.order_by("index")]


def seats_for(user: User):
    """A custodian's places, for its workspace and its agent."""
    return (
        RosterSeat.objects.filter(custodian__user=user, custodian__revoked_at__isnull=True)
        .select_related("tender", "custodian")
        .exclude(tender__status__in=[S.CANCELLED])
        .order_by("tender__submission_deadline")
    )
