"""Transactional email: rendered from templates (plain text + HTML) and sent by Celery after commit."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from common.metrics import email_counted
from tenants.pipeline.tasks import OrgTask, enqueue

logger = logging.getLogger("crm.mail")


def email_send(*, to: str, template: str, context: dict[str, Any], org_id: Any = None) -> None:
    """Queue `emails/<template>.subject.txt|.txt|.html` for `to` once the transaction commits.

    With `org_id`, nothing is sent while that org is suspended (checked again when the task runs).
    """
    enqueue(
        send_templated_email, to=to, template=template, context=context, org_id=str(org_id) if org_id else None
    )


def render_email(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    context = {"product_name": "Keystone CRM", "site_url": settings.PUBLIC_BASE_URL, **context}
    # One line whatever the names in it hold: a newline in a header makes Django refuse to send.
    subject = " ".join(render_to_string(f"emails/{template}.subject.txt", context).split())
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    return subject, text, html


def _org_may_send(org_id: str | None) -> bool:
    if org_id is None:
        return True
    from tenants.models import Org, OrgStatus

    status = Org.objects.filter(pk=org_id).values_list("status", flat=True).first()
    return status not in (OrgStatus.SUSPENDED, None)


@shared_task(base=OrgTask, name="tenants.send_templated_email")
def send_templated_email(*, to: str, template: str, context: dict[str, Any], org_id: str | None = None) -> bool:
    """Idempotent enough for late acknowledgement: a retry after a crash may send twice, never zero times."""
    if not _org_may_send(org_id):
        logger.info("not sending %s to %s: org %s is suspended", template, to, org_id)
        return False
    subject, text, html = render_email(template, context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    with email_counted(template):
        message.send()
    return True
