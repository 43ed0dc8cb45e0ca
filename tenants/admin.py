"""Django admin for platform admins: orgs, users, memberships and invitations; changes go through services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from common.admin import NeverDeleteAdmin
from common.admin import ProfileAdmin as BaseProfileAdmin
from common.admin import UserAdmin as BaseUserAdmin
from common.errors import ApiError
from common.models import Profile, User
from common.throttling import client_ip
from tenants.admin_login import AdminLoginForm
from tenants.models import Domain, Invitation, Org
from tenants.platform import services as platform


def _run(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    service: Callable[..., Any],
    id_name: str,
    done: str,
    **extra: Any,
) -> None:
    """Each row through its service (its own transaction and audit entry); refused rows are reported, not fatal."""
    succeeded, refused = 0, []
    for obj in queryset:
        try:
            service(actor=request.user, ip=client_ip(request), **{id_name: obj.pk}, **extra)
        except ApiError as error:
            refused.append(f"{obj}: {error.detail}")
        else:
            succeeded += 1
    if succeeded:
        model_admin.message_user(request, f"{succeeded} {done}.", messages.SUCCESS)
    for line in refused:
        model_admin.message_user(request, f"Not changed: {line}", messages.WARNING)


class ReadOnlyAdmin(NeverDeleteAdmin):
    """Browse and search only: every change has rules and an audit entry, so it goes through a service."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Orgs -------------------------------------------------------------------------------------------------------


@admin.register(Org)
class OrgAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "status", "member_count", "created_at", "last_activity_at"]
    list_filter = ["status", "requires_two_factor"]
    search_fields = ["name", "slug", "schema_name"]
    ordering = ["name"]
    actions = ["suspend_orgs", "reactivate_orgs"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Org]:
        active = Q(profiles__is_active=True, profiles__removed_at__isnull=True)
        return super().get_queryset(request).annotate(active_members=Count("profiles", filter=active))

    @admin.display(description="active members", ordering="active_members")
    def member_count(self, org: Org) -> int:
        return org.active_members

    @admin.action(description="Suspend the selected organisations")
    def suspend_orgs(self, request: HttpRequest, queryset: QuerySet[Org]) -> None:
        _run(self, request, queryset, platform.org_suspend, "org_id", "organisation(s) suspended",
             reason="Suspended from the Django admin.")  # fmt: skip

    @admin.action(description="Reactivate the selected suspended organisations")
    def reactivate_orgs(self, request: HttpRequest, queryset: QuerySet[Org]) -> None:
        _run(self, request, queryset, platform.org_reactivate, "org_id", "organisation(s) reactivated")


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain", "tenant__name"]
    raw_id_fields = ["tenant"]


# --- Users and memberships (registered by common.admin; extended here with the platform's services) ----------


class HasTwoFactorFilter(admin.SimpleListFilter):
    title = "two-factor authentication"
    parameter_name = "has_two_factor"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "On"), ("no", "Off")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        if self.value() in ("yes", "no"):
            return queryset.filter(two_factor_enabled_at__isnull=self.value() == "no")
        return queryset


admin.site.login_form = AdminLoginForm
admin.site.login_template = "admin_site/login.html"
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["email", "name", "is_active", "is_platform_admin", "has_two_factor", "date_joined"]
    list_filter = ["is_active", "is_platform_admin", HasTwoFactorFilter]
    # No password hash and no TOTP secret on the page; the active and platform flags change through actions.
    fields = [
        "id", "email", "name", "is_active", "is_platform_admin", "email_verified_at", "two_factor_enabled_at",
        "token_version", "date_joined", "updated_at",
    ]  # fmt: skip
    readonly_fields = [
        "id", "is_active", "is_platform_admin", "email_verified_at", "two_factor_enabled_at", "token_version",
        "date_joined", "updated_at",
    ]  # fmt: skip
    actions = ["deactivate_users", "reactivate_users", "grant_platform_admin", "revoke_platform_admin"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # accounts come from sign-up and invitations, with a password and a verified email

    @admin.display(boolean=True, description="2FA")
    def has_two_factor(self, user: User) -> bool:
        return user.has_two_factor

    @admin.action(description="Deactivate the selected users (signs them out everywhere)")
    def deactivate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        _run(self, request, queryset, platform.user_deactivate, "user_id", "user(s) deactivated")

    @admin.action(description="Reactivate the selected users")
    def reactivate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        _run(self, request, queryset, platform.user_reactivate, "user_id", "user(s) reactivated")

    @admin.action(description="Make the selected users platform admins")
    def grant_platform_admin(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        _run(self, request, queryset, platform.user_platform_admin_set, "user_id", "user(s) made platform admins",
             is_platform_admin=True)  # fmt: skip

    @admin.action(description="Revoke platform admin from the selected users")
    def revoke_platform_admin(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        _run(self, request, queryset, platform.user_platform_admin_set, "user_id",
             "user(s) no longer platform admins", is_platform_admin=False)  # fmt: skip


class RemovedFilter(admin.SimpleListFilter):
    title = "removed"
    parameter_name = "removed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Removed"), ("no", "Current")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Profile]) -> QuerySet[Profile]:
        if self.value() in ("yes", "no"):
            return queryset.filter(removed_at__isnull=self.value() == "no")
        return queryset


admin.site.unregister(Profile)


@admin.register(Profile)
class ProfileAdmin(BaseProfileAdmin):
    """Read-only: roles and membership follow the org's rules (one owner at least), so they change in the org."""

    list_display = ["user", "org", "role", "is_active", "removed_at", "joined_at"]
    list_filter = ["role", "is_active", RemovedFilter, "org__status"]
    search_fields = ["user__email", "user__name", "org__name", "org__slug"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Invitations ------------------------------------------------------------------------------------------------


class InvitationStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("pending", "Pending"), ("accepted", "Accepted"), ("revoked", "Revoked"), ("expired", "Expired")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> QuerySet[Invitation]:
        now = timezone.now()
        open_ = Q(accepted_at__isnull=True, revoked_at__isnull=True)
        return {
            "pending": lambda: queryset.filter(open_, expires_at__gt=now),
            "accepted": lambda: queryset.filter(accepted_at__isnull=False),
            "revoked": lambda: queryset.filter(revoked_at__isnull=False),
            "expired": lambda: queryset.filter(open_, expires_at__lte=now),
        }.get(self.value() or "", lambda: queryset)()


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "org", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = [InvitationStatusFilter, "role"]
    search_fields = ["email", "org__name", "org__slug"]
    list_select_related = ["org"]
    # The token hash stays off the page: it is a credential's fingerprint and of no use to a person.
    exclude = ["token_hash"]
    ordering = ["-created_at"]
