"""The project itself as a module: the routes outside any business module (schema viewers, health, admin)."""

from common import registry
from common.access import Audience, RouteAccess, Scope

ANYONE = Audience.ANYONE


class CrmConfig(registry.ModuleConfig):
    name = "crm"
    verbose_name = "Keystone CRM"
    site_routes = {
        "api:schema": RouteAccess(Scope.PUBLIC, {"GET": ANYONE}),
        "api:docs": RouteAccess(Scope.PUBLIC, {"GET": ANYONE}),
        "api:redoc": RouteAccess(Scope.PUBLIC, {"GET": ANYONE}),
        "health": RouteAccess(Scope.PUBLIC, {"GET": ANYONE}),
        # The Django admin checks for itself that the user is a platform admin (common.admin).
        "admin:*": RouteAccess(
            Scope.PLATFORM,
            {"GET": ANYONE, "POST": ANYONE},
            reason="Django admin pages; the admin site lets in platform admins only.",
        ),
    }
