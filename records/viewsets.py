"""The one base viewset for business records. It owns scoping, visibility and writes; subclasses declare.

A subclass names its model and serializers and may narrow the queryset through `narrow_queryset`; it cannot
override the methods that decide what a request may see or change (`__init_subclass__` refuses), and every
write goes through records.services. A module with rules of its own overrides `create_record` and
`change_record` (its rules on a locked record); PATCH, PUT and bulk all run that same change.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, Generic, cast

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from common.errors import ApiError, NotFound
from common.filtering import query_flag
from common.ids import UUID_ROUTE_PATTERN
from common.pagination import FeedCursorPagination
from records import export
from records import services as records
from records.fields import TagListField
from records.ports import custom_values, journal
from records.services import R
from records.visibility import visible_records
from tenants.audit import audit_from_request
from tenants.pipeline.context import OrgViewMixin

SEALED = ("get_queryset", "get_object", "perform_create", "perform_update", "perform_destroy", "get_permissions",
          "initial", "check_permissions", "check_object_permissions")  # fmt: skip


class BulkRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["update", "archive"])
    ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=records.BULK_MAX_IDS)
    changes = serializers.DictField(required=False, default=dict)


class BulkRowSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField(help_text="updated, archived, not_found, forbidden or invalid")
    code = serializers.CharField(required=False, help_text="With `invalid`: the rule the record broke.")
    detail = serializers.CharField(required=False)


class BulkResponseSerializer(serializers.Serializer):
    results = BulkRowSerializer(many=True)


class TimelineEntrySerializer(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.UUIDField()
    verb = serializers.CharField()
    changes = serializers.DictField()
    actor_id = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()
    # Comments and attachments (null on the other kinds).
    body = serializers.CharField(required=False, allow_null=True)
    parent_id = serializers.UUIDField(required=False, allow_null=True)
    mentions = serializers.ListField(child=serializers.UUIDField(), required=False, allow_null=True)
    edited_at = serializers.DateTimeField(required=False, allow_null=True)
    deleted_at = serializers.DateTimeField(required=False, allow_null=True)
    file_name = serializers.CharField(required=False, allow_null=True)
    content_type = serializers.CharField(required=False, allow_null=True)
    size = serializers.IntegerField(required=False, allow_null=True)


class TimelinePageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next (older) page; null on the last one.")
    results = TimelineEntrySerializer(many=True)


TIMELINE_PARAMS = [
    OpenApiParameter("cursor", str, description="From the previous page's `next`; omit for the newest page."),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1},
        description=f"Entries per page (default {FeedCursorPagination.page_size}, "
        f"at most {FeedCursorPagination.max_page_size}).",
    ),
]
ARCHIVED_PARAM = OpenApiParameter("archived", bool, description="true: only archived records.")
EXPORT_RESPONSE = OpenApiResponse(
    OpenApiTypes.STR,
    description="A CSV download of the rows the list shows (no pages), at most the row limit; "
    "`X-Export-Truncated: true` when there were more.",
)


class JsonUnlessStreamed(BaseContentNegotiation):
    """The export answers CSV whatever the client accepts, and errors are the JSON envelope as everywhere:
    `Accept: text/csv` must not turn a 400 into a 406 or an unreadable body."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


