"""Tenancy overhead: the same no-op view as a public route and as a tenant route (queries and time)."""

from __future__ import annotations

import secrets

from benchmarks.harness import setup, summary, timed

REPEAT = 2000


def main() -> None:
    setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client, RequestFactory
    from django.test.utils import CaptureQueriesContext

    from common.context import org_context
    from common.models import Profile, Role, User
    from tenants.models import Org
    from tenants.orgs.provisioning import org_create
    from tenants.pipeline.middleware import resolve_org_request
    from tenants.testing.fixtures import access_token_for

    org = Org.objects.filter(slug="bench-agency").first() or org_create(name="Bench Agency", slug="bench-agency")
    user = User.objects.filter(email="bench@bench.test").first()
    if user is None:
        user = User.objects.create_user("bench@bench.test", secrets.token_urlsafe(16))
        Profile.objects.create(user=user, org=org, role=Role.MEMBER)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {access_token_for(user)}", "HTTP_ORG": str(org.pk)}
    client = Client()

    def public() -> None:
        assert client.get("/bench/public/", **auth).status_code == 200

    def tenant() -> None:
        assert client.get("/bench/tenant/", **auth).status_code == 200

    def org_route() -> None:
        assert client.get("/api/org/", **auth).status_code == 200

    def queries(action) -> int:
        with CaptureQueriesContext(connection) as captured:
            action()
        return len(captured.captured_queries)

    cache.clear()
    cold_queries = queries(org_route)
    warm_queries = queries(org_route)
    print(f"GET /api/org/ queries: cold cache {cold_queries}, warm cache {warm_queries}")
    print(f"public no-op route queries (bearer user lookup): {queries(public)}")

    for action in (public, tenant, org_route):
        timed(action, 200)  # warm up
    print(f"public no-op    {summary(timed(public, REPEAT))}")
    print(f"tenant no-op    {summary(timed(tenant, REPEAT))}")
    print(f"GET /api/org/   {summary(timed(org_route, REPEAT))}")

    # The middleware's own work, warm cache: token check, membership lookup, entering and leaving the org.
    request = RequestFactory().get("/api/org/", **auth)

    def middleware_work() -> None:
        resolved = resolve_org_request(request)
        with org_context(resolved.profile.org, resolved.profile):
            pass
        connection.set_schema_to_public()

    print(f"middleware work, warm cache {summary(timed(middleware_work, REPEAT))}")

    def cold_tenant() -> None:
        cache.delete_many([key for key in (f"orgctx:{user.pk}:{org.pk}",)])
        tenant()

    print(f"tenant no-op, cold cache every time {summary(timed(cold_tenant, 500))}")


if __name__ == "__main__":
    main()
