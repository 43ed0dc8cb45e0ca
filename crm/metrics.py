"""GET /metrics: Prometheus's scrape, with the gauges that are worked out at scrape time.

The counters and histograms come from common.metrics (summed over every process in multiprocess mode); the
gauges here describe shared state, so each scrape asks for it afresh: the length of each Celery queue in the
broker and the number of ready schemas in the org pool.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from celery import current_app
from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from kombu.exceptions import ChannelError, KombuError
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from common.errors import error_response
from common.metrics import exposition, scrape_allowed
from tenants.models import Org, OrgStatus
from tenants.orgs.pool import pool_target_size

logger = logging.getLogger("crm.metrics")
BROKER_TIMEOUT_SECONDS = 2


class QueueLengthCollector(Collector):
    """keystone_celery_queue_length{queue}: messages waiting in each queue the workers consume."""

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "keystone_celery_queue_length", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        try:
            with current_app.connection_for_read() as conn:
                conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
                channel = conn.default_channel
                for name in sorted(current_app.amqp.queues):
                    gauge.add_metric([name], _queue_length(channel, name))
        except (OSError, KombuError) as error:
            logger.warning("queue lengths left out of the scrape: the broker did not answer (%s)", error)
            return
        yield gauge


def _queue_length(channel: object, name: str) -> int:
    try:
        return int(channel.queue_declare(queue=name, passive=True).message_count)  # type: ignore[attr-defined]
    except ChannelError:  # the Redis transport has no queue until a message waits in it
        return 0


class OrgPoolCollector(Collector):
    """keystone_org_pool_size and keystone_org_pool_target: ready spare schemas, and how many are wanted."""

    def collect(self) -> Iterator[Metric]:
        try:
            size = Org.objects.filter(status=OrgStatus.POOLED).count()
            target = pool_target_size()
        except DatabaseError as error:
            logger.warning("the org pool left out of the scrape: the database did not answer (%s)", error)
            return
        yield GaugeMetricFamily("keystone_org_pool_size", "Ready org schemas waiting for a sign-up.", value=size)
        yield GaugeMetricFamily(
            "keystone_org_pool_target", "Ready org schemas the pool is topped up to.", value=target
        )


@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not scrape_allowed(request):
        if settings.METRICS_TOKEN:
            response = error_response(401, "not_authenticated", "The metrics need the bearer token.")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        return error_response(
            403, "permission_denied", "Without METRICS_TOKEN, metrics answer local callers only."
        )
    body = exposition([QueueLengthCollector(), OrgPoolCollector()])
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
