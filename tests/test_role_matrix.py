"""Every route, tried as every member of the cast: exactly the expected status, and no change after a denial.

The expectations come from the authorization table (common.registry) itself: a role the table allows gets the
route's success status, a role it does not gets 403, anyone outside org A gets org A's 404, anonymous gets
401, and platform routes are 404 to everyone but platform admins. SPECS says how to call each route; a route
without a spec fails the suite, so a new route cannot skip the matrix.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.urls import reverse

from common.access import Audience, Scope
from common.models import Profile, RecoveryCode, User
from common.registry import route_table
from tenants.models import AccountToken, ApiKey, AuditEvent, Invitation, Org, PlatformAuditEvent
from tenants.testing.fixtures import PASSWORD, Cast, client_for
from tenants.testing.matrix import Call

CALLERS = [
    "owner",
    "admin",
    "manager",
    "member",
    "viewer",
    "other_owner",
    "outsider",
    "platform_admin",
    "anonymous",
]
ORG_A_ROLES = {"owner", "admin", "manager", "member", "viewer"}


def _invitation(cast: Cast) -> dict[str, Any]:
    from tenants.members.invitations import invitation_create

    invitation = invitation_create(org=cast.org_a, actor=cast.owner, email="matrix@example.test", role="viewer")
    return {"invitation_id": invitation.pk}


def _api_key(cast: Cast) -> dict[str, Any]:
    from tenants.members.api_keys import api_key_create

    return {"key_id": api_key_create(org=cast.org_a, actor=cast.owner, name="k", role="viewer").api_key.pk}


def _viewer(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"profile_id": cast.viewer.pk}


SPECS: dict[str, dict[str, Call]] = {
    "api:org": {"GET": Call(), "PATCH": Call(body={"name": "Renamed Realty"})},
    "api:org-logo": {
        "GET": Call(status=404),  # no logo yet: the route is reachable, the file is not there
        "PUT": Call(status=400, format="multipart"),  # no file sent: a field error, after the role check
        "DELETE": Call(),
    },
    "api:org-transfer-ownership": {
        "POST": Call(body=lambda cast, made: {"profile_id": str(cast.manager.pk), "password": PASSWORD})
    },
    "api:org-delete": {"POST": Call(status=202, body={"confirm": "alpha", "password": PASSWORD})},
    "api:org-leave": {"POST": Call(status=204, overrides={"owner": 409})},
    "api:members": {"GET": Call()},
    "api:member-detail": {"GET": Call(kwargs=_viewer), "PATCH": Call(kwargs=_viewer, body={"role": "member"})},
    "api:member-deactivate": {"POST": Call(kwargs=_viewer)},
    "api:member-reactivate": {"POST": Call(kwargs=_viewer)},
    "api:member-remove": {"POST": Call(kwargs=_viewer)},
    "api:member-reassign": {
        "POST": Call(kwargs=_viewer, body=lambda cast, made: {"reassign_to": str(cast.manager.pk)})
    },
    "api:invitations": {
        "GET": Call(),
        "POST": Call(status=201, body={"email": "new@example.test", "role": "viewer"}),
    },
    "api:invitation-resend": {"POST": Call(setup=_invitation, kwargs=lambda cast, made: made)},
    "api:invitation-revoke": {"POST": Call(setup=_invitation, kwargs=lambda cast, made: made)},
    "api:api-keys": {"GET": Call(), "POST": Call(status=201, body={"name": "Zap", "role": "viewer"})},
    "api:api-key-revoke": {"POST": Call(setup=_api_key, kwargs=lambda cast, made: made)},
    "api:org-audit": {"GET": Call()},
}

# Public routes whose answer does not depend on who calls (they carry their own credentials in the body, or
# none); their behaviour is covered by their own suites.
NOT_IN_MATRIX = {
    "api:auth-register", "api:auth-login", "api:auth-refresh", "api:auth-logout", "api:schema", "api:docs",
    "api:redoc", "health", "admin:*", "api:invitation-preview", "api:invitation-accept-new", "api:auth-login-2fa",
    # The pages emailed links open: the token in the form is the credential (tenants/tests/test_link_pages.py).
    "link-verify-email", "link-reset-password", "link-accept-invite",
}  # fmt: skip


def _gather_module_specs() -> None:
    """Each tenant module keeps its rows in `<app>/tests/matrix.py` (MATRIX_SPECS)."""
    from django.conf import settings

    for app in [*settings.TENANT_APPS, "tenants"]:
        try:
            module = importlib.import_module(f"{app}.tests.matrix")
        except ModuleNotFoundError:
            continue
        SPECS.update(module.MATRIX_SPECS)


_gather_module_specs()


def _matrix_routes() -> list[str]:
    return sorted(name for name in route_table() if name not in NOT_IN_MATRIX)


def test_every_route_has_a_matrix_spec() -> None:
    missing = [name for name in _matrix_routes() if name not in SPECS and name not in PUBLIC_SPECS]

    assert missing == []


def _expected(route: str, method: str, caller: str, call: Call) -> int:
    access = route_table()[route]
    allowed = access.allowed_for(method)
    if access.scope == Scope.PLATFORM:
        return call.status if caller == "platform_admin" else 404
    if access.scope == Scope.PUBLIC:
        if allowed == Audience.AUTHENTICATED and caller == "anonymous":
            return 401
        return call.overrides.get(caller, call.status)
    if caller == "anonymous":
        return 401
    if caller not in ORG_A_ROLES:
        return 404
    if caller not in allowed:  # type: ignore[operator]
        return 403
    return call.overrides.get(caller, call.status)


def _client(cast: Cast, caller: str, scope: Scope):
    if caller == "anonymous":
        return client_for(None) if scope != Scope.TENANT else _anonymous_with_org()
    who = getattr(cast, caller)
    user = who.user if isinstance(who, Profile) else who
    return client_for(user, org=cast.org_a if scope == Scope.TENANT else None)


def _anonymous_with_org():
    client = client_for(None)
    client.defaults["HTTP_ORG"] = "alpha"
    return client


def _fingerprint() -> tuple:
    """Everything a denied request must leave exactly as it was."""
    return (
        sorted(Profile.objects.values_list("pk", "role", "is_active", "removed_at")),
        sorted(
            Org.objects.values_list("pk", "name", "status", "timezone", "currency", "requires_two_factor", "logo")
        ),
        sorted(Invitation.objects.values_list("pk", "token_hash", "revoked_at", "accepted_at", "expires_at")),
        sorted(ApiKey.objects.values_list("pk", "revoked_at")),
        sorted(User.objects.values_list("pk", "is_active", "token_version", "password", "is_platform_admin")),
        sorted(
            User.objects.values_list(
                "pk", "two_factor_secret", "two_factor_pending_secret", "two_factor_enabled_at"
            )
        ),
        sorted(RecoveryCode.objects.values_list("pk", "used_at")),
        sorted(AccountToken.objects.values_list("pk", "used_at")),
        _tenant_rows(),
        AuditEvent.objects.count(),
        PlatformAuditEvent.objects.count(),
    )


def _tenant_rows() -> list[Any]:
    """Every row of every record table in org A's schema (what a denied tenant request must not touch)."""
    from django.apps import apps
    from django.conf import settings

    from common.context import org_context

    org_a = Org.objects.get(slug="alpha")
    rows: list[Any] = []
    labels = {config.label for config in apps.get_app_configs() if config.name in settings.TENANT_APPS}
    with org_context(org_a):
        for model in apps.get_models():
            if model._meta.app_label in labels:
                rows += sorted(map(str, model.all_orgs_unsafe.values_list()))
    return rows


