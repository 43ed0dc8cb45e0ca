"""A deal board's columns: the stages of the pipeline the board filters on (the default pipeline otherwise)."""

from __future__ import annotations

import uuid
from typing import Any

from deals.models import Pipeline, Stage


def stage_columns(org: Any, filters: dict[str, Any]) -> list[tuple[str, str]]:
    pipelines = Pipeline.objects.for_org(org)
    try:
        pipeline_id = uuid.UUID(str(filters["pipeline"])) if filters.get("pipeline") else None
    except ValueError:
        return []
    pipeline = (
        pipelines.filter(pk=pipeline_id).first() if pipeline_id else pipelines.filter(is_default=True).first()
    )
    if pipeline is None:
        return []
    stages = Stage.objects.for_org(org).filter(pipeline=pipeline).order_by("position", "id")
    return [(str(stage.pk), stage.name) for stage in stages]
