"""Email verification and password reset: emailed single-use links, their expiry, throttles and effects."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.test import APIClient

import tenants.pipeline.tasks
from common.models import User
from common.throttling import enforce
from tenants.accounts.email_links import RESET_EMAIL_LIMIT, unverified_email_blocks
from tenants.mail import send_templated_email
from tenants.models import AccountToken, AccountTokenPurpose
from tenants.testing.fixtures import PASSWORD, Cast, client_for

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/refresh/"
ME = "/api/auth/me/"
VERIFY = "/api/auth/email/verify/"
RESEND = "/api/auth/email/verify/resend/"
RESET = "/api/auth/password/reset/"
RESET_CONFIRM = "/api/auth/password/reset/confirm/"

NEW_PASSWORD = "Brand-New-Passphrase-77"
RESET_BODY = {"detail": "If an account with this email exists, we sent it a link to reset the password."}
TOKEN_INVALID = {"code": "token_invalid", "detail": "This link is not valid.", "fields": {}}
TOKEN_USED = {
    "code": "token_used",
    "detail": "This link was already used, or a newer one was sent. Ask for a new one.",
    "fields": {},
}
TOKEN_EXPIRED = {"code": "token_expired", "detail": "This link has expired. Ask for a new one.", "fields": {}}


@pytest.fixture
def sending(
    run_tasks_inline: None, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> Callable[[], AbstractContextManager[Any]]:
    """`with sending(): ...` commits and runs the email tasks queued inside it, in this process.

    Only email tasks: sign-up also queues a schema-pool top-up, which is not what these tests are about.
    """
    inline = tenants.pipeline.tasks.dispatch

    def mail_only(task: Any, *args: Any) -> None:
        if task is send_templated_email:
            inline(task, *args)

    monkeypatch.setattr(tenants.pipeline.tasks, "dispatch", mail_only)
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_in(message: Any, page: str) -> str:
    """The token of the `{PUBLIC_BASE_URL}/<page>?token=` link, in the plain text and the HTML part."""
    pattern = re.escape(f"{settings.PUBLIC_BASE_URL}/{page}?token=") + r"([A-Za-z0-9_\-]+)"
    match = re.search(pattern, message.body)
    assert match, message.body
    assert f"{settings.PUBLIC_BASE_URL}/{page}?token={match.group(1)}" in message.alternatives[0][0]
    return match.group(1)


def _register(email: str = "dana@delta.test") -> Any:
    body = {"email": email, "password": "Sturdy-Passphrase-42", "name": "Dana", "org_name": "Delta Homes"}
    return client_for(None).post(REGISTER, body, format="json")


def _verify(token: str) -> Any:
    return client_for(None).post(VERIFY, {"token": token}, format="json")


def _issue_verify_token(cast: Cast, sending: Callable[[], Any], user: User | None = None) -> str:
    user = user or cast.member.user
    with sending():
        response = client_for(user).post(RESEND)
    assert response.status_code == 202, response.json()
    return _token_in(mail.outbox[-1], "verify-email")


def _request_reset(email: str, client: Any = None) -> Any:
    return (client or client_for(None)).post(RESET, {"email": email}, format="json")


def _confirm(token: str, password: str = NEW_PASSWORD) -> Any:
    return client_for(None).post(RESET_CONFIRM, {"token": token, "new_password": password}, format="json")


def _issue_reset_token(sending: Callable[[], Any], email: str = "member@alpha.test") -> str:
    with sending():
        response = _request_reset(email)
    assert response.status_code == 202, response.json()
    return _token_in(mail.outbox[-1], "reset-password")


def _assert_throttled(response: Any, window_seconds: int) -> None:
    """429, the whole throttle envelope, and a Retry-After within the limit's window."""
    assert response.status_code == 429
    assert response.json() == {"code": "throttled", "detail": "Too many attempts. Try again later.", "fields": {}}
    assert 1 <= int(response["Retry-After"]) <= window_seconds + 1


def _user(email: str) -> User:
    return User.objects.get(email=email)


# --- Verification on sign-up ----------------------------------------------------------------------------------


