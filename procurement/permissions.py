"""The one role check. Every service asks ``has_role`` before it writes."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils.translation import gettext as _

from procurement import prepared
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
    # Asked on almost every request: hand-written, as the ORM would spend longer compiling it
    # than the database spends answering.
    table = Membership._meta.db_table
    sql = f"SELECT 1 FROM {table} WHERE user_id = %s AND role = %s AND is_active"  # noqa: S608
    params = [user.pk, str(role)]
    if organisation is not None:
        sql += " AND organisation_id = %s"
        params.append(organisation.pk)
    name = "mb_has_role_in" if organisation is not None else "mb_has_role"
    with connection.cursor() as cursor:
        prepared.execute(cursor, name, sql + " LIMIT 1", params)
        return cursor.fetchone() is not None


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
