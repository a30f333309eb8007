"""The demo tests need neither a database nor Django settings."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# CI clones the repository with shared/ beside it.
PUBLIC = REPO_ROOT.parent / "shared" / "data" / "public"
DEMO = REPO_ROOT / "src" / "nsatu" / "demo" / "scenario"


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """Under `-p no:django`, declare pytest-django's ini key: its unknown-key warning is an error."""
    if not pluginmanager.has_plugin("django"):
        parser.addini("DJANGO_SETTINGS_MODULE", "read by pytest-django when it is loaded")


@pytest.fixture(autouse=True)
def fast_password_hashing() -> None:
    """Shadows the suite-wide fixture, which needs pytest-django's settings (`-p no:django`)."""


@pytest.fixture(scope="session")
def public() -> Path:
    """The public facts folder, or a skip when it is not beside the repository."""
    if not (PUBLIC / "platforms.csv").exists():
        pytest.skip(f"public facts not found at {PUBLIC} (clone shared/ beside the repository)")
    return PUBLIC
