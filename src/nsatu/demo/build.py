"""Build the demo scenario folder from the public facts, deterministically.

    python -m nsatu.demo.build --source ../shared/data/public --out src/nsatu/demo/scenario

Standard library only. Facts come from the public files; everything else
(future dates, hub capacities, lead times, courses, most requirements, crew
sizes) is an assumption, labelled in the data (`note`/`source` columns) and
listed in docs/demo.md together with every derivation rule.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import math
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from nsatu.demo.catalog import (
    ALIASES,
    CAPABILITIES,
    CATEGORY_CAPABILITY,
    FAMILIES,
    INTRODUCTION_COST,
    ITEM_TYPES,
    Alias,
)
from nsatu.demo.coverage import HELD_STATUS_PREFIXES, alias_key

START = dt.date(2026, 12, 7)  # a Monday: week 0
HORIZON_WEEKS = 52
RECIPIENT = "UKR"
ASSUMPTION = "assumption"

# Share of a donor's sourced (delivered/allocated) quantity of a family that the
# demo re-frames as a follow-on offer (assumption).
FOLLOW_ON_SHARE = 0.2
# A follow-on offer of this many units or more comes in two tranches 16 weeks apart.
TRANCHE_SPLIT_AT = 10
# Reserve crews the recipient has for a family in service: crews for this share
# of the sourced fleet (assumption).
RESERVE_CREW_SHARE = 0.1

EU_CODE = "EUU"  # donors.csv says "EU", not an ISO 3166 alpha-3 code; EUU is the World Bank's code

OutRow = dict[str, object]


# ----------------------------------------------------------------------------- writing


def text(value: object) -> str:
    """Canonical cell text: minimal numbers, ISO dates, true/false, `;` lists."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def csv_bytes(columns: Sequence[str], rows: Iterable[OutRow]) -> bytes:
    """UTF-8 without BOM, `\\n` line ends, minimal quoting."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([text(row.get(c)) for c in columns])
    return buffer.getvalue().encode("utf-8")


def week_date(week: int) -> dt.date:
    """The Monday that starts a scenario week."""
    return START + dt.timedelta(weeks=week)


def spread(key: str, modulo: int) -> int:
    """A deterministic pseudo-random number in 0..modulo-1 (CRC-32 of the key)."""
    return zlib.crc32(key.encode("utf-8")) % modulo


# ----------------------------------------------------------------------------- sources


def read_rows(path: Path) -> list[dict[str, str]]:
    """One public CSV file as dicts."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def source_kind(source: str) -> str:
    """Which compilation a platforms.csv row comes from: Kiel, Oryx or a single-source pledge."""
    if "ukraine-support-tracker" in source:
        return "Kiel"
    if "ua-ru-losses-scraper" in source:
        return "Oryx"
    return "pledge"


@dataclass(frozen=True)
class PlatformRow:
    """A platforms.csv row of a demo capability, resolved through the alias table."""

    donor: str
    system: str
    alias: Alias
    family: str
    quantity: int | None
    status: str
    kind: str

    @property
    def held(self) -> bool:
        return self.status.startswith(HELD_STATUS_PREFIXES)

    @property
    def undelivered_pledge(self) -> bool:
        return not self.held


def platform_rows(source: Path) -> list[PlatformRow]:
    """The demo's platforms.csv rows; every system name must resolve (else ValueError)."""
    by_alias = {alias_key(a.alias): a for a in ALIASES}
    family_of = {i.code: i.family for i in ITEM_TYPES}
    rows: list[PlatformRow] = []
    unresolved: set[str] = set()
    for r in read_rows(source / "platforms.csv"):
        if r["category"] not in CATEGORY_CAPABILITY:
            continue
        alias = by_alias.get(alias_key(r["system"]))
        if alias is None:
            unresolved.add(r["system"])
            continue
        rows.append(
            PlatformRow(
                donor=r["donor_iso3"],
                system=r["system"],
                alias=alias,
                family=family_of[alias.item_type],
                quantity=int(r["quantity"]) if r["quantity"] else None,
                status=r["quantity_status"],
                kind=source_kind(r["source"]),
            )
        )
    if unresolved:
        raise ValueError(f"system names without an alias: {sorted(unresolved)}")
    return rows


# ----------------------------------------------------------------------------- nations


def nations(source: Path) -> list[OutRow]:
    """UDCG participants (donors.csv, udcg_participant = Y, Ukraine among them) with NCB codes."""
    bureau: dict[str, str] = {}
    for r in read_rows(source / "ncs.csv"):
        if r["fact_type"] != "ncb_code":
            continue
        iso = re.search(r"\(([A-Z]{3})\)", r["description"])
        code = re.match(r"\d{2}", r["code"])  # "00, 01" (USA), "20, 21" (CAN): the first listed
        if iso and code:
            bureau[iso.group(1)] = code.group(0)
    rows: list[OutRow] = []
    for r in read_rows(source / "donors.csv"):
        if r["udcg_participant"] != "Y":
            continue
        iso3 = EU_CODE if r["iso3"] == "EU" else r["iso3"]
        rows.append(
            {
                "iso3": iso3,
                "name": r["country"],
                "nato": r["nato_member_jul2024"] == "Y",
                "eu": r["eu_member"] == "Y" or iso3 == EU_CODE,
                "codification_bureau": bureau.get(iso3, ""),
                "note": (
                    "assumption: code EUU (World Bank) for donors.csv's 'EU'; "
                    "the EU itself counted as eu=true"
                    if iso3 == EU_CODE
                    else ""
                ),
            }
        )
    if not any(r["iso3"] == RECIPIENT for r in rows):
        raise ValueError("donors.csv lacks the recipient UKR")
    return sorted(rows, key=lambda r: str(r["iso3"]))


