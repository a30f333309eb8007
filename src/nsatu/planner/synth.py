"""Synthetic scenarios of the contact group's shape, seeded and deterministic.

The nations are the real Ukraine Defense Contact Group participants (NATO and
EU flags as of July 2024; the weight is the donor's relative military aid in
the Kiel tracker, used only to decide who offers how much). The families are
real systems with their real holders; which are "in service" follows what the
recipient operated by 2024. Everything else (quantities, dates, hub
capacities, lead times, courses) is drawn at random, to a realistic scale:
demand exceeds supply, hubs bind in the busy weeks, crews of new families come
only from courses, and the same capability is offered in many families by
different donors, which is what country-by-country aid turns into a fleet of
many families.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from nsatu.planner.scenario import (
    Courses,
    Families,
    Hubs,
    Items,
    Nations,
    Offers,
    Requirements,
    Routes,
    Scenario,
)

# (iso3, name, NATO, EU, aid weight, region) - region: E east-central Europe,
# N Nordic/Baltic, W western Europe, S southern Europe, O overseas
NATIONS: tuple[tuple[str, str, bool, bool, float, str], ...] = (
    ("ALB", "Albania", True, False, 0.02, "S"),
    ("AUS", "Australia", False, False, 0.86, "O"),
    ("AUT", "Austria", False, True, 0.01, "W"),
    ("BEL", "Belgium", True, True, 1.58, "W"),
    ("BGR", "Bulgaria", True, True, 0.24, "E"),
    ("CAN", "Canada", True, False, 2.67, "O"),
    ("CZE", "Czechia", True, True, 0.34, "E"),
    ("DEU", "Germany", True, True, 11.0, "W"),
    ("DNK", "Denmark", True, True, 7.34, "N"),
    ("ESP", "Spain", True, True, 0.79, "S"),
    ("EST", "Estonia", True, True, 0.71, "N"),
    ("FIN", "Finland", True, True, 2.34, "N"),
    ("FRA", "France", True, True, 3.77, "W"),
    ("GBR", "United Kingdom", True, False, 8.84, "W"),
    ("GRC", "Greece", True, True, 0.15, "S"),
    ("HRV", "Croatia", True, True, 0.21, "S"),
    ("HUN", "Hungary", True, True, 0.0, "E"),
    ("IRL", "Ireland", False, True, 0.01, "W"),
    ("ISL", "Iceland", True, False, 0.02, "N"),
    ("ITA", "Italy", True, True, 1.38, "S"),
    ("JPN", "Japan", False, False, 0.06, "O"),
    ("KOR", "Republic of Korea", False, False, 0.02, "O"),
    ("LTU", "Lithuania", True, True, 0.92, "N"),
    ("LUX", "Luxembourg", True, True, 0.17, "W"),
    ("LVA", "Latvia", True, True, 0.49, "N"),
    ("MKD", "North Macedonia", True, False, 0.05, "S"),
    ("MNE", "Montenegro", True, False, 0.01, "S"),
    ("NLD", "Netherlands", True, True, 6.07, "W"),
    ("NOR", "Norway", True, False, 1.99, "N"),
    ("NZL", "New Zealand", False, False, 0.02, "O"),
    ("POL", "Poland", True, True, 3.85, "E"),
    ("PRT", "Portugal", True, True, 0.3, "S"),
    ("ROU", "Romania", True, True, 0.36, "E"),
    ("SVK", "Slovakia", True, True, 0.7, "E"),
    ("SVN", "Slovenia", True, True, 0.07, "S"),
    ("SWE", "Sweden", True, True, 4.23, "N"),
    ("TUR", "Türkiye", True, False, 0.07, "S"),
    ("UKR", "Україна (Ukraine)", False, False, 0.0, "-"),
    ("USA", "United States", True, False, 64.1, "O"),
)

# (code, name, capability, in service, crew per unit, mass t, unit, holders)
FAMILIES: tuple[tuple[str, str, str, bool, float, float, str, str], ...] = (
    ("T72", "T-72 / PT-91", "armour", True, 3, 45, "each", "POL CZE SVK MKD BGR"),
    ("LEO1", "Leopard 1A5", "armour", False, 4, 42, "each", "DEU DNK BEL"),
    ("LEO2", "Leopard 2A4/A6", "armour", False, 4, 60, "each", "DEU POL ESP PRT NOR FIN CAN SWE NLD"),
    ("M1", "M1A1 Abrams", "armour", False, 4, 62, "each", "USA AUS"),
    ("CR2", "Challenger 2", "armour", False, 4, 65, "each", "GBR"),
    ("AMX10", "AMX-10 RC", "armour", False, 4, 16, "each", "FRA"),
    ("BMP", "BMP-1/2", "ifv", True, 3, 14, "each", "CZE SVK POL GRC BGR"),
    ("BRADLEY", "M2 Bradley", "ifv", False, 3, 27, "each", "USA"),
    ("CV90", "CV90", "ifv", False, 3, 28, "each", "SWE DNK NOR NLD FIN"),
    ("MARDER", "Marder 1A3", "ifv", False, 3, 33, "each", "DEU"),
    ("M113", "M113", "apc", True, 2, 12, "each", "USA AUS DNK ESP PRT LTU BEL ITA NOR"),
    ("BTR", "BTR-60/70/80", "apc", True, 2, 12, "each", "BGR SVK HUN"),
    ("STRYKER", "Stryker", "apc", False, 2, 18, "each", "USA"),
    ("BUSHMASTER", "Bushmaster PMV", "apc", False, 2, 15, "each", "AUS"),
    ("MAXXPRO", "MaxxPro MRAP", "apc", False, 2, 18, "each", "USA"),
    ("PATRIA", "Patria AMV / Rosomak", "apc", False, 2, 22, "each", "FIN POL"),
    ("VAB", "VAB", "apc", False, 2, 14, "each", "FRA"),
    ("MASTIFF", "Mastiff", "apc", False, 2, 23, "each", "GBR"),
    ("SENATOR", "Roshel Senator", "apc", False, 2, 9, "each", "CAN"),
    ("2S1", "2S1 Gvozdika / 2S3", "artillery_sp", True, 4, 16, "each", "POL CZE SVK BGR"),
    ("PZH2000", "PzH 2000", "artillery_sp", True, 5, 57, "each", "DEU NLD ITA"),
    ("M109", "M109", "artillery_sp", True, 5, 27, "each", "USA NOR ITA BEL LTU LVA PRT ESP GBR"),
    ("CAESAR", "CAESAR", "artillery_sp", False, 5, 18, "each", "FRA DNK"),
    ("AS90", "AS-90", "artillery_sp", False, 5, 45, "each", "GBR"),
    ("KRAB", "AHS Krab", "artillery_sp", False, 5, 48, "each", "POL"),
    ("ZUZANA", "Zuzana 2", "artillery_sp", False, 4, 29, "each", "SVK"),
    ("DANA", "DANA", "artillery_sp", False, 4, 29, "each", "CZE"),
    ("ARCHER", "Archer", "artillery_sp", False, 4, 33, "each", "SWE"),
    ("D30", "D-30 122 mm", "artillery_towed", True, 6, 3.2, "each", "BGR EST CZE"),
    ("M777", "M777", "artillery_towed", True, 7, 4.2, "each", "USA CAN AUS"),
    ("FH70", "FH70", "artillery_towed", False, 7, 9.3, "each", "ITA EST DEU"),
    ("L119", "L119 / M119", "artillery_towed", False, 6, 1.9, "each", "GBR USA"),
    ("TRF1", "TRF1", "artillery_towed", False, 7, 10.7, "each", "FRA"),
    ("BM21", "BM-21 Grad / RM-70", "rocket_artillery", True, 3, 14, "each", "CZE POL BGR ROU SVK"),
    ("HIMARS", "M142 HIMARS", "rocket_artillery", True, 3, 16, "each", "USA"),
    ("M270", "M270 / MARS II / LRU", "rocket_artillery", False, 3, 25, "each", "GBR DEU FRA NOR ITA"),
    ("S300", "S-300", "air_defence_long", True, 40, 120, "each", "SVK BGR GRC"),
    ("PATRIOT", "Patriot", "air_defence_long", True, 60, 150, "each", "USA DEU NLD ESP ROU SWE POL"),
    ("SAMPT", "SAMP/T", "air_defence_long", False, 50, 130, "each", "FRA ITA"),
    ("BUK", "Buk", "air_defence_medium", True, 12, 35, "each", "BGR GRC"),
    ("NASAMS", "NASAMS", "air_defence_medium", True, 15, 40, "each", "NOR USA ESP LTU CAN NLD"),
    ("IRIST", "IRIS-T SLM", "air_defence_medium", False, 15, 40, "each", "DEU"),
    ("HAWK", "MIM-23 Hawk", "air_defence_medium", False, 15, 45, "each", "USA ESP SWE"),
    ("CROTALE", "Crotale NG", "air_defence_medium", False, 10, 25, "each", "FRA"),
    ("ASPIDE", "Aspide / Spada", "air_defence_medium", False, 12, 30, "each", "ITA ESP"),
    ("GEPARD", "Gepard", "air_defence_short", True, 3, 47, "each", "DEU"),
    ("STINGER", "Stinger MANPADS", "air_defence_short", True, 0, 0.03, "each", "USA DNK NLD LTU LVA DEU GRC"),
    ("STRELA", "Strela / Igla MANPADS", "air_defence_short", True, 0, 0.03, "each", "CZE BGR LTU LVA SVK"),
    ("MISTRAL", "Mistral MANPADS", "air_defence_short", False, 0, 0.04, "each", "FRA NOR BEL"),
    ("PIORUN", "Piorun MANPADS", "air_defence_short", False, 0, 0.03, "each", "POL"),
    ("STARSTREAK", "Starstreak", "air_defence_short", False, 0, 0.04, "each", "GBR"),
    ("RBS70", "RBS 70", "air_defence_short", False, 2, 0.1, "each", "SWE LTU LVA NOR AUS"),
    ("MIG29", "MiG-29", "fighters", True, 12, 11, "each", "POL SVK BGR"),
    ("SU25", "Su-25", "fighters", True, 10, 10, "each", "BGR MKD"),
    ("F16", "F-16", "fighters", False, 14, 9, "each", "DNK NLD NOR BEL USA PRT"),
    ("MIRAGE2000", "Mirage 2000", "fighters", False, 14, 8, "each", "FRA"),
    ("GRIPEN", "JAS 39 Gripen", "fighters", False, 14, 7, "each", "SWE"),
    ("MI8", "Mi-8/17", "helicopters", True, 4, 7.5, "each", "CZE SVK POL HRV LVA"),
    ("MI24", "Mi-24", "helicopters", True, 4, 8.5, "each", "CZE POL MKD"),
    ("SEAKING", "Sea King", "helicopters", False, 5, 6, "each", "GBR"),
    ("UH60", "UH-60 Black Hawk", "helicopters", False, 4, 5, "each", "USA"),
    ("H225", "H225 / AS332", "helicopters", False, 4, 6, "each", "FRA"),
    ("BAYRAKTAR", "Bayraktar TB2", "uav", True, 2, 0.7, "each", "TUR"),
    ("FPV", "FPV strike drones", "uav", True, 0, 0.002, "each", "LVA GBR NLD EST DNK"),
    ("PUMA", "RQ-20 Puma", "uav", False, 1, 0.01, "each", "USA"),
    ("SCANEAGLE", "ScanEagle", "uav", False, 2, 0.03, "each", "USA"),
    ("VECTOR", "Vector", "uav", False, 1, 0.01, "each", "DEU"),
    ("NLAW", "NLAW", "anti_tank", True, 0, 0.013, "each", "GBR SWE"),
    ("JAVELIN", "Javelin", "anti_tank", True, 0, 0.022, "each", "USA EST LTU NOR"),
    ("RPG7", "RPG-7", "anti_tank", True, 0, 0.007, "each", "BGR CZE"),
    ("CARLGUSTAF", "Carl-Gustaf M4", "anti_tank", False, 0, 0.009, "each", "SWE CAN AUS"),
    ("MILAN", "MILAN", "anti_tank", False, 0, 0.03, "each", "DEU FRA ITA"),
    ("PZF3", "Panzerfaust 3", "anti_tank", False, 0, 0.013, "each", "DEU NLD"),
    (
        "AMMO155",
        "155 mm NATO artillery ammunition",
        "ammo_155",
        True,
        0,
        0.048,
        "rounds",
        "USA DEU FRA GBR ITA ESP NLD BEL NOR SWE DNK FIN POL CZE KOR CAN AUS",
    ),
    (
        "AMMO152",
        "152 mm artillery ammunition",
        "ammo_soviet",
        True,
        0,
        0.046,
        "rounds",
        "BGR CZE SVK POL ROU",
    ),
    (
        "AMMO122",
        "122 mm artillery ammunition",
        "ammo_soviet",
        True,
        0,
        0.03,
        "rounds",
        "BGR CZE SVK POL ROU EST",
    ),
    ("GMLRS", "GMLRS rockets", "ammo_rockets", True, 0, 0.31, "rounds", "USA GBR DEU"),
    ("GRADR", "122 mm Grad rockets", "ammo_rockets", True, 0, 0.068, "rounds", "BGR CZE ROU POL"),
    ("MICLIC", "M58 MICLIC", "engineering", False, 2, 2.5, "each", "USA"),
    ("BIBER", "Biber bridge layer", "engineering", False, 3, 45, "each", "DEU"),
    ("WISENT", "Wisent mine clearing", "engineering", False, 3, 50, "each", "DEU"),
    ("MAN_HX", "MAN HX trucks", "logistics", False, 1, 12, "each", "DEU GBR NLD"),
    ("TATRA", "Tatra trucks", "logistics", False, 1, 11, "each", "CZE SVK"),
    ("KRAZ", "KrAZ trucks", "logistics", True, 1, 10, "each", "LTU LVA EST"),
    ("OSHKOSH", "Oshkosh FMTV / HEMTT", "logistics", False, 1, 12, "each", "USA"),
)

# Introduction cost of a new family, as a multiple of the default (the rest use the default).
COST_FACTORS: dict[str, float] = {
    "fighters": 3.0,
    "air_defence_long": 2.5,
    "helicopters": 2.0,
    "armour": 1.5,
    "artillery_sp": 1.25,
}
# capability: (share of requirements, offer quantity range, course weeks range)
CAPABILITIES: dict[str, tuple[float, tuple[int, int], tuple[int, int]]] = {
    "armour": (0.07, (3, 30), (6, 12)),
    "ifv": (0.07, (4, 40), (6, 10)),
    "apc": (0.07, (5, 60), (3, 6)),
    "artillery_sp": (0.08, (2, 18), (6, 10)),
    "artillery_towed": (0.06, (3, 24), (4, 8)),
    "rocket_artillery": (0.05, (1, 8), (6, 10)),
    "air_defence_long": (0.04, (1, 2), (12, 20)),
    "air_defence_medium": (0.05, (1, 4), (8, 14)),
    "air_defence_short": (0.07, (10, 300), (4, 8)),
    "fighters": (0.03, (1, 8), (26, 40)),
    "helicopters": (0.04, (1, 8), (12, 20)),
    "uav": (0.06, (10, 400), (2, 6)),
    "anti_tank": (0.06, (50, 2000), (2, 4)),
    "ammo_155": (0.07, (2000, 60000), (1, 2)),
    "ammo_soviet": (0.05, (2000, 40000), (1, 2)),
    "ammo_rockets": (0.04, (100, 3000), (1, 2)),
    "engineering": (0.04, (1, 10), (4, 8)),
    "logistics": (0.05, (10, 150), (2, 4)),
}
CAPABILITY_NAMES: dict[str, str] = {
    "armour": "Main battle tanks and armour",
    "ifv": "Infantry fighting vehicles",
    "apc": "Armoured personnel carriers",
    "artillery_sp": "Self-propelled artillery",
    "artillery_towed": "Towed artillery",
    "rocket_artillery": "Rocket artillery",
    "air_defence_long": "Long-range air defence",
    "air_defence_medium": "Medium-range air defence",
    "air_defence_short": "Short-range air defence",
    "fighters": "Fighter aircraft",
    "helicopters": "Helicopters",
    "uav": "Uncrewed aerial vehicles",
    "anti_tank": "Anti-tank weapons",
    "ammo_155": "155 mm artillery ammunition",
    "ammo_soviet": "Soviet-calibre artillery ammunition",
    "ammo_rockets": "Artillery rockets",
    "engineering": "Engineering and demining",
    "logistics": "Logistics vehicles",
}
# (code, name, nation, share of tonnage, extra days by region)
HUBS: tuple[tuple[str, str, str, float, dict[str, int]], ...] = (
    ("RZE", "Rzeszów-Jasionka", "POL", 0.32, {"E": 2, "N": 6, "W": 6, "S": 9, "O": 8}),
    ("GDN", "Gdańsk port", "POL", 0.18, {"E": 5, "N": 3, "W": 6, "S": 12, "O": 10}),
    ("KSC", "Košice", "SVK", 0.18, {"E": 3, "N": 8, "W": 5, "S": 7, "O": 14}),
    ("CND", "Constanța port", "ROU", 0.18, {"E": 6, "N": 12, "W": 10, "S": 4, "O": 12}),
    ("SCV", "Suceava", "ROU", 0.14, {"E": 3, "N": 9, "W": 8, "S": 6, "O": 16}),
)


@dataclass(frozen=True)
class ScaleSpec:
    requirements: int
    offers: int
    weeks: int


SCALES: dict[str, ScaleSpec] = {
    "small": ScaleSpec(60, 200, 26),
    "medium": ScaleSpec(400, 2000, 52),
    "udcg": ScaleSpec(1500, 8000, 104),
    "xl": ScaleSpec(5000, 30000, 104),
}
START = dt.date(2025, 1, 6)  # a Monday


@dataclass(frozen=True)
class Profile:
    """The distributions a profile draws from (see PROFILES)."""

    description: str
    donor_skew: float  # donor choice ~ aid weight ** skew (0.6 flattens, 1.5 concentrates)
    quantity_tail: float  # 0: log-uniform lots; > 0: a Pareto tail of that index (smaller = heavier)
    demand_over_supply: tuple[float, float]  # per capability
    hub_tonnage_share: tuple[float, float]  # weekly hub capacity / (offered tonnage per week)
    hub_shares_fixed: bool  # True: the real hubs' shares; False: drawn per seed
    lead_days_extra: tuple[int, int]  # added to every route's days
    crews_existing: tuple[float, float]  # in-service families: share of the crews their offers need
    seats_share: tuple[float, float]  # course seats: share of the crews the family's offers need
    mixed_unit_share: float  # share of crewed families given a non-`each` item (spares, in kg)
    out_of_service_share: float  # share of in-service families drawn as not in service
    earmark_share: float
    withdrawn_share: float
    accepts_share: float  # requirements accepting only families in service
    due_early: bool  # most requirements due in the first quarter
    half_life: tuple[float, float]
    cost_factor: tuple[float, float]  # introduction cost x this, per family


PROFILES: dict[str, Profile] = {
    "standard": Profile(
        description="random data of a realistic shape",
        donor_skew=0.6,
        quantity_tail=0.0,
        demand_over_supply=(1.2, 1.6),
        hub_tonnage_share=(1.1, 1.1),
        hub_shares_fixed=True,
        lead_days_extra=(0, 0),
        crews_existing=(0.3, 0.8),
        seats_share=(0.5, 1.0),
        mixed_unit_share=0.0,
        out_of_service_share=0.0,
        earmark_share=0.03,
        withdrawn_share=0.03,
        accepts_share=0.12,
        due_early=False,
        half_life=(8.0, 8.0),
        cost_factor=(1.0, 1.0),
    ),
    # Unlike the standard profile in every respect the planner leans on: hubs bind in
    # most weeks, crews are scarce, crewed families mix `each` items with items counted
    # in kg, a few donors give most, lots have a heavy tail, routes are long, demand is
    # early, and some capabilities are offered more than needed.
    "tight": Profile(
        description="tight hubs, scarce crews, mixed-unit crewed families, skewed donors, long lead times",
        donor_skew=1.5,
        quantity_tail=1.3,
        demand_over_supply=(0.6, 2.5),
        hub_tonnage_share=(0.3, 0.6),
        hub_shares_fixed=False,
        lead_days_extra=(10, 70),
        crews_existing=(0.05, 0.3),
        seats_share=(0.15, 0.6),
        mixed_unit_share=0.5,
        out_of_service_share=0.3,
        earmark_share=0.08,
        withdrawn_share=0.05,
        accepts_share=0.3,
        due_early=True,
        half_life=(3.0, 12.0),
        cost_factor=(0.5, 3.0),
    ),
}


def generate(scale: str, seed: int, profile: str = "standard") -> Scenario:
    """A synthetic scenario of the given scale (small, medium, udcg, xl) and profile
    (standard, tight); same arguments, same scenario."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
    spec = SCALES[scale]
    shape = PROFILES[profile]
    # the standard profile's seeds are those of earlier versions: its scenarios do not change
    stream = [seed, list(SCALES).index(scale)] + (
        [] if profile == "standard" else [list(PROFILES).index(profile)]
    )
    rng = np.random.default_rng(stream)
    # a second stream for what only other profiles draw, so the standard one keeps its draws
    extra = np.random.default_rng([*stream, 99])
    weeks = spec.weeks
    nation_codes = [n[0] for n in NATIONS]
    nation_pos = {c: i for i, c in enumerate(nation_codes)}
    capability_codes = sorted(CAPABILITIES)
    cap_pos = {c: i for i, c in enumerate(capability_codes)}
    # The burden of a new family grows with the scenario: more requirements share one fleet.
    default_cost = round(3.0 * (spec.requirements / 60) ** 0.25, 1)

    # ----- families and item types -----
    fam_codes = [f[0] for f in FAMILIES]
    fam_cap = np.array([cap_pos[f[2]] for f in FAMILIES], dtype=np.int64)
    in_service = np.array([f[3] for f in FAMILIES], dtype=bool)
    if shape.out_of_service_share:
        in_service &= extra.random(len(FAMILIES)) >= shape.out_of_service_share
    crew = np.array([f[4] for f in FAMILIES], dtype=np.float64)
    cost_given = np.array([not f[3] and f[2] in COST_FACTORS for f in FAMILIES], dtype=bool)
    cost = np.array(
        [
            round(default_cost * COST_FACTORS.get(f[2], 1.0), 1) if g else default_cost
            for f, g in zip(FAMILIES, cost_given, strict=True)
        ]
    )
    if shape.cost_factor != (1.0, 1.0):
        cost = np.round(cost * extra.uniform(*shape.cost_factor, len(FAMILIES)), 1)
        cost_given = np.ones(len(FAMILIES), bool)
    item_codes: list[str] = []
    item_names: list[str] = []
    item_family: list[int] = []
    item_unit: list[str] = []
    item_mass: list[float] = []
    item_nsn: list[str] = []
    family_items: list[list[int]] = []
    for f, (code, name, _cap, _svc, _crew, mass, unit, _holders) in enumerate(FAMILIES):
        variants = 2 if rng.random() < 0.35 else 1
        family_items.append([])
        for v in range(variants):
            family_items[f].append(len(item_codes))
            item_codes.append(f"{code}-{'AB'[v]}")
            item_names.append(f"{name} ({'standard' if v == 0 else 'upgraded'})")
            item_family.append(f)
            item_unit.append(unit)
            item_mass.append(round(mass * (1.0 if v == 0 else 1.08), 3))
            digits = [int(x) for x in rng.integers((1000, 10, 100, 1000), (9999, 99, 999, 9999))]
            nsn = "" if rng.random() < 0.3 else "{}-{}-{}-{}".format(*digits)
            item_nsn.append(nsn)
    # crewed families with spares counted in kg beside their `each` items (rule 7 counts every unit)
    for f in np.flatnonzero((crew > 0) & (extra.random(len(FAMILIES)) < shape.mixed_unit_share)).tolist():
        family_items[f].append(len(item_codes))
        item_codes.append(f"{FAMILIES[f][0]}-SP")
        item_names.append(f"{FAMILIES[f][1]} spares")
        item_family.append(f)
        item_unit.append("kg")
        item_mass.append(0.001)
        item_nsn.append("")
    holders = [[nation_pos[h] for h in f[7].split()] for f in FAMILIES]

    # ----- offers (supply), drawn first; requirements are sized to exceed it -----
    weight = np.array([n[4] for n in NATIONS]) + 0.05
    weight[nation_pos["UKR"]] = 0.0
    share = np.array([CAPABILITIES[c][0] for c in capability_codes])
    # donor by aid weight, then a family it holds, favouring capabilities in demand
    offer_donor = np.zeros(spec.offers, dtype=np.int64)
    offer_item = np.zeros(spec.offers, dtype=np.int64)
    offer_qty = np.zeros(spec.offers)
    donor_families: dict[int, list[int]] = {}
    for f, hs in enumerate(holders):
        for h in hs:
            donor_families.setdefault(h, []).append(f)
    donors = np.array(sorted(donor_families), dtype=np.int64)
    donor_p = weight[donors] ** shape.donor_skew  # 0.6 flattens: small donors give many small lots
    donor_p /= donor_p.sum()
    for k in range(spec.offers):
        d = int(rng.choice(donors, p=donor_p))
        fams = donor_families[d]
        p = share[fam_cap[fams]]
        f = int(rng.choice(fams, p=p / p.sum()))
        lo, hi = CAPABILITIES[FAMILIES[f][2]][1]
        qty = float(np.exp(rng.uniform(np.log(lo), np.log(hi + 1))))
        item = int(rng.choice(family_items[f]))
        if shape.quantity_tail:
            qty = lo * float(extra.pareto(shape.quantity_tail) + 1.0)
            qty = min(qty, 20.0 * hi)
        offer_donor[k] = d
        offer_item[k] = item
        if item_unit[item] == "kg":
            offer_qty[k] = round(float(extra.uniform(0.5, 40.0)), 1)  # spares: a few kg, not whole
        else:
            offer_qty[k] = max(1.0, round(qty, -2 if qty > 2000 else 0))
    # availability: a fifth ready now, the rest over the first three quarters of the horizon
    ready_now = rng.random(spec.offers) < 0.2
    avail_week = np.where(ready_now, 0, rng.integers(0, max(1, int(weeks * 0.75)), spec.offers))
    avail_day = avail_week * 7 + rng.integers(-14, 7, spec.offers)
    order = np.lexsort((offer_item, avail_day, offer_donor))
    offer_donor, offer_item, offer_qty, avail_day = (
        offer_donor[order],
        offer_item[order],
        offer_qty[order],
        avail_day[order],
    )
    offer_fam = np.array(item_family, dtype=np.int64)[offer_item]

    # ----- requirements: per capability, demand about 1.4 times the supply -----
    req_cap = rng.choice(len(capability_codes), size=spec.requirements, p=share / share.sum())
    req_cap.sort(kind="stable")
    supply = np.zeros(len(capability_codes))
    np.add.at(supply, fam_cap[offer_fam], offer_qty)
    req_qty = np.zeros(spec.requirements)
    for c in range(len(capability_codes)):
        members = np.flatnonzero(req_cap == c)
        if members.size == 0:
            continue
        parts = rng.dirichlet(np.full(members.size, 2.0))
        total = max(supply[c], 1.0) * rng.uniform(1.2, 1.6)
        if shape.demand_over_supply != (1.2, 1.6):
            total = max(supply[c], 1.0) * extra.uniform(*shape.demand_over_supply)
        each = FAMILIES[int(np.flatnonzero(fam_cap == c)[0])][6] == "each"
        amounts = total * parts
        req_qty[members] = np.maximum(1.0, np.round(amounts, 0 if each else -2))
    priority = rng.choice([1, 2, 3, 4, 5], size=spec.requirements, p=[0.12, 0.22, 0.32, 0.2, 0.14])
    due_week = rng.integers(1, weeks + 6, spec.requirements)
    if shape.due_early:
        due_week = np.minimum(1 + extra.exponential(weeks / 6, spec.requirements).astype(np.int64), weeks + 5)
    needed_by = [START + dt.timedelta(days=int(7 * w + rng.integers(0, 7))) for w in due_week]
    accepts: list[list[str]] = []
    for c in req_cap:
        operated = [fam_codes[f] for f in np.flatnonzero((fam_cap == c) & in_service)]
        # some requirements accept only what the recipient already operates
        accepts.append(sorted(operated) if operated and rng.random() < shape.accepts_share else [])
    req_ids = [f"R-{i + 1:05d}" for i in range(spec.requirements)]
    family_ok = req_cap[:, None] == fam_cap[None, :]
    for r, acc in enumerate(accepts):
        if acc:
            family_ok[r] &= np.isin(np.array(fam_codes), acc)

    # earmarks (a donor pledged for a named need) and withdrawn offers
    earmark = np.full(spec.offers, -1, dtype=np.int64)
    for k in np.flatnonzero(rng.random(spec.offers) < shape.earmark_share).tolist():
        options = np.flatnonzero(family_ok[:, offer_fam[k]])
        if options.size:
            earmark[k] = int(rng.choice(options))
    withdrawn = rng.random(spec.offers) < shape.withdrawn_share

    # ----- hubs: capacity so that the busy weeks bind -----
    tonnes = float((offer_qty * np.array(item_mass)[offer_item]).sum())
    weekly = tonnes / weeks * 1.1
    hub_share = np.array([h[3] for h in HUBS])
    if not shape.hub_shares_fixed:
        weekly = tonnes / weeks * float(extra.uniform(*shape.hub_tonnage_share))
        hub_share = extra.dirichlet(np.full(len(HUBS), 1.5))
    hub_capacity = np.array([round(weekly * s, -1) + 10 for s in hub_share])

    # ----- routes: most donors reach most hubs; a few small donors have none -----
    region = {n[0]: n[5] for n in NATIONS}
    base_days = {"E": 2, "N": 5, "W": 5, "S": 7, "O": 21}
    route_donor: list[int] = []
    route_hub: list[int] = []
    route_days: list[int] = []
    for d, code in enumerate(nation_codes):
        if code == "UKR" or (NATIONS[d][4] < 0.05 and rng.random() < 0.5):
            continue
        for h, hub in enumerate(HUBS):
            if rng.random() < 0.3 and h > 0:
                continue
            route_donor.append(d)
            route_hub.append(h)
            days = int(base_days[region[code]] + hub[4][region[code]] + rng.integers(0, 8))
            if shape.lead_days_extra != (0, 0):
                days += int(extra.integers(shape.lead_days_extra[0], shape.lead_days_extra[1] + 1))
            route_days.append(days)

    # ----- crews and courses: new crewed families are gated by training -----
    offered_units = np.zeros(len(FAMILIES))
    np.add.at(offered_units, offer_fam, offer_qty)
    existing = np.where(
        in_service, np.round(crew * offered_units * rng.uniform(0.3, 0.8, len(FAMILIES))), 0.0
    )
    if shape.crews_existing != (0.3, 0.8):
        existing = np.where(
            in_service,
            np.round(crew * offered_units * extra.uniform(*shape.crews_existing, len(FAMILIES))),
            0.0,
        )
    course_ids: list[str] = []
    course_family: list[int] = []
    course_host: list[str] = []
    course_seats: list[float] = []
    course_start: list[dt.date] = []
    course_weeks: list[int] = []
    for f in np.flatnonzero(crew > 0).tolist():
        cap = FAMILIES[f][2]
        lo, hi = CAPABILITIES[cap][2]
        cohorts = int(rng.integers(1, 4)) + (0 if in_service[f] else 1)
        needed = crew[f] * offered_units[f] * rng.uniform(0.5, 1.0)
        if shape.seats_share != (0.5, 1.0):
            needed = crew[f] * offered_units[f] * float(extra.uniform(*shape.seats_share))
        for n in range(cohorts):
            course_ids.append(f"C-{FAMILIES[f][0]}-{n + 1:02d}")
            course_family.append(int(f))
            course_host.append(nation_codes[int(rng.choice(holders[f]))])
            course_seats.append(float(max(crew[f], np.round(needed / cohorts))))
            course_start.append(START + dt.timedelta(weeks=int(rng.integers(-4, max(1, weeks // 2)))))
            course_weeks.append(int(rng.integers(lo, hi + 1)))

    return Scenario(
        start_date=START,
        horizon_weeks=weeks,
        recipient="UKR",
        lateness_half_life_weeks=8.0
        if shape.half_life == (8.0, 8.0)
        else round(float(extra.uniform(*shape.half_life)), 1),
        default_family_cost=default_cost,
        capability_codes=capability_codes,
        extensions={
            "_meta": [
                {
                    "name": f"synthetic {scale} (seed {seed})"
                    + ("" if profile == "standard" else f", profile {profile}"),
                    "description": f"nsatu synth: {shape.description}",
                }
            ],
            "capabilities": [{"code": c, "name": CAPABILITY_NAMES[c]} for c in capability_codes],
        },
        nations=Nations(
            codes=nation_codes,
            names=[n[1] for n in NATIONS],
            nato=np.array([n[2] for n in NATIONS], dtype=bool),
            eu=np.array([n[3] for n in NATIONS], dtype=bool),
        ),
        families=Families(
            codes=fam_codes,
            names=[f[1] for f in FAMILIES],
            capability=fam_cap,
            in_service=in_service,
            cost=cost,
            cost_given=cost_given,
            crew_per_unit=crew,
            existing_crews=existing,
        ),
        items=Items(
            codes=item_codes,
            names=item_names,
            family=np.array(item_family, dtype=np.int64),
            unit=item_unit,
            is_each=np.array([u == "each" for u in item_unit], dtype=bool),
            mass_t=np.array(item_mass),
            nsn=item_nsn,
        ),
        requirements=Requirements(
            ids=req_ids,
            capability=req_cap.astype(np.int64),
            quantity=req_qty,
            priority=priority.astype(np.int64),
            needed_by=needed_by,
            accepts=accepts,
            family_ok=family_ok,
        ),
        offers=Offers(
            ids=[f"O-{nation_codes[int(d)]}-{k + 1:05d}" for k, d in enumerate(offer_donor)],
            donor=offer_donor,
            item=offer_item,
            quantity=offer_qty,
            available_from=[START + dt.timedelta(days=int(x)) for x in avail_day],
            earmark=earmark,
            withdrawn=withdrawn,
        ),
        hubs=Hubs(
            codes=[h[0] for h in HUBS],
            names=[h[1] for h in HUBS],
            iso3=[h[2] for h in HUBS],
            capacity_t=hub_capacity,
        ),
        routes=Routes(
            donor=np.array(route_donor, dtype=np.int64),
            hub=np.array(route_hub, dtype=np.int64),
            lead_days=np.array(route_days, dtype=np.int64),
        ),
        courses=Courses(
            ids=course_ids,
            family=np.array(course_family, dtype=np.int64),
            host=course_host,
            seats=np.array(course_seats),
            start=course_start,
            duration_weeks=np.array(course_weeks, dtype=np.int64),
        ),
    )
