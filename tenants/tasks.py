"""Celery tasks of the tenants app (autodiscovered from here; each lives beside its service)."""

from tenants.mail import send_templated_email
from tenants.orgs.deletion import purge_due_orgs
from tenants.orgs.pool import pool_top_up

__all__ = ["pool_top_up", "purge_due_orgs", "send_templated_email"]
