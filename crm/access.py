"""The authorization table: every route's scope and who may use each method.

The suite walks the URL resolver and fails on any route missing here; the DRF permission and the org
middleware read this same table, so what is written here is what is enforced. API modules keep their rows
beside their routes (a `ROUTES` dict in each module of crm.api.API_MODULES); this table gathers them.
"""

from importlib import import_module

from common.access import Audience, RouteAccess, Scope

ANYONE = Audience.ANYONE

ROUTES: dict[str, RouteAccess] = {
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


def _gather() -> None:
    from crm.api import API_MODULES

    for module_name in API_MODULES:
        for name, access in import_module(module_name).ROUTES.items():
            key = f"api:{name}"
            if key in ROUTES:
                raise RuntimeError(f"route {key} is described twice ({module_name})")
            ROUTES[key] = access


_gather()
