"""Django admin for users and memberships (platform admins only: `User.is_staff` is the platform flag)."""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from common.models import Profile, User


class NeverDeleteAdmin(admin.ModelAdmin):
    """Rows that tenant tables point at are never hard-deleted: deactivate them instead."""

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(NeverDeleteAdmin):
    list_display = ["email", "name", "is_active", "is_platform_admin", "date_joined"]
    list_filter = ["is_active", "is_platform_admin"]
    search_fields = ["email", "name"]
    readonly_fields = ["id", "password", "token_version", "date_joined", "updated_at"]
    ordering = ["email"]


@admin.register(Profile)
class ProfileAdmin(NeverDeleteAdmin):
    list_display = ["user", "org", "role", "is_active", "joined_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "org__name", "org__slug"]
    list_select_related = ["user", "org"]
    raw_id_fields = ["user", "org"]
