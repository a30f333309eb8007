"""The demo's platform catalog as data: capabilities, families, item types and the alias table.

Everything here is written out by hand on purpose: mapping the raw, messy system
names of the public sources to platform families is judgement, so it lives in
one reviewable table (``ALIASES``), never in string matching. Crew sizes,
masses and introduction costs are documented assumptions (docs/demo.md).
"""

from __future__ import annotations

from dataclasses import dataclass

# platforms.csv `category` -> demo capability. Self-propelled anti-aircraft guns
# (Gepard, Skynex) are short-range air defence in Ukrainian use, so they count there.
CATEGORY_CAPABILITY: dict[str, str] = {
    "mbt": "mbt",
    "ifv": "ifv",
    "artillery_sp": "artillery_sp",
    "artillery_towed": "artillery_towed",
    "mlrs": "mlrs",
    "air_defence_long": "air_defence_long",
    "air_defence_medium": "air_defence_medium",
    "air_defence_short": "air_defence_short",
    "spaag": "air_defence_short",
    "fighter": "fighter",
    "helicopter": "helicopter",
}

CAPABILITIES: dict[str, str] = {
    "air_defence_long": "Air defence, long range",
    "air_defence_medium": "Air defence, medium range",
    "air_defence_short": "Air defence, short range (incl. anti-aircraft guns and C-UAS)",
    "ammunition_122mm": "Artillery ammunition, 122 mm",
    "ammunition_155mm": "Artillery ammunition, 155 mm NATO",
    "artillery_sp": "Artillery, self-propelled",
    "artillery_towed": "Artillery, towed",
    "fighter": "Fighter aircraft",
    "helicopter": "Helicopters",
    "ifv": "Infantry fighting vehicles",
    "mbt": "Main battle tanks",
    "mlrs": "Rocket artillery",
}

# Introduction cost of a family not yet in service, per capability (assumption):
# in the objective's units, where a whole priority-1 requirement is worth 16.
INTRODUCTION_COST: dict[str, float] = {
    "air_defence_long": 6,
    "air_defence_medium": 4,
    "air_defence_short": 3,
    "ammunition_122mm": 1,
    "ammunition_155mm": 1,
    "artillery_sp": 4,
    "artillery_towed": 2,
    "fighter": 6,
    "helicopter": 4,
    "ifv": 3,
    "mbt": 4,
    "mlrs": 4,
}


@dataclass(frozen=True)
class Family:
    """A platform family: equipment sharing training, spare parts and maintenance."""

    code: str
    name: str
    capability: str
    crew_per_unit: int  # assumption: trained people per unit (0 = consumable)
    calibre_mm: int | None = None
    note: str = ""


@dataclass(frozen=True)
class ItemType:
    """One item type of a family; mass in tonnes per unit (approximate public figure)."""

    code: str
    name: str
    family: str
    mass_t: float
    unit: str = "each"


