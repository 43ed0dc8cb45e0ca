"""Tasks only the test worker loads (`celery worker --include tests.worker_tasks`)."""

from __future__ import annotations

import uuid

from celery import shared_task
from django.db import connection

from common.context import require_active_org
from tenants.pipeline.tasks import OrgTask
from timeline.services import activity_record


@shared_task(base=OrgTask, name="tests.record_marker")
def record_marker(marker: str) -> str:
    org = require_active_org()
    activity_record(
        org=org,
        actor=None,
        verb="worker-probe",
        target_type="probe",
        target_id=uuid.UUID(marker),
        changes={"schema": connection.schema_name},
    )
    return connection.schema_name