PUBLIC_SPECS: dict[str, dict[str, Call]] = {
    "api:auth-email-verify": {"POST": Call(status=400, body={"token": "x"})},
    "api:auth-email-verify-resend": {"POST": Call(status=202)},
    "api:auth-password-reset": {"POST": Call(status=202, body={"email": "nobody@example.test"})},
    "api:auth-password-reset-confirm": {
        "POST": Call(status=400, body={"token": "x", "new_password": "Matrix-Passphrase-77"})
    },
    "api:auth-me": {"GET": Call()},
    "api:auth-password-change": {
        "POST": Call(body={"current_password": PASSWORD, "new_password": "Matrix-Passphrase-77"})
    },
    "api:invitation-accept": {"POST": Call(status=400, body={"token": "not-a-token"})},
    # Only an owner of an org being deleted can cancel; for an active org the owner hears so, others get 404.
    "api:org-deletion-cancel": {
        "POST": Call(status=404, kwargs=lambda cast, made: {"org_id": cast.org_a.pk}, overrides={"owner": 409})
    },
    # Probes and the scrape: the same answer for everyone (the test client calls from 127.0.0.1 and the test
    # settings set no METRICS_TOKEN; tests/test_ops_metrics.py covers the token and outside callers).
    "health-live": {"GET": Call()},
    "health-ready": {"GET": Call()},
    "metrics": {"GET": Call()},
}


def _cases() -> list[Any]:
    cases = []
    for route in _matrix_routes():
        for method in SPECS.get(route) or PUBLIC_SPECS.get(route) or {}:
            for caller in CALLERS:
                cases.append(pytest.param(route, method, caller, id=f"{route}-{method}-{caller}"))
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method", "caller"), _cases())
def test_role_matrix(cast: Cast, route: str, method: str, caller: str) -> None:
    call = (SPECS.get(route) or PUBLIC_SPECS[route])[method]
    made = call.setup(cast)
    url = reverse(route, kwargs=call.kwargs(cast, made) or None)
    body = call.body(cast, made) if callable(call.body) else call.body
    client = _client(cast, caller, route_table()[route].scope)
    expected = _expected(route, method, caller, call)
    before = _fingerprint()

    response = getattr(client, method.lower())(url, body or None, format=call.format)

    assert response.status_code == expected, (response.status_code, getattr(response, "data", None))
    if expected in (401, 403, 404):
        assert _fingerprint() == before, "a denied request changed the database"
