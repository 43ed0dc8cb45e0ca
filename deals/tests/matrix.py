"""How the role matrix calls the deals, pipelines and stages routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tenants.testing.fixtures import Cast
from tenants.testing.matrix import Call, made_pk


def _deal(archived: bool = False) -> Callable[[Cast], dict[str, Any]]:
    """A deal of org A in the default pipeline's first stage that every role of org A can see."""

    def make(cast: Cast) -> dict[str, Any]:
        from django.utils import timezone

        from common.context import org_context
        from deals.models import Deal, Stage
        from deals.pipeline_services import pipeline_ensure_default

        with org_context(cast.org_a):
            pipeline = pipeline_ensure_default(org=cast.org_a)
            first, second = Stage.objects.filter(pipeline=pipeline).order_by("position")[:2]
            deal = Deal.objects.create(
                org=cast.org_a, name="Matrix deal", currency="USD", pipeline=pipeline, stage=first,
                owner=cast.owner, created_by=cast.owner, assigned_to=[cast.member.pk],
                archived_at=timezone.now() if archived else None,
            )  # fmt: skip
        return {"pk": deal.pk, "stage": str(second.pk)}

    return make


def _pipeline(cast: Cast) -> dict[str, Any]:
    """A second, non-default pipeline (so it may be deleted) with the standard stages."""
    from common.context import org_context
    from deals.models import Stage
    from deals.pipeline_services import pipeline_create, pipeline_ensure_default

    with org_context(cast.org_a):
        pipeline_ensure_default(org=cast.org_a)
        pipeline = pipeline_create(org=cast.org_a, actor=cast.owner, name="Matrix pipeline")
        stage_ids = list(Stage.objects.filter(pipeline=pipeline).order_by("position").values_list("pk", flat=True))
    return {"pipeline_id": pipeline.pk, "stage_ids": [str(pk) for pk in stage_ids]}


def _pipeline_kwargs(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"pipeline_id": made["pipeline_id"]}


def _stage_kwargs(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"pipeline_id": made["pipeline_id"], "stage_id": made["stage_ids"][0]}


_made = _deal()

MATRIX_SPECS = {
    "api:deals-list": {"GET": Call(), "POST": Call(status=201, body={"name": "Matrix"})},
    "api:deals-detail": {
        "GET": Call(setup=_made, kwargs=made_pk),
        "PATCH": Call(setup=_made, kwargs=made_pk, body={"name": "Matrix"}),
        "PUT": Call(setup=_made, kwargs=made_pk, body={"name": "Matrix"}),
        "DELETE": Call(status=204, setup=_made, kwargs=made_pk),
    },
    "api:deals-bulk": {
        "POST": Call(setup=_made, body=lambda cast, made: {"action": "archive", "ids": [str(made["pk"])]})
    },
    "api:deals-export": {"GET": Call(setup=_made, overrides={"member": 403, "viewer": 403})},
    "api:deals-timeline": {"GET": Call(setup=_made, kwargs=made_pk)},
    "api:deals-restore": {"POST": Call(setup=_deal(archived=True), kwargs=made_pk)},
    "api:deals-purge": {"POST": Call(status=204, setup=_deal(archived=True), kwargs=made_pk)},
    "api:deals-move": {
        "POST": Call(setup=_made, kwargs=made_pk, body=lambda cast, made: {"stage": made["stage"]})
    },
    "api:deals-summary": {"GET": Call(setup=_made)},
    "api:pipelines": {"GET": Call(), "POST": Call(status=201, body={"name": "Lettings"})},
    "api:pipeline-detail": {
        "GET": Call(setup=_pipeline, kwargs=_pipeline_kwargs),
        "PATCH": Call(setup=_pipeline, kwargs=_pipeline_kwargs, body={"name": "Renamed"}),
        "DELETE": Call(status=204, setup=_pipeline, kwargs=_pipeline_kwargs),
    },
    "api:pipeline-stages": {
        "GET": Call(setup=_pipeline, kwargs=_pipeline_kwargs),
        "POST": Call(status=201, setup=_pipeline, kwargs=_pipeline_kwargs, body={"name": "Viewing"}),
    },
    "api:pipeline-stage-detail": {
        "PATCH": Call(setup=_pipeline, kwargs=_stage_kwargs, body={"probability": 15}),
        "DELETE": Call(status=204, setup=_pipeline, kwargs=_stage_kwargs),
    },
    "api:pipeline-stages-reorder": {
        "POST": Call(
            setup=_pipeline,
            kwargs=_pipeline_kwargs,
            body=lambda cast, made: {"stage_ids": list(reversed(made["stage_ids"]))},
        )
    },
}
