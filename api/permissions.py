"""DRF permission classes that delegate to the kernel's one role check."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from procurement.permissions import ADMIN, has_role


class IsPlatformAdmin(BasePermission):
    message = _("Only a platform administrator may do this.")

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, ADMIN)


class HasAnyRole(BasePermission):
    """Allow users holding any of ``view.required_roles`` (in any organisation)."""

    message = _("You do not have the role this action needs.")

    def has_permission(self, request, view) -> bool:
        return any(has_role(request.user, role) for role in view.required_roles)
