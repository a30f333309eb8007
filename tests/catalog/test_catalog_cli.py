"""`nsatu catalog`: fleet diversity from the database, and alias coverage of the public data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nsatu.cli import app
from nsatu.commands.catalog import DEFAULT_PLATFORMS
from nsatu.commands.scenario import DEMO_SCENARIO
from nsatu.core.actors import CLI
from nsatu.planner.io import read_scenario
from nsatu.planning.adapters import import_scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db: Any) -> None:
    import_scenario(read_scenario(DEMO_SCENARIO), actor=CLI)


def test_families_by_capability_counts_families_in_service(demo: None) -> None:
    from nsatu.catalog.models import Family

    result = CliRunner().invoke(app, ["catalog", "families", "--by", "capability"])
    assert result.exit_code == 0, result.output
    in_service = Family.objects.filter(in_service=True)
    capabilities = in_service.values("capability").distinct().count()
    assert f"{in_service.count()} families across {capabilities} capabilities" in " ".join(
        result.output.split()
    )


def test_alias_coverage_of_the_public_platforms(demo: None) -> None:
    if not DEFAULT_PLATFORMS.is_file():
        pytest.skip(f"{DEFAULT_PLATFORMS} is absent (shared/ is not beside this clone)")
    result = CliRunner().invoke(app, ["catalog", "alias-coverage"])
    assert result.exit_code == 0, result.output
    assert "alias coverage: 100.0%" in result.output


def test_alias_coverage_lists_unresolved_names(demo: None, tmp_path: Path) -> None:
    platforms = tmp_path / "platforms.csv"
    platforms.write_text(
        "donor_iso3,system,category,quantity_status\nPOL,Wunderwaffe 9000,mbt,delivered\n"
        "POL,Leopard 2A4,mbt,delivered\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["catalog", "alias-coverage", "--platforms", str(platforms)])
    assert result.exit_code == 1
    assert "unresolved: Wunderwaffe 9000" in result.output
