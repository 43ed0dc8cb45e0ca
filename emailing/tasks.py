"""Celery tasks of email marketing (autodiscovered as `emailing.tasks`): batches of a send, test sends, and
the beat's sweeps (scheduled sends, stalled sends, leases that ran out)."""

from __future__ import annotations

import logging

from celery import shared_task

from common.context import org_context
from contacts.models import Contact
from emailing.messages import SAMPLE_CONTACT, Composer, ContactValues
from emailing.selectors import email_settings_of
from emailing.send_services import kick_stalled_sends, reap_expired_leases, start_due_sends
from emailing.sending import next_due_in, run_batch, send_complete_if_done
from emailing.transport import DeliveryError, transport
from tenants.models import Org, OrgStatus
from tenants.pipeline.tasks import OrgTask

logger = logging.getLogger("crm.emailing")


def _active_org() -> Org:
    from common.context import require_active_org

    return require_active_org()


@shared_task(base=OrgTask, name="emailing.send_batch", time_limit=600, soft_time_limit=540)
def send_batch(send_id: str) -> dict[str, int | str]:
    """One batch of a send, then its successor: right away while messages are due, later when the rest wait
    for a retry or for the rate limit, none when another batch holds them all or nothing is left."""
    org = _active_org()
    result = run_batch(org=org, send_id=send_id)
    if result.stopped in ("not_sending", "paused"):
        return {"stopped": result.stopped}
    if result.stopped == "rate":
        send_batch.apply_async(args=[send_id], countdown=result.wait_seconds, headers=_headers())
        return {"sent": result.sent, "stopped": "rate"}
    due = next_due_in(org=org, send_id=send_id)
    if due is None:
        send_complete_if_done(org=org, send_id=send_id)
    else:
        handled = result.sent + result.failed + result.retried + result.skipped + result.unknown
        # A batch that found nothing to claim (another one holds the rest) looks again when those claims lapse,
        # so a batch that died never strands its messages.
        send_batch.apply_async(args=[send_id], countdown=due if handled else max(due, 1.0), headers=_headers())
    return {
        "sent": result.sent,
        "failed": result.failed,
        "retried": result.retried,
        "unknown": result.unknown,
        "skipped": result.skipped,
        "stopped": result.stopped,
    }


def _headers() -> dict[str, str]:
    from common.context import schema_connection

    return {"_schema_name": schema_connection.schema_name}


@shared_task(base=OrgTask, name="emailing.send_test")
def send_test_message(send_id: str, contact_id: str | None, to: str) -> str:
    """A test of a send to the member who asked, rendered for a contact (or sample data); links untracked."""
    from emailing.models import EmailSend

    org = _active_org()
    send = EmailSend.objects.for_org(org).select_related("listing").get(pk=send_id)
    contact = SAMPLE_CONTACT
    if contact_id:
        found = Contact.objects.for_org(org).select_related("company").filter(pk=contact_id).first()
        if found is not None:
            contact = contact_values(found)
    composer = Composer.for_send(org=org, send=send, email_settings=email_settings_of(org), tracking=False)
    message = composer.build(to=to, contact=contact, recipient_id=None, subject_prefix="[Test] ")
    mailer = transport()
    try:
        mailer.open()
        return mailer.send(sender=send.from_email, recipient=to, message=message)
    except DeliveryError as error:
        logger.warning("test send of %s to %s failed: %s", send_id, to, error.reply)
        return error.reply
    finally:
        mailer.close()


def contact_values(contact: Contact) -> ContactValues:
    return ContactValues(
        first_name=contact.first_name,
        last_name=contact.last_name,
        email=contact.email,
        title=contact.title,
        company=contact.company.name if contact.company else "",
        city=contact.city,
        region=contact.region,
        country=contact.country,
    )


def _each_active_org(step: str, work: object) -> int:
    total = 0
    for org in Org.objects.filter(status=OrgStatus.ACTIVE).order_by("pk"):
        try:
            with org_context(org):
                total += work(org=org)  # type: ignore[operator]
        except Exception:
            logger.exception("%s failed for org %s", step, org.pk)
    return total


@shared_task(base=OrgTask, name="emailing.start_scheduled_sends")
def start_scheduled_sends() -> int:
    """Beat, every minute: scheduled sends whose time has come start, and sending sends whose workers went
    quiet get batches again. One org failing does not starve the others."""
    started = _each_active_org("starting scheduled sends", start_due_sends)
    _each_active_org("kicking stalled sends", kick_stalled_sends)
    return started


@shared_task(base=OrgTask, name="emailing.reap_expired_leases")
def reap_expired_leases_task() -> int:
    """Beat, every minute: leases that ran out become `unknown` (see emailing.sending)."""
    return _each_active_org("reaping leases", reap_expired_leases)
