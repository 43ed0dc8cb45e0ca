"""Public routes of email marketing: the open pixel, click redirects and unsubscribe (signed per message, under
the org's slug), and the provider webhooks. No user, no org header; a token of another org's message, or a
forged one, is the same 404 and changes nothing."""

from __future__ import annotations

import base64
import html

from django.http import HttpResponse, HttpResponseRedirect
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.throttling import client_ip
from emailing import feedback, webhooks
from emailing.models import Recipient
from emailing.selectors import email_settings_of
from emailing.tracking import recipient_of_token
from tenants.pipeline.public import PublicOrgView

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NOT_FOUND = OpenApiResponse(description="No such org or message (a forged or another org's token).")


class _MessageView(PublicOrgView):
    def recipient(self, token: str) -> Recipient:
        found = feedback.recipient_for_token(self.public_org, recipient_of_token(self.public_org.pk, token))
        if found is None:
            raise NotFound()
        return found

    def visit(self, request: Request) -> feedback.Visit:
        address = client_ip(request)
        return feedback.Visit(
            ip=None if address == "unknown" else address,
            user_agent=request.headers.get("User-Agent", ""),
            at=timezone.now(),
        )

    def tracking_on(self) -> bool:
        return email_settings_of(self.public_org).tracking_enabled


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store, max-age=0"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response


class OpenPixelView(_MessageView):
    @extend_schema(responses={(200, "image/gif"): OpenApiTypes.BINARY, 404: NOT_FOUND}, auth=[])
    def get(self, request: Request, org_slug: str, token: str) -> HttpResponse:
        """The 1x1 open pixel. Opens right after delivery or from mail providers' proxies count as machine
        opens; nothing is recorded while the org has tracking off."""
        recipient = self.recipient(token)
        if self.tracking_on():
            feedback.open_record(org=self.public_org, recipient=recipient, visit=self.visit(request))
        return _private(HttpResponse(PIXEL, content_type="image/gif"))


class ClickView(_MessageView):
    @extend_schema(responses={302: OpenApiResponse(description="To the link's address."), 404: NOT_FOUND}, auth=[])
    def get(self, request: Request, org_slug: str, token: str, position: str) -> HttpResponse:
        """Redirects to link number `position` of this message's email, and nowhere else."""
        recipient = self.recipient(token)
        if not position.isdigit() or int(position) > 32767:
            raise NotFound()
        link = feedback.link_of(org=self.public_org, recipient=recipient, position=int(position))
        if link is None:
            raise NotFound()
        if self.tracking_on():
            feedback.click_record(org=self.public_org, recipient=recipient, link=link, visit=self.visit(request))
        return _private(HttpResponseRedirect(link.url))


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title></head>
<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5">
<h1 style="font-size:1.4rem">{title}</h1>
{body}
</body></html>
"""


def _page(title: str, body: str) -> HttpResponse:
    response = HttpResponse(
        _PAGE.format(title=html.escape(title), body=body), content_type="text/html; charset=utf-8"
    )
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
    response["X-Frame-Options"] = "DENY"
    return _private(response)


class UnsubscribeView(_MessageView):
    parser_classes = [FormParser, MultiPartParser, JSONParser]

    @extend_schema(responses={(200, "text/html"): OpenApiTypes.STR, 404: NOT_FOUND}, auth=[])
    def get(self, request: Request, org_slug: str, token: str) -> HttpResponse:
        """The unsubscribe page: a button (a link scanner following the link must not unsubscribe anyone)."""
        recipient = self.recipient(token)
        org = html.escape(self.public_org.name)
        email = html.escape(recipient.email)
        if recipient.unsubscribed_at is not None:
            return _page("You are unsubscribed", f"<p>{email} gets no more marketing email from {org}.</p>")
        form = (
            f"<p>Stop marketing email from {org} to <strong>{email}</strong>?</p>"
            '<form method="post"><button type="submit" name="confirm" value="yes" '
            'style="font-size:1rem;padding:.5rem 1rem">Unsubscribe</button></form>'
        )
        return _page("Unsubscribe", form)

    @extend_schema(
        request={"application/x-www-form-urlencoded": OpenApiTypes.OBJECT},
        responses={(200, "text/html"): OpenApiTypes.STR, 404: NOT_FOUND},
        auth=[],
        description="RFC 8058 one-click unsubscribe (`List-Unsubscribe=One-Click`) or the page's button.",
    )
    def post(self, request: Request, org_slug: str, token: str) -> HttpResponse:
        recipient = self.recipient(token)
        one_click = request._request.POST.get("List-Unsubscribe") == "One-Click"
        feedback.unsubscribe_record(
            org=self.public_org, recipient=recipient, visit=self.visit(request), one_click=one_click
        )
        org = html.escape(self.public_org.name)
        return _page(
            "You are unsubscribed",
            f"<p>{html.escape(recipient.email)} gets no more marketing email from {org}.</p>",
        )


class ReceivedSerializer(serializers.Serializer):
    received = serializers.BooleanField()


_REFUSED = {
    400: OpenApiResponse(description="Not an event, or a stale one (`event_stale`)."),
    401: OpenApiResponse(description="Unsigned, forged, or from an untrusted topic."),
    409: OpenApiResponse(description="Already received (`event_replayed`)."),
}


class SesWebhookView(APIView):
    """Amazon SES bounces, complaints and deliveries as SNS notifications (signatures verified by django-ses)."""

    authentication_classes: list[type] = []

    @extend_schema(
        request={"text/plain": OpenApiTypes.STR, "application/json": OpenApiTypes.OBJECT},
        responses={200: ReceivedSerializer, **_REFUSED},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        webhooks.ses_receive(request._request)
        return Response({"received": True})


class EventWebhookView(APIView):
    """Bounces and complaints from any other provider, signed: `X-Keystone-Timestamp: <unix seconds>` and
    `X-Keystone-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with EMAILING_WEBHOOK_SECRET>`.
    Body: {"id", "type": "bounce"|"complaint"|"delivery", "message_id", "email", "permanent", "occurred_at"}."""

    authentication_classes: list[type] = []

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT}, responses={200: ReceivedSerializer, **_REFUSED}, auth=[]
    )
    def post(self, request: Request) -> Response:
        webhooks.generic_receive(
            timestamp=request.headers.get("X-Keystone-Timestamp"),
            signature=request.headers.get("X-Keystone-Signature"),
            body=request._request.body,
        )
        return Response({"received": True})
