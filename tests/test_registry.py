"""A module plugs in through its AppConfig alone: the widgets module of the test settings (tests/widgets) names
itself nowhere else, and gets its routes, access rows, export, bulk, timeline and reassignment from the
registry."""

from __future__ import annotations

import ast
import pathlib

import pytest
from django.conf import settings

from common import registry
from common.access import ADMINS, ALL_ROLES, WRITERS, Scope
from common.context import org_context
from customfields.services import record_modules
from tenants.testing.fixtures import Cast, client_for
from tests.widgets import listeners
from tests.widgets.models import Widget
from timeline.models import ActivityEntry
from timeline.notifications import notify
from timeline.selectors import target_models

pytestmark = pytest.mark.django_db
WIDGETS = "/api/widgets/"
REPO = pathlib.Path(settings.BASE_DIR)


def _widget(cast: Cast, **fields) -> Widget:
    with org_context(cast.org_a):
        return Widget.objects.create(org=cast.org_a, created_by=cast.owner, name="Sprocket", **fields)


def test_the_registry_gives_the_module_its_access_rows() -> None:
    table = registry.route_table()

    rows = {name: access for name, access in table.items() if name.startswith("api:widgets-")}

    assert sorted(rows) == [
        "api:widgets-bulk", "api:widgets-detail", "api:widgets-export", "api:widgets-list", "api:widgets-purge",
        "api:widgets-restore", "api:widgets-timeline",
    ]  # fmt: skip
    assert {access.scope for access in rows.values()} == {Scope.TENANT}
    assert rows["api:widgets-list"].methods == {"GET": ALL_ROLES, "POST": WRITERS}
    assert rows["api:widgets-purge"].methods == {"POST": ADMINS}


def test_the_module_is_a_record_type_of_the_timeline_and_of_custom_fields() -> None:
    assert "widgets.widget" in target_models()
    assert "widgets.widget" in record_modules()


def test_a_member_creates_lists_and_patches_a_widget_through_the_routes_the_registry_mounted(cast: Cast) -> None:
    client = client_for(cast.member)

    created = client.post(WIDGETS, {"name": "Sprocket"}, format="json")
    listed = client.get(WIDGETS)
    patched = client.patch(f"{WIDGETS}{created.json()['id']}/", {"name": "Cog"}, format="json")

    assert created.status_code == 201, created.json()
    assert [row["name"] for row in listed.json()["results"]] == ["Sprocket"]
    assert (patched.status_code, patched.json()["name"]) == (200, "Cog")
    with org_context(cast.org_a):
        verbs = list(ActivityEntry.objects.filter(target_type="widgets.widget").values_list("verb", flat=True))
    assert sorted(verbs) == ["created", "updated"]


def test_a_module_hears_every_change_inside_its_transaction_and_every_notification(cast: Cast) -> None:
    listeners.HEARD.clear()
    client = client_for(cast.member)

    created = client.post(WIDGETS, {"name": "Sprocket"}, format="json").json()
    contact = client.post("/api/contacts/", {"first_name": "Heard"}, format="json").json()
    with org_context(cast.org_a):
        notify(
            org=cast.org_a, actor=cast.member, recipient_ids=[cast.manager.pk], kind="mentioned",
            target_type="widgets.widget", target_id=created["id"], message="Look",
        )  # fmt: skip

    heard = listeners.HEARD[:2]
    changes = [(h["verb"], h["target_type"], str(h["target_id"]), h["in_transaction"]) for h in heard]
    assert changes == [
        ("created", "widgets.widget", created["id"], True),
        ("created", "contacts.contact", contact["id"], True),
    ]
    assert {h.get("org") for h in listeners.HEARD[:2]} == {cast.org_a.pk}
    assert listeners.HEARD[2:] == [{"notifications": [(cast.manager.pk, "mentioned")]}]


def test_the_export_and_the_bulk_action_work_for_the_module(cast: Cast) -> None:
    widget = _widget(cast)
    client = client_for(cast.manager)

    exported = client.get(f"{WIDGETS}export/")
    lines = b"".join(exported.streaming_content).decode().splitlines()
    bulk = client.post(f"{WIDGETS}bulk/", {"action": "archive", "ids": [str(widget.pk)]}, format="json")

    assert exported.status_code == 200
    assert lines[0].startswith("id,name,")
    assert lines[1].startswith(f"{widget.pk},Sprocket,")
    assert bulk.json() == {"results": [{"id": str(widget.pk), "status": "archived"}]}
    with org_context(cast.org_a):
        assert Widget.objects.get(pk=widget.pk).archived_at is not None


def test_another_orgs_widget_is_the_same_404_as_a_missing_one(cast: Cast) -> None:
    with org_context(cast.org_b):
        foreign = Widget.objects.create(org=cast.org_b, created_by=cast.other_owner, name="Theirs")

    response = client_for(cast.owner).get(f"{WIDGETS}{foreign.pk}/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found.", "fields": {}}


def test_removing_a_member_hands_their_widgets_on_through_the_modules_reassign_hook(cast: Cast) -> None:
    widget = _widget(cast, assigned_to=[cast.member.pk])

    response = client_for(cast.admin).post(
        f"/api/org/members/{cast.member.pk}/remove/", {"reassign_to": str(cast.manager.pk)}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["reassigned"]["widgets"] == 1
    with org_context(cast.org_a):
        assert Widget.objects.get(pk=widget.pk).assigned_to == [cast.manager.pk]


def _string_constants(path: pathlib.Path) -> set[str]:
    return {
        node.value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def test_crm_lists_no_module() -> None:
    """Only INSTALLED_APPS (crm/settings) names the business modules; the URL root and the route table read
    the registry."""
    module_names = {config.label for config in registry.modules() if config.record_apis}
    sources = [path for path in (REPO / "crm").rglob("*.py") if "settings" not in path.parts]
    named = {
        (path.name, name)
        for path in sources
        for name in module_names
        for constant in _string_constants(path)
        if name == constant or constant.startswith(f"{name}.")
    }

    assert sources
    assert named == set()
