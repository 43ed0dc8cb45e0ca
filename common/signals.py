"""Invalidate cached memberships whenever a user or a profile changes (cache upkeep, not business logic)."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from common.membership import invalidate_user
from common.models import Profile, User


@receiver([post_save, post_delete], sender=User, dispatch_uid="membership_cache_user")
def _user_changed(sender: type[User], instance: User, **kwargs: Any) -> None:
    invalidate_user(instance.pk)


@receiver([post_save, post_delete], sender=Profile, dispatch_uid="membership_cache_profile")
def _profile_changed(sender: type[Profile], instance: Profile, **kwargs: Any) -> None:
    invalidate_user(instance.user_id)
