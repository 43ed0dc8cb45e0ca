"""Celery tasks of the tenants app (autodiscovered from here; each lives beside its service)."""

from tenants.deletion import purge_due_orgs
from tenants.mail import send_templated_email

__all__ = ["purge_due_orgs", "send_templated_email"]
