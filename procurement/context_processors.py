from django.conf import settings

from procurement.models import Role
from procurement.notifications import unread_count
from procurement.permissions import has_role


def platform(request) -> dict:
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "LEDGER_ORIGIN": settings.LEDGER_ORIGIN,
        "IS_OFFICER": has_role(getattr(request, "user", None), Role.OFFICER),
        "IS_SUPPLIER": has_role(getattr(request, "user", None), Role.SUPPLIER),
        "IS_CUSTODIAN": has_role(getattr(request, "user", None), Role.CUSTODIAN),
        "IS_EVALUATOR": has_role(getattr(request, "user", None), Role.EVALUATOR),
        "IS_APPROVER": has_role(getattr(request, "user", None), Role.APPROVER),
        "IS_REVIEWER": has_role(getattr(request, "user", None), Role.REVIEWER),
        "UNREAD": unread_count(getattr(request, "user", None)),
    }
