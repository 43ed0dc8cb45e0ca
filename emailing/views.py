"""Email marketing over the API: settings, consent, suppressions, segments and sends. Thin: the rules are in the
services, the reads in the selectors and figures."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as drf
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from common.errors import ApiError
from contacts.models import Contact
from emailing import figures, selectors, send_services, services
from emailing import serializers as s
from emailing.audience import audience_estimate
from emailing.messages import SAMPLE_CONTACT, Composer
from emailing.models import EmailSend, RecipientState
from emailing.sending import allowed_consents
from emailing.tasks import contact_values
from records.viewsets import JsonUnlessStreamed
from tenants.pipeline.context import OrgViewMixin

NO_CONTENT = OpenApiResponse(description="Done; no content.")
E400 = OpenApiResponse(description="Field errors (an id of another org is `does_not_exist`, like a random one).")
E403 = OpenApiResponse(description="Your role does not allow this.")
E404 = OpenApiResponse(description="No such thing in this org.")
E409 = OpenApiResponse(description="Not in a state that allows this (the code says why).")


class _EmailView(OrgViewMixin, GenericAPIView):
    filter_backends: list[Any] = []

    def context(self) -> dict[str, Any]:
        return {"request": self.request, "zone": send_services.org_zone(self.org)}

    def body(self, serializer_class: type[drf.BaseSerializer], *, partial: bool = False) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, context=self.context(), partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


# --- Settings and consent ------------------------------------------------------------------------------------


class EmailSettingsView(_EmailView):
    @extend_schema(responses={200: s.EmailSettingsSerializer})
    def get(self, request: Request) -> Response:
        """The org's email marketing settings (the defaults until an admin changes them)."""
        return Response(s.EmailSettingsSerializer(selectors.email_settings_of(self.org)).data)

    @extend_schema(request=s.EmailSettingsSerializer, responses={200: s.EmailSettingsSerializer, 400: E400})
    def patch(self, request: Request) -> Response:
        """Sender domains, default sender, postal address, whether never-asked contacts are sent to, tracking,
        and the org's sending rate (admins)."""
        data = self.body(s.EmailSettingsSerializer, partial=True)
        saved = services.email_settings_update(org=self.org, actor=self.actor, data=data)
        return Response(s.EmailSettingsSerializer(saved).data)


class ContactConsentView(_EmailView):
    @extend_schema(request=s.ConsentChangeSerializer, responses={200: s.ConsentSerializer, 400: E400, 404: E404})
    def post(self, request: Request, contact_id: Any) -> Response:
        """Record consent a person gave you (or withdrew), logged on the contact's timeline."""
        data = self.body(s.ConsentChangeSerializer)
        contact = services.consent_record(
            org=self.org, actor=self.actor, contact_id=contact_id, state=data["email_consent"], note=data["note"]
        )
        return Response(s.ConsentSerializer(contact).data)


# --- Suppressions ---------------------------------------------------------------------------------------------


class SuppressionsView(_EmailView):
    serializer_class = s.SuppressionSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("reason", str, enum=["bounce", "complaint", "manual"]),
            OpenApiParameter("search", str, description="Part of an address."),
        ],
        responses={200: s.SuppressionSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        """Addresses this org never sends marketing email to, newest first."""
        rows = selectors.suppressions_of(org=self.org)
        reason = request.query_params.get("reason")
        if reason:
            if reason not in ("bounce", "complaint", "manual"):
                raise ApiError(
                    "Unknown reason.",
                    code="invalid",
                    fields={"reason": [{"code": "invalid_choice", "detail": "Unknown reason."}]},
                )
            rows = rows.filter(reason=reason)
        if request.query_params.get("search"):
            rows = rows.filter(email__contains=request.query_params["search"].strip().lower())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.SuppressionSerializer(page, many=True).data)

    @extend_schema(
        request=s.SuppressionCreateSerializer,
        responses={201: s.SuppressionSerializer, 200: s.SuppressionSerializer},
    )
    def post(self, request: Request) -> Response:
        """Suppress an address by hand (200 if it already was)."""
        data = self.body(s.SuppressionCreateSerializer)
        row, created = services.suppression_add_manual(
            org=self.org, actor=self.actor, email=data["email"], note=data["note"]
        )
        return Response(s.SuppressionSerializer(row).data, status=201 if created else 200)


