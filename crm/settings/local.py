"""Development on a laptop: embedded services by default, mail written to .data/mail."""

from crm.settings.base import *  # noqa: F403
from crm.settings.env import env_bool

DEBUG = env_bool("DEBUG", True)
