"""Writing the org audit log and the platform audit log."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from common.models import Profile, User
from common.throttling import client_ip
from tenants.models import AuditEvent, Org, PlatformAuditEvent
from tenants.pipeline.context import org_request, org_request_or_none


def audit_record(
    *,
    org: Org,
    actor: Profile | User | None,
    action: str,
    target_type: str = "",
    target_id: Any = "",
    details: dict[str, Any] | None = None,
    ip: str | None = None,
    impersonator_user_id: Any = None,
) -> AuditEvent:
    user = actor.user if isinstance(actor, Profile) else actor
    return AuditEvent.objects.create(
        org_id=org.pk,
        actor_user_id=user.pk if user else None,
        actor_email=user.email if user else "",
        impersonator_user_id=impersonator_user_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id or ""),
        details=details or {},
        ip=ip,
    )


def audit_from_request(
    request: HttpRequest,
    *,
    action: str,
    org: Org | None = None,
    target_type: str = "",
    target_id: Any = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """An org audit entry for this request's org, actor, IP and (if any) impersonating platform admin."""
    resolved = org_request_or_none(request)
    profile = resolved.profile if resolved is not None else None
    user = getattr(request, "user", None)
    actor: Profile | User | None = profile or (user if isinstance(user, User) else None)
    return audit_record(
        org=org or org_request(request).org,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details,
        ip=client_ip(request),
        impersonator_user_id=resolved.impersonator_id if resolved is not None else None,
    )


def platform_audit_record(
    *,
    actor: User | None,
    action: str,
    org_id: Any = None,
    target_type: str = "",
    target_id: Any = "",
    details: dict[str, Any] | None = None,
    ip: str | None = None,
) -> PlatformAuditEvent:
    return PlatformAuditEvent.objects.create(
        actor_user_id=actor.pk if actor else None,
        actor_email=actor.email if actor else "",
        action=action,
        org_id=org_id,
        target_type=target_type,
        target_id=str(target_id or ""),
        details=details or {},
        ip=ip,
    )


def audit_events_of(org: Org) -> QuerySet[AuditEvent]:
    """The org's audit log, newest first as the model orders it."""
    return AuditEvent.objects.filter(org_id=org.pk)
