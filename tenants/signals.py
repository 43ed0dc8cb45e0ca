"""Invalidate cached memberships whenever a user, a profile or an org changes (cache upkeep, no business logic),
and tell the registry's membership listeners of every membership change."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from common import registry
from common.models import Profile, User
from tenants.models import Org
from tenants.pipeline.membership import invalidate_org, invalidate_user


@receiver([post_save, post_delete], sender=User, dispatch_uid="membership_cache_user")
def _user_changed(sender: type[User], instance: User, **kwargs: Any) -> None:
    invalidate_user(instance.pk)


@receiver([post_save, post_delete], sender=Profile, dispatch_uid="membership_cache_profile")
def _profile_changed(sender: type[Profile], instance: Profile, **kwargs: Any) -> None:
    invalidate_user(instance.user_id)
    for listener in registry.membership_listeners():
        listener(instance)


@receiver([post_save, post_delete], sender=Org, dispatch_uid="membership_cache_org")
def _org_changed(sender: type[Org], instance: Org, **kwargs: Any) -> None:
    invalidate_org(instance.pk)
