"""Settings of a test beat process: the schedule of the real one, with the recurring cards due every second so a
test does not wait five minutes for beat to send them."""

from crm.settings.test import *  # noqa: F403
from crm.settings.test import CELERY_BEAT_SCHEDULE as _SCHEDULE

CELERY_BEAT_SCHEDULE = {"board-recurring-cards": {**_SCHEDULE["board-recurring-cards"], "schedule": 1.0}}
