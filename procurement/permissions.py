"""The one role check. Every service asks ``has_role`` before it writes."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _

from procurement.exceptions import PermissionDenied
from procurement.models import Membership, Organisation, Role, User

ADMIN = "admin"  # the platform administrator: not a membership, a property of the account


def has_role(
    user: User | AnonymousUser | None, role: str, organisation: Organisation | None = None
) -> bool:
    """Does ``user`` hold ``role`` (in ``organisation``, if given) through an active membership?

    ``role="admin"`` asks whether the user is a platform administrator.
    """
    if role != ADMIN and role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if role == ADMIN:
        return user.is_platform_admin
    memberships = Membership.objects.filter(user=user, role=role, is_active=True)
    if organisation is not None:
        memberships = memberships.filter(organisation=organisation)
    return memberships.exists()


def roles_of(user: User | AnonymousUser | None) -> set[str]:
    """Every role ``user`` holds through an active membership, anywhere (one query)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    return set(Membership.objects.filter(user=user, is_active=True).values_list("role", flat=True))


def require_role(
    user: User | AnonymousUser | None, role: str, organisation: Organisation | None = None
) -> User:
    if not has_role(user, role, organisation):
        raise PermissionDenied(_("You do not have the role this action needs."))
    return user  # type: ignore[return-value]


def organisations_with_role(user: User | AnonymousUser | None, role: str):
    if user is None or not user.is_authenticated or not user.is_active:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        memberships__user=user, memberships__role=role, memberships__is_active=True
    ).distinct()