# ----------------------------------------------------------------------------- catalog


@dataclass
class DonorFamily:
    """What the sources say about one donor and one family."""

    held: int = 0  # delivered/allocated: max over sources of that source's sum (Kiel and Oryx overlap)
    oryx_delivered: int = 0
    oryx_pledged: int = 0  # Oryx: pledged, not yet delivered
    other_pledged: int = 0  # single-source pledges (totals, partly delivered since)
    held_item: str = ""  # the item type with the largest sourced quantity
    pledge_item: str = ""


def donor_families(rows: list[PlatformRow]) -> dict[tuple[str, str], DonorFamily]:
    """Per (donor, family): sourced quantities, deduplicated across sources."""
    sums: dict[tuple[str, str, str], int] = defaultdict(int)
    item_qty: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    pledge_qty: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        if r.quantity is None or not r.alias.counts:
            continue
        key = (r.donor, r.family)
        if r.held:
            sums[(r.donor, r.family, r.kind)] += r.quantity
            item_qty[key][r.alias.item_type] += r.quantity
        else:
            bucket = "Oryx-pledged" if r.kind == "Oryx" else "other-pledged"
            sums[(r.donor, r.family, bucket)] += r.quantity
            pledge_qty[key][r.alias.item_type] += r.quantity
    result: dict[tuple[str, str], DonorFamily] = {}
    for key in sorted(set(item_qty) | set(pledge_qty)):
        donor, family = key
        df = DonorFamily(
            held=max(sums[(donor, family, "Kiel")], sums[(donor, family, "Oryx")]),
            oryx_delivered=sums[(donor, family, "Oryx")],
            oryx_pledged=sums[(donor, family, "Oryx-pledged")],
            other_pledged=sums[(donor, family, "other-pledged")],
        )
        if item_qty[key]:
            df.held_item = max(sorted(item_qty[key]), key=lambda i: item_qty[key][i])
        if pledge_qty[key]:
            df.pledge_item = max(sorted(pledge_qty[key]), key=lambda i: pledge_qty[key][i])
        result[key] = df
    return result


def family_held_quantity(df: dict[tuple[str, str], DonorFamily]) -> dict[str, int]:
    """Family -> sourced delivered/allocated quantity over all donors."""
    total: dict[str, int] = defaultdict(int)
    for (_, family), d in df.items():
        total[family] += d.held
    return dict(total)


def families_rows(rows: list[PlatformRow], held_qty: dict[str, int]) -> list[OutRow]:
    """families.csv: in_service derived from delivered/allocated rows; crews and costs assumed."""
    in_service = {r.family for r in rows if r.held}
    # Ammunition is in service when a gun family of its calibre is.
    calibres = {
        f.calibre_mm for f in FAMILIES if f.code in in_service and f.capability.startswith("artillery")
    }
    in_service |= {f.code for f in FAMILIES if f.crew_per_unit == 0 and f.calibre_mm in calibres}
    out: list[OutRow] = []
    for f in FAMILIES:
        serving = f.code in in_service
        reserve = f.crew_per_unit * math.ceil(RESERVE_CREW_SHARE * held_qty.get(f.code, 0)) if serving else 0
        note = "assumption: crew_per_unit, existing_crews, introduction_cost"
        out.append(
            {
                "code": f.code,
                "name": f.name,
                "capability": f.capability,
                "in_service": serving,
                "introduction_cost": INTRODUCTION_COST[f.capability],
                "crew_per_unit": f.crew_per_unit,
                "existing_crews": reserve,
                "calibre_mm": f.calibre_mm,
                "note": f"{note}; {f.note}" if f.note else note,
            }
        )
    return sorted(out, key=lambda r: str(r["code"]))


def item_type_rows() -> list[OutRow]:
    """item_types.csv: platforms serialised, ammunition not; masses approximate (assumption)."""
    return sorted(
        (
            {
                "code": i.code,
                "name": i.name,
                "family": i.family,
                "unit": i.unit,
                "mass_t": i.mass_t,
                "nsn": "",
                "serialised": i.unit == "each",
                "note": "assumption: mass_t approximate (typical public figure)",
            }
            for i in ITEM_TYPES
        ),
        key=lambda r: str(r["code"]),
    )


def alias_rows(rows: list[PlatformRow]) -> list[OutRow]:
    """family_aliases.csv: every alias, with the public files that spell it so."""
    family_of = {i.code: i.family for i in ITEM_TYPES}
    seen: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        seen[alias_key(r.system)].add(r.kind)
    out: list[OutRow] = []
    for a in ALIASES:
        kinds = seen.get(alias_key(a.alias))
        if kinds:
            source = "platforms.csv (" + ", ".join(sorted(kinds)) + ")"
        elif a.item_type.startswith(("A155", "A122")):
            source = "needs.csv"
        else:
            source = "agreements.csv"
        out.append({"alias": a.alias, "family": family_of[a.item_type], "source": source, "note": a.note})
    return sorted(out, key=lambda r: (alias_key(str(r["alias"])), str(r["alias"])))


# ----------------------------------------------------------------------------- coalitions