def test_sign_up_sends_a_verification_email_with_a_48_hour_single_use_link(cast: Cast, sending: Any) -> None:
    with sending():
        response = _register()

    assert response.status_code == 201, response.json()
    assert response.json()["user"]["email_verified"] is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dana@delta.test"]
    assert message.subject == "Verify your email address for Keystone CRM"
    assert message.alternatives[0][1] == "text/html"
    token = _token_in(message, "verify-email")
    stored = AccountToken.objects.get(user__email="dana@delta.test")
    assert stored.purpose == AccountTokenPurpose.VERIFY_EMAIL
    assert stored.token_hash == _hash(token)  # the raw token is never stored
    assert stored.expires_at - stored.created_at == timedelta(hours=48)
    assert stored.used_at is None


def test_a_failed_sign_up_sends_no_email(cast: Cast, sending: Any) -> None:
    with sending():
        response = _register(email="OWNER@alpha.test")

    assert response.status_code == 400
    assert mail.outbox == []
    assert not AccountToken.objects.exists()


def test_the_link_verifies_the_email_and_me_shows_it(cast: Cast, sending: Any) -> None:
    with sending():
        _register()
    token = _token_in(mail.outbox[0], "verify-email")

    response = _verify(token)

    assert response.status_code == 200
    assert response.json() == {"email": "dana@delta.test", "email_verified": True}
    user = _user("dana@delta.test")
    assert user.email_verified_at is not None
    assert AccountToken.objects.get(user=user).used_at is not None
    me = client_for(user).get(ME)
    assert me.json()["user"]["email_verified"] is True


def test_me_shows_an_unverified_email_as_not_verified(cast: Cast) -> None:
    response = client_for(cast.member.user).get(ME)

    assert response.status_code == 200
    assert response.json()["user"]["email_verified"] is False


def test_the_link_works_signed_out_and_with_a_stale_bearer_token(cast: Cast, sending: Any) -> None:
    token = _issue_verify_token(cast, sending)
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")

    response = client.post(VERIFY, {"token": token}, format="json")

    assert response.status_code == 200
    assert _user("member@alpha.test").email_verified


def test_a_used_link_is_410_token_used(cast: Cast, sending: Any) -> None:
    token = _issue_verify_token(cast, sending)
    assert _verify(token).status_code == 200
    verified_at = _user("member@alpha.test").email_verified_at

    response = _verify(token)

    assert response.status_code == 410
    assert response.json() == TOKEN_USED
    assert _user("member@alpha.test").email_verified_at == verified_at


def test_an_expired_link_is_410_token_expired_and_verifies_nothing(cast: Cast, sending: Any) -> None:
    token = _issue_verify_token(cast, sending)
    AccountToken.objects.filter(token_hash=_hash(token)).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = _verify(token)

    assert response.status_code == 410
    assert response.json() == TOKEN_EXPIRED
    assert _user("member@alpha.test").email_verified_at is None
    assert AccountToken.objects.get(token_hash=_hash(token)).used_at is None


def test_a_link_is_still_good_just_before_48_hours(cast: Cast, sending: Any) -> None:
    token = _issue_verify_token(cast, sending)
    AccountToken.objects.filter(token_hash=_hash(token)).update(expires_at=timezone.now() + timedelta(seconds=30))

    assert _verify(token).status_code == 200


@pytest.mark.parametrize("token", ["no-such-token", "x" * 200])
def test_an_unknown_token_is_400_token_invalid(cast: Cast, token: str) -> None:
    response = _verify(token)

    assert response.status_code == 400
    assert response.json() == TOKEN_INVALID
    assert not User.objects.filter(email_verified_at__isnull=False).exists()


def test_a_missing_token_is_a_required_field_error(cast: Cast) -> None:
    response = client_for(None).post(VERIFY, {}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "required",
        "detail": "This field is required.",
        "fields": {"token": [{"code": "required", "detail": "This field is required."}]},
    }


def test_a_password_reset_token_does_not_verify_an_email(cast: Cast, sending: Any) -> None:
    reset_token = _issue_reset_token(sending)

    response = _verify(reset_token)

    assert response.status_code == 400
    assert response.json() == TOKEN_INVALID
    assert _user("member@alpha.test").email_verified_at is None
    assert AccountToken.objects.get(token_hash=_hash(reset_token)).used_at is None


def test_a_deactivated_users_link_is_token_invalid(cast: Cast, sending: Any) -> None:
    token = _issue_verify_token(cast, sending)
    User.objects.filter(email="member@alpha.test").update(is_active=False)

    response = _verify(token)

    assert response.status_code == 400
    assert response.json() == TOKEN_INVALID
    assert _user("member@alpha.test").email_verified_at is None


