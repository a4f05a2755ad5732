"""Reads that depend on who asks. Missing and forbidden both answer NotFound."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from procurement.exceptions import NotFound
from procurement.models import Membership, Organisation, User
from procurement.permissions import ADMIN, has_role


def organisation_by_code(code: str) -> Organisation:
    """Organisations are public: anyone may read one by its code."""
    try:
        return Organisation.objects.get(code=code)
    except Organisation.DoesNotExist:
        raise NotFound(_("No such organisation.")) from None


def memberships_visible_to(user: User, organisation: Organisation) -> QuerySet[Membership]:
    """Who holds which role: the platform admin and the organisation's own members only."""
    if not (
        has_role(user, ADMIN)
        or Membership.objects.filter(user=user, organisation=organisation, is_active=True).exists()
    ):
        raise NotFound(_("No such organisation."))
    return organisation.memberships.select_related("user").filter(is_active=True)


def membership_for_admin(user: User, membership_id: int) -> Membership:
    if not has_role(user, ADMIN):
        raise NotFound(_("No such membership."))
    try:
        return Membership.objects.select_related("user", "organisation").get(pk=membership_id)
    except Membership.DoesNotExist:
        raise NotFound(_("No such membership.")) from None
