"""The Celery app. Tenant-aware: a task enqueued inside an org runs in that org's schema."""

from __future__ import annotations

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")

app = CeleryApp("crm", task_cls="tenants.pipeline.tasks:OrgTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
