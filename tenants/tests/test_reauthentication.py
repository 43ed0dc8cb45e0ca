"""Deleting an org and handing over its ownership ask the owner to prove who they are again: the password, or a
current 2FA code. Missing proof is a 400 field error; wrong proof is a 403 that changes nothing."""

from __future__ import annotations

import time

import pyotp
import pytest
from django.core.cache import cache

from common.models import Profile, Role
from tenants.accounts import two_factor
from tenants.models import Org, OrgStatus
from tenants.testing.fixtures import PASSWORD, Cast, client_for

pytestmark = pytest.mark.django_db

DELETE = "/api/org/delete/"
TRANSFER = "/api/org/transfer-ownership/"
MISSING = {
    "code": "required",
    "detail": "Confirm with your current password.",
    "fields": {"password": [{"code": "required", "detail": "Confirm with your current password."}]},
}
WRONG_PASSWORD = {
    "code": "reauthentication_failed",
    "detail": "The password is not correct.",
    "fields": {"password": [{"code": "reauthentication_failed", "detail": "The password is not correct."}]},
}
_CODE_WRONG = "The code is not correct, or it was already used."
WRONG_CODE = {
    "code": "reauthentication_failed",
    "detail": _CODE_WRONG,
    "fields": {"code": [{"code": "reauthentication_failed", "detail": _CODE_WRONG}]},
}


def _current_code(secret: str) -> str:
    if 30 - time.time() % 30 < 3:  # not at the edge of a step, so the code is still current when checked
        time.sleep(3.1)
    return pyotp.TOTP(secret).now()


def _with_two_factor(cast: Cast) -> str:
    user = cast.owner.user
    secret = two_factor.two_factor_enrol(user=user).secret
    two_factor.two_factor_confirm(user=user, code=pyotp.TOTP(secret).now(), ip="127.0.0.1")
    cache.clear()  # neither the confirmation's code nor its count stand in the test's way
    user.refresh_from_db()  # its token version moved on
    return secret


def _unchanged(cast: Cast) -> None:
    assert Org.objects.get(pk=cast.org_a.pk).status == OrgStatus.ACTIVE
    assert Profile.objects.get(pk=cast.owner.pk).role == Role.OWNER
    assert Profile.objects.get(pk=cast.manager.pk).role == Role.MANAGER


@pytest.mark.parametrize(
    ("path", "body"), [(DELETE, {"confirm": "alpha"}), (TRANSFER, {"profile_id": "<manager>"})]
)
def test_without_the_password_deletion_and_transfer_are_a_400(cast: Cast, path: str, body: dict[str, str]) -> None:
    body = {k: str(cast.manager.pk) if v == "<manager>" else v for k, v in body.items()}

    response = client_for(cast.owner).post(path, body, format="json")

    assert (response.status_code, response.json()) == (400, MISSING)
    _unchanged(cast)


@pytest.mark.parametrize(
    ("path", "body"), [(DELETE, {"confirm": "alpha"}), (TRANSFER, {"profile_id": "<manager>"})]
)
def test_a_wrong_password_is_a_403_that_changes_nothing(cast: Cast, path: str, body: dict[str, str]) -> None:
    body = {k: str(cast.manager.pk) if v == "<manager>" else v for k, v in body.items()}

    response = client_for(cast.owner).post(path, {**body, "password": "not-the-password"}, format="json")

    assert (response.status_code, response.json()) == (403, WRONG_PASSWORD)
    _unchanged(cast)


def test_an_owner_with_two_factor_confirms_deletion_with_a_current_code(cast: Cast) -> None:
    secret = _with_two_factor(cast)
    owner = client_for(cast.owner)

    wrong = owner.post(DELETE, {"confirm": "alpha", "code": "000000"}, format="json")
    right = owner.post(DELETE, {"confirm": "alpha", "code": _current_code(secret)}, format="json")

    assert (wrong.status_code, wrong.json()) == (403, WRONG_CODE)
    assert right.status_code == 202, right.content
    assert Org.objects.get(pk=cast.org_a.pk).status == OrgStatus.DELETING


def test_a_used_code_cannot_confirm_a_second_transfer(cast: Cast) -> None:
    secret = _with_two_factor(cast)
    code = _current_code(secret)
    owner = client_for(cast.owner)

    first = owner.post(TRANSFER, {"profile_id": str(cast.manager.pk), "code": code}, format="json")
    Profile.objects.filter(pk=cast.owner.pk).update(role=Role.OWNER)  # an owner again, to try once more
    replay = owner.post(TRANSFER, {"profile_id": str(cast.admin.pk), "code": code}, format="json")

    assert first.status_code == 200, first.content
    assert (replay.status_code, replay.json()) == (403, WRONG_CODE)
    assert Profile.objects.get(pk=cast.admin.pk).role == Role.ADMIN


def test_a_code_from_an_owner_without_two_factor_is_refused(cast: Cast) -> None:
    response = client_for(cast.owner).post(DELETE, {"confirm": "alpha", "code": "123456"}, format="json")

    assert response.status_code == 403
    assert response.json()["fields"] == {
        "code": [
            {
                "code": "reauthentication_failed",
                "detail": "You have no two-factor authentication: confirm with your password.",
            }
        ]
    }
    _unchanged(cast)


def test_reauthentication_attempts_are_throttled_per_email(cast: Cast) -> None:
    owner = client_for(cast.owner)
    for _ in range(two_factor.VERIFY_EMAIL_LIMIT.count):
        owner.post(DELETE, {"confirm": "alpha", "password": "guess"}, format="json")

    locked = owner.post(DELETE, {"confirm": "alpha", "password": PASSWORD}, format="json")

    assert locked.status_code == 429
    _unchanged(cast)
