"""Beat's run of recurring cards, in every active org."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from boards.services import recurring_run
from common.context import org_context
from tenants.models import Org, OrgStatus
from tenants.pipeline.tasks import OrgTask


@shared_task(base=OrgTask, name="boards.recurring_cards")
def recurring_cards() -> int:
    """Each due recurring card of each active org, once per period."""
    made = 0
    today = timezone.localdate()
    for org in Org.objects.filter(status=OrgStatus.ACTIVE):
        with org_context(org):
            made += recurring_run(org=org, today=today)
    return made
