"""Invalidate cached memberships whenever an org changes (cache upkeep, not business logic)."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from common.membership import invalidate_org
from tenants.models import Org


@receiver([post_save, post_delete], sender=Org, dispatch_uid="membership_cache_org")
def _org_changed(sender: type[Org], instance: Org, **kwargs: Any) -> None:
    invalidate_org(instance.pk)
