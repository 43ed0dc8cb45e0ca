"""django-tenants' PostgreSQL backend, whose per-request health check skips a connection that just worked.

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` before the first query of every request that reuses a
connection: a round trip on every request, to catch a connection the server closed while it sat idle. A
connection that finished a request without error less than `DATABASE_HEALTH_CHECK_AFTER` seconds ago is taken as
alive instead; under load that is every request, and an idle connection is still checked. A connection lost in
that window fails one request, which marks it broken, and Django drops it when that request ends.
"""

from __future__ import annotations

import time

from django.conf import settings
from django_tenants.postgresql_backend import base as tenants_backend


class DatabaseWrapper(tenants_backend.DatabaseWrapper):
    health_check_done: bool  # Django's; django-tenants' backend carries no types
    # When a request last ended on this connection with no error (time.monotonic()), if it used the connection.
    last_answered_at: float | None = None

    def close_if_unusable_or_obsolete(self) -> None:
        # Runs when a request starts and when it ends. `health_check_done` is still set from the request that
        # just ended when it used the connection (the start of the next one clears it), so this stamps the end.
        if self.connection is not None and self.health_check_done and not self.errors_occurred:
            self.last_answered_at = time.monotonic()
        super().close_if_unusable_or_obsolete()

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and not self.health_check_done
            and self.last_answered_at is not None
            and time.monotonic() - self.last_answered_at < settings.DATABASE_HEALTH_CHECK_AFTER
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
