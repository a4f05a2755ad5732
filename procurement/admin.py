"""Django admin for platform administrators. Every save goes through a service (and the ledger);
the ledger itself is read-only here."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models

from procurement import ledger, services
from procurement.clock import db_now
from procurement.models import Checkpoint, LedgerEntry, Membership, Organisation, User

ORGANISATION_EDITABLE = ["name_vi", "name_en", "tax_code", "province", "address", "website"]


class NoDeleteMixin(admin.ModelAdmin):
    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(User)
class UserAdmin(NoDeleteMixin, BaseUserAdmin):
    list_display = ["username", "full_name", "email", "is_superuser", "is_active"]
    readonly_fields = ["public_id", "last_login", "date_joined"]
    fieldsets = [
        *(BaseUserAdmin.fieldsets or ()),
        ("Minh Bạch", {"fields": ["public_id", "full_name"]}),
    ]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            services.save_account(obj, actor=request.user)
        else:
            services.register_account(obj, actor=request.user)


@admin.register(Organisation)
class OrganisationAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ["code", "kind", "name_vi", "name_en", "province"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_filter = ["kind", "province"]
    search_fields = ["code", "name_vi", "name_en", "tax_code"]

    def get_readonly_fields(self, request, obj=None):
        return ["code", "kind", "public_id", "created_at"] if obj else ["public_id", "created_at"]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            changes = {
                f: form.cleaned_data[f] for f in form.changed_data if f in ORGANISATION_EDITABLE
            }
            services.update_organisation(obj, actor=request.user, **changes)
        else:
            fields = ["code", "kind", "name_vi", "name_en", *ORGANISATION_EDITABLE[2:]]
            created = services.create_organisation(
                actor=request.user, **{f: form.cleaned_data.get(f) or "" for f in fields}
            )
            obj.pk = created.pk


@admin.register(Membership)
class MembershipAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "is_active", "granted_at"]
    list_filter = ["role", "is_active", "organisation__kind"]
    search_fields = ["user__username", "organisation__code"]
    autocomplete_fields = ["user", "organisation"]

    def get_readonly_fields(self, request, obj=None):
        return ["user", "organisation", "role", "granted_at"] if obj else ["granted_at"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            created = services.grant_membership(
                obj.organisation, user=obj.user, role=obj.role, actor=request.user
            )
            obj.pk = created.pk
        elif "is_active" in form.changed_data:
            if obj.is_active:
                services.grant_membership(
                    obj.organisation, user=obj.user, role=obj.role, actor=request.user
                )
            else:
                services.revoke_membership(obj, actor=request.user)


class ReadOnlyAdmin(NoDeleteMixin, admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["seq", "kind", "subject", "recorded_at", "sealed_until"]
    list_filter = ["kind"]
    search_fields = ["subject"]
    fields = ["seq", "kind", "subject", "recorded_at", "sealed_until"]

    def get_queryset(self, request):
        # Operators see what the public sees: sealed entries (who bid on what) stay hidden
        # until their moment, even here.
        return ledger.unsealed(super().get_queryset(request), db_now())


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ["tree_size", "created_at"]
    fields = ["tree_size", "created_at", "note"]