# coalitions.csv name -> (code, demo capabilities it covers). Coalitions whose
# area the demo does not model (IT, demining, maritime, drones, deep strike) keep
# an empty capability list.
COALITIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Air Force Capability Coalition (F-16)": ("AIR-FORCE", ("fighter",)),
    "Armour Coalition": ("ARMOUR", ("ifv", "mbt")),
    "Artillery Coalition": (
        "ARTILLERY",
        ("ammunition_122mm", "ammunition_155mm", "artillery_sp", "artillery_towed", "mlrs"),
    ),
    "Deep-strike / long-range capability coalition": ("DEEP-STRIKE", ()),
    "Demining Coalition": ("DEMINING", ()),
    "Drone Coalition": ("DRONE", ()),
    "IT Coalition": ("IT", ()),
    "Integrated Air and Missile Defence (air defence) Coalition": (
        "IAMD",
        ("air_defence_long", "air_defence_medium", "air_defence_short"),
    ),
    "Maritime Capability Coalition": ("MARITIME", ()),
}


def coalition_rows(source: Path) -> list[OutRow]:
    """coalitions.csv: leads = roles naming a lead or initiator; members = every listed nation."""
    leads: dict[str, set[str]] = defaultdict(set)
    members: dict[str, set[str]] = defaultdict(set)
    for r in read_rows(source / "coalitions.csv"):
        if r["coalition"].startswith("(") or not r["iso3"]:
            continue
        if r["coalition"] not in COALITIONS:
            raise ValueError(f"coalition without a code: {r['coalition']!r}")
        members[r["coalition"]].add(r["iso3"])
        if "lead" in r["role"] or "initiator" in r["role"]:
            leads[r["coalition"]].add(r["iso3"])
    out: list[OutRow] = []
    for name in members:
        code, capabilities = COALITIONS[name]
        out.append(
            {
                "code": code,
                "name": name,
                "capabilities": list(capabilities),
                "leads": sorted(leads[name]),
                "members": sorted(members[name]),
                "source": "coalitions.csv",
            }
        )
    return sorted(out, key=lambda r: str(r["code"]))


# ----------------------------------------------------------------------------- agreements


_AMOUNT = re.compile(r"(?<![~\w])(EUR|GBP|USD|CAD|SEK|NOK|ISK|JPY)\s*(\d+(?:\.\d+)?)\s*(bn|m)\b")
_RANGE = re.compile(r"\b(20\d\d)\s*-\s*(20\d\d)\b")
_YEAR = re.compile(r"\b(?:in|for)\s+(20\d\d)\b")
_PARENS = re.compile(r"\([^()]*\)")


def _top_level_clauses(value: str) -> list[str]:
    """Split at `;` outside parentheses."""
    clauses: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in value:
        depth += (ch == "(") - (ch == ")")
        if ch == ";" and depth == 0:
            clauses.append("".join(current))
            current = []
        else:
            current.append(ch)
    clauses.append("".join(current))
    return [" ".join(c.split()) for c in clauses if c.strip()]


def parse_pledges(value: str) -> tuple[list[tuple[int, int, str, str]], list[str]]:
    """Pledged-amount text -> ([(year, amount, currency, purpose)], clauses not parsed).

    A clause gives a pledge when it states a currency amount and a year (`in
    2024`, `for 2024`) or a period (`2024-2027`: the total, booked on its first
    year; with `per year`, the amount for each year). Figures in parentheses
    count only when the clause has none outside them (conversions `~EUR` and
    past figures are ignored).
    """
    pledges: list[tuple[int, int, str, str]] = []
    rest: list[str] = []
    for clause in _top_level_clauses(value):
        outer = " ".join(_PARENS.sub(" ", clause).split())
        scope = outer if _AMOUNT.search(outer) else " ".join(" ".join(_PARENS.findall(clause)).split())
        amounts = list(_AMOUNT.finditer(scope))
        found = False
        for k, m in enumerate(amounts):
            end = amounts[k + 1].start() if k + 1 < len(amounts) else len(scope)
            segment = scope[(0 if k == 0 else m.start()) : end]
            if len(amounts) > 1:
                segment = re.sub(r"\s+(and|at least|and at least)\s*$", "", segment.strip())
            purpose = clause if len(amounts) == 1 else segment
            amount = int(Decimal(m.group(2)) * (10**9 if m.group(3) == "bn" else 10**6))
            span = _RANGE.search(segment) or _RANGE.search(scope)
            year = _YEAR.search(segment) or _YEAR.search(scope)
            if span:
                first, last = int(span.group(1)), int(span.group(2))
                years = range(first, last + 1) if "per year" in segment else range(first, first + 1)
                pledges.extend((y, amount, m.group(1), purpose) for y in years)
            elif year:
                pledges.append((int(year.group(1)), amount, m.group(1), purpose))
            else:
                continue
            found = True
        if not found:
            rest.append(clause)
    return pledges, rest


def agreement_rows(source: Path, nation_codes: set[str]) -> tuple[list[OutRow], list[OutRow]]:
    """agreements.csv and pledges.csv from the bilateral agreements with a signatory and a date."""
    agreements: list[OutRow] = []
    pledges: list[OutRow] = []
    for r in read_rows(source / "agreements.csv"):
        donor = EU_CODE if r["country"] == "European Union" else r["iso3"]
        if donor not in nation_codes or not r["date_signed"]:
            continue  # G7 framework, multilateral compact, summaries; Greece (no date in the source)
        ident = f"SA-{donor}"
        parsed, rest = parse_pledges(r["pledged_amounts"])
        note = f"pledged (source text): {r['pledged_amounts'] or 'none stated'}"
        if rest:
            note += f"; not parsed into pledges (no figure and year): {' | '.join(rest)}"
        agreements.append(
            {
                "id": ident,
                "donor": donor,
                "signed": dt.date.fromisoformat(r["date_signed"]),
                "duration_years": int(r["duration_years"]) if r["duration_years"] else None,
                "place": r["place"],
                "note": note,
                "source": r["source"],
            }
        )
        for year, amount, currency, purpose in parsed:
            pledges.append(
                {
                    "agreement": ident,
                    "year": year,
                    "amount": amount,
                    "currency": currency,
                    "purpose": purpose,
                    "source": "agreements.csv pledged_amounts (parsed)",
                }
            )
    agreements.sort(key=lambda r: str(r["id"]))
    pledges.sort(
        key=lambda r: (str(r["agreement"]), int(str(r["year"])), str(r["currency"]), str(r["purpose"]))
    )
    return agreements, pledges


