"""Structural rules the whole codebase must keep: every route authorized, every tenant model fenced."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from common.models import BaseModel
from common.registry import route_table
from common.routes import all_routes, routes_missing_from


def _labels(app_names: list[str]) -> set[str]:
    """App labels of installed apps by name: a nested app (`properties.media`) has its own label."""
    return {config.label for config in apps.get_app_configs() if config.name in app_names}


PUBLIC_MODEL_APPS = _labels(settings.SHARED_APPS)


def test_every_route_is_in_the_authorization_table() -> None:
    missing = routes_missing_from(route_table())

    assert missing == [], f"routes with no entry in the authorization table: {missing}"


def test_every_table_entry_names_a_real_route() -> None:
    view_names = {route.view_name for route in all_routes()}
    namespaces = {name.rpartition(":")[0] for name in view_names}

    stale = [
        key
        for key in route_table()
        if key not in view_names and not (key.endswith(":*") and key[:-2] in namespaces)
    ]

    assert stale == []


class _UnlistedView(APIView):
    def get(self, request):  # pragma: no cover - never reached: the route is refused
        return Response({})


urlpatterns = [
    *__import__("crm.urls", fromlist=["urlpatterns"]).urlpatterns,
    path("api/unlisted/", _UnlistedView.as_view(), name="unlisted"),
]


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a_route_missing_from_the_table_is_reported_and_refused(cast) -> None:
    from tenants.testing.fixtures import client_for

    missing = routes_missing_from(route_table(), urlconf=__name__)
    response = client_for(cast.owner.user).get("/api/unlisted/")

    assert [route.view_name for route in missing] == ["unlisted"]
    assert response.status_code == 403
    assert response.json()["detail"] == "This route is not in the authorization table."


def test_apps_are_in_exactly_one_of_shared_and_tenant_apps() -> None:
    assert set(settings.SHARED_APPS).isdisjoint(settings.TENANT_APPS)
    assert set(settings.INSTALLED_APPS) == set(settings.SHARED_APPS) | set(settings.TENANT_APPS)


def _tenant_models() -> list[type[models.Model]]:
    labels = _labels(settings.TENANT_APPS)
    return [model for model in apps.get_models() if model._meta.app_label in labels]


def test_every_tenant_model_inherits_base_model() -> None:
    tenant_models = _tenant_models()

    assert tenant_models, "expected at least one tenant model"
    assert [m.__name__ for m in tenant_models if not issubclass(m, BaseModel)] == []


def test_foreign_keys_from_tenant_tables_to_public_tables_have_no_constraint_and_never_cascade() -> None:
    offenders = []
    for model in _tenant_models():
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete and field.many_to_one):
                continue
            to_public = field.related_model._meta.app_label in PUBLIC_MODEL_APPS
            if to_public and (field.db_constraint or field.remote_field.on_delete is not models.DO_NOTHING):
                offenders.append(f"{model.__name__}.{field.name}")

    assert offenders == []


def _constraint_fields(constraint: models.UniqueConstraint) -> set[str]:
    names = set(constraint.fields)
    for expression in constraint.expressions:
        if isinstance(expression, str):
            names.add(expression)
        elif isinstance(expression, models.F):
            names.add(expression.name)
    return names


def test_every_uniqueness_constraint_of_a_tenant_model_includes_org() -> None:
    offenders = []
    for model in _tenant_models():
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint) and "org" not in _constraint_fields(constraint):
                offenders.append(f"{model.__name__}.{constraint.name}")
        for field in model._meta.fields:
            if field.unique and not field.primary_key:
                offenders.append(f"{model.__name__}.{field.name}")

    assert offenders == []
