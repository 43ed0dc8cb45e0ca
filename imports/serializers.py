"""Request and response shapes of imports and org exports."""

from __future__ import annotations

from rest_framework import serializers

from imports.models import ImportJob, ImportRow, OrgExport


class UploadSerializer(serializers.Serializer):
    module = serializers.CharField(
        max_length=40, help_text="contacts, companies, leads, deals, properties or tasks."
    )
    file = serializers.FileField(
        allow_empty_file=True, help_text="A .csv (UTF-8, UTF-8 with BOM or Latin-1) or .xlsx file."
    )


class ImportJobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id", "module", "file_name", "file_format", "encoding", "headers", "mapping", "status", "total_rows",
            "processed_rows", "progress", "preview_counts", "counts", "cancel_requested", "error", "started_at",
            "finished_at", "created_at", "updated_at",
        ]  # fmt: skip

    def get_progress(self, job: ImportJob) -> float:
        return round(job.processed_rows / job.total_rows, 4) if job.total_rows else 0.0


class ImportJobDetailSerializer(ImportJobSerializer):
    targets = serializers.SerializerMethodField(help_text="Every field a column can fill (custom: custom fields).")

    class Meta(ImportJobSerializer.Meta):
        fields = [*ImportJobSerializer.Meta.fields, "targets"]

    def get_targets(self, job: ImportJob) -> list[str]:
        return list(self.context.get("targets", []))


class MappingSerializer(serializers.Serializer):
    mapping = serializers.DictField(
        child=serializers.CharField(allow_null=True, max_length=80),
        help_text="Column header -> field (null leaves the column out).",
    )


class ImportRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRow
        fields = ["row_number", "outcome", "record_id", "errors", "diff", "values"]


class OrgExportSerializer(serializers.ModelSerializer):
    download_url = serializers.CharField(allow_null=True, read_only=True, default=None)

    class Meta:
        model = OrgExport
        fields = ["id", "status", "size_bytes", "manifest", "error", "created_at", "finished_at", "download_url"]
