"""Celery tasks of the invoices module: drawing and emailing documents after commit, and the two beat sweeps
(recurring invoices, overdue reminders and expired quotes) over every active org."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from common.context import org_context
from common.errors import NotFound
from invoices import delivery
from invoices.customers import org_today
from tenants.models import Org, OrgStatus
from tenants.pipeline.tasks import OrgTask

logger = logging.getLogger("crm.invoices")


@shared_task(base=OrgTask, name="invoices.render_document")
def document_render(kind: str, document_id: str, send: bool = False) -> str:
    """Draw an issued document's PDF and keep it (drawing again replaces the file); then email it if asked."""
    org = Org.objects.get(pk=_active_org_id())
    try:
        document = delivery.document_of(org, kind, document_id)
    except NotFound:
        logger.warning("no %s %s to draw (deleted since)", kind, document_id)
        return ""
    name = delivery.pdf_render_store(document)
    if send and delivery.is_sendable(document):
        delivery.document_email(document, purpose="document")
    return name


@shared_task(base=OrgTask, name="invoices.email_document")
def document_email(
    kind: str,
    document_id: str,
    purpose: str = "document",
    step: int | None = None,
    days_overdue: int | None = None,
) -> list[str]:
    """Email an issued document with its PDF (drawn first if the worker has not drawn it yet)."""
    org = Org.objects.get(pk=_active_org_id())
    try:
        document = delivery.document_of(org, kind, document_id)
    except NotFound:
        return []
    if not delivery.is_sendable(document):
        return []
    return delivery.document_email(document, purpose=purpose, step=step, days_overdue=days_overdue)


def _active_org_id() -> Any:
    from common.context import require_active_org

    return require_active_org().pk


def _each_active_org(job: str, work: Any) -> int:
    """The rare cross-org job: enters each active org in turn; one org failing does not starve the others."""
    done = 0
    for org in Org.objects.filter(status=OrgStatus.ACTIVE).order_by("pk"):
        try:
            with org_context(org):
                done += work(org)
        except Exception:
            logger.exception("%s failed for org %s", job, org.pk)
    return done


@shared_task(base=OrgTask, name="invoices.recurring_issue")
def recurring_issue() -> int:
    """Hourly: every due period of every recurring schedule, each issued once (RecurringRun)."""
    from invoices.recurring import recurring_issue_due

    return _each_active_org("recurring invoices", lambda org: recurring_issue_due(org=org, today=org_today(org)))


@shared_task(base=OrgTask, name="invoices.overdue_reminders")
def overdue_reminders() -> int:
    """Hourly: reminders for overdue invoices on each org's schedule (each step once), and sent quotes past
    their date marked expired."""
    from invoices.quotes import quotes_expire
    from invoices.reminders import reminders_send_due

    def work(org: Org) -> int:
        today = org_today(org)
        quotes_expire(org=org, today=today)
        return reminders_send_due(org=org, today=today)

    return _each_active_org("invoice reminders", work)
