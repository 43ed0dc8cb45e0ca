"""What customers and the payment provider reach without signing in: an issued invoice by its signed link (JSON
and the PDF), and the provider's signed payment callback."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.context import org_context
from common.validation import validated
from invoices import serializers as s
from invoices import webhooks
from invoices.customers import org_today
from invoices.public_links import public_invoice
from invoices.views import PDF, pdf_response
from properties.media.signatures import HEADER
from records.viewsets import JsonUnlessStreamed

GONE = OpenApiResponse(description="`link_revoked` (revoked or renewed since) or `invoice_void`.")
NOT_FOUND = OpenApiResponse(description="Not a link we issued.")


class PublicInvoiceView(APIView):
    # The signed token is the credential; a bearer token here means nothing.
    authentication_classes: list[type] = []

    @extend_schema(responses={200: s.PublicInvoiceSerializer, 404: NOT_FOUND, 410: GONE}, auth=[])
    def get(self, request: Request, token: str) -> Response:
        """The invoice as its customer sees it: the document, what was paid and what is still due."""
        org, invoice = public_invoice(token)
        with org_context(org):
            context = {"org_name": org.name, "today": org_today(org), "path": request.path}
            data = s.PublicInvoiceSerializer(invoice, context=context).data
        response = Response(data)
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response


class PublicInvoicePdfView(APIView):
    authentication_classes: list[type] = []
    content_negotiation_class = JsonUnlessStreamed

    @extend_schema(responses={(200, "application/pdf"): PDF, 404: NOT_FOUND, 410: GONE}, auth=[])
    def get(self, request: Request, token: str) -> Any:
        org, invoice = public_invoice(token)
        with org_context(org):
            response = pdf_response(invoice)
        response["Referrer-Policy"] = "no-referrer"
        return response


class PaymentWebhookView(APIView):
    """The payment provider's signed event (see invoices.webhooks). Unsigned, wrongly signed or stale: 401;
    the same event again: 200 `duplicate`, nothing changes."""

    authentication_classes: list[type] = []
    # The raw body is what is signed, so it is read as sent; JSON is the only body the provider sends.
    parser_classes = [JSONParser]

    @extend_schema(
        request=s.PaymentEventSerializer,
        responses={
            200: s.PaymentEventReceiptSerializer,
            400: OpenApiResponse(description="Field errors (an unknown invoice is `does_not_exist`)."),
            401: OpenApiResponse(description="signature_missing, signature_invalid or signature_expired."),
            404: OpenApiResponse(description="No such org."),
            409: OpenApiResponse(description="invoice_not_issued or customer_missing."),
        },
        auth=[],
    )
    def post(self, request: Request, org_id: Any) -> Response:
        raw = request._request.body
        org = webhooks.webhook_org(org_id)
        webhooks.webhook_verify(org=org, body=raw, signature=request.headers.get(HEADER))
        parsed = webhooks.webhook_body(raw)
        event = validated(s.PaymentEventSerializer, parsed)
        outcome, payment_id = webhooks.webhook_apply(org=org, event=event, raw=parsed)
        return Response(s.PaymentEventReceiptSerializer({"status": outcome, "payment_id": payment_id}).data)
