"""The project itself as a module: the routes outside any business module (schema viewers, health, metrics,
admin), and the process-wide wiring of logs, metrics and error reports."""

from common import registry
from common.access import Audience, RouteAccess, Scope

ANYONE = Audience.ANYONE


class CrmConfig(registry.ModuleConfig):
    name = "crm"
    verbose_name = "Keystone CRM"
    site_routes = {
        "api:schema": RouteAccess(Scope.PUBLIC, {"GET": ANYONE}),
        "api:docs": RouteAccess(Scope.PUBLIC, {"GET": ANYONE}),
        "api:redoc": RouteAccess(Scope.PUBLIC, {"GET": ANYONE}),
        "health": RouteAccess(Scope.PUBLIC, {"GET": ANYONE}),
        # Emailed links: the token in the page's form is the credential, as in the API routes they stand for.
        "link-verify-email": RouteAccess(Scope.PUBLIC, {"GET": ANYONE, "POST": ANYONE}),
        "link-reset-password": RouteAccess(Scope.PUBLIC, {"GET": ANYONE, "POST": ANYONE}),
        "link-accept-invite": RouteAccess(Scope.PUBLIC, {"GET": ANYONE, "POST": ANYONE}),
        "health-live": RouteAccess(Scope.PUBLIC, {"GET": ANYONE}),
        "health-ready": RouteAccess(Scope.PUBLIC, {"GET": ANYONE}),
        # The view checks its own credential: the METRICS_TOKEN bearer token, or without one a local caller.
        "metrics": RouteAccess(
            Scope.PUBLIC,
            {"GET": ANYONE},
            reason="Prometheus scrapes; the view asks for METRICS_TOKEN (or, without one, a loopback caller).",
        ),
        # The Django admin checks for itself that the user is a platform admin (common.admin).
        "admin:*": RouteAccess(
            Scope.PLATFORM,
            {"GET": ANYONE, "POST": ANYONE},
            reason="Django admin pages; the admin site lets in platform admins only.",
        ),
    }

    def ready(self) -> None:
        from django.conf import settings

        from common import logs, metrics
        from common.proxies import parse_networks
        from common.throttling import parse_limits

        # A typo in either stops every process at start rather than at the first request that needs it.
        parse_networks(settings.TRUSTED_PROXIES)
        parse_limits(settings.THROTTLE_LIMITS)
        # Connected in every process; they act only where Celery runs tasks (the worker) or logs (worker, beat).
        logs.connect_celery_signals()
        metrics.connect_celery_signals()
        if settings.SENTRY_DSN:
            from common.sentry import sentry_init

            sentry_init(
                dsn=settings.SENTRY_DSN,
                environment=settings.SENTRY_ENVIRONMENT,
                release=settings.SENTRY_RELEASE,
                traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
            )
