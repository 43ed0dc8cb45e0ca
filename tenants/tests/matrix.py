"""How the role matrix calls the tenants app's routes that the matrix did not already describe (2FA, platform)."""

from typing import Any

from common.models import User
from tenants.testing.fixtures import PASSWORD, Cast
from tenants.testing.matrix import Call

MATRIX_SPECS = {
    "api:auth-2fa": {"GET": Call()},
    "api:auth-2fa-enrol": {"POST": Call()},
    "api:auth-2fa-qr": {"GET": Call(status=404)},  # nothing pending yet: reachable, nothing to show
    "api:auth-2fa-confirm": {"POST": Call(status=409, body={"code": "123456"})},
    "api:auth-2fa-disable": {"POST": Call(status=409, body={"code": "123456"})},
    "api:auth-2fa-recovery-codes": {"POST": Call(status=409, body={"code": "123456"})},
}


def _org_a(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"org_id": cast.org_a.pk}


def _made(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return made


def _suspended_org_a(cast: Cast) -> dict[str, Any]:
    from tenants.platform.services import org_suspend

    org_suspend(actor=cast.platform_admin, org_id=cast.org_a.pk)
    return {}


def _org_a_being_deleted(cast: Cast) -> dict[str, Any]:
    from tenants.platform.services import org_deletion_schedule

    org_deletion_schedule(actor=cast.platform_admin, org_id=cast.org_a.pk, confirm_slug="alpha")
    return {}


def _user(is_active: bool) -> Any:
    def make(cast: Cast) -> dict[str, Any]:
        user = User.objects.create_user(email="someone@matrix.test", password=PASSWORD, is_active=is_active)
        return {"user_id": user.pk}

    return make


PLATFORM_SPECS = {
    "api:platform-orgs": {"GET": Call()},
    "api:platform-org-detail": {
        "GET": Call(kwargs=_org_a),
        "PATCH": Call(kwargs=_org_a, body={"ai_monthly_token_quota": 1000}),
    },
    "api:platform-org-members": {"GET": Call(kwargs=_org_a)},
    "api:platform-org-suspend": {"POST": Call(kwargs=_org_a, body={"reason": "matrix"})},
    "api:platform-org-reactivate": {"POST": Call(setup=_suspended_org_a, kwargs=_org_a)},
    "api:platform-org-delete": {"POST": Call(status=202, kwargs=_org_a, body={"confirm": "alpha"})},
    "api:platform-org-delete-cancel": {"POST": Call(setup=_org_a_being_deleted, kwargs=_org_a)},
    "api:platform-org-impersonate": {
        "POST": Call(kwargs=_org_a, body=lambda cast, made: {"profile_id": str(cast.member.pk)})
    },
    "api:platform-users": {"GET": Call()},
    "api:platform-user-detail": {"GET": Call(kwargs=lambda cast, made: {"user_id": cast.outsider.pk})},
    "api:platform-user-deactivate": {"POST": Call(setup=_user(is_active=True), kwargs=_made)},
    "api:platform-user-reactivate": {"POST": Call(setup=_user(is_active=False), kwargs=_made)},
    "api:platform-audit": {"GET": Call()},
}

MATRIX_SPECS.update(PLATFORM_SPECS)
