"""What member removal asks of widgets: hand the member's widgets to another member."""

from typing import Any

from common.models import Profile
from records import services as records
from tests.widgets.models import Widget


def reassign_open_widgets(org: Any, from_profile: Profile, to_profile: Profile) -> int:
    moved = 0
    for widget in Widget.objects.for_org(org).filter(assigned_to__contains=[from_profile.pk]).select_for_update():
        assignees = [to_profile.pk if pk == from_profile.pk else pk for pk in widget.assigned_to]
        records.apply_changes(widget, to_profile, {"assigned_to": list(dict.fromkeys(assignees))})
        moved += 1
    return moved