class RecordViewSet(OrgViewMixin, viewsets.ModelViewSet, Generic[R]):
    model: type[R]
    lookup_value_regex = UUID_ROUTE_PATTERN
    # The serializer validating bulk `changes` (a partial update of these fields only).
    bulk_fields: ClassVar[tuple[str, ...]] = ("assigned_to", "tags")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        overridden = [name for name in SEALED if name in cls.__dict__]
        if overridden:
            raise TypeError(
                f"{cls.__name__} may not override {overridden}: narrow the queryset with narrow_queryset"
            )

    # --- reads ---------------------------------------------------------------------------------------------

    # Extra actions that read the list as it is filtered (archived flag, custom-field filters), like `export`.
    list_like_actions: tuple[str, ...] = ()

    def narrow_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The hook for subclasses: select_related, annotations, module-specific filters."""
        return queryset

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return self.model.all_orgs_unsafe.none()
        queryset = visible_records(self.model.objects.for_org(self.org), self.actor)
        if self.action in ("restore", "purge"):
            pass  # these act on archived records
        elif self.action in ("list", "export", *self.list_like_actions):
            params = self.request.query_params
            queryset = queryset.filter(archived_at__isnull=not query_flag(self.request, "archived"))
            queryset = custom_values().filter(
                queryset, org=self.org, module=self.model._meta.label_lower, params=params
            )
        return self.narrow_queryset(queryset)

    def get_object(self) -> R:
        lookup = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        try:
            record: R | None = self.get_queryset().filter(pk=uuid.UUID(str(lookup))).first()
        except ValueError:
            record = None
        if record is None:
            raise NotFound()
        return record

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        return Response(self.get_serializer(record).data, headers={"ETag": records.record_etag(record)})

    @extend_schema(parameters=[ARCHIVED_PARAM])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(filters=True, parameters=[ARCHIVED_PARAM], responses={(200, "text/csv"): EXPORT_RESPONSE})
    @action(detail=False, methods=["get"], content_negotiation_class=JsonUnlessStreamed)
    def export(self, request: Request) -> Any:
        """Exactly the rows the list shows (same visibility, filters, search, ordering, archived flag and
        custom-field filters) as CSV, every page at once up to the row limit, streamed."""
        export.export_permission_check(org=self.org, profile=self.actor)
        export.export_allowance_take(self.actor)
        queryset = self.filter_queryset(self.get_queryset())
        keys = custom_values().keys(org=self.org, module=self.model._meta.label_lower)
        # Bulk exports are how data leaves an agency: the org's admins see who took what, with which filters.
        audit_from_request(
            request,
            action="records_exported",
            target_type=self.model._meta.label_lower,
            details={"filters": {key: request.query_params.getlist(key) for key in sorted(request.query_params)}},
        )
        return export.csv_export_response(
            # get_serializer is typed as returning the base class; a record viewset's is a ModelSerializer.
            queryset=queryset, table=export.RecordCsv(cast(serializers.Serializer, self.get_serializer()), keys),
            org=self.org, profile=self.actor, name=self.basename,
            max_rows=export.EXPORT_MAX_ROWS,
        )  # fmt: skip

    # --- writes (through services) -------------------------------------------------------------------------

    def create_record(self, data: dict[str, Any]) -> R:
        """The hook for a module whose records are created through its own service."""
        return records.record_create(model=self.model, org=self.org, actor=self.actor, data=data)

    def change_record(self, *, org: Any, actor: Any, record: R, data: dict[str, Any]) -> object:
        """The hook for a module with rules of its own: its rules, then the change, on the locked record. A
        PATCH, a PUT and every record of a bulk update run it."""
        return records.apply_changes(record, actor, data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = self.create_record(dict(serializer.validated_data))
        body = self.get_serializer(self._reloaded(record)).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"ETag": records.record_etag(record)})

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        current = self.get_object()
        if_match = request.headers.get("If-Match")
        # Preconditions before the body, as HTTP evaluates them: a stale If-Match is a 412 whatever was sent.
        records.record_preconditions(current, if_match, actor=self.actor)
        serializer = self.get_serializer(current, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        record = records.record_update(
            model=self.model, org=self.org, actor=self.actor, record_id=current.pk,
            data=dict(serializer.validated_data), if_match=if_match, change=self.change_record,
        )  # fmt: skip
        return Response(
            self.get_serializer(self._reloaded(record)).data, headers={"ETag": records.record_etag(record)}
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Delete archives: the record disappears from lists and can be restored."""
        records.record_archive(model=self.model, org=self.org, actor=self.actor, record_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _reloaded(self, record: R) -> R:
        return self.narrow_queryset(self.model.objects.for_org(self.org)).get(pk=record.pk)

    @extend_schema(request=None, responses={200: None})
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: Any = None) -> Response:
        record = records.record_restore(model=self.model, org=self.org, actor=self.actor, record_id=pk)
        return Response(self.get_serializer(self._reloaded(record)).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def purge(self, request: Request, pk: Any = None) -> Response:
        records.record_purge(model=self.model, org=self.org, actor=self.actor, record_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=BulkRequestSerializer,
        responses={200: BulkResponseSerializer},
        description="Per id: updated, archived, not_found, forbidden, or invalid with the rule's `code` and "
        "`detail`. Each record is changed as a single PATCH would change it: the same rules (a status move the "
        "record cannot make is `invalid`), timestamps and timeline entries. At most 500 ids.",
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        payload = BulkRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        changes: dict[str, Any] = {}
        if payload.validated_data["action"] == "update":
            changes = self.validated_bulk_changes(payload.validated_data["changes"])
        result = records.records_bulk(
            model=self.model, org=self.org, actor=self.actor, ids=payload.validated_data["ids"],
            action=payload.validated_data["action"], changes=changes, change=self._bulk_change(),
        )  # fmt: skip
        return Response({"results": result.results})

    def _bulk_change(self) -> records.RecordChange[R]:
        # A module without rules of its own changes records with the kernel's plain change, which needs no
        # savepoint per record.
        if type(self).change_record is RecordViewSet.change_record:
            return records.plain_change
        return self.change_record

    def validated_bulk_changes(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The hook for a module whose bulk changes need more than its serializer: the `changes` of a bulk
        update, each checked as a partial update of `bulk_fields` would be."""
        allowed = set(self.bulk_fields) | {"tags_add", "tags_remove"}
        unknown = sorted(set(raw) - allowed)
        if unknown or not raw:
            detail = f"Bulk updates may change only: {', '.join(sorted(allowed))}."
            raise ApiError(detail, code="invalid", fields={"changes": [{"code": "invalid", "detail": detail}]})
        plain = {key: value for key, value in raw.items() if key not in ("tags_add", "tags_remove")}
        serializer = self.get_serializer(data=plain, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = {key: value for key, value in serializer.validated_data.items() if key in plain}
        tag_field = TagListField()
        for key in ("tags_add", "tags_remove"):
            if key in raw:
                changes[key] = tag_field.run_validation(raw[key])
        return changes

    @extend_schema(parameters=TIMELINE_PARAMS, responses={200: TimelinePageSerializer})
    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, pk: Any = None) -> Response:
        """The record's activity, comments and attachments merged, newest first, a cursor page at a time.

        A cursor over (created_at, id) rather than page numbers: the feed is merged from three tables, so a
        count or an offset would read the record's whole history on every page, and entries written while
        someone pages would shift the pages under them. Follow `next` until it is null."""
        record = self.get_object()
        feed = FeedCursorPagination(request)
        entries, has_more = journal().page(record, before=feed.position(), limit=feed.limit())
        return Response(TimelinePageSerializer(feed.page(entries, has_more)).data)