# --- Resend -----------------------------------------------------------------------------------------------------


def test_resend_sends_a_new_link_and_the_earlier_one_stops_working(cast: Cast, sending: Any) -> None:
    first = _issue_verify_token(cast, sending)
    with sending():
        response = client_for(cast.member.user).post(RESEND)
    second = _token_in(mail.outbox[-1], "verify-email")

    assert response.status_code == 202
    assert response.json() == {"detail": "We sent a new verification link to member@alpha.test."}
    assert [m.to for m in mail.outbox] == [["member@alpha.test"], ["member@alpha.test"]]
    assert first != second
    assert _verify(first).json() == TOKEN_USED
    assert _user("member@alpha.test").email_verified_at is None
    assert _verify(second).status_code == 200
    assert _user("member@alpha.test").email_verified_at is not None


def test_resend_needs_a_signed_in_user(cast: Cast, sending: Any) -> None:
    with sending():
        response = client_for(None).post(RESEND)

    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
        "fields": {},
    }
    assert mail.outbox == []
    assert not AccountToken.objects.exists()


def test_resend_for_a_verified_email_is_409_and_sends_nothing(cast: Cast, sending: Any) -> None:
    User.objects.filter(email="member@alpha.test").update(email_verified_at=timezone.now())

    with sending():
        response = client_for(cast.member.user).post(RESEND)

    assert response.status_code == 409
    assert response.json() == {
        "code": "email_already_verified",
        "detail": "Your email address is already verified.",
        "fields": {},
    }
    assert mail.outbox == []
    assert not AccountToken.objects.exists()


def test_resend_is_limited_to_5_an_hour_per_user_and_then_refused_with_retry_after(
    cast: Cast, sending: Any
) -> None:
    client = client_for(cast.member.user)
    with sending():
        answers = [client.post(RESEND).status_code for _ in range(5)]
        locked = client.post(RESEND)

    assert answers == [202] * 5
    _assert_throttled(locked, 3600)
    assert len(mail.outbox) == 5
    assert AccountToken.objects.filter(user=cast.member.user).count() == 5
    # Another user is not affected by this user's limit.
    assert client_for(cast.viewer.user).post(RESEND).status_code == 202


def test_a_member_blocked_after_the_grace_period_is_let_in_on_the_next_request_after_verifying(
    cast: Cast, sending: Any, settings: Any
) -> None:
    settings.UNVERIFIED_EMAIL_GRACE_DAYS = 7
    User.objects.filter(pk=cast.member.user_id).update(date_joined=timezone.now() - timedelta(days=8))
    token = _issue_verify_token(cast, sending)
    client = client_for(cast.member)

    blocked = client.get("/api/org/")
    with sending():  # the membership cache is invalidated when the verification commits
        assert _verify(token).status_code == 200
    allowed = client.get("/api/org/")

    assert blocked.status_code == 403
    assert blocked.json() == {
        "code": "email_unverified",
        "detail": "Verify your email address to keep using this organisation.",
        "fields": {},
    }
    assert allowed.status_code == 200


# --- The grace period -------------------------------------------------------------------------------------------


def _joined(days_ago: float, *, verified: bool = False) -> User:
    now = timezone.now()
    return User(
        email="x@example.test",
        date_joined=now - timedelta(days=days_ago),
        email_verified_at=now if verified else None,
    )


def test_an_unverified_user_is_not_blocked_within_7_days_of_sign_up(settings: Any) -> None:
    settings.UNVERIFIED_EMAIL_GRACE_DAYS = 7

    assert unverified_email_blocks(_joined(0)) is False
    assert unverified_email_blocks(_joined(6.99)) is False


def test_an_unverified_user_is_blocked_after_the_grace_period(settings: Any) -> None:
    settings.UNVERIFIED_EMAIL_GRACE_DAYS = 7

    assert unverified_email_blocks(_joined(7.01)) is True
    assert unverified_email_blocks(_joined(400)) is True


def test_a_verified_user_is_never_blocked(settings: Any) -> None:
    settings.UNVERIFIED_EMAIL_GRACE_DAYS = 7

    assert unverified_email_blocks(_joined(400, verified=True)) is False