# ----------------------------------------------------------------------------- offers


# Offers the demo marks withdrawn (assumption), with the reason.
WITHDRAWN: dict[tuple[str, str, str], str] = {
    ("SVK", "ZUZANA", "pledge"): (
        "assumption: withdrawn, superseded by the Zuzana 2 funded by DNK, DEU and NOR (Kiel)"
    ),
    ("NOR", "LEO2", "pledge"): "assumption: withdrawn, Kiel already counts these 8 Leopard 2A4 as allocated",
}
# (donor, family, kind) -> index of the requirement spec it is earmarked for (assumption).
EARMARKS: dict[tuple[str, str, str], str] = {("USA", "PATRIOT", "pledge"): "patriot-1"}

# Assumed offers: ammunition, sized after the sources named in the note, and the
# two families not in service: donor, item type, quantity per tranche, tranches,
# first week, weeks between tranches, note.
ASSUMED_OFFERS: tuple[tuple[str, str, int, int, int, int, str], ...] = (
    (
        "SWE",
        "GRIPEN-CD",
        4,
        2,
        14,
        12,
        "sized after the 'prospect of JAS 39 Gripen transfer' (agreements.csv)",
    ),
    ("DEU", "SKYRANGER", 6, 2, 8, 14, "not in the public files: an assumed new family"),
    ("BEL", "A155-HE", 10_000, 3, 6, 14, "Belgian agreement names the artillery-ammunition coalition"),
    ("BGR", "A122-HE", 20_000, 3, 5, 12, "assumed Soviet-calibre production"),
    (
        "CZE",
        "A122-HE",
        50_000,
        6,
        3,
        8,
        "sized after the Czech initiative: 300,000 122 mm sourced (needs.csv)",
    ),
    (
        "CZE",
        "A155-HE",
        50_000,
        8,
        1,
        6,
        "sized after the Czech initiative: 500,000 155 mm sourced (needs.csv)",
    ),
    ("DEU", "A155-HE", 30_000, 4, 2, 12, "sized after Germany's 16 Feb 2024 package: 120,000 rounds"),
    ("DNK", "A155-HE", 10_000, 3, 8, 12, "assumed share of the Denmark Ukraine Fund (agreements.csv)"),
    ("EUU", "A155-HE", 60_000, 5, 4, 10, "share of the EU's 1 million rounds pledge (needs.csv)"),
    ("FRA", "A155-HE", 20_000, 4, 3, 11, "Artillery Coalition co-lead (coalitions.csv)"),
    ("GBR", "A155-HE", 15_000, 4, 5, 10, "assumed"),
    ("NLD", "A155-HE", 30_000, 2, 7, 20, "sized after NL's EUR 250m to the Czech initiative (needs.csv)"),
    ("NOR", "A155-HE", 10_000, 3, 9, 12, "assumed share of the Nansen programme (agreements.csv)"),
    ("POL", "A122-HE", 20_000, 3, 2, 14, "assumed Soviet-calibre production"),
    ("PRT", "A155-HE", 5_000, 2, 10, 20, "Portuguese agreement: large-calibre ammunition procurement"),
    ("USA", "A155-HE", 40_000, 6, 0, 8, "Artillery Coalition co-lead (coalitions.csv)"),
)


def offer_releasability(donor: str, capability: str, kind: str) -> str:
    """Marking rule (assumption): sensitive capabilities are not public."""
    if kind == "pledge":
        return "public"  # Oryx already published the pledge
    if capability == "air_defence_long":
        return "coalition"
    if capability == "air_defence_medium":
        return "command-only"
    if capability == "fighter":
        return "nations:" + ";".join(sorted({donor, "DNK", "NLD", "USA"}))
    return "public"


@dataclass
class OfferDraft:
    """An offer before its id is known."""

    donor: str
    item_type: str
    quantity: int
    week: int
    kind: str  # pledge | follow-on | assumed
    family: str
    capability: str
    note: str
    earmark_spec: str = ""
    withdrawn: bool = False


