"""The base Celery task: runs inside the org it was enqueued for, acknowledges late, retries with backoff."""

from __future__ import annotations

from typing import Any

from celery import Task
from django.db import InterfaceError, OperationalError, transaction
from kombu.exceptions import OperationalError as BrokerError
from tenant_schemas_celery.task import TenantTask

from common.context import org_context, schema_connection


class OrgTask(TenantTask):
    """tenant-schemas-celery switches the schema from the task's `_schema_name` header before it runs; this
    also makes the org active, so the fail-closed tenant manager and BaseModel.save work in tasks as in views.
    Tasks must be idempotent: with late acknowledgement a task can run again after a worker dies."""

    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = (OperationalError, InterfaceError, BrokerError, ConnectionError)
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 5
    time_limit = 300
    soft_time_limit = 240

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from tenants.models import Org

        tenant = schema_connection.tenant
        if isinstance(tenant, Org):
            with org_context(tenant):
                return super().__call__(*args, **kwargs)
        return super().__call__(*args, **kwargs)


def dispatch(task: Task, args: tuple[Any, ...], kwargs: dict[str, Any], schema_name: str) -> None:
    task.apply_async(args=args, kwargs=kwargs, headers={"_schema_name": schema_name})


def enqueue(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send the task once the current transaction commits, for the org whose schema is active now."""
    schema_name = schema_connection.schema_name
    # `dispatch` is looked up when the transaction commits, so a test can route it to `task.apply`.
    transaction.on_commit(lambda: dispatch(task, args, kwargs, schema_name))