F = Family
FAMILIES: tuple[Family, ...] = (
    # main battle tanks (crew: 4 with a loader, 3 with an autoloader)
    F("LEO2", "Leopard 2", "mbt", 4),
    F("LEO1", "Leopard 1", "mbt", 4),
    F("ABRAMS", "M1 Abrams", "mbt", 4),
    F("CR2", "Challenger 2", "mbt", 4),
    F("T72", "T-72", "mbt", 3),
    F("PT91", "PT-91 Twardy", "mbt", 3, note="Polish T-72 derivative: own fire control and parts"),
    F("M84", "M-84", "mbt", 3, note="Yugoslav T-72 derivative: own fire control and parts"),
    F("M55S", "M-55S", "mbt", 4, note="Slovenian T-55 upgrade"),
    # infantry fighting vehicles (crew without dismounts)
    F("BMP1", "BMP-1 (incl. BVP-1, BWP-1, Pbv 501)", "ifv", 3),
    F("BMP2", "BMP-2", "ifv", 3),
    F("M80A", "M-80A", "ifv", 3),
    F("BRADLEY", "M2 Bradley (incl. M7 BFIST)", "ifv", 3),
    F("CV90", "CV90", "ifv", 3),
    F("MARDER", "Marder 1", "ifv", 3),
    F("ROSOMAK", "KTO Rosomak (Patria AMV)", "ifv", 3),
    F("YPR765", "YPR-765 (AIFV)", "ifv", 3),
    F(
        "AITO30",
        "AiTO30 FDC (type not identified)",
        "ifv",
        3,
        note="Kiel lists 9 'AiTO30 FDC' in Germany's IFV row; type not identified, so a family of its own",
    ),
    # self-propelled artillery
    F("2S1", "2S1 Gvozdika", "artillery_sp", 4, 122),
    F("DANA", "ShKH vz. 77 DANA", "artillery_sp", 5, 152),
    F("BOHDANA", "2S22 Bohdana", "artillery_sp", 5, 155),
    F("CAESAR", "Caesar", "artillery_sp", 5, 155, note="6x6 and 8x8 share gun, training and fire control"),
    F("DITA", "DITA", "artillery_sp", 4, 155),
    F("KRAB", "AHS Krab", "artillery_sp", 5, 155),
    F("AS90", "AS-90", "artillery_sp", 5, 155),
    F("ARCHER", "Archer", "artillery_sp", 4, 155),
    F("M109", "M109", "artillery_sp", 6, 155),
    F("PZH2000", "PzH 2000", "artillery_sp", 5, 155),
    F("RCH155", "RCH 155", "artillery_sp", 3, 155),
    F("ZUZANA", "Zuzana 2", "artillery_sp", 4, 155),
    # towed artillery
    F("L119", "L118/L119 Light Gun", "artillery_towed", 6, 105),
    F("M101", "M101", "artillery_towed", 6, 105),
    F("M119", "M119", "artillery_towed", 7, 105),
    F("MOD56", "OTO Melara Mod 56", "artillery_towed", 6, 105),
    F(
        "M50",
        "M50 105 mm howitzer (type not identified)",
        "artillery_towed",
        6,
        105,
        note="Kiel lists 9 'M50 105mm howitzer' beside Lithuania's 9 M101; not identified: own family",
    ),
    F("D30", "D-30", "artillery_towed", 6, 122),
    F("M46", "M-46", "artillery_towed", 8, 130),
    F("2A36", "2A36 Giatsint-B", "artillery_towed", 8, 152),
    F("D20", "D-20 (incl. M1981)", "artillery_towed", 8, 152),
    F("FH70", "FH70", "artillery_towed", 8, 155),
    F("M777", "M777", "artillery_towed", 8, 155),
    F("TRF1", "TRF1", "artillery_towed", 8, 155),
    # rocket artillery
    F("BM21", "BM-21 Grad", "mlrs", 3, 122),
    F("APR40", "APR-40", "mlrs", 3, 122, note="Romanian 40-tube launcher: Grad rockets, own vehicle"),
    F("RM70", "RM-70", "mlrs", 4, 122),
    F("RAKSA12", "RAK SA-12", "mlrs", 3, 128),
    F("HIMARS", "M142 HIMARS", "mlrs", 3, 227),
    F("M270", "M270 MLRS (incl. MARS II, LRU)", "mlrs", 3, 227),
    # air defence, long range (unit: battery / fire unit)
    F("PATRIOT", "Patriot", "air_defence_long", 90),
    F("SAMPT", "SAMP/T", "air_defence_long", 60),
    F("S300", "S-300PMU", "air_defence_long", 80),
    # air defence, medium range (unit: fire unit)
    F("NASAMS", "NASAMS", "air_defence_medium", 30),
    F("IRIST", "IRIS-T SLM", "air_defence_medium", 30),
    F("HAWK", "MIM-23 Hawk", "air_defence_medium", 40),
    F("KUB", "2K12 Kub", "air_defence_medium", 30),
    F("S125", "S-125 Neva/Pechora", "air_defence_medium", 30),
    # air defence, short range (unit: vehicle or battery, as the sources count it)
    F("OSA", "9K33 Osa", "air_defence_short", 5),
    F("STRELA10", "9K35 Strela-10", "air_defence_short", 3),
    F("AVENGER", "AN/TWQ-1 Avenger", "air_defence_short", 2),
    F(
        "ASPIDE",
        "Aspide (Skyguard Aspide, Spada)",
        "air_defence_short",
        20,
        note="Skyguard Aspide and Spada batteries fire the same Aspide missile: one family (judgement)",
    ),
    F("CROTALE", "Crotale NG", "air_defence_short", 10),
    F("RAVEN", "Raven (ASRAAM on HMT 600)", "air_defence_short", 3),
    F("STORMER", "Stormer HVM", "air_defence_short", 3),
    F("VAMPIRE", "VAMPIRE counter-UAS", "air_defence_short", 2),
    F("GEPARD", "Flakpanzer Gepard", "air_defence_short", 3, 35),
    F("HIBNERYT", "Hibneryt", "air_defence_short", 4, 23),
    F("SKYNEX", "Skynex", "air_defence_short", 10, 35),
    F("TERRAHAWK", "Terrahawk Paladin", "air_defence_short", 2, 30),
    F("SHILKA", "ZSU-23-4 Shilka", "air_defence_short", 4, 23),
    F(
        "SKYRANGER",
        "Skyranger 30",
        "air_defence_short",
        3,
        30,
        note="not in the public files: an assumed future-offer family (not in service)",
    ),
    # fighters (crew: pilots per aircraft)
    F("F16", "F-16", "fighter", 2),
    F("MIG29", "MiG-29", "fighter", 2),
    F("MIRAGE2000", "Mirage 2000-5", "fighter", 2),
    F(
        "GRIPEN",
        "JAS 39 Gripen C/D",
        "fighter",
        2,
        note="agreements.csv (Sweden, 2024-05-31): 'prospect of JAS 39 Gripen transfer'; not delivered",
    ),
    # helicopters (crew: flight crew per helicopter)
    F("MI8", "Mi-8/Mi-17", "helicopter", 3),
    F("MI2", "Mi-2", "helicopter", 2),
    F("MI24", "Mi-24", "helicopter", 3),
    F("KA32", "Ka-32", "helicopter", 3),
    F("BELL412", "Bell 412", "helicopter", 2),
    F("SEAKING", "Sea King", "helicopter", 4),
    # ammunition: uncrewed families counted in rounds
    F("AMMO155", "155 mm NATO artillery ammunition", "ammunition_155mm", 0, 155),
    F("AMMO122", "122 mm artillery ammunition", "ammunition_122mm", 0, 122),
)

