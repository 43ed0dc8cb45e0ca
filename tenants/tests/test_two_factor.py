"""TOTP two-factor authentication: enrolment, confirmation, the login challenge, recovery codes and throttles."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import uuid
from typing import Any

import pyotp
import pytest
from django.core import signing
from django.core.cache import cache
from django.db import connections
from django.utils import timezone
from rest_framework.exceptions import APIException

from common.models import RecoveryCode, User
from common.throttling import Limit
from tenants.accounts import two_factor
from tenants.models import AuditEvent
from tenants.testing.fixtures import PASSWORD, Cast, client_for

pytestmark = pytest.mark.django_db

STATUS = "/api/auth/2fa/"
ENROL = "/api/auth/2fa/enrol/"
QR = "/api/auth/2fa/qr.png"
CONFIRM = "/api/auth/2fa/confirm/"
DISABLE = "/api/auth/2fa/disable/"
RECOVERY_CODES = "/api/auth/2fa/recovery-codes/"
LOGIN = "/api/auth/login/"
LOGIN_2FA = "/api/auth/login/2fa/"

CODE_INVALID = {"code": "code_invalid", "detail": "The code is not correct, or it was already used."}
CODE_INVALID_FIELD = {**CODE_INVALID, "fields": {"code": [CODE_INVALID]}}
LOGIN_CODE_INVALID = {**CODE_INVALID, "fields": {}}
CHALLENGE_INVALID = {
    "code": "challenge_invalid",
    "detail": "The sign-in challenge is invalid, expired or already used. Sign in again.",
    "fields": {},
}
NOT_ENABLED = {"code": "two_factor_not_enabled", "detail": "Two-factor authentication is not on.", "fields": {}}


@pytest.fixture(autouse=True)
def _away_from_a_step_boundary() -> None:
    """Tests use the codes of neighbouring 30-second steps and count in 300-second throttle windows; start where
    neither ends during the test (300 is a multiple of 30)."""
    if 30 - time.time() % 30 < 4:
        time.sleep(4.1)


def _code(secret: str, step: int = 0) -> str:
    """The code of the current 30-second step, or of the step before (-1) or after (+1)."""
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(int(time.time() // totp.interval) + step)


def _throttled(retry_after: str) -> dict[str, Any]:
    """The 429 body; the wait is only in the Retry-After header."""
    assert int(retry_after) >= 1
    return {"code": "throttled", "detail": "Too many attempts. Try again later.", "fields": {}}


def _wrong(secret: str) -> str:
    """A six-digit code that none of the three accepted steps has."""
    accepted = {_code(secret, step) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)


def _enable(user: User) -> tuple[str, list[str]]:
    """2FA on through the services; the cache is cleared so the confirmation does not count against the test."""
    secret = two_factor.two_factor_enrol(user=user).secret
    codes = two_factor.two_factor_confirm(user=user, code=_code(secret), ip="127.0.0.1").recovery_codes
    cache.clear()
    user.refresh_from_db()
    return secret, codes


def _login(email: str, password: str = PASSWORD) -> Any:
    return client_for(None).post(LOGIN, {"email": email, "password": password}, format="json")


def _challenge(email: str) -> str:
    return _login(email).json()["challenge"]


def _verify(challenge: str, **answer: str) -> Any:
    return client_for(None).post(LOGIN_2FA, {"challenge": challenge, **answer}, format="json")


# --- Enrolment ---------------------------------------------------------------------------------------------------


def test_enrol_returns_secret_uri_and_qr_and_keeps_the_secret_pending(cast: Cast) -> None:
    user = cast.member.user

    response = client_for(user).post(ENROL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"secret", "otpauth_uri", "qr_png_base64"}
    assert body["otpauth_uri"] == pyotp.TOTP(body["secret"]).provisioning_uri(
        name="member@alpha.test", issuer_name="Keystone CRM"
    )
    assert body["otpauth_uri"].startswith("otpauth://totp/Keystone%20CRM:member%40alpha.test?secret=")
    assert base64.b64decode(body["qr_png_base64"]).startswith(b"\x89PNG\r\n\x1a\n")
    user.refresh_from_db()
    assert (user.two_factor_pending_secret, user.two_factor_secret, user.two_factor_enabled_at) == (
        body["secret"],
        "",
        None,
    )
    assert client_for(user).get(STATUS).json() == {
        "enabled": False,
        "enabled_at": None,
        "pending": True,
        "recovery_codes_remaining": 0,
    }


def test_enrolling_again_replaces_the_pending_secret(cast: Cast) -> None:
    client = client_for(cast.member)
    first = client.post(ENROL).json()["secret"]

    second = client.post(ENROL).json()["secret"]

    assert first != second
    response = client.post(CONFIRM, {"code": _code(first)}, format="json")
    assert (response.status_code, response.json()) == (400, CODE_INVALID_FIELD)
    assert client.post(CONFIRM, {"code": _code(second)}, format="json").status_code == 200


def test_enrol_when_two_factor_is_on_is_409_and_changes_nothing(cast: Cast) -> None:
    user = cast.member.user
    secret, _ = _enable(user)

    response = client_for(user).post(ENROL)

    assert response.status_code == 409
    assert response.json() == {
        "code": "two_factor_already_enabled",
        "detail": "Two-factor authentication is already on. Turn it off first to enrol a new device.",
        "fields": {},
    }
    user.refresh_from_db()
    assert (user.two_factor_secret, user.two_factor_pending_secret) == (secret, "")


def test_qr_png_serves_the_pending_secret_as_an_image(cast: Cast) -> None:
    client = client_for(cast.member)
    client.post(ENROL)

    response = client.get(QR, HTTP_ACCEPT="image/png")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "no-store"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_qr_png_without_an_enrolment_is_a_json_404_even_for_an_image_client(cast: Cast) -> None:
    response = client_for(cast.member).get(QR, HTTP_ACCEPT="image/png")

    assert response.status_code == 404
    assert response.json() == {
        "code": "two_factor_not_pending",
        "detail": "There is no two-factor enrolment waiting for confirmation. Start one first.",
        "fields": {},
    }


def test_enrolment_routes_need_a_signed_in_user() -> None:
    responses = [client_for(None).post(ENROL), client_for(None).get(QR), client_for(None).get(STATUS)]

    assert [r.status_code for r in responses] == [401, 401, 401]
    assert responses[0].json() == {
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
        "fields": {},
    }


# --- Confirmation ------------------------------------------------------------------------------------------------


def test_confirm_turns_two_factor_on_with_ten_hashed_codes_and_revokes_earlier_tokens(cast: Cast) -> None:
    user = cast.member.user
    old_client = client_for(cast.member)
    secret = old_client.post(ENROL).json()["secret"]

    response = old_client.post(CONFIRM, {"code": _code(secret)}, format="json")

    assert response.status_code == 200
    body = response.json()
    codes = body["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    assert all(len(code) == 14 and code.count("-") == 2 for code in codes)
    user.refresh_from_db()
    assert (user.two_factor_secret, user.two_factor_pending_secret) == (secret, "")
    assert user.has_two_factor and user.token_version == 1
    stored = set(RecoveryCode.objects.filter(user=user, used_at__isnull=True).values_list("code_hash", flat=True))
    assert stored == {hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in codes}
    assert old_client.get("/api/auth/me/").status_code == 401
    fresh = client_for(None)
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {body['tokens']['access']}")
    assert fresh.get("/api/auth/me/").json()["user"]["has_two_factor"] is True
    assert list(
        AuditEvent.objects.filter(actor_user_id=user.pk).values_list("org_id", "action", "target_id", "ip")
    ) == [(cast.org_a.pk, "two_factor_enabled", str(user.pk), "127.0.0.1")]


def test_confirm_with_a_wrong_code_is_400_and_leaves_two_factor_off(cast: Cast) -> None:
    user = cast.member.user
    client = client_for(user)
    secret = client.post(ENROL).json()["secret"]
    wrong = _wrong(secret)

    responses = [client.post(CONFIRM, {"code": code}, format="json") for code in (wrong, "12345", "abcdef")]

    assert [(r.status_code, r.json()) for r in responses] == [(400, CODE_INVALID_FIELD)] * 3
    user.refresh_from_db()
    assert (user.has_two_factor, user.two_factor_secret, user.two_factor_pending_secret) == (False, "", secret)
    assert user.token_version == 0
    assert not RecoveryCode.objects.filter(user=user).exists()


def test_confirm_without_an_enrolment_is_409(cast: Cast) -> None:
    response = client_for(cast.member).post(CONFIRM, {"code": "123456"}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "code": "two_factor_not_pending",
        "detail": "There is no two-factor enrolment waiting for confirmation. Start one first.",
        "fields": {},
    }


def test_confirm_without_a_code_is_a_field_error(cast: Cast) -> None:
    response = client_for(cast.member).post(CONFIRM, {}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "required",
        "detail": "This field is required.",
        "fields": {"code": [{"code": "required", "detail": "This field is required."}]},
    }


# --- Login -------------------------------------------------------------------------------------------------------


def test_login_without_two_factor_still_gives_tokens_at_once(cast: Cast) -> None:
    response = _login("manager@alpha.test")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"user", "memberships", "tokens"}
    assert body["user"]["has_two_factor"] is False


def test_login_with_two_factor_gives_a_challenge_and_no_tokens(cast: Cast) -> None:
    _enable(cast.member.user)

    response = _login("member@alpha.test")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"two_factor_required", "challenge", "challenge_expires_in"}
    assert (body["two_factor_required"], body["challenge_expires_in"]) == (True, 300)


def test_wrong_password_of_a_two_factor_user_is_still_invalid_credentials(cast: Cast) -> None:
    _enable(cast.member.user)

    response = _login("member@alpha.test", "not-the-password")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_enrol_confirm_login_and_answer_the_challenge_end_to_end(cast: Cast) -> None:
    client = client_for(cast.member)
    secret = client.post(ENROL).json()["secret"]
    assert client.post(CONFIRM, {"code": _code(secret)}, format="json").status_code == 200
    challenge = _challenge("member@alpha.test")

    response = _verify(challenge, code=_code(secret, +1))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"user", "memberships", "tokens"}
    assert body["user"]["email"] == "member@alpha.test"
    assert [(m["org"]["slug"], m["role"]) for m in body["memberships"]] == [("alpha", "member")]
    signed_in = client_for(None)
    signed_in.credentials(HTTP_AUTHORIZATION=f"Bearer {body['tokens']['access']}", HTTP_ORG="alpha")
    assert signed_in.get("/api/org/").status_code == 200


def test_a_used_challenge_cannot_be_replayed(cast: Cast) -> None:
    secret, _ = _enable(cast.member.user)
    challenge = _challenge("member@alpha.test")
    assert _verify(challenge, code=_code(secret)).status_code == 200

    replayed = _verify(challenge, code=_code(secret, +1))

    assert (replayed.status_code, replayed.json()) == (401, CHALLENGE_INVALID)


def test_a_code_is_accepted_once_even_with_a_new_challenge(cast: Cast) -> None:
    secret, _ = _enable(cast.member.user)
    code = _code(secret)
    assert _verify(_challenge("member@alpha.test"), code=code).status_code == 200

    again = _verify(_challenge("member@alpha.test"), code=code)

    assert (again.status_code, again.json()) == (401, LOGIN_CODE_INVALID)


def test_a_wrong_code_is_401_and_the_challenge_may_be_retried(cast: Cast) -> None:
    secret, _ = _enable(cast.member.user)
    challenge = _challenge("member@alpha.test")
    wrong = _wrong(secret)

    responses = [_verify(challenge, code=wrong), _verify(challenge, code=_code(secret, -2))]

    assert [(r.status_code, r.json()) for r in responses] == [(401, LOGIN_CODE_INVALID)] * 2
    assert _verify(challenge, code=_code(secret)).status_code == 200


def test_forged_expired_and_foreign_challenges_are_refused(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    secret, _ = _enable(cast.member.user)
    user = cast.member.user
    good = _challenge("member@alpha.test")
    other_salt = signing.dumps({"uid": str(user.pk), "ver": user.token_version, "jti": "x"}, salt="elsewhere")
    monkeypatch.setattr(
        signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(time.time()) - 301)
    )
    expired = two_factor.login_challenge_issue(user=user).token
    monkeypatch.undo()

    responses = [
        _verify(good[:-2] + ("AA" if not good.endswith("AA") else "BB"), code=_code(secret)),
        _verify(other_salt, code=_code(secret)),
        _verify(expired, code=_code(secret)),
        _verify("not-a-challenge", code=_code(secret)),
    ]

    assert [(r.status_code, r.json()) for r in responses] == [(401, CHALLENGE_INVALID)] * 4


def test_a_password_change_voids_open_challenges(cast: Cast) -> None:
    secret, _ = _enable(cast.member.user)
    challenge = _challenge("member@alpha.test")
    User.objects.filter(pk=cast.member.user.pk).update(token_version=99)

    response = _verify(challenge, code=_code(secret))

    assert (response.status_code, response.json()) == (401, CHALLENGE_INVALID)


def test_challenge_of_a_user_who_turned_two_factor_off_is_refused(cast: Cast) -> None:
    secret, _ = _enable(cast.member.user)
    challenge = _challenge("member@alpha.test")
    two_factor.two_factor_disable(user=cast.member.user, code=_code(secret, -1), ip="127.0.0.1")

    response = _verify(challenge, code=_code(secret))

    assert (response.status_code, response.json()) == (401, CHALLENGE_INVALID)


def test_the_challenge_needs_exactly_one_of_code_and_recovery_code(cast: Cast) -> None:
    secret, codes = _enable(cast.member.user)
    challenge = _challenge("member@alpha.test")
    expected = {
        "code": "required",
        "detail": "Send either a code or a recovery code.",
        "fields": {"code": [{"code": "required", "detail": "Send either a code or a recovery code."}]},
    }

    neither = _verify(challenge)
    both = _verify(challenge, code=_code(secret), recovery_code=codes[0])

    assert [(r.status_code, r.json()) for r in (neither, both)] == [(400, expected)] * 2
    assert RecoveryCode.objects.filter(user=cast.member.user, used_at__isnull=True).count() == 10


def test_a_recovery_code_signs_in_once_then_is_refused(cast: Cast) -> None:
    user = cast.member.user
    _, codes = _enable(user)

    first = _verify(_challenge("member@alpha.test"), recovery_code=codes[3].upper())
    second = _verify(_challenge("member@alpha.test"), recovery_code=codes[3])

    assert first.status_code == 200
    assert set(first.json()["tokens"]) == {"access", "refresh"}
    assert (second.status_code, second.json()) == (401, LOGIN_CODE_INVALID)
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=False).count() == 1
    assert client_for(user).get(STATUS).json()["recovery_codes_remaining"] == 9


def test_a_recovery_code_of_another_user_is_refused(cast: Cast) -> None:
    _enable(cast.member.user)
    _, other_codes = _enable(cast.viewer.user)

    response = _verify(_challenge("member@alpha.test"), recovery_code=other_codes[0])

    assert (response.status_code, response.json()) == (401, LOGIN_CODE_INVALID)
    assert not RecoveryCode.objects.filter(used_at__isnull=False).exists()


# --- Disabling and recovery codes --------------------------------------------------------------------------------


def test_disable_needs_a_right_code(cast: Cast) -> None:
    user = cast.member.user
    secret, _ = _enable(user)
    client = client_for(user)
    wrong = _wrong(secret)

    responses = [client.post(DISABLE, {"code": code}, format="json") for code in (wrong, "not-a-recovery-code")]

    assert [(r.status_code, r.json()) for r in responses] == [(400, CODE_INVALID_FIELD)] * 2
    user.refresh_from_db()
    assert user.has_two_factor and user.two_factor_secret == secret
    assert RecoveryCode.objects.filter(user=user).count() == 10


def test_disable_with_a_code_turns_two_factor_off_and_deletes_recovery_codes(cast: Cast) -> None:
    user = cast.member.user
    secret, _ = _enable(user)

    response = client_for(user).post(DISABLE, {"code": _code(secret)}, format="json")

    assert (response.status_code, response.json()) == (200, {"orgs_requiring_two_factor": []})
    user.refresh_from_db()
    assert (user.has_two_factor, user.two_factor_secret, user.two_factor_pending_secret) == (False, "", "")
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert set(_login("member@alpha.test").json()) == {"user", "memberships", "tokens"}
    assert AuditEvent.objects.filter(actor_user_id=user.pk, action="two_factor_disabled").count() == 1


def test_disable_with_a_recovery_code(cast: Cast) -> None:
    user = cast.member.user
    _, codes = _enable(user)

    response = client_for(user).post(DISABLE, {"code": codes[0]}, format="json")

    assert response.status_code == 200
    user.refresh_from_db()
    assert not user.has_two_factor


def test_disable_when_two_factor_is_off_is_409(cast: Cast) -> None:
    response = client_for(cast.member).post(DISABLE, {"code": "123456"}, format="json")

    assert (response.status_code, response.json()) == (409, NOT_ENABLED)


def test_disable_where_an_org_requires_two_factor_names_it_and_the_org_then_refuses(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    user = cast.member.user
    secret, _ = _enable(user)
    cast.org_a.requires_two_factor = True
    cast.org_a.save(update_fields=["requires_two_factor"])
    client = client_for(cast.member)
    assert client.get("/api/org/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):  # the membership cache forgets the user on commit
        response = client.post(DISABLE, {"code": _code(secret)}, format="json")

    assert (response.status_code, response.json()) == (200, {"orgs_requiring_two_factor": ["alpha"]})
    blocked = client.get("/api/org/")
    assert blocked.status_code == 403
    assert blocked.json() == {
        "code": "two_factor_required",
        "detail": "This organisation requires two-factor authentication. Enrol first.",
        "fields": {},
    }
    assert client.post(ENROL).status_code == 200


def test_regenerating_recovery_codes_kills_the_old_ones(cast: Cast) -> None:
    user = cast.member.user
    secret, old_codes = _enable(user)

    response = client_for(user).post(RECOVERY_CODES, {"code": _code(secret)}, format="json")

    assert response.status_code == 200
    new_codes = response.json()["recovery_codes"]
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    refused = _verify(_challenge("member@alpha.test"), recovery_code=old_codes[0])
    assert (refused.status_code, refused.json()) == (401, LOGIN_CODE_INVALID)
    assert _verify(_challenge("member@alpha.test"), recovery_code=new_codes[0]).status_code == 200


def test_regenerating_recovery_codes_needs_a_right_code_and_two_factor_on(cast: Cast) -> None:
    off = client_for(cast.viewer).post(RECOVERY_CODES, {"code": "123456"}, format="json")
    user = cast.member.user
    _enable(user)
    before = set(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))

    wrong = client_for(user).post(RECOVERY_CODES, {"code": "zzzz-zzzz-zzzz"}, format="json")

    assert (off.status_code, off.json()) == (409, NOT_ENABLED)
    assert (wrong.status_code, wrong.json()) == (400, CODE_INVALID_FIELD)
    assert set(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True)) == before


# --- The org requirement -----------------------------------------------------------------------------------------


def test_two_factor_blocks_only_when_the_org_requires_it_and_the_user_has_none(cast: Cast) -> None:
    user, org = cast.member.user, cast.org_a

    assert two_factor.two_factor_blocks(user, org) is False
    org.requires_two_factor = True
    assert two_factor.two_factor_blocks(user, org) is True
    user.two_factor_enabled_at = timezone.now()
    assert two_factor.two_factor_blocks(user, org) is False


def test_a_member_blocked_by_the_org_can_still_enrol_and_then_gets_in(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    cast.org_a.requires_two_factor = True
    cast.org_a.save(update_fields=["requires_two_factor"])
    client = client_for(cast.member)
    assert client.get("/api/org/").json()["code"] == "two_factor_required"

    secret = client.post(ENROL).json()["secret"]
    with django_capture_on_commit_callbacks(execute=True):  # the membership cache forgets the user on commit
        tokens = client.post(CONFIRM, {"code": _code(secret)}, format="json").json()["tokens"]

    signed_in = client_for(None)
    signed_in.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}", HTTP_ORG="alpha")
    assert signed_in.get("/api/org/").status_code == 200


# --- Throttles ---------------------------------------------------------------------------------------------------


def test_after_five_attempts_per_email_even_the_right_code_gets_429(cast: Cast) -> None:
    viewer_secret, _ = _enable(cast.viewer.user)
    secret, _ = _enable(cast.member.user)
    challenge = _challenge("member@alpha.test")
    wrong = _wrong(secret)

    statuses = [_verify(challenge, code=wrong).status_code for _ in range(5)]
    locked = _verify(challenge, code=_code(secret))

    assert statuses == [401] * 5
    assert (locked.status_code, locked.json()) == (429, _throttled(locked["Retry-After"]))
    assert 1 <= int(locked["Retry-After"]) <= 301
    # Another account from the same address is not locked by this one's failures.
    assert _verify(_challenge("viewer@alpha.test"), code=_code(viewer_secret)).status_code == 200


def test_the_per_ip_limit_holds_across_accounts(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(two_factor, "VERIFY_IP_LIMIT", Limit("two_factor_verify_ip", 3, 300))
    secrets = {name: _enable(getattr(cast, name).user)[0] for name in ("member", "viewer")}
    member_challenge = _challenge("member@alpha.test")

    statuses = [_verify(member_challenge, code=_wrong(secrets["member"])).status_code for _ in range(3)]
    locked = _verify(_challenge("viewer@alpha.test"), code=_code(secrets["viewer"]))

    assert statuses == [401, 401, 401]
    assert (locked.status_code, locked.json()) == (429, _throttled(locked["Retry-After"]))


def test_signed_in_code_checks_share_the_per_email_limit(cast: Cast) -> None:
    user = cast.member.user
    secret, _ = _enable(user)
    client = client_for(user)

    statuses = [client.post(DISABLE, {"code": "zzzz-zzzz-zzzz"}, format="json").status_code for _ in range(5)]
    locked = client.post(DISABLE, {"code": _code(secret)}, format="json")

    assert statuses == [400] * 5
    assert (locked.status_code, locked.json()) == (429, _throttled(locked["Retry-After"]))
    user.refresh_from_db()
    assert user.has_two_factor


def _in_own_connection(work: Any) -> Any:
    """Run `work` on a thread of its own, so it uses (and commits on) a database connection of its own."""
    result: list[Any] = []

    def run() -> None:
        try:
            result.append(work())
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return result[0] if result else None


def test_the_per_email_limit_holds_under_concurrent_guesses() -> None:
    """Twenty concurrent guesses on one account: exactly five are checked, fifteen are refused unchecked."""
    email = f"racer-{uuid.uuid4().hex[:8]}@concurrency.test"
    secret = pyotp.random_base32()
    wrong = _wrong(secret)

    def make_user() -> User:
        return User.objects.create_user(
            email=email, password=PASSWORD, two_factor_secret=secret, two_factor_enabled_at=timezone.now()
        )

    user = _in_own_connection(make_user)  # committed: the other threads' connections must see it
    try:
        challenge = two_factor.login_challenge_issue(user=user).token
        start = threading.Barrier(20)
        outcomes: list[str] = []
        lock = threading.Lock()

        def guess() -> None:
            start.wait()
            try:
                two_factor.login_challenge_verify(challenge=challenge, code=wrong, ip="10.0.0.7")
                outcome = "accepted"
            except APIException as error:
                outcome = getattr(error, "code", None) or type(error).__name__.lower()
            finally:
                connections.close_all()
            with lock:
                outcomes.append(outcome)

        threads = [threading.Thread(target=guess) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        def right_code_after() -> str:
            try:
                two_factor.login_challenge_verify(challenge=challenge, code=_code(secret), ip="10.0.0.8")
            except APIException as error:
                return f"{error.status_code} {error.default_code}"
            return "accepted"

        assert sorted(outcomes) == ["code_invalid"] * 5 + ["throttled"] * 15
        # Its own connection: the user row it locks must be free again for the clean-up below.
        assert _in_own_connection(right_code_after) == "429 throttled"
    finally:
        _in_own_connection(lambda: User.objects.filter(email=email).delete())
