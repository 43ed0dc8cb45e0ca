"""Settings of a test worker process that shares the test session's media folder: the worker writes the PDFs the
test then reads."""

import os
from pathlib import Path

from crm.settings.test import *  # noqa: F403
from crm.settings.test import MEDIA_ROOT as _OWN_MEDIA_ROOT

Path(_OWN_MEDIA_ROOT).rmdir()  # the empty folder crm.settings.test made for this process
MEDIA_ROOT = Path(os.environ["KEYSTONE_TEST_MEDIA_ROOT"])