It = ItemType
ITEM_TYPES: tuple[ItemType, ...] = (
    It("LEO2A4", "Leopard 2A4", "LEO2", 55.2),
    It("LEO2A5S", "Strv 122 (Swedish Leopard 2A5)", "LEO2", 62),
    It("LEO2A6", "Leopard 2A6", "LEO2", 60.1),
    It("LEO1A5", "Leopard 1A5", "LEO1", 42.4),
    It("M1A1", "M1A1 Abrams", "ABRAMS", 61.3),
    It("CR2", "Challenger 2", "CR2", 62.5),
    It("T72", "T-72 (A, M1, EA variants)", "T72", 41.5),
    It("PT91", "PT-91 Twardy", "PT91", 45.3),
    It("M84", "M-84", "M84", 42),
    It("M55S", "M-55S", "M55S", 36),
    It("BMP1", "BMP-1", "BMP1", 13.3),
    It("BMP2", "BMP-2", "BMP2", 14),
    It("M80A", "M-80A", "M80A", 14),
    It("M2A2", "M2A2 ODS Bradley", "BRADLEY", 30),
    It("M7BFIST", "M7 Bradley fire support team vehicle", "BRADLEY", 30),
    It("CV9035", "CV9035", "CV90", 35),
    It("CV9040", "CV9040C", "CV90", 28),
    It("MARDER1A3", "Marder 1A3", "MARDER", 33.5),
    It("ROSOMAK", "KTO Rosomak", "ROSOMAK", 22),
    It("YPR765", "YPR-765", "YPR765", 13.7),
    It("AITO30", "AiTO30 FDC", "AITO30", 15),
    It("2S1", "2S1 Gvozdika", "2S1", 16),
    It("DANA", "DANA M2", "DANA", 29.3),
    It("BOHDANA", "2S22 Bohdana", "BOHDANA", 28),
    It("CAESAR6", "Caesar 6x6", "CAESAR", 17.7),
    It("CAESAR8", "Caesar 8x8", "CAESAR", 32),
    It("DITA", "DITA", "DITA", 29),
    It("KRAB", "AHS Krab", "KRAB", 48),
    It("AS90", "AS-90", "AS90", 45),
    It("ARCHER", "Archer", "ARCHER", 33.5),
    It("M109", "M109 (A3 to A6)", "M109", 27.5),
    It("PZH2000", "PzH 2000", "PZH2000", 55.3),
    It("RCH155", "RCH 155", "RCH155", 39),
    It("ZUZANA2", "Zuzana 2", "ZUZANA", 32),
    It("L119", "L118/L119 Light Gun", "L119", 1.9),
    It("M101", "M101", "M101", 2.3),
    It("M119", "M119", "M119", 2.1),
    It("MOD56", "OTO Melara Mod 56", "MOD56", 1.3),
    It("M50", "M50 105 mm howitzer", "M50", 2.3),
    It("D30", "D-30", "D30", 3.2),
    It("M46", "M-46", "M46", 7.7),
    It("2A36", "2A36 Giatsint-B", "2A36", 9.8),
    It("D20", "D-20", "D20", 5.7),
    It("FH70", "FH70", "FH70", 9.3),
    It("M777", "M777", "M777", 4.2),
    It("TRF1", "TRF1", "TRF1", 10.7),
    It("BM21", "BM-21 Grad", "BM21", 13.7),
    It("APR40", "APR-40", "APR40", 17),
    It("RM70", "RM-70", "RM70", 33.7),
    It("RAKSA12", "RAK SA-12", "RAKSA12", 10),
    It("HIMARS", "M142 HIMARS", "HIMARS", 16.3),
    It("M270", "M270 MLRS", "M270", 25),
    It("PATRIOT-BTY", "Patriot battery", "PATRIOT", 350),
    It("SAMPT-BTY", "SAMP/T battery", "SAMPT", 300),
    It("S300-BTY", "S-300PMU battery", "S300", 400),
    It("NASAMS-FU", "NASAMS fire unit", "NASAMS", 120),
    It("IRIST-FU", "IRIS-T SLM fire unit", "IRIST", 120),
    It("HAWK-FU", "Hawk fire unit", "HAWK", 150),
    It("KUB-BTY", "2K12 Kub battery", "KUB", 120),
    It("S125-BTY", "S-125 battery", "S125", 80),
    It("OSA", "9K33 Osa", "OSA", 17.5),
    It("STRELA10", "9K35 Strela-10", "STRELA10", 12.3),
    It("AVENGER", "AN/TWQ-1 Avenger", "AVENGER", 4.4),
    It("ASPIDE-BTY", "Aspide battery", "ASPIDE", 60),
    It("CROTALE-BTY", "Crotale NG battery", "CROTALE", 40),
    It("RAVEN", "Raven", "RAVEN", 10),
    It("STORMER", "Stormer HVM", "STORMER", 13),
    It("VAMPIRE", "VAMPIRE", "VAMPIRE", 3),
    It("GEPARD", "Flakpanzer Gepard", "GEPARD", 47.5),
    It("HIBNERYT", "Hibneryt", "HIBNERYT", 10),
    It("SKYNEX", "Skynex system", "SKYNEX", 40),
    It("TERRAHAWK", "Terrahawk Paladin", "TERRAHAWK", 3),
    It("SHILKA", "ZSU-23-4 Shilka", "SHILKA", 19),
    It("SKYRANGER", "Skyranger 30", "SKYRANGER", 30),
    It("F16AM", "F-16AM/BM", "F16", 9),
    It("MIG29", "MiG-29", "MIG29", 11),
    It("MIRAGE2000", "Mirage 2000-5", "MIRAGE2000", 7.5),
    It("GRIPEN-CD", "JAS 39 Gripen C/D", "GRIPEN", 6.8),
    It("MI8", "Mi-8/Mi-17", "MI8", 7.5),
    It("MI2", "Mi-2", "MI2", 2.4),
    It("MI24", "Mi-24", "MI24", 8.5),
    It("KA32", "Ka-32", "KA32", 6.6),
    It("BELL412", "Bell 412", "BELL412", 3.1),
    It("SEAKING", "Sea King", "SEAKING", 6.2),
    It("A155-HE", "155 mm HE round (NATO)", "AMMO155", 0.05, "rounds"),
    It("A122-HE", "122 mm HE round", "AMMO122", 0.035, "rounds"),
)


