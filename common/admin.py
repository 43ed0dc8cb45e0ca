"""Django admin for users and memberships (platform admins only: `User.is_staff` is the platform flag)."""

from django.contrib import admin

from common.models import Profile, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "is_active", "is_platform_admin", "date_joined"]
    list_filter = ["is_active", "is_platform_admin"]
    search_fields = ["email", "name"]
    readonly_fields = ["id", "password", "token_version", "date_joined", "updated_at"]
    ordering = ["email"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "org", "role", "is_active", "joined_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "org__name", "org__slug"]
    list_select_related = ["user", "org"]
    raw_id_fields = ["user", "org"]
