"""Transactional email: every template renders plain text and HTML, and a suspended org's mail is not sent."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core import mail

from common.ids import uuid7
from tenants.mail import email_send, send_templated_email
from tenants.models import Org, OrgStatus
from tenants.testing.fixtures import Cast

pytestmark = pytest.mark.django_db

TOKEN = "Tok3n_with-every-urlsafe-char"

# template -> (the context its sender passes, the exact subject, a line of the plain text, a piece of the HTML)
TEMPLATES: dict[str, tuple[dict[str, Any], str, str, str]] = {
    "verify_email": (
        {"name": "Dana", "email": "dana@delta.test", "token": TOKEN, "expires_hours": 48},
        "Verify your email address for Keystone CRM",
        f"{settings.PUBLIC_BASE_URL}/verify-email?token={TOKEN}",
        "Please confirm that <strong>dana@delta.test</strong> is your email address.",
    ),
    "password_reset": (
        {"name": "Dana", "email": "dana@delta.test", "token": TOKEN, "expires_minutes": 60},
        "Reset your Keystone CRM password",
        f"{settings.PUBLIC_BASE_URL}/reset-password?token={TOKEN}",
        "reset the password of the Keystone CRM account <strong>dana@delta.test</strong>.",
    ),
    "invitation": (
        {
            "org_name": "Alpha Realty",
            "inviter_name": "Ann Agent",
            "role": "member",
            "token": TOKEN,
            "accept_path": f"/accept-invite?token={TOKEN}",
            "expires_at": "2030-01-31",
        },
        "Ann Agent invited you to Alpha Realty on Keystone CRM",
        f"{settings.PUBLIC_BASE_URL}/accept-invite?token={TOKEN}",
        "Ann Agent invited you to join <strong>Alpha Realty</strong> on Keystone CRM as <strong>member</strong>.",
    ),
    "role_changed": (
        {"org_name": "Alpha Realty", "old_role": "member", "new_role": "admin", "actor_name": "Ann Agent"},
        "[Alpha Realty] Your role is now admin",
        "Ann Agent changed your role in Alpha Realty from member to admin.",
        "in <strong>Alpha Realty</strong> from <strong>member</strong> to <strong>admin</strong>.",
    ),
    "member_removed": (
        {"org_name": "Alpha Realty", "actor_name": "Ann Agent"},
        "You were removed from Alpha Realty",
        "Ann Agent removed you from Alpha Realty on Keystone CRM.",
        "Ann Agent removed you from <strong>Alpha Realty</strong> on Keystone CRM.",
    ),
    "org_deletion_scheduled": (
        {"org_name": "Alpha Realty", "scheduled_for": "2030-01-31"},
        "Alpha Realty will be deleted on 2030-01-31",
        "Alpha Realty is scheduled for deletion on 2030-01-31.",
        "<strong>Alpha Realty</strong> is scheduled for deletion on <strong>2030-01-31</strong>.",
    ),
    "notification": (
        {"org_name": "Alpha Realty", "message": "Ann Agent mentioned you on Harbor View", "kind": "mentioned"},
        "[Alpha Realty] Ann Agent mentioned you on Harbor View",
        "Ann Agent mentioned you on Harbor View",
        "Ann Agent mentioned you on Harbor View",
    ),
}


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_every_template_sends_a_subject_plain_text_and_an_html_alternative(template: str) -> None:
    context, subject, line, html_piece = TEMPLATES[template]

    sent = send_templated_email(to="dana@delta.test", template=template, context=context)

    assert sent is True
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == subject
    assert message.to == ["dana@delta.test"]
    assert line in message.body
    assert "<" not in message.body  # plain text, not HTML
    assert len(message.alternatives) == 1
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert html.startswith("<!doctype html>")
    assert html_piece in html


@pytest.mark.parametrize("template", ["verify_email", "password_reset", "invitation"])
def test_link_emails_carry_the_token_in_both_parts(template: str) -> None:
    context, _, link, _ = TEMPLATES[template]

    send_templated_email(to="dana@delta.test", template=template, context=context)

    message = mail.outbox[0]
    assert link in message.body
    assert f'href="{link}"' in message.alternatives[0][0]


def test_plain_text_and_subject_are_not_html_escaped_but_the_html_part_is() -> None:
    context = {"org_name": "O'Neil & Sons <Realty>", "actor_name": "Ann"}

    send_templated_email(to="dana@delta.test", template="member_removed", context=context)

    message = mail.outbox[0]
    assert message.subject == "You were removed from O'Neil & Sons <Realty>"
    assert "Ann removed you from O'Neil & Sons <Realty> on Keystone CRM." in message.body
    html = message.alternatives[0][0]
    assert "O&#x27;Neil &amp; Sons &lt;Realty&gt;" in html
    assert "<Realty>" not in html


def test_the_greeting_falls_back_to_the_email_when_the_user_has_no_name() -> None:
    context = {**TEMPLATES["verify_email"][0], "name": ""}

    send_templated_email(to="dana@delta.test", template="verify_email", context=context)

    assert mail.outbox[0].body.startswith("Hi dana@delta.test,\n")


def test_nothing_is_sent_for_a_suspended_org(cast: Cast) -> None:
    Org.objects.filter(pk=cast.org_a.pk).update(status=OrgStatus.SUSPENDED)
    context, *_ = TEMPLATES["role_changed"]

    sent = send_templated_email(
        to="member@alpha.test", template="role_changed", context=context, org_id=str(cast.org_a.pk)
    )

    assert sent is False
    assert mail.outbox == []


def test_nothing_is_sent_for_an_org_that_no_longer_exists() -> None:
    context, *_ = TEMPLATES["role_changed"]

    sent = send_templated_email(
        to="member@alpha.test", template="role_changed", context=context, org_id=str(uuid7())
    )

    assert sent is False
    assert mail.outbox == []


@pytest.mark.parametrize("status", [OrgStatus.ACTIVE, OrgStatus.DELETING])
def test_mail_is_sent_for_an_org_that_is_not_suspended(cast: Cast, status: str) -> None:
    Org.objects.filter(pk=cast.org_a.pk).update(status=status)
    context, subject, *_ = TEMPLATES["role_changed"]

    sent = send_templated_email(
        to="member@alpha.test", template="role_changed", context=context, org_id=str(cast.org_a.pk)
    )

    assert sent is True
    assert [(m.to, m.subject) for m in mail.outbox] == [(["member@alpha.test"], subject)]


def test_queued_mail_goes_out_only_after_commit_through_celery(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks: Any
) -> None:
    context, subject, *_ = TEMPLATES["role_changed"]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email_send(to="member@alpha.test", template="role_changed", context=context, org_id=cast.org_a.pk)
        assert mail.outbox == []  # nothing before the commit

    assert len(callbacks) == 1
    assert [(m.to, m.subject) for m in mail.outbox] == [(["member@alpha.test"], subject)]


def test_mail_queued_before_a_suspension_is_not_sent_after_it(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks: Any
) -> None:
    """The org is checked again when the task runs, not only when the mail is queued."""
    context, *_ = TEMPLATES["role_changed"]

    with django_capture_on_commit_callbacks(execute=True):
        email_send(to="member@alpha.test", template="role_changed", context=context, org_id=cast.org_a.pk)
        Org.objects.filter(pk=cast.org_a.pk).update(status=OrgStatus.SUSPENDED)

    assert mail.outbox == []


def test_mail_without_an_org_is_sent_whatever_state_orgs_are_in(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks: Any
) -> None:
    """Account mail (verification, password reset) belongs to the person, not to one of their orgs."""
    Org.objects.filter(pk=cast.org_a.pk).update(status=OrgStatus.SUSPENDED)
    context, subject, *_ = TEMPLATES["password_reset"]

    with django_capture_on_commit_callbacks(execute=True):
        email_send(to="owner@alpha.test", template="password_reset", context=context)

    assert [(m.to, m.subject) for m in mail.outbox] == [(["owner@alpha.test"], subject)]
