"""Each monitoring test keeps its evidence files in its own folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def evidence_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "evidence"
    settings.NSATU_EVIDENCE_DIR = folder
    return folder
