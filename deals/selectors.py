"""Reading deals and pipelines: the pipelines of an org with their stages, and the per-stage summary."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Prefetch, QuerySet, Sum

from common.errors import ApiError
from deals.models import Deal, Pipeline, Stage, StageKind
from tenants.models import Org

CENT = Decimal("0.01")


def pipelines_with_stages(*, org: Org) -> QuerySet[Pipeline]:
    stages = Stage.objects.for_org(org).order_by("position", "id")
    return Pipeline.objects.for_org(org).prefetch_related(Prefetch("stages", queryset=stages))


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _totals(rows: Sequence[Mapping[str, Any]], probability: int | None = None) -> list[dict[str, Any]]:
    """Per currency: adding euros to dollars would be a number nobody can use."""
    by_currency: dict[str, dict[str, Any]] = {}
    for row in rows:
        total = by_currency.setdefault(
            row["currency"],
            {"currency": row["currency"], "count": 0, "amount": Decimal(0), "weighted_amount": Decimal(0)},
        )
        total["count"] += row["count"]
        total["amount"] += row["amount"]
        weight = row["probability"] if probability is None else probability
        total["weighted_amount"] += row["amount"] * weight / 100
    return [
        {**total, "amount": _money(total["amount"]), "weighted_amount": _money(total["weighted_amount"])}
        for _, total in sorted(by_currency.items())
    ]


def deal_summary(*, org: Org, deals: QuerySet[Deal], pipeline_id: Any = None) -> dict[str, Any]:
    """Count, amount and weighted amount (amount x stage probability) per stage of one pipeline (the default
    one unless named), over `deals` (the caller's visible, unarchived, filtered deals). Two queries, whatever
    the number of deals: the stages, and one grouped aggregate."""
    stages_query = Stage.objects.for_org(org).select_related("pipeline").order_by("position", "id")
    if pipeline_id is not None:
        stages = list(stages_query.filter(pipeline_id=pipeline_id))
        if not stages:  # every pipeline has an open stage, so no stages means no such pipeline in this org
            detail = f'Invalid pk "{pipeline_id}" - object does not exist.'
            raise ApiError(
                detail, code="does_not_exist", fields={"pipeline": [{"code": "does_not_exist", "detail": detail}]}
            )
    else:
        stages = list(stages_query.filter(pipeline__is_default=True))
    if not stages:
        return {"pipeline": None, "stages": [], "open_totals": []}
    pipeline = stages[0].pipeline
    rows = list(
        deals.filter(pipeline_id=pipeline.pk)
        .order_by()
        .values("stage_id", "currency")
        .annotate(count=Count("id"), amount=Sum("amount"))
    )
    rows_by_stage: dict[Any, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        rows_by_stage[row["stage_id"]].append(row)
    result_stages = []
    open_rows = []
    for stage in stages:
        stage_rows = rows_by_stage.get(stage.pk, [])
        if stage.kind == StageKind.OPEN:
            open_rows += [{**row, "probability": stage.probability} for row in stage_rows]
        result_stages.append(
            {
                "id": stage.pk,
                "name": stage.name,
                "kind": stage.kind,
                "probability": stage.probability,
                "position": stage.position,
                "count": sum(row["count"] for row in stage_rows),
                "totals": _totals(stage_rows, stage.probability),
            }
        )
    return {
        "pipeline": {"id": pipeline.pk, "name": pipeline.name},
        "stages": result_stages,
        "open_totals": _totals(open_rows),
    }
