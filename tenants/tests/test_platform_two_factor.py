"""With PLATFORM_ADMIN_REQUIRES_2FA (on in production), a platform admin without 2FA is refused every platform
route and impersonation with a 403 that says to enrol, while the enrolment routes stay open."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyotp
import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from common.models import User
from tenants.accounts import two_factor
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent.parent
ENROL_FIRST = {
    "code": "two_factor_required",
    "detail": "Platform administration requires two-factor authentication: enrol at /api/auth/2fa/enrol/ first.",
    "fields": {},
}


@pytest.fixture
def required(settings: Any) -> None:
    settings.PLATFORM_ADMIN_REQUIRES_2FA = True


def _enable_two_factor(user: User) -> None:
    secret = two_factor.two_factor_enrol(user=user).secret
    two_factor.two_factor_confirm(user=user, code=pyotp.TOTP(secret).now(), ip="127.0.0.1")
    cache.clear()
    user.refresh_from_db()


def _impersonate(cast: Cast) -> Any:
    body = {"profile_id": str(cast.member.pk), "reason": "Ticket 4711"}
    return client_for(cast.platform_admin).post(
        f"/api/platform/orgs/{cast.org_a.pk}/impersonate/", body, format="json"
    )


def test_a_platform_admin_without_two_factor_is_told_to_enrol(cast: Cast, required: None) -> None:
    admin = client_for(cast.platform_admin)

    listing = admin.get("/api/platform/orgs/")
    impersonation = _impersonate(cast)

    assert (listing.status_code, listing.json()) == (403, ENROL_FIRST)
    assert (impersonation.status_code, impersonation.json()) == (403, ENROL_FIRST)


def test_enrolment_stays_open_and_two_factor_opens_the_platform_routes(cast: Cast, required: None) -> None:
    enrol = client_for(cast.platform_admin).post("/api/auth/2fa/enrol/")
    assert enrol.status_code == 200
    _enable_two_factor(cast.platform_admin)

    listing = client_for(cast.platform_admin).get("/api/platform/orgs/")
    impersonation = _impersonate(cast)

    assert listing.status_code == 200
    assert impersonation.status_code == 200, impersonation.content


def test_an_impersonation_token_stops_working_when_its_admin_turns_two_factor_off(
    cast: Cast, required: None
) -> None:
    _enable_two_factor(cast.platform_admin)
    access = _impersonate(cast).json()["access"]
    impersonated = APIClient()
    impersonated.credentials(HTTP_AUTHORIZATION=f"Bearer {access}", HTTP_ORG=str(cast.org_a.pk))
    assert impersonated.get("/api/org/").status_code == 200

    User.objects.filter(pk=cast.platform_admin.pk).update(two_factor_enabled_at=None)
    response = impersonated.get("/api/org/")

    assert (response.status_code, response.json()) == (403, ENROL_FIRST)


def test_without_the_setting_platform_admins_need_no_two_factor(cast: Cast, settings: Any) -> None:
    settings.PLATFORM_ADMIN_REQUIRES_2FA = False

    assert client_for(cast.platform_admin).get("/api/platform/orgs/").status_code == 200


def _outside_the_suite() -> dict[str, str]:
    """The environment without the suite's settings variables: the child reads only what it is given."""
    suite = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "PLATFORM_ADMIN_REQUIRES_2FA")
    return {key: value for key, value in os.environ.items() if key not in suite}


def test_production_requires_two_factor_of_platform_admins_and_development_does_not() -> None:
    program = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.PLATFORM_ADMIN_REQUIRES_2FA)"
    )
    production = {
        "DJANGO_SETTINGS_MODULE": "crm.settings.production",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "crm.example.com",
        "DATABASE_URL": "postgresql://keystone@127.0.0.1:1/keystone",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    local = {**production, "DJANGO_SETTINGS_MODULE": "crm.settings.local"}
    answers = []
    for env in (production, local):
        result = subprocess.run(
            [sys.executable, "-c", program], cwd=BASE_DIR, env={**_outside_the_suite(), **env},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        answers.append(json.loads(result.stdout.splitlines()[-1].lower()))

    assert answers == [True, False]
