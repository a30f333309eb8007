"""The demo scenario: deterministic build, committed folder up to date, references, alias coverage."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from nsatu.demo import build, catalog, coverage
from tests.demo.conftest import DEMO


def rows(name: str, folder: Path = DEMO) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_build_is_deterministic(public: Path, tmp_path: Path) -> None:
    build.write(build.build(public), tmp_path / "a")
    build.write(build.build(public), tmp_path / "b")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_committed_folder_equals_a_fresh_build(public: Path) -> None:
    fresh = build.build(public)
    committed = {p.name: p.read_bytes() for p in DEMO.iterdir() if p.is_file()}
    assert sorted(committed) == sorted(fresh)
    stale = [name for name in fresh if committed[name] != fresh[name]]
    assert not stale, f"rebuild with python -m nsatu.demo.build: {stale} differ"


def test_files_are_canonical_text() -> None:
    for path in DEMO.iterdir():
        data = path.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf"), path.name
        assert b"\r" not in data, path.name
        data.decode("utf-8")


def test_alias_coverage_is_complete(public: Path) -> None:
    aliases = coverage.load_aliases(DEMO / "family_aliases.csv")
    share, unresolved = coverage.alias_coverage(public / "platforms.csv", aliases)
    assert unresolved == []
    assert share == 1.0


def test_alias_coverage_lists_unresolved_names(public: Path) -> None:
    aliases = coverage.load_aliases(DEMO / "family_aliases.csv")
    del aliases["Challenger 2"]
    share, unresolved = coverage.alias_coverage(public / "platforms.csv", aliases)
    assert unresolved == ["Challenger 2"]
    assert 0.99 < share < 1.0


def test_aliases_are_unique_and_resolve_to_known_families() -> None:
    families = {r["code"] for r in rows("families.csv")}
    seen: set[str] = set()
    for row in rows("family_aliases.csv"):
        key = coverage.alias_key(row["alias"])
        assert key not in seen, row["alias"]
        seen.add(key)
        assert row["family"] in families, row
    assert {a.item_type for a in catalog.ALIASES} <= {i.code for i in catalog.ITEM_TYPES}


def test_every_reference_resolves_and_quantities_are_positive() -> None:
    nations = {r["iso3"] for r in rows("nations.csv")}
    capabilities = {r["code"] for r in rows("capabilities.csv")}
    families = {r["code"]: r for r in rows("families.csv")}
    items = {r["code"]: r for r in rows("item_types.csv")}
    requirements = {r["id"]: r for r in rows("requirements.csv")}
    hubs = {r["code"] for r in rows("hubs.csv")}
    agreements = {r["id"] for r in rows("agreements.csv")}
    assert "UKR" in nations
    for f in families.values():
        assert f["capability"] in capabilities
        assert float(f["crew_per_unit"]) >= 0 and float(f["existing_crews"]) >= 0
    for i in items.values():
        assert i["family"] in families
        assert i["serialised"] == ("true" if i["unit"] == "each" else "false")
    for r in requirements.values():
        assert r["capability"] in capabilities
        assert float(r["quantity"]) > 0 and 1 <= int(r["priority"]) <= 5
        for code in filter(None, r["accepts"].split(";")):
            assert families[code]["capability"] == r["capability"], r["id"]
    for o in rows("offers.csv"):
        assert o["donor"] in nations and o["item_type"] in items
        assert float(o["quantity"]) > 0
        if items[o["item_type"]]["unit"] == "each":
            assert float(o["quantity"]).is_integer()
        assert not o["earmark"] or o["earmark"] in requirements
        assert o["status"] in ("offered", "withdrawn")
    for route in rows("routes.csv"):
        assert route["donor"] in nations and route["hub"] in hubs
    for course in rows("courses.csv"):
        assert course["family"] in families and course["host"] in nations
        assert float(families[course["family"]]["crew_per_unit"]) > 0
    for coalition in rows("coalitions.csv"):
        for column, known in (("capabilities", capabilities), ("leads", nations), ("members", nations)):
            assert set(filter(None, coalition[column].split(";"))) <= known
    for pledge in rows("pledges.csv"):
        assert pledge["agreement"] in agreements and float(pledge["amount"]) > 0


def test_scenario_settings_and_ids() -> None:
    toml = (DEMO / "scenario.toml").read_text(encoding="utf-8")
    assert "start_date = 2026-12-07" in toml and "horizon_weeks = 52" in toml
    assert dt.date(2026, 12, 7).weekday() == 0
    for name, column in (("requirements.csv", "id"), ("offers.csv", "id"), ("families.csv", "code")):
        ids = [r[column] for r in rows(name)]
        assert ids == sorted(ids) and len(ids) == len(set(ids)), name


def test_demo_is_an_interesting_problem() -> None:
    families = {r["code"]: r for r in rows("families.csv")}
    new = {c for c, f in families.items() if f["in_service"] == "false"}
    assert {"GRIPEN", "SKYRANGER"} <= new
    items = {r["code"]: r["family"] for r in rows("item_types.csv")}
    offered = {items[o["item_type"]] for o in rows("offers.csv")}
    gated = {c["family"] for c in rows("courses.csv")}
    assert {"F16", "GRIPEN", "PATRIOT"} <= gated
    assert new & offered
    assert 150 <= len(rows("offers.csv")) <= 300
    assert 60 <= len(rows("requirements.csv")) <= 120


def test_in_service_is_derived_from_deliveries() -> None:
    families = {r["code"]: r["in_service"] for r in rows("families.csv")}
    assert families["F16"] == "true" and families["CAESAR"] == "true"
    assert families["GRIPEN"] == "false"
    assert families["AMMO155"] == "true"  # a 155 mm gun family is in service


def test_fleet_diversity_figures() -> None:
    fams = rows("families.csv")
    by_capability = coverage.families_by_capability(fams)
    detail = coverage.families_by_capability_and_calibre(fams)
    assert len(detail[("artillery_sp", "155")]) == 10
    assert "GRIPEN" not in by_capability["fighter"]


def test_pledge_parsing() -> None:
    pledges, rest = build.parse_pledges(
        "EUR 1bn military aid in 2024; EUR 5bn 2024-2027 via a fund (EPF); EUR 5m per year until 2026"
    )
    assert pledges == [
        (2024, 1_000_000_000, "EUR", "EUR 1bn military aid in 2024"),
        (2024, 5_000_000_000, "EUR", "EUR 5bn 2024-2027 via a fund (EPF)"),
    ]
    assert rest == ["EUR 5m per year until 2026"]
    yearly, _ = build.parse_pledges("at least ISK 4bn (~EUR 27m) per year 2024-2025")
    assert [(y, a, c) for y, a, c, _ in yearly] == [
        (2024, 4_000_000_000, "ISK"),
        (2025, 4_000_000_000, "ISK"),
    ]
    inner, _ = build.parse_pledges("0.25% of GDP annually (about EUR 112m in 2024)")
    assert [(y, a) for y, a, _, _ in inner] == [(2024, 112_000_000)]


def test_platform_reader_reads_the_demo(tmp_path: Path) -> None:
    scenario = pytest.importorskip("nsatu.planner.io")
    if not hasattr(scenario, "read_scenario"):
        pytest.skip("nsatu.planner.io.read_scenario not in the tree yet")
    s = scenario.read_scenario(DEMO)
    assert s.recipient == "UKR"
    assert len(s.offers.ids) == len(rows("offers.csv"))
    assert set(s.extensions) >= {"capabilities", "family_aliases", "coalitions", "agreements", "pledges"}
    if hasattr(scenario, "write_scenario"):
        # the demo is written in the platform's canonical form: a round trip changes no byte
        out = tmp_path / "demo"
        scenario.write_scenario(s, out)
        for path in DEMO.iterdir():
            assert (out / path.name).read_bytes() == path.read_bytes(), path.name
