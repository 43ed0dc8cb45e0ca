"""The pages emailed links open: each mail's link is PUBLIC_BASE_URL plus a page that exists, opening it changes
nothing, and pressing its button (a POST with Django's CSRF check) completes the action once."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from common.models import Profile, Role, User
from tenants.accounts.email_links import email_verification_send, password_reset_request
from tenants.testing.fixtures import PASSWORD, Cast, client_for

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-New-Passphrase-77"


def _link_in_last_mail(page: str) -> str:
    """The link of the last email, which must be PUBLIC_BASE_URL/<page>?token=..., the same in both parts."""
    message = mail.outbox[-1]
    pattern = re.escape(f"{settings.PUBLIC_BASE_URL.rstrip('/')}/{page}?token=") + r"[A-Za-z0-9_\-]+"
    match = re.search(pattern, message.body)
    assert match, message.body
    assert match.group(0) in message.alternatives[0][0]
    return match.group(0)


def _path(link: str) -> str:
    return link.removeprefix(settings.PUBLIC_BASE_URL.rstrip("/"))


def _token(link: str) -> str:
    return link.rsplit("token=", 1)[1]


def _browser() -> Client:
    return Client(enforce_csrf_checks=True)


def _press(browser: Client, path: str, **fields: str) -> Any:
    """Open the page, then submit its form as a browser would: the CSRF cookie and the form's hidden fields."""
    page = browser.get(path)
    assert page.status_code == 200, page.content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.content.decode()))
    return browser.post(path.split("?")[0], {**hidden, **fields})


def test_opening_the_verification_link_changes_nothing_and_the_button_confirms_once(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks: Any
) -> None:
    User.objects.filter(pk=cast.member.user.pk).update(email_verified_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        email_verification_send(user=User.objects.get(pk=cast.member.user.pk))
    link = _link_in_last_mail("verify-email")
    browser = _browser()

    opened = browser.get(_path(link))
    assert opened.status_code == 200
    assert opened["Cache-Control"] == "no-store"
    assert not User.objects.get(pk=cast.member.user.pk).email_verified

    pressed = _press(browser, _path(link))
    again = _press(_browser(), _path(link))

    assert pressed.status_code == 200
    assert "is confirmed" in pressed.content.decode()
    assert User.objects.get(pk=cast.member.user.pk).email_verified
    assert again.status_code == 410  # the link is spent: the page says so and offers no button
    assert "<form" not in again.content.decode()


def test_a_post_without_the_csrf_token_is_refused(cast: Cast) -> None:
    refused = _browser().post("/verify-email", {"token": "anything"})

    assert refused.status_code == 403


def test_the_reset_page_sets_the_password_shows_field_errors_and_works_once(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        password_reset_request(email=cast.member.user.email, ip="203.0.113.9")
    link = _link_in_last_mail("reset-password")

    weak = _press(_browser(), _path(link), new_password="123")
    done = _press(_browser(), _path(link), new_password=NEW_PASSWORD)
    spent = _press(_browser(), _path(link), new_password=NEW_PASSWORD + "x")

    assert weak.status_code == 400
    assert 'name="new_password"' in weak.content.decode()  # the form is offered again, with the reason
    assert done.status_code == 200
    assert User.objects.get(pk=cast.member.user.pk).check_password(NEW_PASSWORD)
    assert spent.status_code == 410
    assert "<form" not in spent.content.decode()


def _invite(cast: Cast, email: str, role: str, capture: Any) -> str:
    with capture(execute=True):
        body = {"email": email, "role": role}
        response = client_for(cast.admin).post("/api/org/invitations/", body, format="json")
    assert response.status_code == 201, response.json()
    return _link_in_last_mail("accept-invite")


def test_a_new_person_joins_from_the_invitation_page(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks: Any
) -> None:
    link = _invite(cast, "page-newbie@example.test", "member", django_capture_on_commit_callbacks)

    opened = _browser().get(_path(link))
    joined = _press(_browser(), _path(link), name="Page Newbie", password="A-Sturdy-Passphrase-1")
    used = _browser().get(_path(link))

    assert cast.org_a.name in opened.content.decode()
    assert 'name="name"' in opened.content.decode()
    assert joined.status_code == 200, joined.content.decode()
    user = User.objects.get(email="page-newbie@example.test")
    assert user.check_password("A-Sturdy-Passphrase-1")
    assert Profile.objects.get(user=user, org=cast.org_a).role == Role.MEMBER
    assert used.status_code == 410


def test_an_existing_account_accepts_with_its_password_and_its_second_factor(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks: Any
) -> None:
    secret = pyotp.random_base32()
    User.objects.filter(pk=cast.outsider.pk).update(two_factor_secret=secret, two_factor_enabled_at=timezone.now())
    link = _invite(cast, cast.outsider.email, "viewer", django_capture_on_commit_callbacks)

    wrong = _press(_browser(), _path(link), password="not-the-password")
    assert wrong.status_code == 401
    assert not Profile.objects.filter(user=cast.outsider, org=cast.org_a).exists()

    browser = _browser()
    challenged = _press(browser, _path(link), password=PASSWORD)
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', challenged.content.decode()))
    if 30 - time.time() % 30 < 2:
        time.sleep(2.1)  # the code must belong to the step it is checked in
    accepted = browser.post("/accept-invite", {**hidden, "code": pyotp.TOTP(secret).now()})

    assert challenged.status_code == 200
    assert 'name="code"' in challenged.content.decode()
    assert accepted.status_code == 200, accepted.content.decode()
    assert Profile.objects.get(user=cast.outsider, org=cast.org_a).role == Role.VIEWER


def test_an_unknown_token_is_a_page_that_says_so_with_nothing_to_press() -> None:
    verify = _press(_browser(), "/verify-email?token=nope")
    reset = _press(_browser(), "/reset-password?token=nope", new_password=NEW_PASSWORD)
    invite = _browser().get("/accept-invite?token=nope")

    for response in (verify, reset, invite):
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
        assert "<form" not in response.content.decode()