def test_a_grace_of_0_days_never_blocks(settings: Any) -> None:
    settings.UNVERIFIED_EMAIL_GRACE_DAYS = 0

    assert unverified_email_blocks(_joined(400)) is False


def test_the_grace_period_follows_the_setting(settings: Any) -> None:
    settings.UNVERIFIED_EMAIL_GRACE_DAYS = 1

    assert unverified_email_blocks(_joined(0.9)) is False
    assert unverified_email_blocks(_joined(1.1)) is True


def test_the_grace_period_defaults_to_7_days_without_the_setting(settings: Any) -> None:
    del settings.UNVERIFIED_EMAIL_GRACE_DAYS

    assert unverified_email_blocks(_joined(6.9)) is False
    assert unverified_email_blocks(_joined(7.1)) is True


# --- Password reset: asking for a link ------------------------------------------------------------------------


def test_reset_for_a_known_email_sends_a_1_hour_link(cast: Cast, sending: Any) -> None:
    with sending():
        response = _request_reset("member@alpha.test")

    assert response.status_code == 202
    assert response.json() == RESET_BODY
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["member@alpha.test"]
    assert message.subject == "Reset your Keystone CRM password"
    assert message.alternatives[0][1] == "text/html"
    token = _token_in(message, "reset-password")
    stored = AccountToken.objects.get(user=cast.member.user)
    assert stored.purpose == AccountTokenPurpose.PASSWORD_RESET
    assert stored.token_hash == _hash(token)
    assert stored.expires_at - stored.created_at == timedelta(hours=1)


def test_reset_matches_the_email_in_any_case_and_writes_to_the_stored_address(cast: Cast, sending: Any) -> None:
    with sending():
        response = _request_reset("  Member@ALPHA.test ")

    assert response.status_code == 202
    assert [m.to for m in mail.outbox] == [["member@alpha.test"]]


def test_reset_for_an_unknown_email_answers_the_same_and_sends_nothing(cast: Cast, sending: Any) -> None:
    with sending():
        response = _request_reset("nobody@alpha.test")

    assert response.status_code == 202
    assert response.json() == RESET_BODY
    assert mail.outbox == []
    assert not AccountToken.objects.exists()


def test_reset_for_an_inactive_user_answers_the_same_and_sends_nothing(cast: Cast, sending: Any) -> None:
    User.objects.filter(email="member@alpha.test").update(is_active=False)

    with sending():
        response = _request_reset("member@alpha.test")

    assert response.status_code == 202
    assert response.json() == RESET_BODY
    assert mail.outbox == []
    assert not AccountToken.objects.exists()


def test_reset_with_a_malformed_email_is_a_field_error(cast: Cast) -> None:
    response = _request_reset("not-an-email")

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "Enter a valid email address.",
        "fields": {"email": [{"code": "invalid", "detail": "Enter a valid email address."}]},
    }


# --- Password reset: using the link ---------------------------------------------------------------------------


def test_confirm_sets_the_password_verifies_the_email_and_signs_out_everywhere(cast: Cast, sending: Any) -> None:
    old_tokens = client_for(None).post(LOGIN, {"email": "member@alpha.test", "password": PASSWORD}, format="json")
    old_refresh = old_tokens.json()["tokens"]["refresh"]
    old_access_client = client_for(cast.member.user)
    version_before = cast.member.user.token_version
    token = _issue_reset_token(sending)

    response = _confirm(token)

    assert response.status_code == 204
    assert response.content == b""
    user = _user("member@alpha.test")
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password(PASSWORD)
    assert user.token_version == version_before + 1
    assert user.email_verified_at is not None
    assert AccountToken.objects.get(token_hash=_hash(token)).used_at is not None
    assert client_for(None).post(REFRESH, {"refresh": old_refresh}, format="json").status_code == 401
    assert old_access_client.get(ME).status_code == 401
    login = client_for(None).post(LOGIN, {"email": "member@alpha.test", "password": NEW_PASSWORD}, format="json")
    assert login.status_code == 200


def test_confirm_keeps_an_earlier_verification_time(cast: Cast, sending: Any) -> None:
    verified_at = timezone.now() - timedelta(days=30)
    User.objects.filter(email="member@alpha.test").update(email_verified_at=verified_at)
    token = _issue_reset_token(sending)

    assert _confirm(token).status_code == 204
    assert _user("member@alpha.test").email_verified_at == verified_at


