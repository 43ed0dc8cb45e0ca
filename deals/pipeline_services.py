"""Pipeline and stage configuration: the default pipeline on first use; admins' changes that keep deals whole."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from common.errors import Conflict, NotFound, field_error
from common.models import Profile
from deals.models import Deal, Pipeline, Stage, StageKind
from records import services as records
from tenants.audit import audit_record
from tenants.models import Org

DEFAULT_PIPELINE_NAME = "Sales"
DEFAULT_STAGES: tuple[tuple[str, int, str], ...] = (
    ("Qualification", 10, StageKind.OPEN),
    ("Needs analysis", 25, StageKind.OPEN),
    ("Proposal", 50, StageKind.OPEN),
    ("Negotiation", 75, StageKind.OPEN),
    ("Won", 100, StageKind.WON),
    ("Lost", 0, StageKind.LOST),
)


def _duplicate(code: str, detail: str, field_detail: str) -> Conflict:
    return Conflict(detail, code=code, fields={"name": [{"code": "duplicate", "detail": field_detail}]})


def _advisory_lock(key: str) -> None:
    """Serialises the first-pipeline setup of one org; released when the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


def _audit(org: Org, actor: Profile | None, action: str, target: Any, details: dict[str, Any]) -> None:
    audit_record(
        org=org, actor=actor, action=action, target_type=records.target_type(target), target_id=target.pk,
        details=details,
    )  # fmt: skip


def _create_stages(org: Org, actor: Profile | None, pipeline: Pipeline, stages: list[dict[str, Any]]) -> None:
    Stage.objects.bulk_create(
        [
            Stage(
                org=org, pipeline=pipeline, position=position, name=stage["name"],
                probability=stage.get("probability", _default_probability(stage.get("kind", StageKind.OPEN))),
                kind=stage.get("kind", StageKind.OPEN), created_by=actor, updated_by=actor,
            )
            for position, stage in enumerate(stages)
        ]
    )  # fmt: skip


def _standard_stages() -> list[dict[str, Any]]:
    return [{"name": name, "probability": probability, "kind": kind} for name, probability, kind in DEFAULT_STAGES]


def _default_probability(kind: str) -> int:
    return 100 if kind == StageKind.WON else 0


