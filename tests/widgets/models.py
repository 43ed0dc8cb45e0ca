"""A widget: a record with a name and nothing else."""

from django.db import models

from common.models import RecordModel


class Widget(RecordModel):
    name = models.CharField(max_length=100)

    class Meta(RecordModel.Meta):
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name
