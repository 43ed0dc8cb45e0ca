"""Celery tasks of the tenants app (autodiscovered from here; each lives beside its service)."""

from tenants.mail import send_templated_email

__all__ = ["send_templated_email"]
