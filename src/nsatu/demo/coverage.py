"""Alias coverage and fleet diversity: pure functions over the public files and a scenario folder.

`python -m nsatu.demo.coverage` prints both for the committed demo. The CLI
commands `nsatu catalog alias-coverage` and `nsatu catalog families --by
capability` call the same functions.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

from nsatu.demo.catalog import CATEGORY_CAPABILITY

DEMO_SCENARIO = Path(__file__).resolve().parent / "scenario"
# Beside the repository: <repo>/../shared/data/public (as CI clones it).
PUBLIC_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "public"

# Platforms.csv statuses that mean the recipient has the equipment (Kiel's
# "allocated" = delivered or specified for delivery).
HELD_STATUS_PREFIXES = ("delivered", "allocated")


def read_rows(path: Path) -> list[dict[str, str]]:
    """A CSV file as a list of dicts (BOM tolerated)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def alias_key(name: str) -> str:
    """Aliases match exactly, ignoring case and surrounding blanks."""
    return name.strip().casefold()


def load_aliases(path: Path) -> dict[str, str]:
    """`family_aliases.csv` of a scenario folder as alias -> family."""
    return {row["alias"]: row["family"] for row in read_rows(path)}


def resolve(name: str, aliases: Mapping[str, str]) -> str | None:
    """The family a raw system name denotes, or None."""
    folded = {alias_key(a): f for a, f in aliases.items()}
    return folded.get(alias_key(name))


def alias_coverage(
    platforms_csv: Path,
    aliases: Mapping[str, str],
    categories: Iterable[str] = tuple(CATEGORY_CAPABILITY),
) -> tuple[float, list[str]]:
    """Share of platforms.csv rows of the demo's categories whose system resolves to a family.

    Returns the share (1.0 when there is no such row) and the sorted, distinct
    unresolved system names.
    """
    wanted = set(categories)
    folded = {alias_key(a): f for a, f in aliases.items()}
    rows = [r for r in read_rows(platforms_csv) if r["category"] in wanted]
    unresolved = sorted({r["system"] for r in rows if alias_key(r["system"]) not in folded})
    missing = {alias_key(n) for n in unresolved}
    resolved = sum(1 for r in rows if alias_key(r["system"]) not in missing)
    return (resolved / len(rows) if rows else 1.0), unresolved


def held_families(platforms_csv: Path, aliases: Mapping[str, str]) -> set[str]:
    """Families the sources say the recipient received (delivered or allocated rows)."""
    folded = {alias_key(a): f for a, f in aliases.items()}
    held: set[str] = set()
    for row in read_rows(platforms_csv):
        if row["category"] not in CATEGORY_CAPABILITY:
            continue
        family = folded.get(alias_key(row["system"]))
        if family and row["quantity_status"].startswith(HELD_STATUS_PREFIXES):
            held.add(family)
    return held


def families_by_capability(
    families: Iterable[Mapping[str, str]], *, in_service_only: bool = True
) -> dict[str, list[str]]:
    """Capability -> sorted family codes, from families.csv rows (in service only by default)."""
    result: dict[str, list[str]] = {}
    for row in families:
        if in_service_only and row["in_service"].strip().lower() not in ("true", "1", "yes"):
            continue
        result.setdefault(row["capability"], []).append(row["code"])
    return {cap: sorted(codes) for cap, codes in sorted(result.items())}


def families_by_capability_and_calibre(
    families: Iterable[Mapping[str, str]], *, in_service_only: bool = True
) -> dict[tuple[str, str], list[str]]:
    """(capability, calibre in mm or "") -> sorted in-service family codes: the fleet-diversity detail.

    Uses the demo's extra `calibre_mm` column of families.csv.
    """
    result: dict[tuple[str, str], list[str]] = {}
    for row in families:
        if in_service_only and row["in_service"].strip().lower() not in ("true", "1", "yes"):
            continue
        key = (row["capability"], row.get("calibre_mm", "") or "")
        result.setdefault(key, []).append(row["code"])
    return {key: sorted(codes) for key, codes in sorted(result.items())}


def main(argv: list[str] | None = None) -> int:
    """Print alias coverage and fleet diversity; exit 1 when some name is unresolved."""
    parser = argparse.ArgumentParser(prog="python -m nsatu.demo.coverage", description=main.__doc__)
    parser.add_argument("--platforms", type=Path, default=PUBLIC_DATA / "platforms.csv")
    parser.add_argument("--scenario", type=Path, default=DEMO_SCENARIO)
    args = parser.parse_args(argv)

    aliases = load_aliases(args.scenario / "family_aliases.csv")
    families = read_rows(args.scenario / "families.csv")
    status = 0
    if args.platforms.exists():
        share, unresolved = alias_coverage(args.platforms, aliases)
        print(f"alias coverage: {share:.1%} of platforms.csv rows of the demo's capabilities")
        for name in unresolved:
            print(f"  unresolved: {name}")
        status = 1 if unresolved else 0
    else:
        print(f"alias coverage: {args.platforms} not found")
    print("families in service, by capability:")
    for capability, codes in families_by_capability(families).items():
        print(f"  {capability}: {len(codes)} ({', '.join(codes)})")
    print("by capability and calibre (mm):")
    for (capability, calibre), codes in families_by_capability_and_calibre(families).items():
        if calibre:
            print(f"  {capability} {calibre} mm: {len(codes)} ({', '.join(codes)})")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
