"""Comments, attachments and notifications over the API: thin views over timeline selectors and services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import ApiError, NotFound
from common.files import stored_file_response
from common.validation import validated
from records.services import record_etag
from tenants.pipeline.authentication import signed_in_user
from tenants.pipeline.context import OrgViewMixin, org_request
from timeline import filters, selectors, services
from timeline import serializers as s
from timeline.models import Attachment, Comment, Notification, NotificationKind
from timeline.notifications import DIGESTED_KINDS, EMAILED_KINDS

TARGET_KEYS = ("target_type", "target_id")
TARGET_PARAMS = [
    OpenApiParameter("target_type", str, required=True, description='A record type, e.g. "contacts.contact".'),
    OpenApiParameter("target_id", OpenApiTypes.UUID, required=True, description="The record's id."),
]
TARGET_PARAMS_WHEN_POSTING = [
    OpenApiParameter(p.name, p.type, required=False, description=f"{p.description} Or in the body.")
    for p in TARGET_PARAMS
]
IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, description="The ETag you loaded; a stale one gets 412."
)
NO_CONTENT = OpenApiResponse(description="Done; no content.")


def _target_of(request: Request, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The record named by the query string or, when posting, the body; naming two different ones is refused
    rather than guessed at. A record id only the body names must exist for the caller (a 400 field error, not
    the 404 of an id in the URL)."""
    named = {key: request.query_params[key] for key in TARGET_KEYS if key in request.query_params}
    is_id_from_body = "target_id" not in named and (body or {}).get("target_id") is not None
    for key in TARGET_KEYS:
        value = (body or {}).get(key)
        if value is None:
            continue
        if key in named and str(named[key]).strip().lower() != str(value).strip().lower():
            detail = "The query string and the body name different records."
            raise ApiError(
                detail, code="target_mismatch", fields={key: [{"code": "target_mismatch", "detail": detail}]}
            )
        named.setdefault(key, str(value))
    target = validated(s.TargetSerializer, named)
    if is_id_from_body:
        selectors.body_target_get(**_ctx(request), **target)
    return target


def _ctx(request: Request) -> dict[str, Any]:
    return {"org": org_request(request).org, "actor": org_request(request).profile}


# --- Comments ---------------------------------------------------------------------------------------------


class CommentListView(OrgViewMixin, ListAPIView):
    """The comments on one record, oldest first (a conversation); replies carry their thread's `parent_id`."""

    serializer_class = s.CommentSerializer
    filterset_class = filters.CommentFilter
    # Within one record's comments (the target index narrows first), so no trigram index is needed.
    search_fields = ["body"]
    ordering_fields = ["created_at"]
    ordering = ["created_at", "id"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Comment.objects.none()
        target = selectors.target_get(**_ctx(self.request), **_target_of(self.request))
        comments = selectors.comments_for_target(org=self.org, target=target)
        return comments.select_related("created_by__user").prefetch_related("attachments")

    @extend_schema(parameters=TARGET_PARAMS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        parameters=TARGET_PARAMS_WHEN_POSTING,
        request=s.CommentCreateSerializer,
        responses={201: s.CommentSerializer},
    )
    def post(self, request: Request) -> Response:
        data = validated(s.CommentCreateSerializer, request.data)
        comment = services.comment_create(
            **_ctx(request), **_target_of(request, data), body=data["body"], parent_id=data.get("parent"),
            attachment_ids=data.get("attachment_ids"),
        )  # fmt: skip
        body = s.CommentSerializer(comment, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"ETag": record_etag(comment)})


