from django.conf import settings

from procurement.models import Role
from procurement.notifications import unread_count
from procurement.permissions import roles_of


def platform(request) -> dict:
    user = getattr(request, "user", None)
    roles = roles_of(user)  # one query for every menu entry, not one per role
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "LEDGER_ORIGIN": settings.LEDGER_ORIGIN,
        "IS_OFFICER": Role.OFFICER in roles,
        "IS_SUPPLIER": Role.SUPPLIER in roles,
        "IS_CUSTODIAN": Role.CUSTODIAN in roles,
        "IS_EVALUATOR": Role.EVALUATOR in roles,
        "IS_APPROVER": Role.APPROVER in roles,
        "IS_REVIEWER": Role.REVIEWER in roles,
        "UNREAD": unread_count(user) if roles or user is not None and user.is_authenticated else 0,
    }
