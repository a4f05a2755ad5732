"""Reads about suppliers: who may act as a supplier now, and the public debarment list."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from bidders.models import Debarment, SupplierProfile, SupplierStatus
from procurement.exceptions import NotFound
from procurement.models import Organisation
from procurement.permissions import ADMIN, has_role


def active_debarments(day: dt.date) -> QuerySet[Debarment]:
    return Debarment.objects.select_related("organisation").filter(
        starts_on__lte=day, ends_on__gte=day
    )


def is_debarred(organisation: Organisation, day: dt.date) -> bool:
    return active_debarments(day).filter(organisation=organisation).exists()


def may_bid(organisation: Organisation, day: dt.date) -> bool:
    """Approved and not debarred on ``day``: the test submission applies."""
    debarred = active_debarments(day).filter(organisation=OuterRef("organisation"))
    return (
        SupplierProfile.objects.filter(organisation=organisation, status=SupplierStatus.APPROVED)
        .exclude(Exists(debarred))
        .exists()
    )


def profile_for_admin(user, profile_id: int) -> SupplierProfile:
    if not has_role(user, ADMIN):
        raise NotFound(_("No such supplier."))
    try:
        return SupplierProfile.objects.select_related("organisation", "registered_by").get(
            pk=profile_id
        )
    except SupplierProfile.DoesNotExist:
        raise NotFound(_("No such supplier.")) from None
