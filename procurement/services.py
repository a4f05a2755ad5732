"""Writes on accounts, organisations and roles. Each is one transaction with its ledger entry.

Only public facts go to the ledger: organisations and who holds which role where (role grants
are security events the public may check). Personal data such as e-mail never does; a user
appears only as its opaque public id.
"""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from procurement.exceptions import Conflict, InvalidInput
from procurement.ledger import defer_event, record_event
from procurement.models import (
    ROLES_BY_KIND,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from procurement.permissions import ADMIN, require_role
from procurement.validation import clean_model


def create_organisation(
    *,
    code: str,
    kind: str,
    name_vi: str,
    name_en: str,
    actor: User | None,
    tax_code: str = "",
    province: str = "",
    address: str = "",
    website: str = "",
) -> Organisation:
    """Register an organisation. Platform administrators only (``actor=None``: setup commands)."""
    if actor is not None:
        require_role(actor, ADMIN)
    if kind not in OrganisationKind.values:
        raise InvalidInput(_("Unknown organisation kind."), field="kind")
    organisation = Organisation(
        code=code,
        kind=kind,
        name_vi=name_vi.strip(),
        name_en=name_en.strip(),
        tax_code=tax_code.strip(),
        province=province.strip(),
        address=address.strip(),
        website=website.strip(),
    )
    clean_model(organisation)
    with transaction.atomic():
        organisation.save()
        defer_event(
            "ORGANISATION_REGISTERED",
            organisation,
            {
                "code": organisation.code,
                "kind": organisation.kind,
                "name_vi": organisation.name_vi,
                "name_en": organisation.name_en,
                "tax_code": organisation.tax_code,
                "province": organisation.province,
            },
            actor=actor,
        )
    return organisation


def create_user(
    *,
    username: str,
    password: str,
    actor: User | None,
    email: str = "",
    full_name: str = "",
    is_platform_admin: bool = False,
) -> User:
    """Create an account. Platform administrators only (``actor=None``: setup commands)."""
    if actor is not None:
        require_role(actor, ADMIN)
    user = User(
        username=username.strip(),
        email=email.strip(),
        full_name=full_name.strip(),
        is_staff=is_platform_admin,
        is_superuser=is_platform_admin,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from exc
    user.set_password(password)
    _require_free_username(user)
    clean_model(user, exclude=["password"])
    return register_account(user, actor=actor)


def _require_free_username(user: User) -> None:
    """No two accounts differ only in case (the database's constraint is the last word; this
    gives the error its field). Case folding is Unicode-aware on PostgreSQL, ASCII on SQLite."""
    taken = User.objects.filter(username__iexact=user.username).exclude(pk=user.pk)
    if taken.exists():
        raise InvalidInput(_("A user with that username already exists."), field="username")


def register_account(user: User, *, actor: User | None) -> User:
    """Save a new, validated account (its password already hashed) with its ledger entry."""
    if actor is not None:
        require_role(actor, ADMIN)
    if user.pk is not None:
        raise Conflict(_("This account already exists."))
    with transaction.atomic():
        _require_free_username(user)
        user.save()
        defer_event("ACCOUNT_CREATED", user, {"platform_admin": user.is_superuser}, actor=actor)
    return user


ACCOUNT_FLAGS = ("is_active", "is_staff", "is_superuser")


def save_account(user: User, *, actor: User | None) -> User:
    """Save edits to an existing account. Changes of its standing (active, administrator) are
    security events and go to the ledger; personal details do not."""
    if actor is not None:
        require_role(actor, ADMIN)
    with transaction.atomic():
        stored = User.objects.select_for_update(of=("self",)).get(pk=user.pk)
        if user.username != stored.username:
            _require_free_username(user)
        changed = {
            f: getattr(user, f) for f in ACCOUNT_FLAGS if getattr(user, f) != getattr(stored, f)
        }
        user.save()
        if changed:
            defer_event("ACCOUNT_STANDING_CHANGED", user, changed, actor=actor)
    return user


def update_organisation(
    organisation: Organisation, *, actor: User | None, **changes
) -> Organisation:
    """Correct an organisation's public details. Platform administrators only."""
    if actor is not None:
        require_role(actor, ADMIN)
    allowed = {"name_vi", "name_en", "tax_code", "province", "address", "website"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update(of=("self",)).get(pk=organisation.pk)
        before = {name: getattr(organisation, name) for name in changes}
        for name, value in changes.items():
            setattr(organisation, name, value.strip())
        clean_model(organisation)
        changed = {
            n: getattr(organisation, n) for n in changes if getattr(organisation, n) != before[n]
        }
        if not changed:
            return organisation
        organisation.save(update_fields=list(changed))
        previous = {name: before[name] for name in changed}
        record_event(
            "ORGANISATION_UPDATED",
            organisation,
            {"changed": changed, "previous": previous},
            actor=actor,
        )
    return organisation


def grant_membership(
    organisation: Organisation, *, user: User, role: str, actor: User | None
) -> Membership:
    """Give ``user`` a role in ``organisation``. Platform administrators only."""
    if actor is not None:
        require_role(actor, ADMIN)
    if role not in Role.values:
        raise InvalidInput(_("Unknown role."), field="role")
    if role not in ROLES_BY_KIND[organisation.kind]:
        raise InvalidInput(
            _("An organisation of this kind cannot give the role “%(role)s”.")
            % {"role": Role(role).label},
            field="role",
        )
    with transaction.atomic():
        membership, created = Membership.objects.select_for_update(of=("self",)).get_or_create(
            user=user, organisation=organisation, role=role
        )
        if not created and membership.is_active:
            raise Conflict(_("This user already holds this role here."))
        if not created:
            membership.is_active = True
            membership.save(update_fields=["is_active"])
        defer_event(
            "ROLE_GRANTED",
            organisation,
            {"user": str(user.public_id), "role": role},
            actor=actor,
        )
    return membership


def revoke_membership(membership: Membership, *, actor: User | None) -> Membership:
    if actor is not None:
        require_role(actor, ADMIN)
    with transaction.atomic():
        membership = Membership.objects.select_for_update(of=("self",)).get(pk=membership.pk)
        if not membership.is_active:
            raise Conflict(_("This role was already revoked."))
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        defer_event(
            "ROLE_REVOKED",
            membership.organisation,
            {"user": str(membership.user.public_id), "role": membership.role},
            actor=actor,
        )
    return membership