def _check_stage_set(stages: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for stage in stages:
        key = stage["name"].strip().lower()
        if key in seen:
            raise field_error("stages", "duplicate", f'Two stages are named "{stage["name"]}".')
        seen.add(key)
    if not any(stage.get("kind", StageKind.OPEN) == StageKind.OPEN for stage in stages):
        raise field_error("stages", "open_stage_required", "A pipeline needs at least one open stage.")


def pipeline_ensure_default(*, org: Org, actor: Profile | None = None) -> Pipeline:
    """The org's default pipeline, made on first use ("Sales", six stages) if the org has no pipeline yet.

    Safe to call concurrently: the first caller creates it, the others wait for it and then find it."""
    with transaction.atomic():
        default = Pipeline.objects.for_org(org).filter(is_default=True).first()
        if default is not None:
            return default
        _advisory_lock(f"deals.default_pipeline:{org.pk}")
        pipelines = Pipeline.objects.for_org(org)
        default = pipelines.filter(is_default=True).first() or pipelines.order_by("position", "name", "id").first()
        if default is not None:
            if not default.is_default:
                default.is_default = True
                default.save(update_fields=["is_default", "updated_at"])
            return default
        default = Pipeline.objects.create(
            org=org, name=DEFAULT_PIPELINE_NAME, is_default=True, position=0, created_by=actor, updated_by=actor
        )
        _create_stages(org, actor, default, _standard_stages())
    return default


def _pipeline(org: Org, pipeline_id: Any, *, lock: bool = False) -> Pipeline:
    queryset = Pipeline.objects.for_org(org)
    if lock:
        queryset = queryset.select_for_update()
    pipeline = queryset.filter(pk=pipeline_id).first()
    if pipeline is None:
        raise NotFound()
    return pipeline


def _refuse_duplicate_pipeline(org: Org, name: str, exclude_id: Any = None) -> None:
    if Pipeline.objects.for_org(org).filter(name__iexact=name.strip()).exclude(pk=exclude_id).exists():
        raise _duplicate(
            "duplicate_pipeline", "A pipeline with this name already exists.", "Another pipeline has this name."
        )


def _make_sole_default(org: Org, pipeline: Pipeline) -> None:
    Pipeline.objects.for_org(org).filter(is_default=True).exclude(pk=pipeline.pk).update(
        is_default=False, updated_at=timezone.now()
    )


def pipeline_create(
    *, org: Org, actor: Profile, name: str, is_default: bool = False, stages: list[dict[str, Any]] | None = None
) -> Pipeline:
    """A new pipeline, last in order; without `stages` it gets the standard ones. The org's first pipeline
    becomes the default whatever was asked, so there is always exactly one."""
    stages = stages if stages is not None else _standard_stages()
    _check_stage_set(stages)
    with transaction.atomic():
        _advisory_lock(f"deals.default_pipeline:{org.pk}")
        _refuse_duplicate_pipeline(org, name)
        pipelines = Pipeline.objects.for_org(org)
        is_default = is_default or not pipelines.filter(is_default=True).exists()
        last = pipelines.aggregate(last=Max("position"))["last"]
        pipeline = Pipeline(
            org=org, name=name.strip(), is_default=is_default, position=0 if last is None else last + 1,
            created_by=actor, updated_by=actor,
        )  # fmt: skip
        if is_default:
            _make_sole_default(org, pipeline)
        pipeline.save()
        _create_stages(org, actor, pipeline, stages)
        _audit(org, actor, "pipeline_created", pipeline, {"name": pipeline.name, "stages": len(stages)})
    return pipeline


def pipeline_update(*, org: Org, actor: Profile, pipeline_id: Any, data: dict[str, Any]) -> Pipeline:
    with transaction.atomic():
        pipeline = _pipeline(org, pipeline_id, lock=True)
        changes: dict[str, list[Any]] = {}
        if "name" in data and data["name"].strip() != pipeline.name:
            _refuse_duplicate_pipeline(org, data["name"], exclude_id=pipeline.pk)
            changes["name"] = [pipeline.name, data["name"].strip()]
            pipeline.name = data["name"].strip()
        if "position" in data and data["position"] != pipeline.position:
            changes["position"] = [pipeline.position, data["position"]]
            pipeline.position = data["position"]
        if "is_default" in data and data["is_default"] != pipeline.is_default:
            if not data["is_default"]:
                raise field_error(
                    "is_default", "default_required",
                    "The org always has a default pipeline: make another pipeline the default instead.",
                )  # fmt: skip
            _make_sole_default(org, pipeline)
            changes["is_default"] = [False, True]
            pipeline.is_default = True
        if changes:
            pipeline.updated_by = actor
            pipeline.save()
            _audit(org, actor, "pipeline_updated", pipeline, {"changes": changes})
    return pipeline


def pipeline_delete(*, org: Org, actor: Profile, pipeline_id: Any) -> None:
    """Only an unused, non-default pipeline goes (its stages with it): deals, archived ones included, keep
    their pipeline, and converted leads always need somewhere to land."""
    with transaction.atomic():
        pipeline = _pipeline(org, pipeline_id, lock=True)
        if pipeline.is_default:
            raise Conflict(
                "The default pipeline cannot be deleted. Make another pipeline the default first.",
                code="default_pipeline",
            )
        used = Deal.objects.for_org(org).filter(pipeline=pipeline).count()
        if used:
            raise Conflict(
                f"{used} deal(s), archived ones included, are in this pipeline. Move or purge them first.",
                code="pipeline_in_use",
            )
        _audit(org, actor, "pipeline_deleted", pipeline, {"name": pipeline.name})
        Stage.objects.for_org(org).filter(pipeline=pipeline).delete()
        pipeline.delete()


def _stage(org: Org, pipeline: Pipeline, stage_id: Any) -> Stage:
    stage = Stage.objects.for_org(org).select_for_update().filter(pipeline=pipeline, pk=stage_id).first()
    if stage is None:
        raise NotFound()
    return stage


def _refuse_duplicate_stage(org: Org, pipeline: Pipeline, name: str, exclude_id: Any = None) -> None:
    if (
        Stage.objects.for_org(org)
        .filter(pipeline=pipeline, name__iexact=name.strip())
        .exclude(pk=exclude_id)
        .exists()
    ):
        raise _duplicate(
            "duplicate_stage",
            "A stage with this name already exists in this pipeline.",
            "Another stage of this pipeline has this name.",
        )


def _refuse_losing_last_open_stage(org: Org, stage: Stage) -> None:
    others = Stage.objects.for_org(org).filter(pipeline_id=stage.pipeline_id, kind=StageKind.OPEN)
    if not others.exclude(pk=stage.pk).exists():
        raise Conflict("A pipeline needs at least one open stage: new deals start there.", code="last_open_stage")


def _renumber(org: Org, pipeline: Pipeline, ordered_ids: list[Any]) -> None:
    stages = Stage.objects.for_org(org).filter(pipeline=pipeline).in_bulk(ordered_ids)
    moved = []
    for position, stage_id in enumerate(ordered_ids):
        stage = stages[stage_id]
        if stage.position != position:
            stage.position = position
            moved.append(stage)
    Stage.objects.bulk_update(moved, ["position"])


def stage_create(*, org: Org, actor: Profile, pipeline_id: Any, data: dict[str, Any]) -> Stage:
    """A new stage at the end of the pipeline (reorder to move it)."""
    with transaction.atomic():
        pipeline = _pipeline(org, pipeline_id, lock=True)
        _refuse_duplicate_stage(org, pipeline, data["name"])
        last = Stage.objects.for_org(org).filter(pipeline=pipeline).aggregate(last=Max("position"))["last"]
        kind = data.get("kind", StageKind.OPEN)
        stage = Stage.objects.create(
            org=org, pipeline=pipeline, name=data["name"].strip(), kind=kind,
            probability=data.get("probability", _default_probability(kind)),
            position=0 if last is None else last + 1, created_by=actor, updated_by=actor,
        )  # fmt: skip
        _audit(org, actor, "stage_created", stage, {"pipeline": str(pipeline.pk), "name": stage.name})
    return stage


def stage_update(*, org: Org, actor: Profile, pipeline_id: Any, stage_id: Any, data: dict[str, Any]) -> Stage:
    """Renaming and re-weighting are free. The kind of a stage with deals is fixed: turning an open stage into
    a won one would close its deals without a date (and a lost one without a reason)."""
    with transaction.atomic():
        pipeline = _pipeline(org, pipeline_id, lock=True)
        stage = _stage(org, pipeline, stage_id)
        changes: dict[str, list[Any]] = {}
        if "name" in data and data["name"].strip() != stage.name:
            _refuse_duplicate_stage(org, pipeline, data["name"], exclude_id=stage.pk)
            changes["name"] = [stage.name, data["name"].strip()]
            stage.name = data["name"].strip()
        if "probability" in data and data["probability"] != stage.probability:
            changes["probability"] = [stage.probability, data["probability"]]
            stage.probability = data["probability"]
        if "kind" in data and data["kind"] != stage.kind:
            if stage.kind == StageKind.OPEN:
                _refuse_losing_last_open_stage(org, stage)
            if Deal.objects.for_org(org).filter(stage=stage).exists():
                raise Conflict(
                    "This stage has deals, so its kind cannot change. Add a new stage and move them.",
                    code="stage_in_use",
                )
            changes["kind"] = [stage.kind, data["kind"]]
            stage.kind = data["kind"]
        if changes:
            stage.updated_by = actor
            stage.save()
            _audit(org, actor, "stage_updated", stage, {"pipeline": str(pipeline.pk), "changes": changes})
    return stage


def stage_delete(*, org: Org, actor: Profile, pipeline_id: Any, stage_id: Any) -> None:
    with transaction.atomic():
        pipeline = _pipeline(org, pipeline_id, lock=True)
        stage = _stage(org, pipeline, stage_id)
        used = Deal.objects.for_org(org).filter(stage=stage).count()
        if used:
            raise Conflict(
                f"{used} deal(s), archived ones included, are in this stage. Move them to another stage first.",
                code="stage_in_use",
            )
        if stage.kind == StageKind.OPEN:
            _refuse_losing_last_open_stage(org, stage)
        _audit(org, actor, "stage_deleted", stage, {"pipeline": str(pipeline.pk), "name": stage.name})
        stage.delete()
        remaining = list(
            Stage.objects.for_org(org)
            .filter(pipeline=pipeline)
            .order_by("position", "id")
            .values_list("pk", flat=True)
        )
        _renumber(org, pipeline, remaining)


def stages_reorder(*, org: Org, actor: Profile, pipeline_id: Any, stage_ids: list[Any]) -> Pipeline:
    """`stage_ids` is the pipeline's every stage, once each, in the new order."""
    with transaction.atomic():
        pipeline = _pipeline(org, pipeline_id, lock=True)
        current = set(Stage.objects.for_org(org).filter(pipeline=pipeline).values_list("pk", flat=True))
        if len(stage_ids) != len(set(stage_ids)) or set(stage_ids) != current:
            raise field_error(
                "stage_ids", "invalid", "List every stage of this pipeline exactly once, in the new order."
            )
        _renumber(org, pipeline, stage_ids)
        _audit(org, actor, "stages_reordered", pipeline, {"order": [str(pk) for pk in stage_ids]})
    return pipeline