def offer_drafts(df: dict[tuple[str, str], DonorFamily]) -> list[OfferDraft]:
    """Remaining pledges, follow-on tranches and the assumed offers."""
    capability_of = {f.code: f.capability for f in FAMILIES}
    drafts: list[OfferDraft] = []
    for (donor, family), d in sorted(df.items()):
        capability = capability_of[family]
        # remaining pledge: Oryx's undelivered count, or a single-source total minus what Oryx saw delivered
        remaining = max(d.oryx_pledged, d.other_pledged - d.oryx_delivered)
        if remaining > 0:
            key = (donor, family, "pledge")
            drafts.append(
                OfferDraft(
                    donor,
                    d.pledge_item or d.held_item,
                    remaining,
                    spread(f"{donor}/{family}/pledge", 9),
                    "pledge",
                    family,
                    capability,
                    WITHDRAWN.get(key)
                    or f"remaining pledge: {remaining} pledged, not yet delivered (platforms.csv); "
                    "date assumed",
                    EARMARKS.get(key, ""),
                    key in WITHDRAWN,
                )
            )
        if d.held > 0:
            share = math.ceil(FOLLOW_ON_SHARE * d.held)
            parts = [math.ceil(share / 2), share // 2] if share >= TRANCHE_SPLIT_AT else [share]
            first = 2 + spread(f"{donor}/{family}/follow-on", 24)
            for k, quantity in enumerate(parts):
                drafts.append(
                    OfferDraft(
                        donor,
                        d.held_item,
                        quantity,
                        first + 16 * k,
                        "follow-on",
                        family,
                        capability,
                        f"assumption: follow-on tranche {k + 1}/{len(parts)}, "
                        f"{FOLLOW_ON_SHARE:.0%} of {d.held} sourced (platforms.csv)",
                    )
                )
    family_of = {i.code: i.family for i in ITEM_TYPES}
    for donor, item, per, count, first, every, why in ASSUMED_OFFERS:
        family = family_of[item]
        for k in range(count):
            drafts.append(
                OfferDraft(
                    donor,
                    item,
                    per,
                    first + every * k,
                    "assumed",
                    family,
                    capability_of[family],
                    f"assumption: tranche {k + 1}/{count}; {why}",
                )
            )
    return drafts


def offer_rows(drafts: list[OfferDraft], earmark_ids: dict[str, str]) -> list[OutRow]:
    """offers.csv: ids O-<donor>-NNN numbered per donor in (family, kind, week) order."""
    kind_order = {"pledge": 0, "follow-on": 1, "assumed": 2}
    ordered = sorted(drafts, key=lambda o: (o.donor, o.family, kind_order[o.kind], o.week, o.item_type))
    counters: dict[str, int] = defaultdict(int)
    out: list[OutRow] = []
    for o in ordered:
        counters[o.donor] += 1
        out.append(
            {
                "id": f"O-{o.donor}-{counters[o.donor]:03d}",
                "donor": o.donor,
                "item_type": o.item_type,
                "quantity": o.quantity,
                "available_from": week_date(o.week),
                "earmark": earmark_ids.get(o.earmark_spec, ""),
                "status": "withdrawn" if o.withdrawn else "offered",
                "releasability": offer_releasability(o.donor, o.capability, o.kind),
                "note": o.note,
            }
        )
    return out


# ----------------------------------------------------------------------------- requirements


@dataclass(frozen=True)
class RequirementSpec:
    """One requirement row before numbering."""

    key: str
    capability: str
    quantity: int
    priority: int
    week: int  # due week
    accepts: tuple[str, ...]
    title: str
    releasability: str
    source: str


def _monthly(year: int, month: int) -> int:
    """The due week of a month: the week holding its last day."""
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return (last - START).days // 7


def requirement_specs(held_qty: dict[str, int]) -> list[RequirementSpec]:
    """Requirements from needs.csv (stated need minus what was delivered) plus assumed ones."""
    specs: list[RequirementSpec] = []
    needs = "needs.csv"

    # Patriot: 25 systems stated (2024-04-06, 2024-07-15), minus Patriot and SAMP/T fire units held.
    held_lr = held_qty.get("PATRIOT", 0) + held_qty.get("SAMPT", 0)
    open_lr = max(0, 25 - held_lr)
    for k, (quantity, priority, week) in enumerate(
        zip(_thirds(open_lr), (1, 2, 3), (12, 26, 44), strict=True)
    ):
        specs.append(
            RequirementSpec(
                f"patriot-{k + 1}",
                "air_defence_long",
                quantity,
                priority,
                week,
                ("PATRIOT", "SAMPT"),
                f"Patriot systems (or equivalent), tranche {k + 1}/3: 25 stated minus {held_lr} held",
                "public",
                f"{needs}: 25 Patriot systems (Zelensky, 2024-04-06 and 2024-07-15); "
                "tranches and dates assumed",
            )
        )
    # F-16: 128 stated (2023-08-21, 2024-07-10), minus F-16s held. The last tranche
    # accepts other Western fighters (assumption), so Gripen and Mirage compete.
    held_f16 = held_qty.get("F16", 0)
    open_f16 = max(0, 128 - held_f16)
    for k, (quantity, priority, week) in enumerate(
        zip(_thirds(open_f16), (1, 2, 3), (16, 30, 48), strict=True)
    ):
        accepts = ("F16",) if k < 2 else ("F16", "GRIPEN", "MIRAGE2000")
        specs.append(
            RequirementSpec(
                f"f16-{k + 1}",
                "fighter",
                quantity,
                priority,
                week,
                accepts,
                f"F-16 fighter aircraft, tranche {k + 1}/3: 128 stated minus {held_f16} held"
                + ("; other Western fighters accepted (assumption)" if k == 2 else ""),
                "public",
                f"{needs}: 128 F-16 (Air Force, 2023-08-21; Zelensky, 2024-07-10); "
                "tranches and dates assumed",
            )
        )
    # 155 mm: 200,000 shells per month (Umerov, 2024-02-01), each month of 2027.
    # 122 mm: Reznikov's 250,000 per month (all calibres) minus the 155 mm figure.
    for month in range(1, 13):
        specs.append(
            RequirementSpec(
                f"a155-{month:02d}",
                "ammunition_155mm",
                200_000,
                1 if month <= 4 else (2 if month <= 8 else 3),
                _monthly(2027, month),
                (),
                f"155 mm shells for {dt.date(2027, month, 1):%B %Y}",
                "public",
                f"{needs}: 200,000 155 mm shells per month (Umerov, 2024-02-01); months of 2027 assumed",
            )
        )
        specs.append(
            RequirementSpec(
                f"a122-{month:02d}",
                "ammunition_122mm",
                50_000,
                2 if month <= 6 else 3,
                _monthly(2027, month),
                (),
                f"122 mm shells for {dt.date(2027, month, 1):%B %Y}",
                "public",
                f"{needs}: 250,000 shells per month (Reznikov, 2023-03-03) minus the 200,000 155 mm; "
                "months of 2027 assumed",
            )
        )
    specs.extend(_assumed_requirements())
    return specs


def _thirds(total: int) -> tuple[int, int, int]:
    """A total in three tranches, the larger ones last."""
    base = total // 3
    extra = total - 3 * base
    return (base, base + (1 if extra >= 2 else 0), base + (1 if extra >= 1 else 0))


# Assumed requirements: capability, title, quantity, priority, due week, accepted families, marking.
ASSUMED_REQUIREMENTS: tuple[tuple[str, str, int, int, int, tuple[str, ...], str], ...] = (
    ("mbt", "Leopard 2 for the Leopard brigades", 20, 1, 14, ("LEO2",), "public"),
    ("mbt", "Leopard 2 replacements", 15, 3, 40, ("LEO2",), "public"),
    (
        "mbt",
        "Western tanks for a new mechanised brigade",
        30,
        2,
        24,
        ("ABRAMS", "CR2", "LEO1", "LEO2"),
        "public",
    ),
    ("mbt", "T-72-type tanks for existing brigades", 60, 1, 10, ("M84", "PT91", "T72"), "public"),
    ("mbt", "T-72-type tanks, second wave", 50, 2, 30, ("M84", "PT91", "T72"), "public"),
    ("mbt", "Tanks, any family, attrition replacement", 40, 4, 46, (), "public"),
    ("ifv", "Bradley for the mechanised brigades", 40, 1, 12, ("BRADLEY",), "public"),
    ("ifv", "Western IFVs for a new brigade", 60, 2, 22, ("BRADLEY", "CV90", "MARDER"), "public"),
    ("ifv", "BMP-type IFVs for territorial brigades", 90, 2, 18, ("BMP1", "BMP2", "M80A"), "public"),
    ("ifv", "IFVs, any family, attrition replacement", 120, 3, 36, (), "public"),
    ("ifv", "IFVs for training units", 40, 5, 50, (), "public"),
    ("artillery_sp", "155 mm self-propelled guns, first wave", 40, 1, 10, (), "public"),
    (
        "artillery_sp",
        "155 mm SP guns for the artillery brigades",
        50,
        2,
        24,
        ("ARCHER", "AS90", "CAESAR", "KRAB", "M109", "PZH2000", "RCH155", "ZUZANA"),
        "public",
    ),
    ("artillery_sp", "Caesar for the Caesar battalions", 20, 2, 20, ("CAESAR",), "public"),
    ("artillery_sp", "122/152 mm SP guns for existing units", 20, 3, 30, ("2S1", "DANA"), "public"),
    ("artillery_sp", "SP guns, any family, attrition replacement", 30, 4, 44, (), "public"),
    ("artillery_towed", "M777 for the airmobile brigades", 25, 2, 16, ("M777",), "public"),
    ("artillery_towed", "155 mm towed guns", 20, 3, 28, ("FH70", "M777", "TRF1"), "public"),
    ("artillery_towed", "105 mm light guns", 30, 3, 20, ("L119", "M101", "M119", "MOD56"), "public"),
    ("artillery_towed", "Towed guns, any family", 30, 4, 40, (), "public"),
    ("mlrs", "HIMARS/M270 launchers", 12, 1, 14, ("HIMARS", "M270"), "public"),
    ("mlrs", "Western rocket launchers, second wave", 10, 2, 32, ("HIMARS", "M270"), "public"),
    ("mlrs", "122 mm rocket launchers", 20, 3, 24, ("APR40", "BM21", "RM70"), "public"),
    (
        "air_defence_medium",
        "Medium-range air defence for the cities",
        8,
        1,
        10,
        ("IRIST", "NASAMS"),
        "coalition",
    ),
    ("air_defence_medium", "Medium-range air defence, second wave", 6, 2, 30, (), "coalition"),
    ("air_defence_medium", "Hawk fire units for the south", 3, 3, 24, ("HAWK",), "coalition"),
    ("air_defence_short", "Anti-drone guns and short-range systems", 30, 1, 8, (), "coalition"),
    ("air_defence_short", "Gepard for critical infrastructure", 15, 1, 16, ("GEPARD",), "coalition"),
    ("air_defence_short", "Short-range air defence for the brigades", 30, 2, 28, (), "coalition"),
    ("air_defence_short", "Short-range air defence, attrition replacement", 20, 4, 44, (), "coalition"),
    ("helicopter", "Mi-8/Mi-17 for army aviation", 8, 2, 20, ("MI8",), "command-only"),
    ("helicopter", "Attack and transport helicopters", 6, 3, 34, (), "command-only"),
    ("helicopter", "Helicopters for search and rescue", 3, 4, 40, ("MI8", "SEAKING"), "public"),
)


def _assumed_requirements() -> list[RequirementSpec]:
    return [
        RequirementSpec(
            f"assumed-{k + 1:02d}",
            capability,
            quantity,
            priority,
            week,
            accepts,
            title,
            marking,
            "assumption",
        )
        for k, (capability, title, quantity, priority, week, accepts, marking) in enumerate(
            ASSUMED_REQUIREMENTS
        )
    ]


def requirement_rows(specs: list[RequirementSpec]) -> tuple[list[OutRow], dict[str, str]]:
    """requirements.csv numbered R-001.. by (due week, priority, capability, key); spec key -> id."""
    ordered = sorted(
        (s for s in specs if s.quantity > 0), key=lambda s: (s.week, s.priority, s.capability, s.key)
    )
    ids = {s.key: f"R-{k + 1:03d}" for k, s in enumerate(ordered)}
    rows: list[OutRow] = [
        {
            "id": ids[s.key],
            "capability": s.capability,
            "quantity": s.quantity,
            "priority": s.priority,
            "needed_by": week_date(s.week) + dt.timedelta(days=4),  # the Friday of the due week
            "accepts": list(s.accepts),
            "title": s.title,
            "releasability": s.releasability,
            "source": s.source,
        }
        for s in ordered
    ]
    return rows, ids


# ----------------------------------------------------------------------------- logistics


# Hubs (assumption): the logistics nodes on Ukraine's western border and the Black Sea port.
HUBS: tuple[tuple[str, str, str, int], ...] = (
    ("CND", "Constanța port", "ROU", 1200),
    ("KSC", "Košice rail hub", "SVK", 700),
    ("RZE", "Rzeszów-Jasionka", "POL", 2000),
    ("SCV", "Suceava rail hub", "ROU", 500),
)
# Door-to-door lead days by region of the donor, before the hub's own days (assumption).
REGION_DAYS = {"neighbour": 4, "central": 7, "west": 12, "atlantic": 28, "pacific": 42, "other": 21}
REGION_OF = {
    **dict.fromkeys(("HUN", "POL", "ROU", "SVK"), "neighbour"),
    **dict.fromkeys(
        (
            "ALB",
            "AUT",
            "BGR",
            "BIH",
            "CZE",
            "DEU",
            "EST",
            "GRC",
            "HRV",
            "LTU",
            "LVA",
            "MKD",
            "MNE",
            "SVN",
            "TUR",
            "XKX",
        ),
        "central",
    ),
    **dict.fromkeys(
        (
            "BEL",
            "DNK",
            "ESP",
            "EUU",
            "FIN",
            "FRA",
            "GBR",
            "IRL",
            "ISL",
            "ITA",
            "LUX",
            "NLD",
            "NOR",
            "PRT",
            "SWE",
        ),
        "west",
    ),
    **dict.fromkeys(("CAN", "USA"), "atlantic"),
    **dict.fromkeys(("AUS", "JPN", "KOR", "NZL"), "pacific"),
}
# A hub's own days: rail hubs add little for Europe; the port saves days for shipments by sea.
HUB_DAYS = {
    "CND": {"neighbour": 4, "central": 4, "west": 3, "atlantic": -6, "pacific": -8, "other": -5},
    "KSC": {"neighbour": 2, "central": 1, "west": 2, "atlantic": 3, "pacific": 3, "other": 3},
    "RZE": {"neighbour": 1, "central": 1, "west": 1, "atlantic": 0, "pacific": 0, "other": 1},
    "SCV": {"neighbour": 3, "central": 3, "west": 4, "atlantic": 4, "pacific": 4, "other": 2},
}


def hub_rows() -> list[OutRow]:
    """hubs.csv (assumption)."""
    return [
        {"code": c, "name": n, "iso3": i, "capacity_t_per_week": t, "note": "assumption: capacity"}
        for c, n, i, t in HUBS
    ]


def route_rows(nation_codes: Iterable[str]) -> list[OutRow]:
    """routes.csv: every nation but the recipient to every hub, lead days by region (assumption)."""
    rows: list[OutRow] = []
    for donor in sorted(nation_codes):
        if donor == RECIPIENT:
            continue
        region = REGION_OF.get(donor, "other")
        for hub, *_ in HUBS:
            rows.append(
                {
                    "donor": donor,
                    "hub": hub,
                    "lead_time_days": REGION_DAYS[region] + HUB_DAYS[hub][region],
                    "note": f"assumption: {region} donor",
                }
            )
    return rows


# Course length in weeks by capability (assumption) and the share of the crews
# needed for all offers that the courses train (below 1: crews bind).
COURSE_WEEKS = {
    "air_defence_long": 14,
    "air_defence_medium": 10,
    "air_defence_short": 6,
    "artillery_sp": 6,
    "artillery_towed": 4,
    "fighter": 26,
    "helicopter": 12,
    "ifv": 6,
    "mbt": 8,
    "mlrs": 6,
}
COURSE_COVERAGE = {"fighter": 0.6, "air_defence_long": 0.75, "mbt": 0.8}
# Hosts where the sources name them; otherwise the family's largest offering donors.
COURSE_HOSTS = {
    "F16": ("ROU", "DNK", "USA"),  # coalitions.csv: Romania's F-16 training centre; Denmark co-leads
    "GRIPEN": ("SWE",),
}


def course_rows(drafts: list[OfferDraft], family_rows: list[OutRow]) -> list[OutRow]:
    """courses.csv: cohorts per crewed family with offers, sized to the crews its offers need (assumption)."""
    offered: dict[str, int] = defaultdict(int)
    by_donor: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for o in drafts:
        if not o.withdrawn:
            offered[o.family] += o.quantity
            by_donor[o.family][o.donor] += o.quantity
    rows: list[OutRow] = []
    for f in family_rows:
        code, capability = str(f["code"]), str(f["capability"])
        crew = int(str(f["crew_per_unit"]))
        if crew == 0 or offered.get(code, 0) == 0:
            continue
        shortfall = crew * offered[code] - int(str(f["existing_crews"]))
        seats_total = math.ceil(max(0, shortfall) * COURSE_COVERAGE.get(capability, 1.0))
        if seats_total == 0:
            continue
        cohorts = 1 if seats_total <= 2 * crew else 3
        ranked = sorted(by_donor[code], key=lambda d: (-by_donor[code][d], d))
        hosts = COURSE_HOSTS.get(code) or tuple(ranked[:2])
        # new families start later: the decision to introduce one comes first
        first = 2 if f["in_service"] else 6
        for k in range(cohorts):
            seats = seats_total // cohorts + (1 if k < seats_total % cohorts else 0)
            rows.append(
                {
                    "id": f"C-{code}-{k + 1}",
                    "family": code,
                    "host": hosts[k % len(hosts)],
                    "seats": seats,
                    "start": week_date(first + 10 * k),
                    "duration_weeks": COURSE_WEEKS[capability],
                    "note": "assumption: seats, dates and duration; host "
                    + (
                        "named in coalitions.csv/agreements.csv"
                        if code in COURSE_HOSTS
                        else "a largest offering donor"
                    ),
                }
            )
    return sorted(rows, key=lambda r: str(r["id"]))


# ----------------------------------------------------------------------------- assembly


NAME = "NSATU demo: public facts, planning year 2027"
DESCRIPTION = (
    "UDCG nations, capability coalitions and bilateral agreements from public sources; "
    "families and aliases from the Kiel tracker and Oryx; offers, requirements beyond needs.csv, "
    "hubs, routes and courses are documented assumptions (docs/demo.md)."
)


def build(source: Path) -> dict[str, bytes]:
    """Every file of the demo folder, name -> bytes."""
    rows = platform_rows(source)
    df = donor_families(rows)
    held_qty = family_held_quantity(df)
    nation_rows = nations(source)
    codes = {str(r["iso3"]) for r in nation_rows}
    family_rows = families_rows(rows, held_qty)
    agreements, pledges = agreement_rows(source, codes)
    specs = requirement_specs(held_qty)
    requirements, ids = requirement_rows(specs)
    drafts = offer_drafts(df)
    offers = offer_rows(drafts, ids)
    for o in offers:
        if o["donor"] not in codes:
            raise ValueError(f"offer {o['id']}: donor {o['donor']} is not a demo nation")

    toml = "\n".join(
        [
            f"start_date = {START.isoformat()}",
            f"horizon_weeks = {HORIZON_WEEKS}",
            f'recipient = "{RECIPIENT}"',
            "lateness_half_life_weeks = 8",
            "default_family_cost = 4",
            f'name = "{NAME}"',
            f'description = "{DESCRIPTION}"',
        ]
    )
    nation_cols = ("iso3", "name", "nato", "eu", "codification_bureau", "note")
    family_cols = (
        "code",
        "name",
        "capability",
        "in_service",
        "introduction_cost",
        "crew_per_unit",
        "existing_crews",
        "calibre_mm",
        "note",
    )
    return {
        "scenario.toml": (toml + "\n").encode("utf-8"),
        "nations.csv": csv_bytes(nation_cols, nation_rows),
        "capabilities.csv": csv_bytes(
            ("code", "name"), ({"code": c, "name": n} for c, n in sorted(CAPABILITIES.items()))
        ),
        "families.csv": csv_bytes(family_cols, family_rows),
        "item_types.csv": csv_bytes(
            ("code", "name", "family", "unit", "mass_t", "nsn", "serialised", "note"), item_type_rows()
        ),
        "family_aliases.csv": csv_bytes(("alias", "family", "source", "note"), alias_rows(rows)),
        "coalitions.csv": csv_bytes(
            ("code", "name", "capabilities", "leads", "members", "source"), coalition_rows(source)
        ),
        "agreements.csv": csv_bytes(
            ("id", "donor", "signed", "duration_years", "place", "note", "source"), agreements
        ),
        "pledges.csv": csv_bytes(("agreement", "year", "amount", "currency", "purpose", "source"), pledges),
        "requirements.csv": csv_bytes(
            (
                "id",
                "capability",
                "quantity",
                "priority",
                "needed_by",
                "accepts",
                "title",
                "releasability",
                "source",
            ),
            requirements,
        ),
        "offers.csv": csv_bytes(
            (
                "id",
                "donor",
                "item_type",
                "quantity",
                "available_from",
                "earmark",
                "status",
                "releasability",
                "note",
            ),
            offers,
        ),
        "hubs.csv": csv_bytes(("code", "name", "iso3", "capacity_t_per_week", "note"), hub_rows()),
        "routes.csv": csv_bytes(("donor", "hub", "lead_time_days", "note"), route_rows(codes)),
        "courses.csv": csv_bytes(
            ("id", "family", "host", "seats", "start", "duration_weeks", "note"),
            course_rows(drafts, family_rows),
        ),
    }


def write(files: dict[str, bytes], out: Path) -> None:
    """Write the folder; files of the folder the builder no longer makes are removed."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.iterdir():
        if stale.is_file() and stale.name not in files and stale.suffix in (".csv", ".toml"):
            stale.unlink()
    for name, data in sorted(files.items()):
        (out / name).write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    """Command line: --source (the public files) and --out (the scenario folder)."""
    parser = argparse.ArgumentParser(prog="python -m nsatu.demo.build", description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="folder of the public CSV files")
    parser.add_argument("--out", type=Path, required=True, help="scenario folder to write")
    args = parser.parse_args(argv)
    files = build(args.source)
    write(files, args.out)
    print(f"wrote {len(files)} files to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
