"""Django admin for orgs and their hostnames (platform admins only)."""

from django.contrib import admin

from common.admin import NeverDeleteAdmin
from tenants.models import Domain, Org


@admin.register(Org)
class OrgAdmin(NeverDeleteAdmin):
    list_display = ["name", "slug", "status", "schema_name", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "slug", "schema_name"]
    readonly_fields = ["id", "schema_name", "created_at", "updated_at"]


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain", "tenant__name"]
    raw_id_fields = ["tenant"]
