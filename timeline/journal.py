"""The timeline as the record kernel's journal (records.ports.RecordJournal): what every record write logs."""

from __future__ import annotations

from typing import Any

from timeline.notifications import notify, notify_many
from timeline.selectors import timeline_page
from timeline.services import activity_record, activity_record_many, timeline_target_purge


class TimelineJournal:
    activity = staticmethod(activity_record)
    activities = staticmethod(activity_record_many)
    notify = staticmethod(notify)
    notify_many = staticmethod(notify_many)
    purge = staticmethod(timeline_target_purge)

    @staticmethod
    def page(record: Any, *, before: Any, limit: int) -> tuple[list[dict[str, Any]], bool]:
        return timeline_page(record, before=before, limit=limit)


journal = TimelineJournal()