@dataclass(frozen=True)
class Alias:
    """A raw system name as a source spells it -> the item type (and so the family) it denotes.

    ``counts`` is False when the source counts a different unit than the family's
    (Patriot launchers, not batteries): the name resolves, but its quantity is not
    used for offers.
    """

    alias: str
    item_type: str
    note: str = ""
    counts: bool = True


A = Alias
ALIASES: tuple[Alias, ...] = (
    # mbt
    A("Challenger 2", "CR2"),
    A("Leopard 1A5", "LEO1A5"),
    A("Leopard 1A5BE", "LEO1A5", "Belgian Leopard 1A5 bought by the Netherlands/Germany"),
    A("Leopard-1", "LEO1A5"),
    A("Leopard-1A5", "LEO1A5"),
    A("Leopard 2A4", "LEO2A4"),
    A("Leopard-2A4", "LEO2A4"),
    A("Leopard 2A6", "LEO2A6"),
    A("Leopard-2A6", "LEO2A6"),
    A("Strv 122", "LEO2A5S", "Stridsvagn 122 is the Swedish Leopard 2A5"),
    A("M1A1 Abram", "M1A1"),
    A("M1A1 Abrams", "M1A1"),
    A("M1A1 Abrams'", "M1A1"),
    A("Modified T-72 tank (T-72A/T-72M1/M1R)", "T72"),
    A("T-72", "T72"),
    A("T-72A", "T72"),
    A("T-72EA", "T72"),
    A("T-72M(1)", "T72"),
    A("T-72M(R)s and T-72M1(R)", "T72"),
    A("T-72M1", "T72"),
    A("overhauled T-72", "T72"),
    A("PT-91", "PT91"),
    A("PT-91 Twardy", "PT91"),
    A("M-84 tank", "M84"),
    A("M-55S tank", "M55S"),
    A("M-55S'", "M55S"),
    # ifv
    A("AiTO30 FDC", "AITO30", "type not identified in the sources"),
    A("BMP-1", "BMP1"),
    A("BMP-1A1", "BMP1", "East German BMP-1 (BMP-1A1 Ost)"),
    A("BVP-1", "BMP1", "Czechoslovak licence-built BMP-1"),
    A("BVP-1 infantry fighting vehicle", "BMP1", "Czechoslovak licence-built BMP-1"),
    A("BWP-1", "BMP1", "Polish licence-built BMP-1"),
    A("Pbv 501A", "BMP1", "Swedish-modernised East German BMP-1"),
    A("BMP-2", "BMP2"),
    A("BVP M-80A", "M80A"),
    A("M80A infantry fighting vehicle", "M80A"),
    A("Bradley infantry fighting vehicle", "M2A2"),
    A("M2A2 ODS Bradley", "M2A2"),
    A("Bradley fire support team vehicle", "M7BFIST"),
    A("M7 BFIST", "M7BFIST"),
    A("CV90 combat vehicle", "CV9035"),
    A("CV9035", "CV9035"),
    A("CV9035 MKIIIC", "CV9035"),
    A("CV9035NL", "CV9035"),
    A("CV9040C", "CV9040"),
    A("KTO Rosomaks**", "ROSOMAK"),
    A("Marder 1A3", "MARDER1A3"),
    A("infantry fighting vehicle MARDER", "MARDER1A3"),
    A("YPR-765 infantry vehicle", "YPR765"),
    # artillery_sp
    A("122mm 122 PSH 74s (2S1 Gvozdikas)", "2S1", "Finnish designation of the 2S1"),
    A("122mm 2S1 Gozdzik", "2S1", "Polish designation of the 2S1"),
    A("122mm 2S1 Gvozdika", "2S1"),
    A("152mm DANA M2", "DANA"),
    A("Dana Howitzer", "DANA"),
    A("Bohdana self-propelled howitzer", "BOHDANA", "Ukrainian-built, funded by Denmark"),
    A("155mm Caesar", "CAESAR6"),
    A("155mm Caesar 6x6", "CAESAR6"),
    A("155mm Caesar 8x8", "CAESAR8"),
    A("CAESAR (new production 2024)", "CAESAR6"),
    A("CAESAR artillery howitzer", "CAESAR6", "Kiel does not give the chassis"),
    A("DITA howitzer", "DITA", "Czech 155 mm wheeled howitzer"),
    A("155mm AHS Krab", "KRAB"),
    A("AHS Krab self-propelled howitzer", "KRAB"),
    A("155mm AS-90", "AS90"),
    A("AS-90 howitzer", "AS90"),
    A("155mm Archer Artillery System", "ARCHER"),
    A("Archer self-propelled artillery system", "ARCHER"),
    A("155mm M109", "M109"),
    A("155mm M109A3GN", "M109"),
    A("155mm M109A4BE", "M109"),
    A("155mm M109A5", "M109"),
    A("155mm M109A6", "M109"),
    A("155mm M109L", "M109"),
    A("M109 155mm howitzer", "M109"),
    A("M109 A3GM 155mm howitzer", "M109"),
    A("155mm PzH 2000", "PZH2000"),
    A("Panzerhaubitze 2000", "PZH2000"),
    A("155mm RCH-155s*", "RCH155"),
    A("RCH-155 self propelled howitzer", "RCH155"),
    A("155mm ShKH Zuzana 2s*", "ZUZANA2"),
    A("Zusana-2 howitzer", "ZUZANA2", "Kiel's spelling of Zuzana 2"),
    # artillery_towed
    A("105mm L118/L119", "L119"),
    A("L119 105mm howitzer", "L119"),
    A("105mm M101", "M101"),
    A("105mm M101A1", "M101"),
    A("M101 105mm howitzer", "M101"),
    A("105mm M119", "M119"),
    A("105mm howitzer", "M119", "Kiel's US 105 mm row: 72, the same count as Oryx's M119"),
    A("105mm OTO Melara Mod 56", "MOD56"),
    A("OTO Melara Mod 56 Towed Howitzer 105/14", "MOD56"),
    A("M50 105mm howitzer", "M50", "type not identified in the sources"),
    A("122mm D-30", "D30"),
    A("D-30 howitzer", "D30", "Kiel also spells it 'D-30 Howitzer' (aliases ignore case)"),
    A("130mm 130 K54s (M-46s)", "M46", "Finnish designation of the M-46"),
    A("130mm M-46", "M46"),
    A("152mm 152 K89s (2A36 Giatsint-Bs)", "2A36", "Finnish designation of the 2A36"),
    A("152mm D-20", "D20"),
    A("152mm M1981s (D-20s)", "D20", "Romanian D-20 derivative"),
    A("155mm FH-70", "FH70"),
    A("FH70 155mm howitzer", "FH70"),
    A("155mm M777", "M777"),
    A("M777 howitzer", "M777"),
    A("155mm TRF1s*", "TRF1"),
    A("TRF1 howitzer", "TRF1"),
    # mlrs
    A("122mm APR-40", "APR40"),
    A("122mm BM-21 Grad", "BM21"),
    A("122mm RM-70", "RM70"),
    A("122mm RM-70 Vampir", "RM70", "RM-70 modernisation"),
    A("RM-70 multiple rocket launcher", "RM70"),
    A("128mm RAK SA-12", "RAKSA12"),
    A("227mm HIMARS", "HIMARS"),
    A("HIMARS 142 multiple rocket launcher", "HIMARS"),
    A("227mm LRU MLRS", "M270", "French M270 variant (Lance-Roquettes Unitaire)"),
    A("227mm M270 MARS MLRS", "M270"),
    A("227mm M270A1 MLRS-I", "M270"),
    A("227mm M270B1 MLRS", "M270"),
    A("M270 weapon system", "M270"),
    A("M270 weapon system (Norway)", "M270"),
    A("Mars II", "M270", "German M270 variant"),
    # air_defence_long
    A("Patriot", "PATRIOT-BTY"),
    A("Patriot Battery", "PATRIOT-BTY"),
    A("Patriot air defense battery", "PATRIOT-BTY"),
    A(
        "Patriot Launcher",
        "PATRIOT-BTY",
        "counts launchers, not batteries: not used for offers",
        counts=False,
    ),
    A("SAMP/T Battery", "SAMPT-BTY"),
    A("SAMP/T anti-air missile defense system", "SAMPT-BTY"),
    A("S-300 air defence system", "S300-BTY"),
    A("S-300PMU Battery", "S300-BTY"),
    # air_defence_medium
    A("2K12 KUB", "KUB-BTY"),
    A("2K12M2 Kub-M2", "KUB-BTY"),
    A("2K12M2 Kub-M2s Batterie", "KUB-BTY"),
    A("HAWK air defense system", "HAWK-FU"),
    A("MIM-23 Hawk Firing Unit", "HAWK-FU"),
    A("MIM-23 Hawk Phase I/III (21) Battery", "HAWK-FU"),
    A("IRIS-T SLS/SLM System", "IRIST-FU", "Oryx counts SLS and SLM together"),
    A("Iris-T SLM air defence system", "IRIST-FU"),
    A("NASAMS Batterie", "NASAMS-FU"),
    A("NASAMS Battery", "NASAMS-FU"),
    A("NASAMS Firing Unit", "NASAMS-FU"),
    A("National Advanced Surface-to-Air Missile System (NASAMS)", "NASAMS-FU"),
    A("S-125 Newa SC", "S125-BTY", "Polish S-125 modernisation"),
    # air_defence_short (and self-propelled anti-aircraft guns)
    A("9K33 Osa-AK(M)", "OSA"),
    A("Osa-AKM-P1 (as scraped: 'Osa-AKM-P1   d o')", "OSA", "Polish Osa modernisation"),
    A("9K35 Strela-10M", "STRELA10"),
    A("AN/TWQ-1 Avenger", "AVENGER"),
    A("Avenger air defense system", "AVENGER"),
    A("Aspide battery", "ASPIDE-BTY"),
    A("SkyGuard Aspide", "ASPIDE-BTY"),
    A("Spada", "ASPIDE-BTY", "Italian Aspide-based system"),
    A("Spada 2000 Battery", "ASPIDE-BTY", "Italian Aspide-based system"),
    A("Crotale NG Batterie", "CROTALE-BTY"),
    A("Crotale air-defense system", "CROTALE-BTY"),
    A("RAVEN Ground Based Air Defence System", "RAVEN"),
    A("Raven Short Range Air Defence Systems (Supacat HMT 600 with AIM-132 ASRAAM)", "RAVEN"),
    A("Stormer Armored vehicle with Starstreak anti-air missile launchers", "STORMER"),
    A("Stormer HVM", "STORMER"),
    A("Vampire Counter-Unmanned Aerial System", "VAMPIRE"),
    A("Flakpanzer Gepard", "GEPARD"),
    A("Hibneryt self-propelled anti-aircraft gun", "HIBNERYT"),
    A("Oerlikon Skynex System", "SKYNEX"),
    A("Terrahawk Paladin AA gun", "TERRAHAWK"),
    A("ZSU-23-4 Shilka", "SHILKA"),
    # fighter
    A("F-16", "F16AM"),
    A("F-16A/B", "F16AM"),
    A("F-16AM/BM", "F16AM"),
    A("MiG-29", "MIG29"),
    A("MiG-29AS'/UBS'", "MIG29", "Slovak MiG-29AS/UBS"),
    A("MiG-29As/UB", "MIG29"),
    A("Mirage 2000-5 fighter jet", "MIRAGE2000"),
    A("JAS 39 Gripen", "GRIPEN-CD", "agreements.csv (Sweden): prospect of transfer"),
    # helicopter
    A("Bell 412-HP Medium Transport Helicopter", "BELL412"),
    A("Ka-32A11BC", "KA32"),
    A("Mi-17", "MI8"),
    A("Mi-17V5", "MI8"),
    A("Mi-8", "MI8"),
    A("Mi-8MT", "MI8"),
    A("Mi-8MTV-1", "MI8"),
    A("Mi-8MTV-1VA", "MI8"),
    A("Mi-8PS", "MI8"),
    A("Mi-8T", "MI8"),
    A("Mi-2", "MI2"),
    A("Mi-2AM-1 medevac helicopter", "MI2"),
    A("Mi-24K", "MI24"),
    A("Mi-24V", "MI24"),
    A("Sea King helicopter", "SEAKING"),
    A("Westland Sea King", "SEAKING"),
    # ammunition (needs.csv and agreements.csv wording)
    A("155mm artillery shells", "A155-HE"),
    A("122mm artillery shells", "A122-HE"),
)


def family_of_item() -> dict[str, str]:
    """Item type code -> family code."""
    return {i.code: i.family for i in ITEM_TYPES}


def alias_families() -> dict[str, str]:
    """Alias -> family code: the table `family_aliases.csv` is written from."""
    items = family_of_item()
    return {a.alias: items[a.item_type] for a in ALIASES}