class CommentDetailView(APIView):
    @extend_schema(responses={200: s.CommentSerializer})
    def get(self, request: Request, comment_id: Any) -> Response:
        comment, _ = selectors.comment_get(**_ctx(request), comment_id=comment_id)
        body = s.CommentSerializer(comment, context={"request": request}).data
        return Response(body, headers={"ETag": record_etag(comment)})

    # The body is the one thing a comment's PATCH changes, so it is required even in a PATCH.
    @extend_schema(
        parameters=[IF_MATCH],
        request={
            "application/json": {
                "type": "object",
                "properties": {"body": {"type": "string", "minLength": 1, "maxLength": s.COMMENT_MAX_CHARS}},
                "required": ["body"],
            }
        },
        responses={200: s.CommentSerializer},
    )
    def patch(self, request: Request, comment_id: Any) -> Response:
        data = validated(s.CommentUpdateSerializer, request.data)
        comment = services.comment_update(
            **_ctx(request), comment_id=comment_id, body=data["body"], if_match=request.headers.get("If-Match")
        )
        body = s.CommentSerializer(comment, context={"request": request}).data
        return Response(body, headers={"ETag": record_etag(comment)})

    @extend_schema(responses={204: NO_CONTENT})
    def delete(self, request: Request, comment_id: Any) -> Response:
        services.comment_delete(**_ctx(request), comment_id=comment_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Attachments ------------------------------------------------------------------------------------------


class AttachmentListView(OrgViewMixin, ListAPIView):
    """The files on one record, newest first. Upload with multipart/form-data."""

    serializer_class = s.AttachmentSerializer
    filterset_class = filters.AttachmentFilter
    search_fields = ["file_name"]
    parser_classes = [MultiPartParser, FormParser]
    ordering_fields = ["created_at", "file_name", "size"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Attachment.objects.none()
        target = selectors.target_get(**_ctx(self.request), **_target_of(self.request))
        return selectors.attachments_for_target(org=self.org, target=target).select_related("created_by__user")

    @extend_schema(parameters=TARGET_PARAMS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        parameters=TARGET_PARAMS_WHEN_POSTING,
        request={"multipart/form-data": s.AttachmentUploadSerializer},
        responses={201: s.AttachmentSerializer},
    )
    def post(self, request: Request) -> Response:
        data = validated(s.AttachmentUploadSerializer, request.data)
        attachment = services.attachment_create(
            **_ctx(request), **_target_of(request, data), upload=data.get("file")
        )
        body = s.AttachmentSerializer(attachment, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class AttachmentDetailView(APIView):
    @extend_schema(responses={200: s.AttachmentSerializer})
    def get(self, request: Request, attachment_id: Any) -> Response:
        attachment, _ = selectors.attachment_get(**_ctx(request), attachment_id=attachment_id)
        return Response(s.AttachmentSerializer(attachment, context={"request": request}).data)

    @extend_schema(responses={204: NO_CONTENT})
    def delete(self, request: Request, attachment_id: Any) -> Response:
        services.attachment_delete(**_ctx(request), attachment_id=attachment_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttachmentDownloadView(APIView):
    """Always a download, never rendered in the browser: a file cannot run as a page of this site."""

    # Sent with the type the file was stored with (an image, a PDF, text), always as an attachment.
    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    def get(self, request: Request, attachment_id: Any) -> Any:
        attachment, _ = selectors.attachment_get(**_ctx(request), attachment_id=attachment_id)
        return stored_file_response(
            attachment.file.storage,
            attachment.file.name,
            content_type=attachment.served_content_type,
            file_name=attachment.file_name,
            as_attachment=True,
            missing=NotFound("The file of this attachment is missing from storage.", code="file_missing"),
        )


# --- Notifications ----------------------------------------------------------------------------------------


class NotificationListView(OrgViewMixin, ListAPIView):
    """My notifications in this org, newest first."""

    serializer_class = s.NotificationSerializer
    filterset_class = filters.NotificationFilter
    search_fields = ["message"]
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return selectors.notifications_of(org=self.org, profile=self.actor)


class UnreadCountView(OrgViewMixin, APIView):
    @extend_schema(responses={200: s.UnreadCountSerializer})
    def get(self, request: Request) -> Response:
        inbox = selectors.notifications_of(org=self.org, profile=self.actor)
        return Response({"unread": inbox.filter(read_at__isnull=True).count()})


class NotificationReadView(APIView):
    @extend_schema(request=None, responses={200: s.NotificationSerializer})
    def post(self, request: Request, notification_id: Any) -> Response:
        notification = services.notification_mark_read(**_ctx(request), notification_id=notification_id)
        return Response(s.NotificationSerializer(notification).data)


class NotificationReadAllView(APIView):
    @extend_schema(request=None, responses={200: s.ReadAllSerializer})
    def post(self, request: Request) -> Response:
        return Response({"marked_read": services.notifications_mark_all_read(**_ctx(request))})


def _preferences_body(user: Any) -> dict[str, Any]:
    kinds = [
        {"kind": kind, "label": label, "is_emailed": kind in EMAILED_KINDS | DIGESTED_KINDS}
        for kind, label in NotificationKind.choices
    ]
    return {"email_opt_outs": sorted(user.email_opt_outs), "kinds": kinds}


class EmailPreferencesView(APIView):
    """Which notifications reach me by email; a setting of the person, the same in every org."""

    @extend_schema(responses={200: s.EmailPreferencesResponseSerializer})
    def get(self, request: Request) -> Response:
        return Response(_preferences_body(request.user))

    @extend_schema(request=s.EmailPreferencesSerializer, responses={200: s.EmailPreferencesResponseSerializer})
    def put(self, request: Request) -> Response:
        kinds = validated(s.EmailPreferencesSerializer, request.data)["email_opt_outs"]
        return Response(_preferences_body(services.email_opt_outs_set(user=signed_in_user(request), kinds=kinds)))
