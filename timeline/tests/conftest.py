"""Fixtures of the timeline suites: a private media folder for uploads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Uploads land in this test's own folder, never in .data/media."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path
