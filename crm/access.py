"""The authorization table: every route's scope and who may use each method.

The suite walks the URL resolver and fails on any route missing here; the DRF permission and the org
middleware read this same table, so what is written here is what is enforced.
"""

from common.access import ALL_ROLES, Audience, RouteAccess, Scope

ANYONE = Audience.ANYONE
SIGNED_IN = Audience.AUTHENTICATED

ROUTES: dict[str, RouteAccess] = {
    # Sign-up, sign-in and tokens (public schema, no org header).
    "api:auth-register": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "api:auth-login": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "api:auth-refresh": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "api:auth-logout": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "api:auth-password-change": RouteAccess(Scope.PUBLIC, {"POST": SIGNED_IN}),
    "api:auth-me": RouteAccess(Scope.PUBLIC, {"GET": SIGNED_IN}),
    # The current org.
    "api:org": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    # Documentation and health.
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