def test_a_used_reset_link_is_410_token_used(cast: Cast, sending: Any) -> None:
    token = _issue_reset_token(sending)
    assert _confirm(token).status_code == 204

    response = _confirm(token, "Yet-Another-Passphrase-88")

    assert response.status_code == 410
    assert response.json() == TOKEN_USED
    assert _user("member@alpha.test").check_password(NEW_PASSWORD)


def test_a_successful_reset_kills_the_users_other_reset_links(cast: Cast, sending: Any) -> None:
    first = _issue_reset_token(sending)
    second = _issue_reset_token(sending)
    other_user = _issue_reset_token(sending, "viewer@alpha.test")

    assert _confirm(second).status_code == 204
    response = _confirm(first, "Yet-Another-Passphrase-88")

    assert response.status_code == 410
    assert response.json() == TOKEN_USED
    assert _user("member@alpha.test").check_password(NEW_PASSWORD)
    assert AccountToken.objects.get(token_hash=_hash(other_user)).used_at is None


def test_an_earlier_reset_link_still_works_while_no_reset_succeeded(cast: Cast, sending: Any) -> None:
    first = _issue_reset_token(sending)
    _issue_reset_token(sending)

    assert _confirm(first).status_code == 204


def test_an_expired_reset_link_is_410_token_expired_and_changes_nothing(cast: Cast, sending: Any) -> None:
    token = _issue_reset_token(sending)
    AccountToken.objects.filter(token_hash=_hash(token)).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = _confirm(token)

    assert response.status_code == 410
    assert response.json() == TOKEN_EXPIRED
    user = _user("member@alpha.test")
    assert user.check_password(PASSWORD)
    assert user.token_version == cast.member.user.token_version


def test_an_unknown_reset_token_is_400_token_invalid(cast: Cast) -> None:
    response = _confirm("no-such-token")

    assert response.status_code == 400
    assert response.json() == TOKEN_INVALID


def test_a_verification_token_cannot_reset_a_password(cast: Cast, sending: Any) -> None:
    verify_token = _issue_verify_token(cast, sending)

    response = _confirm(verify_token)

    assert response.status_code == 400
    assert response.json() == TOKEN_INVALID
    assert _user("member@alpha.test").check_password(PASSWORD)


def test_a_reset_link_of_a_since_deactivated_user_is_token_invalid(cast: Cast, sending: Any) -> None:
    token = _issue_reset_token(sending)
    User.objects.filter(email="member@alpha.test").update(is_active=False)

    response = _confirm(token)

    assert response.status_code == 400
    assert response.json() == TOKEN_INVALID
    assert _user("member@alpha.test").check_password(PASSWORD)


def test_a_weak_password_gets_field_errors_and_the_link_stays_usable(cast: Cast, sending: Any) -> None:
    token = _issue_reset_token(sending)

    response = _confirm(token, "12345")

    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["detail"]) == ("password_invalid", "Choose a stronger password.")
    assert list(body["fields"]) == ["new_password"]
    codes = {error["code"] for error in body["fields"]["new_password"]}
    assert codes == {"password_too_short", "password_too_common", "password_entirely_numeric"}
    user = _user("member@alpha.test")
    assert user.check_password(PASSWORD)
    assert user.token_version == cast.member.user.token_version
    assert user.email_verified_at is None
    assert AccountToken.objects.get(token_hash=_hash(token)).used_at is None
    assert _confirm(token).status_code == 204


def test_a_password_like_the_email_is_refused(cast: Cast, sending: Any) -> None:
    token = _issue_reset_token(sending)

    response = _confirm(token, "member@alpha.test")

    assert response.status_code == 400
    assert [e["code"] for e in response.json()["fields"]["new_password"]] == ["password_too_similar"]


