"""Typed custom fields that admins define per module; record values live in each record's `custom_fields`."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from common.models import BaseModel


class FieldType(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    SELECT = "select", "Select"
    MULTI_SELECT = "multi_select", "Multi-select"
    BOOLEAN = "boolean", "Boolean"


class CustomFieldDefinition(BaseModel):
    # The record model it extends, by label ("contacts.contact", "deals.deal"...).
    module = models.CharField(max_length=60)
    key = models.SlugField(max_length=50)
    label = models.CharField(max_length=100)
    field_type = models.CharField(max_length=16, choices=FieldType.choices)
    is_required = models.BooleanField(default=False)
    options = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["module", "position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["org", "module", "key"], name="customfield_key_unique_per_module"),
        ]

    def __str__(self) -> str:
        return f"{self.module}.{self.key}"