class SuppressionDetailView(_EmailView):
    @extend_schema(responses={204: NO_CONTENT, 404: E404})
    def delete(self, request: Request, suppression_id: Any) -> Response:
        """Take an address off the list (say, a mailbox that bounced works again)."""
        services.suppression_remove(org=self.org, actor=self.actor, suppression_id=suppression_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Segments --------------------------------------------------------------------------------------------------


def _segment_body(segment: Any, count: int | None = None) -> dict[str, Any]:
    return {**s.SegmentSerializer(segment).data, "member_count": count}


class SegmentsView(_EmailView):
    serializer_class = s.SegmentSerializer

    @extend_schema(responses={200: s.SegmentSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """The org's segments by name (counts on the detail and the count route)."""
        page = self.paginate_queryset(selectors.segments_of(org=self.org))
        return self.get_paginated_response(s.SegmentSerializer(page, many=True).data)

    @extend_schema(request=s.SegmentSerializer, responses={201: s.SegmentSerializer, 400: E400, 409: E409})
    def post(self, request: Request) -> Response:
        """A dynamic segment (a saved filter) or a static one (hand-picked members, added afterwards)."""
        data = self.body(s.SegmentSerializer)
        segment = services.segment_create(org=self.org, actor=self.actor, data=data)
        return Response(_segment_body(segment), status=status.HTTP_201_CREATED)


class SegmentDetailView(_EmailView):
    @extend_schema(responses={200: s.SegmentSerializer, 404: E404})
    def get(self, request: Request, segment_id: Any) -> Response:
        """The segment with its live member count."""
        segment = selectors.segment_of(org=self.org, segment_id=segment_id)
        count = selectors.segment_contacts(org=self.org, segment=segment).count()
        return Response(_segment_body(segment, count))

    @extend_schema(request=s.SegmentChangeSerializer, responses={200: s.SegmentSerializer, 400: E400, 409: E409})
    def patch(self, request: Request, segment_id: Any) -> Response:
        data = self.body(s.SegmentChangeSerializer)
        segment = services.segment_update(org=self.org, actor=self.actor, segment_id=segment_id, data=data)
        return Response(_segment_body(segment))

    @extend_schema(responses={204: NO_CONTENT, 404: E404, 409: E409})
    def delete(self, request: Request, segment_id: Any) -> Response:
        services.segment_delete(org=self.org, actor=self.actor, segment_id=segment_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SegmentCountView(_EmailView):
    @extend_schema(request=s.SegmentDefinitionSerializer, responses={200: s.CountSerializer, 400: E400})
    def post(self, request: Request) -> Response:
        """Count the contacts an unsaved definition matches (live, as the segment editor changes)."""
        data = self.body(s.SegmentDefinitionSerializer)
        count = selectors.definition_contacts(org=self.org, definition=data["definition"]).count()
        return Response({"count": count})


class SegmentPreviewView(_EmailView):
    serializer_class = s.PreviewContactSerializer

    @extend_schema(responses={200: s.PreviewContactSerializer(many=True), 404: E404})
    def get(self, request: Request, segment_id: Any) -> Response:
        """The segment's contacts, a page at a time (`count` is the live count)."""
        segment = selectors.segment_of(org=self.org, segment_id=segment_id)
        contacts = (
            selectors.segment_contacts(org=self.org, segment=segment)
            .order_by("last_name", "first_name", "id")
            .only("id", "first_name", "last_name", "email", "email_consent", "city", "tags")
        )
        page = self.paginate_queryset(contacts)
        return self.get_paginated_response(s.PreviewContactSerializer(page, many=True).data)


class SegmentMembersView(_EmailView):
    @extend_schema(request=s.MembersChangeSerializer, responses={200: s.SegmentSerializer, 400: E400, 409: E409})
    def post(self, request: Request, segment_id: Any) -> Response:
        """Add and remove hand-picked contacts of a static segment."""
        data = self.body(s.MembersChangeSerializer)
        segment = services.segment_members_change(
            org=self.org, actor=self.actor, segment_id=segment_id, add=data["add"], remove=data["remove"]
        )
        count = selectors.segment_contacts(org=self.org, segment=segment).count()
        return Response(_segment_body(segment, count))


# --- Sends -----------------------------------------------------------------------------------------------------


class _SendView(_EmailView):
    def send(self) -> EmailSend:
        return selectors.send_of(org=self.org, send_id=self.kwargs["send_id"])

    def answer(self, send: EmailSend, code: int = 200) -> Response:
        send = selectors.send_of(org=self.org, send_id=send.pk)
        return Response(s.SendSerializer(send, context=self.context()).data, status=code)


class SendsView(_SendView):
    serializer_class = s.SendSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=s.STATUS_CHOICES),
            OpenApiParameter("campaign", OpenApiTypes.UUID),
        ],
        responses={200: s.SendSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        """The org's sends, newest first."""
        sends = selectors.sends_of(org=self.org)
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in s.STATUS_CHOICES:
                raise ApiError(
                    "Unknown status.",
                    code="invalid",
                    fields={"status": [{"code": "invalid_choice", "detail": "Unknown status."}]},
                )
            sends = sends.filter(status=wanted)
        if request.query_params.get("campaign"):
            field = drf.UUIDField()
            try:
                campaign = field.run_validation(request.query_params["campaign"])
            except drf.ValidationError as error:
                raise drf.ValidationError({"campaign": error.detail}) from None
            sends = sends.filter(campaign_id=campaign)
        page = self.paginate_queryset(sends)
        return self.get_paginated_response(s.SendSerializer(page, many=True, context=self.context()).data)

    @extend_schema(request=s.SendSerializer, responses={201: s.SendSerializer, 400: E400})
    def post(self, request: Request) -> Response:
        """A draft: content, sender, audience. Members draft; managers approve, send and schedule."""
        data = self.body(s.SendSerializer)
        send = send_services.send_create(org=self.org, actor=self.actor, data=data)
        return self.answer(send, status.HTTP_201_CREATED)


class SendDetailView(_SendView):
    @extend_schema(responses={200: s.SendSerializer, 404: E404})
    def get(self, request: Request, send_id: Any) -> Response:
        return self.answer(self.send())

    @extend_schema(request=s.SendChangeSerializer, responses={200: s.SendSerializer, 400: E400, 409: E409})
    def patch(self, request: Request, send_id: Any) -> Response:
        """Change a draft; changing the content takes its approval back."""
        self.send()
        data = self.body(s.SendChangeSerializer, partial=True)
        send = send_services.send_update(org=self.org, actor=self.actor, send_id=send_id, data=data)
        return self.answer(send)

    @extend_schema(responses={204: NO_CONTENT, 404: E404, 409: E409})
    def delete(self, request: Request, send_id: Any) -> Response:
        """Delete a draft."""
        send_services.send_delete(org=self.org, actor=self.actor, send_id=send_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SendPreviewView(_SendView):
    @extend_schema(
        parameters=[OpenApiParameter("contact", OpenApiTypes.UUID, description="Render it for this contact.")],
        responses={200: s.RenderedSerializer, 400: E400, 404: E404},
    )
    def get(self, request: Request, send_id: Any) -> Response:
        """The email as a contact would get it (sample data without `contact`); links untracked."""
        send = self.send()
        contact = SAMPLE_CONTACT
        raw = request.query_params.get("contact")
        if raw:
            contact = contact_values(_contact_param(self.org, raw))
        composer = Composer.for_send(
            org=self.org, send=send, email_settings=selectors.email_settings_of(self.org), tracking=False
        )
        subject, html, text = composer.render(composer.values(contact, None))
        sender = f"{send.from_name} <{send.from_email}>" if send.from_name else send.from_email
        return Response(
            {
                "subject": subject,
                "from_header": sender,
                "to": contact.email,
                "html": html,
                "text": text,
                "links": list(composer.prepared.links),
            }
        )


def _contact_param(org: Any, raw: str) -> Contact:
    field = OrgContactField()
    try:
        return field.find(org, raw)
    except drf.ValidationError as error:
        raise drf.ValidationError({"contact": error.detail}) from None


class OrgContactField:
    def find(self, org: Any, raw: Any) -> Contact:
        value = drf.UUIDField().run_validation(raw)
        contact: Contact | None = (
            Contact.objects.for_org(org)
            .select_related("company")
            .filter(pk=value, archived_at__isnull=True)
            .first()
        )
        if contact is None:
            raise drf.ValidationError(
                [drf.ErrorDetail(f'Invalid pk "{value}" - object does not exist.', code="does_not_exist")]
            )
        return contact


class SendTestView(_SendView):
    @extend_schema(request=s.TestSendSerializer, responses={202: s.QueuedSerializer, 400: E400, 409: E409})
    def post(self, request: Request, send_id: Any) -> Response:
        """Send it to yourself (subject marked [Test]), rendered for a contact or sample data."""
        self.send()
        data = self.body(s.TestSendSerializer)
        contact = data.get("contact")
        if contact is not None:
            _contact_param(self.org, contact)
        to = send_services.send_test(org=self.org, actor=self.actor, send_id=send_id, contact_id=contact)
        return Response({"to": to, "queued": True}, status=status.HTTP_202_ACCEPTED)


class SendApproveView(_SendView):
    @extend_schema(request=None, responses={200: s.SendSerializer, 400: E400, 409: E409})
    def post(self, request: Request, send_id: Any) -> Response:
        """Approve the content as it is (managers and above); needed to send to more than the threshold."""
        self.send()
        return self.answer(send_services.send_approve(org=self.org, actor=self.actor, send_id=send_id))


class SendAiCopyView(_SendView):
    @extend_schema(responses={200: s.AiCopySerializer(many=True), 404: E404})
    def get(self, request: Request, send_id: Any) -> Response:
        """Approved AI email copy of the send's campaign, most recently approved first."""
        send = self.send()
        rows = [
            {
                "id": suggestion.pk,
                "language": suggestion.language,
                "subject": str((suggestion.content or {}).get("subject", "")),
                "preheader": str((suggestion.content or {}).get("preheader", "")),
                "body_html": str((suggestion.content or {}).get("body_html", "")),
                "decided_at": suggestion.decided_at,
            }
            for suggestion in send_services.approved_ai_copy(org=self.org, send=send)
        ]
        return Response(s.AiCopySerializer(rows, many=True).data)

    @extend_schema(request=s.SuggestionChoiceSerializer, responses={200: s.SendSerializer, 400: E400, 409: E409})
    def post(self, request: Request, send_id: Any) -> Response:
        """Use an approved AI suggestion as the content (it counts as approved until edited)."""
        self.send()
        data = self.body(s.SuggestionChoiceSerializer)
        send = send_services.send_copy_from_ai(
            org=self.org, actor=self.actor, send_id=send_id, suggestion_id=data["suggestion_id"]
        )
        return self.answer(send)


class SendAudienceView(_SendView):
    @extend_schema(
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="recipients, excluded"), 404: E404}
    )
    def get(self, request: Request, send_id: Any) -> Response:
        """Who the send would go to if it started now: recipients, and the others by reason."""
        send = self.send()
        settings_row = selectors.email_settings_of(self.org)
        return Response(
            audience_estimate(org=self.org, send=send, allowed=allowed_consents(settings_row.include_never_asked))
        )


class SendStartView(_SendView):
    @extend_schema(request=None, responses={200: s.SendSerializer, 409: E409})
    def post(self, request: Request, send_id: Any) -> Response:
        """Send now: the audience is frozen (each contact once; suppressed and non-consenting ones left out and
        counted) and the workers start."""
        self.send()
        return self.answer(send_services.send_start(org=self.org, actor=self.actor, send_id=send_id))


class SendScheduleView(_SendView):
    @extend_schema(request=s.ScheduleSerializer, responses={200: s.SendSerializer, 400: E400, 409: E409})
    def post(self, request: Request, send_id: Any) -> Response:
        """Send at a time (the org's local time unless it carries an offset); the audience is frozen then."""
        self.send()
        data = self.body(s.ScheduleSerializer)
        send = send_services.send_schedule(
            org=self.org, actor=self.actor, send_id=send_id, at=data["scheduled_at"]
        )
        return self.answer(send)


def _transition(name: str, doc: str) -> type[_SendView]:
    service = getattr(send_services, f"send_{name}")

    class View(_SendView):
        @extend_schema(request=None, responses={200: s.SendSerializer, 409: E409}, description=doc)
        def post(self, request: Request, send_id: Any) -> Response:
            self.send()
            return self.answer(service(org=self.org, actor=self.actor, send_id=send_id))

    View.__name__ = View.__qualname__ = f"Send{name.title()}View"
    return View


SendUnscheduleView = _transition("unschedule", "Back to draft.")
SendPauseView = _transition("pause", "Stop after the message in flight; resume continues where it stopped.")
SendResumeView = _transition("resume", "Continue with what is still queued (nothing is sent twice).")
SendCancelView = _transition("cancel", "Nothing more goes out; queued messages are cancelled.")


class SendRetryUnknownView(_SendView):
    @extend_schema(request=None, responses={200: s.RetriedSerializer, 409: E409})
    def post(self, request: Request, send_id: Any) -> Response:
        """Queue the `unknown` messages again (a worker died mid-message: they may have gone). On purpose only."""
        self.send()
        count = send_services.send_retry_unknown(org=self.org, actor=self.actor, send_id=send_id)
        return Response({"retried": count})


class SendRecipientsView(_SendView):
    serializer_class = s.RecipientSerializer

    @extend_schema(
        parameters=[OpenApiParameter("state", str, enum=RecipientState.values)],
        responses={200: s.RecipientSerializer(many=True), 404: E404},
    )
    def get(self, request: Request, send_id: Any) -> Response:
        """The send's messages by address, with their state and last SMTP reply."""
        rows = selectors.recipients_of(org=self.org, send=self.send())
        state = request.query_params.get("state")
        if state:
            if state not in RecipientState.values:
                raise ApiError(
                    "Unknown state.",
                    code="invalid",
                    fields={"state": [{"code": "invalid_choice", "detail": "Unknown state."}]},
                )
            rows = rows.filter(state=state)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.RecipientSerializer(page, many=True).data)


class SendReportView(_SendView):
    @extend_schema(responses={200: s.SendReportSerializer, 404: E404})
    def get(self, request: Request, send_id: Any) -> Response:
        """Figures and rates, clicks per link and the hourly series (the org's clock)."""
        return Response(s.SendReportSerializer(figures.send_report(org=self.org, send=self.send())).data)


class SendReportCsvView(_SendView):
    content_negotiation_class = JsonUnlessStreamed

    @extend_schema(
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The figures."), 404: E404}
    )
    def get(self, request: Request, send_id: Any) -> HttpResponse:
        """The report as CSV, one figure a row."""
        send = self.send()
        body = figures.send_report_csv(figures.send_report(org=self.org, send=send))
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        name = f"{slugify(send.name)[:80] or 'send'}-report.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response