def test_confirm_with_missing_fields_is_required_field_errors(cast: Cast) -> None:
    response = client_for(None).post(RESET_CONFIRM, {}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "required"
    assert set(response.json()["fields"]) == {"token", "new_password"}


# --- Password reset: throttles ----------------------------------------------------------------------------------


def test_reset_is_limited_to_5_per_15_minutes_per_email_even_for_a_real_account(cast: Cast, sending: Any) -> None:
    with sending():
        answers = [_request_reset("member@alpha.test").status_code for _ in range(5)]
        locked = _request_reset("member@alpha.test")

    assert answers == [202] * 5
    _assert_throttled(locked, 900)
    assert len(mail.outbox) == 5
    assert AccountToken.objects.filter(user=cast.member.user).count() == 5


def test_the_email_limit_ignores_case_and_does_not_touch_other_emails(cast: Cast, sending: Any) -> None:
    for _ in range(5):
        _request_reset("member@alpha.test")

    with sending():
        same = _request_reset("MEMBER@alpha.test")
        other = _request_reset("viewer@alpha.test")

    assert same.status_code == 429
    assert other.status_code == 202
    assert [m.to for m in mail.outbox] == [["viewer@alpha.test"]]


def test_an_unknown_email_is_locked_out_like_a_known_one(cast: Cast) -> None:
    answers = [_request_reset("nobody@alpha.test").status_code for _ in range(6)]

    assert answers == [202] * 5 + [429]


def test_reset_is_limited_to_20_per_15_minutes_per_ip_and_then_refuses_a_real_account(
    cast: Cast, sending: Any
) -> None:
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    answers = [_request_reset(f"nobody{i}@alpha.test", client).status_code for i in range(20)]

    with sending():
        locked = _request_reset("member@alpha.test", client)
        elsewhere = _request_reset("member@alpha.test", APIClient(REMOTE_ADDR="198.51.100.9"))

    assert answers == [202] * 20
    _assert_throttled(locked, 900)
    assert elsewhere.status_code == 202
    assert [m.to for m in mail.outbox] == [["member@alpha.test"]]
    assert AccountToken.objects.filter(user=cast.member.user).count() == 1


def _run_at_once(count: int, work: Callable[[], Any]) -> list[Any]:
    """Run `work` in `count` threads released together; each thread closes the database connection it opened."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work()
        except Exception as error:  # collected and asserted on by the caller
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_the_limit_holds_when_12_hits_arrive_at_once() -> None:
    def attempt() -> str:
        try:
            enforce(RESET_EMAIL_LIMIT, "concurrent-key")
        except exceptions.Throttled:
            return "refused"
        return "allowed"

    results = _run_at_once(12, attempt)

    assert sorted(results) == ["allowed"] * 5 + ["refused"] * 7


def test_the_email_limit_holds_for_12_concurrent_api_requests(cast: Cast) -> None:
    """An unknown email: each thread has its own database connection and sees no uncommitted test data."""

    def attempt() -> int:
        return APIClient().post(RESET, {"email": "nobody@alpha.test"}, format="json").status_code

    results = _run_at_once(12, attempt)

    assert sorted(results) == [202] * 5 + [429] * 7
    assert _request_reset("nobody@alpha.test").status_code == 429


@pytest.fixture
def committed_user() -> Any:
    """A user committed outside the test's transaction, so request threads (own connections) can see it.

    Removed again afterwards, since no rollback will do it.
    """
    email = "race@example.test"

    def create() -> User:
        User.objects.filter(email=email).delete()  # left over by an interrupted run on a reused database
        return User.objects.create_user(email=email, password=PASSWORD)

    [user] = _run_at_once(1, create)
    assert isinstance(user, User), user
    yield user
    _run_at_once(1, lambda: User.objects.filter(email=email).delete())


@pytest.mark.parametrize(
    ("purpose", "url", "extra", "success"),
    [
        (AccountTokenPurpose.VERIFY_EMAIL, VERIFY, {}, 200),
        (AccountTokenPurpose.PASSWORD_RESET, RESET_CONFIRM, {"new_password": NEW_PASSWORD}, 204),
    ],
)
def test_a_link_used_by_8_concurrent_requests_works_exactly_once(
    committed_user: User, purpose: str, url: str, extra: dict[str, str], success: int
) -> None:
    token = "race-token-" + purpose

    def issue() -> None:
        AccountToken.objects.create(
            user=committed_user,
            purpose=purpose,
            token_hash=_hash(token),
            expires_at=timezone.now() + timedelta(hours=1),
        )

    _run_at_once(1, issue)

    results = _run_at_once(8, lambda: APIClient().post(url, {"token": token, **extra}, format="json").status_code)

    assert sorted(results) == [success] + [410] * 7
    user = User.objects.get(pk=committed_user.pk)
    if purpose == AccountTokenPurpose.PASSWORD_RESET:
        assert user.token_version == committed_user.token_version + 1  # bumped once, not 8 times
    assert user.email_verified_at is not None
