"""Reading and writing FORMAT.md scenarios: every error kind located, odd encodings, round trips."""

from __future__ import annotations

import datetime as dt
import struct
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from nsatu.planner.io import CellError, ScenarioError, read_scenario, workbook_archive_errors, write_scenario
from nsatu.planner.synth import generate

BASE: dict[str, str] = {
    "scenario.toml": 'start_date = 2025-01-06\nhorizon_weeks = 10\nrecipient = "UKR"\n',
    "nations.csv": (
        "iso3,name,nato,eu\nUKR,Україна,false,false\nPOL,Poland,true,true\nDEU,Germany,true,true\n"
    ),
    "families.csv": (
        "code,name,capability,in_service,introduction_cost,crew_per_unit,existing_crews\n"
        "LEO2,Leopard 2,armour,false,6,4,0\nT72,T-72,armour,true,,3,30\nA155,155 mm,ammo,true,,0,0\n"
    ),
    "item_types.csv": (
        "code,name,family,unit,mass_t,nsn\nLEO2A4,Leopard 2A4,LEO2,each,60,1234-56-789-0123\n"
        "T72M,T-72M,T72,each,45,\nSHELL,155 mm HE,A155,rounds,0.05,\n"
    ),
    "requirements.csv": (
        "id,capability,quantity,priority,needed_by,accepts\nR1,armour,10,1,2025-02-03,\n"
        "R2,ammo,5000,2,2025-03-03,A155\n"
    ),
    "offers.csv": (
        "id,donor,item_type,quantity,available_from,earmark,status\nO1,DEU,LEO2A4,4,2025-01-06,,offered\n"
        "O2,POL,T72M,6,2025-01-13,R1,\nO3,POL,SHELL,2000,2025-01-06,,withdrawn\n"
    ),
    "hubs.csv": "code,name,iso3,capacity_t_per_week\nRZE,Rzeszów,POL,500\n",
    "routes.csv": "donor,hub,lead_time_days\nDEU,RZE,7\nPOL,RZE,2\n",
    "courses.csv": "id,family,host,seats,start,duration_weeks\nC1,LEO2,DEU,16,2025-01-06,4\n",
}


def write_folder(path: Path, files: dict[str, str], *, raw: dict[str, bytes] | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8", newline="")
    for name, data in (raw or {}).items():
        (path / name).write_bytes(data)
    return path


def errors_of(path: Path) -> list[CellError]:
    with pytest.raises(ScenarioError) as caught:
        read_scenario(path)
    return caught.value.errors


def located(errors: list[CellError]) -> set[tuple[str, int, str]]:
    return {(e.file, e.row, e.column) for e in errors}


def test_valid_folder_reads(tmp_path: Path) -> None:
    s = read_scenario(write_folder(tmp_path / "s", BASE))
    assert s.nations.codes == ["UKR", "POL", "DEU"]
    assert s.nations.names[0] == "Україна"
    assert s.capability_codes == ["ammo", "armour"]
    assert s.families.cost.tolist() == [6.0, 4.0, 4.0]
    assert s.families.cost_given.tolist() == [True, False, False]
    assert s.items.is_each.tolist() == [True, True, False]
    assert s.offers.earmark.tolist() == [-1, 0, -1]
    assert s.offers.withdrawn.tolist() == [False, False, True]
    assert s.requirements.family_ok.tolist() == [[True, True, False], [False, False, True]]
    assert s.requirement_due_week.tolist() == [4, 8]
    assert s.course_ready_week.tolist() == [4]


# (file, text to replace, replacement, expected (file, row, column))
ERROR_CASES = {
    "bad date": ("offers.csv", "4,2025-01-06", "4,2025-13-01", ("offers.csv", 2, "available_from")),
    "text in number": ("requirements.csv", "armour,10,", "armour,ten,", ("requirements.csv", 2, "quantity")),
    "zero quantity": ("offers.csv", "LEO2A4,4,", "LEO2A4,0,", ("offers.csv", 2, "quantity")),
    "negative quantity": ("requirements.csv", "ammo,5000", "ammo,-5", ("requirements.csv", 3, "quantity")),
    "priority out of range": ("requirements.csv", "10,1,", "10,6,", ("requirements.csv", 2, "priority")),
    "priority not whole": ("requirements.csv", "10,1,", "10,1.5,", ("requirements.csv", 2, "priority")),
    "duplicate id": ("offers.csv", "O2,POL", "O1,POL", ("offers.csv", 3, "id")),
    "duplicate nation": ("nations.csv", "DEU,Germany", "POL,Germany", ("nations.csv", 4, "iso3")),
    "unknown nation": ("offers.csv", "O1,DEU", "O1,XYZ", ("offers.csv", 2, "donor")),
    "unknown family": ("item_types.csv", "T72M,T-72M,T72", "T72M,T-72M,T80", ("item_types.csv", 3, "family")),
    "unknown item type": ("offers.csv", "POL,T72M", "POL,T80U", ("offers.csv", 3, "item_type")),
    "unknown accepted family": ("requirements.csv", "A155\n", "A152\n", ("requirements.csv", 3, "accepts")),
    "dangling earmark": ("offers.csv", ",R1,", ",R9,", ("offers.csv", 3, "earmark")),
    "unknown hub": ("routes.csv", "POL,RZE", "POL,KSC", ("routes.csv", 3, "hub")),
    "duplicate route": ("routes.csv", "POL,RZE,2", "DEU,RZE,2", ("routes.csv", 3, "hub")),
    "unknown course family": ("courses.csv", "C1,LEO2", "C1,LEO1", ("courses.csv", 2, "family")),
    "unknown course host": ("courses.csv", "LEO2,DEU", "LEO2,GBR", ("courses.csv", 2, "host")),
    "unknown hub nation": ("hubs.csv", "Rzeszów,POL", "Rzeszów,XXX", ("hubs.csv", 2, "iso3")),
    "nsn not 13 digits": (
        "item_types.csv",
        "1234-56-789-0123",
        "1234-56-789-012",
        ("item_types.csv", 2, "nsn"),
    ),
    "bad boolean": ("nations.csv", "POL,Poland,true", "POL,Poland,maybe", ("nations.csv", 3, "nato")),
    "bad status": ("offers.csv", ",withdrawn", ",cancelled", ("offers.csv", 4, "status")),
    "negative mass": ("item_types.csv", "each,45", "each,-45", ("item_types.csv", 3, "mass_t")),
    "lead days not whole": ("routes.csv", "DEU,RZE,7", "DEU,RZE,7.5", ("routes.csv", 2, "lead_time_days")),
    "empty required cell": (
        "offers.csv",
        "O1,DEU,LEO2A4,4,2025-01-06",
        "O1,DEU,LEO2A4,,2025-01-06",
        ("offers.csv", 2, "quantity"),
    ),
    "missing column": (
        "requirements.csv",
        "id,capability,quantity,",
        "id,capability,qty,",
        ("requirements.csv", 1, "quantity"),
    ),
    "horizon not positive": (
        "scenario.toml",
        "horizon_weeks = 10",
        "horizon_weeks = 0",
        ("scenario.toml", 2, "horizon_weeks"),
    ),
    "unknown recipient": ("scenario.toml", '"UKR"', '"UKX"', ("scenario.toml", 3, "recipient")),
    "unknown scenario key": (
        "scenario.toml",
        "recipient",
        "horizon = 3\nrecipient",
        ("scenario.toml", 3, "horizon"),
    ),
    "bad start date": ("scenario.toml", "2025-01-06", '"6 Jan 2025"', ("scenario.toml", 1, "start_date")),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_each_error_is_located(tmp_path: Path, case: str) -> None:
    file, old, new, where = ERROR_CASES[case]
    files = dict(BASE)
    assert old in files[file]
    files[file] = files[file].replace(old, new, 1)
    errors = errors_of(write_folder(tmp_path / "s", files))
    assert where in located(errors), errors
    assert all(str(e) for e in errors)


def test_missing_file(tmp_path: Path) -> None:
    files = {k: v for k, v in BASE.items() if k != "hubs.csv"}
    errors = errors_of(write_folder(tmp_path / "s", files))
    assert ("hubs.csv", 0, "") in located(errors)
    # routes through the missing hub table are not flooded with reference errors
    assert not any(e.file == "routes.csv" for e in errors)


def test_empty_file(tmp_path: Path) -> None:
    errors = errors_of(write_folder(tmp_path / "s", {**BASE, "offers.csv": ""}))
    assert ("offers.csv", 0, "") in located(errors)
    assert "empty" in errors[0].message or any("empty" in e.message for e in errors)


def test_all_errors_reported_at_once(tmp_path: Path) -> None:
    files = dict(BASE)
    files["offers.csv"] = files["offers.csv"].replace("LEO2A4,4,", "LEO2A4,0,").replace(",R1,", ",R9,")
    files["requirements.csv"] = files["requirements.csv"].replace("10,1,", "10,9,")
    errors = errors_of(write_folder(tmp_path / "s", files))
    assert {
        ("offers.csv", 2, "quantity"),
        ("offers.csv", 3, "earmark"),
        ("requirements.csv", 2, "priority"),
    } <= located(errors)


def test_bom_crlf_and_cyrillic(tmp_path: Path) -> None:
    raw = {
        name: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")
        for name, text in BASE.items()
        if name.endswith(".csv")
    }
    raw["nations.csv"] = (
        b"\xef\xbb\xbf"
        + "iso3,name,nato,eu\r\nUKR,Україна,no,NO\r\nPOL,Польща,YES,1\r\nDEU,Німеччина,True,0\r\n".encode()
    )
    folder = write_folder(tmp_path / "s", {"scenario.toml": BASE["scenario.toml"]}, raw=raw)
    s = read_scenario(folder)
    assert s.nations.names == ["Україна", "Польща", "Німеччина"]
    assert s.nations.nato.tolist() == [False, True, True]
    assert s.nations.eu.tolist() == [False, True, False]
    assert s.offers.ids == ["O1", "O2", "O3"]


def test_unknown_extra_files_are_ignored_and_extra_columns_kept(tmp_path: Path) -> None:
    files = dict(BASE)
    files["README.txt"] = "anything"
    files["offers.csv"] = files["offers.csv"].replace("status\n", "status,zz_local,note\n", 1)
    files["offers.csv"] = files["offers.csv"].replace(",offered\n", ",offered,x1,first lot\n")
    s = read_scenario(write_folder(tmp_path / "s", files))
    assert s.extra_columns["offers"][0] == {"zz_local": "x1", "note": "first lot"}
    assert s.extra_columns["offers"][1] == {"zz_local": "", "note": ""}
    write_scenario(s, tmp_path / "out")
    header = (tmp_path / "out" / "offers.csv").read_text().splitlines()[0]
    assert header == "id,donor,item_type,quantity,available_from,earmark,status,note,zz_local"


def test_optional_columns_may_be_left_out(tmp_path: Path) -> None:
    files = dict(BASE)
    files["offers.csv"] = (
        "id,donor,item_type,quantity,available_from\nO1,DEU,LEO2A4,4,2025-01-06\nO2,POL,T72M,6,2025-01-13\n"
    )
    s = read_scenario(write_folder(tmp_path / "s", files))
    assert s.offers.earmark.tolist() == [-1, -1]
    assert s.offers.withdrawn.tolist() == [False, False]


EXTENSIONS = {
    "capabilities.csv": "code,name\narmour,Armour\nammo,Ammunition\n",
    "family_aliases.csv": "alias,family,source\nLeopard 2A4,LEO2,kiel\nT-72M1,T72,oryx\n",
    "coalitions.csv": "code,name,capabilities,leads,members\nARM,Armour coalition,armour,DEU;POL,DEU;POL\n",
    "agreements.csv": "id,donor,signed,duration_years,place,note\nA-DEU,DEU,2024-02-16,10,Berlin,\n",
    "pledges.csv": "agreement,year,amount,currency,purpose\nA-DEU,2024,7100000000,eur,military\n",
}


def test_extensions_are_typed(tmp_path: Path) -> None:
    toml = BASE["scenario.toml"] + 'name = "Демо"\ndescription = "a test"\n'
    files = {**BASE, **EXTENSIONS, "scenario.toml": toml}
    files["nations.csv"] = (
        "iso3,name,nato,eu,codification_bureau\nUKR,Україна,false,false,\nPOL,Poland,true,true,26\nDEU,Germany,true,true,12\n"
    )
    files["requirements.csv"] = files["requirements.csv"].replace(
        "accepts\n", "accepts,title,releasability\n"
    )
    files["requirements.csv"] = files["requirements.csv"].replace(",\n", ",,Tanks,nations:POL;DEU\n", 1)
    files["requirements.csv"] = files["requirements.csv"].replace("A155\n", "A155,Shells,Public\n")
    s = read_scenario(write_folder(tmp_path / "s", files))
    assert s.extensions["_meta"] == [{"name": "Демо", "description": "a test"}]
    assert s.extensions["coalitions"][0]["leads"] == ["DEU", "POL"]
    assert s.extensions["agreements"][0]["signed"] == dt.date(2024, 2, 16)
    assert s.extensions["agreements"][0]["duration_years"] == 10
    assert s.extensions["pledges"][0] == {
        "agreement": "A-DEU",
        "year": 2024,
        "amount": 7.1e9,
        "currency": "EUR",
        "purpose": "military",
    }
    assert s.extra_columns["nations"][1] == {"codification_bureau": "26"}
    assert s.extra_columns["requirements"][0] == {"title": "Tanks", "releasability": "nations:POL;DEU"}
    assert s.extra_columns["requirements"][1]["releasability"] == "public"


EXTENSION_ERRORS = {
    "alias duplicate ignoring case": (
        "family_aliases.csv",
        "T-72M1,T72",
        "leopard 2a4,T72",
        ("family_aliases.csv", 3, "alias"),
    ),
    "alias family unknown": (
        "family_aliases.csv",
        "T-72M1,T72",
        "T-72M1,T80",
        ("family_aliases.csv", 3, "family"),
    ),
    "coalition nation unknown": (
        "coalitions.csv",
        "DEU;POL,DEU",
        "DEU;XXX,DEU",
        ("coalitions.csv", 2, "leads"),
    ),
    "coalition capability unknown": (
        "coalitions.csv",
        ",armour,",
        ",navy,",
        ("coalitions.csv", 2, "capabilities"),
    ),
    "agreement donor unknown": ("agreements.csv", "A-DEU,DEU", "A-DEU,GER", ("agreements.csv", 2, "donor")),
    "agreement date bad": ("agreements.csv", "2024-02-16", "16.02.2024", ("agreements.csv", 2, "signed")),
    "pledge agreement unknown": ("pledges.csv", "A-DEU,2024", "A-FRA,2024", ("pledges.csv", 2, "agreement")),
    "pledge amount negative": ("pledges.csv", "7100000000", "-1", ("pledges.csv", 2, "amount")),
    "pledge currency bad": ("pledges.csv", ",eur,", ",euro,", ("pledges.csv", 2, "currency")),
    "family capability not listed": (
        "capabilities.csv",
        "ammo,Ammunition\n",
        "",
        ("families.csv", 4, "capability"),
    ),
}


@pytest.mark.parametrize("case", sorted(EXTENSION_ERRORS))
def test_extension_errors_are_located(tmp_path: Path, case: str) -> None:
    file, old, new, where = EXTENSION_ERRORS[case]
    files = {**BASE, **EXTENSIONS}
    assert old in files[file]
    files[file] = files[file].replace(old, new, 1)
    assert where in located(errors_of(write_folder(tmp_path / "s", files)))


@pytest.mark.parametrize(
    ("marking", "ok"),
    [
        ("", True),
        ("coalition", True),
        ("command-only", True),
        ("nations:POL", True),
        ("secret", False),
        ("nations:XXX", False),
    ],
)
def test_releasability_syntax(tmp_path: Path, marking: str, ok: bool) -> None:
    files = dict(BASE)
    files["offers.csv"] = (
        files["offers.csv"]
        .replace("status\n", "status,releasability\n", 1)
        .replace(",offered\n", f",offered,{marking}\n")
    )
    folder = write_folder(tmp_path / "s", files)
    if ok:
        read_scenario(folder)
    else:
        assert ("offers.csv", 2, "releasability") in located(errors_of(folder))


def _workbook(path: Path, *, extra_sheet: str | None = None, drop: str | None = None) -> Path:
    """The BASE scenario as a workbook with Excel-typed cells (dates, floats, booleans)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "scenario"
    for row in (
        ["key", "value"],
        ["start_date", dt.datetime(2025, 1, 6)],
        ["horizon_weeks", 10.0],
        ["recipient", "UKR"],
    ):
        sheet.append(row)
    for name, text in BASE.items():
        if not name.endswith(".csv") or name[:-4] == drop:
            continue
        ws = book.create_sheet(name[:-4])
        for line in text.splitlines():
            cells: list[object] = []
            for cell in line.split(","):
                if cell in ("true", "false"):
                    cells.append(cell == "true")
                elif len(cell) == 10 and cell[4] == "-" and cell[7] == "-":
                    cells.append(dt.datetime.fromisoformat(cell))
                else:
                    try:
                        cells.append(float(cell))
                    except ValueError:
                        cells.append(cell or None)
            ws.append(cells)
    book.create_sheet("notes").append(["anything at all"])
    if extra_sheet:
        book.create_sheet(extra_sheet).append(["x"])
    book.save(path)
    return path


def test_workbook_with_typed_cells(tmp_path: Path) -> None:
    s = read_scenario(_workbook(tmp_path / "s.xlsx"))
    folder = read_scenario(write_folder(tmp_path / "s", BASE))
    write_scenario(s, tmp_path / "a")
    write_scenario(folder, tmp_path / "b")
    for name in BASE:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_workbook_integer_ids_become_text(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "s.xlsx")
    book = openpyxl.load_workbook(path)
    book["offers"]["A2"] = 12.0  # an id typed as a number by Excel
    book.save(path)
    assert read_scenario(path).offers.ids[0] == "12"


def test_workbook_unknown_and_missing_sheets(tmp_path: Path) -> None:
    errors = errors_of(_workbook(tmp_path / "s.xlsx", extra_sheet="Sheet2", drop="routes"))
    assert ("Sheet2", 0, "") in located(errors)
    assert ("routes", 0, "") in located(errors)


def test_workbook_cell_errors_name_the_sheet(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "s.xlsx")
    book = openpyxl.load_workbook(path)
    book["requirements"]["C3"] = "lots"
    book.save(path)
    assert ("requirements", 3, "quantity") in located(errors_of(path))


def test_round_trip_is_byte_identical(tmp_path: Path) -> None:
    s = generate("small", 7)
    write_scenario(s, tmp_path / "a")
    again = read_scenario(tmp_path / "a")
    write_scenario(again, tmp_path / "b")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    write_scenario(again, tmp_path / "c.xlsx", xlsx=True)
    write_scenario(read_scenario(tmp_path / "c.xlsx"), tmp_path / "d")
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "d" / name).read_bytes(), name


def test_round_trip_with_extensions_and_extras(tmp_path: Path) -> None:
    files = {**BASE, **EXTENSIONS}
    files["item_types.csv"] = (
        files["item_types.csv"]
        .replace("nsn\n", "nsn,serialised,legacy_ref\n")
        .replace("0123\n", "0123,yes,Ä-1\n")
    )
    s = read_scenario(write_folder(tmp_path / "s", files))
    write_scenario(s, tmp_path / "a")
    write_scenario(read_scenario(tmp_path / "a"), tmp_path / "b")
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name
    assert (
        "LEO2A4,Leopard 2A4,LEO2,each,60,1234-56-789-0123,true,Ä-1"
        in (tmp_path / "a" / "item_types.csv").read_text()
    )


def test_numbers_are_written_minimally(tmp_path: Path) -> None:
    s = read_scenario(write_folder(tmp_path / "s", BASE))
    write_scenario(s, tmp_path / "a")
    text = (tmp_path / "a" / "item_types.csv").read_text()
    assert ",60," in text and ",0.05," in text and "60.0" not in text
    assert (
        (tmp_path / "a" / "scenario.toml")
        .read_text()
        .startswith("start_date = 2025-01-06\nhorizon_weeks = 10\n")
    )


def test_writing_over_an_existing_folder_replaces_stale_tables(tmp_path: Path) -> None:
    files = {**BASE, **EXTENSIONS, "mine.txt": "keep me"}
    folder = write_folder(tmp_path / "s", files)
    s = read_scenario(folder)
    s.extensions.pop("pledges")
    write_scenario(s, folder)
    assert not (folder / "pledges.csv").exists()
    assert (folder / "mine.txt").read_text() == "keep me"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folder left behind


def test_not_a_scenario(tmp_path: Path) -> None:
    assert errors_of(tmp_path / "nothing")[0].message == "no such folder or file"
    (tmp_path / "x.txt").write_text("hi")
    assert "expected" in errors_of(tmp_path / "x.txt")[0].message


# ----- `each` quantities are whole (FORMAT.md: `each` means integer quantities) -----

EACH_CASES = {
    # an offer of an `each` item type
    "offer of each": ("offers.csv", "LEO2A4,4,", "LEO2A4,2.5,", ("offers.csv", 2, "quantity")),
    # every family of `armour` (LEO2, T72) has only `each` item types
    "requirement of an each capability": (
        "requirements.csv",
        "armour,10,",
        "armour,10.5,",
        ("requirements.csv", 2, "quantity"),
    ),
}


@pytest.mark.parametrize("case", sorted(EACH_CASES))
def test_fractional_each_quantities_are_located_errors(tmp_path: Path, case: str) -> None:
    file, old, new, where = EACH_CASES[case]
    files = dict(BASE)
    files[file] = files[file].replace(old, new, 1)
    errors = errors_of(write_folder(tmp_path / "s", files))
    assert located(errors) == {where}, errors
    assert "not a whole number" in errors[0].message and "`each`" in errors[0].message


def test_fractional_quantities_of_real_units_read(tmp_path: Path) -> None:
    files = dict(BASE)
    files["offers.csv"] = files["offers.csv"].replace("SHELL,2000,", "SHELL,2000.5,")
    files["requirements.csv"] = files["requirements.csv"].replace("ammo,5000,", "ammo,5000.25,")
    s = read_scenario(write_folder(tmp_path / "s", files))
    assert s.offers.quantity[2] == 2000.5 and s.requirements.quantity[1] == 5000.25


def test_a_requirement_is_each_only_when_every_item_type_that_can_serve_it_is(tmp_path: Path) -> None:
    files = dict(BASE)
    # armour gains a family counted in kg (spare-part kits), and a family with no item type
    files["families.csv"] += "KIT,Armour kits,armour,true,,0,0\nNOITEM,Unbuilt,armour,true,,0,0\n"
    files["item_types.csv"] += "KITS,Track kits,KIT,kg,1,\n"
    files["requirements.csv"] += (
        "R3,armour,7.5,2,2025-03-03,\n"  # KIT may serve it: real quantities, fine
        "R4,armour,7.5,2,2025-03-03,LEO2;T72\n"  # only `each` families accepted: refused
        "R5,armour,7.5,2,2025-03-03,NOITEM\n"  # no item type can serve it: nothing to count, fine
        "R6,armour,7.5,2,2025-03-03,KIT;LEO2\n"  # kg and each: fine
    )
    errors = errors_of(write_folder(tmp_path / "s", files))
    assert located(errors) == {("requirements.csv", 5, "quantity")}, errors


def test_unit_each_is_read_ignoring_case(tmp_path: Path) -> None:
    files = dict(BASE)
    files["item_types.csv"] = files["item_types.csv"].replace("LEO2,each,", "LEO2,Each,")
    files["offers.csv"] = files["offers.csv"].replace("LEO2A4,4,", "LEO2A4,4.5,")
    assert ("offers.csv", 2, "quantity") in located(errors_of(write_folder(tmp_path / "s", files)))


# ----- allocated offers: `offered`, with `platform_status` = allocated -----


def _with_platform_status(files: dict[str, str], first: str, third: str = "") -> dict[str, str]:
    lines = files["offers.csv"].splitlines()
    lines[0] += ",platform_status"
    lines[1] += f",{first}"
    lines[3] += f",{third}"
    lines[2] += ","
    return {**files, "offers.csv": "\n".join(lines) + "\n"}


def test_an_allocated_offer_reads_as_an_offered_one_and_round_trips(tmp_path: Path) -> None:
    s = read_scenario(write_folder(tmp_path / "s", _with_platform_status(BASE, "Allocated")))
    # FORMAT.md's meaning does not change through an extra column: O1 is offered, O3 withdrawn
    assert s.offers.withdrawn.tolist() == [False, False, True]
    assert [row["platform_status"] for row in s.extra_columns["offers"]] == ["allocated", "", ""]
    write_scenario(s, tmp_path / "out")
    lines = (tmp_path / "out" / "offers.csv").read_text().splitlines()
    assert lines[0].endswith(",status,platform_status")
    assert lines[1] == "O1,DEU,LEO2A4,4,2025-01-06,,offered,allocated"
    assert lines[3].endswith(",withdrawn,")
    write_scenario(read_scenario(tmp_path / "out"), tmp_path / "again")
    assert (tmp_path / "again" / "offers.csv").read_bytes() == (tmp_path / "out" / "offers.csv").read_bytes()


@pytest.mark.parametrize(
    ("first", "third", "where"),
    [
        ("booked", "", ("offers.csv", 2, "platform_status")),
        ("", "allocated", ("offers.csv", 4, "platform_status")),
    ],
)
def test_platform_status_errors_are_located(
    tmp_path: Path, first: str, third: str, where: tuple[str, int, str]
) -> None:
    errors = errors_of(write_folder(tmp_path / "s", _with_platform_status(BASE, first, third)))
    assert located(errors) == {where}, errors


# ----- workbooks: reproducible bytes, and no zip bomb reaches a reader -----


def test_workbook_export_is_byte_identical_whenever_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = read_scenario(write_folder(tmp_path / "s", {**BASE, **EXTENSIONS}))
    write_scenario(s, tmp_path / "a.xlsx", xlsx=True)
    later = time.time() + 400 * 24 * 3600  # as if written again a year later
    monkeypatch.setattr(time, "time", lambda: later)
    write_scenario(s, tmp_path / "b.xlsx", xlsx=True)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert archive.namelist()[0] == "[Content_Types].xml"
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("1980-01-01T00:00:00Z") == 2 and "nsatu" in core
    # still a workbook that reads back to the same folder
    write_scenario(read_scenario(tmp_path / "a.xlsx"), tmp_path / "back")
    write_scenario(s, tmp_path / "direct")
    for path in (tmp_path / "direct").iterdir():
        assert (tmp_path / "back" / path.name).read_bytes() == path.read_bytes(), path.name
    assert openpyxl.load_workbook(tmp_path / "a.xlsx").sheetnames[0] == "scenario"


def _patch_declared_size(path: Path, entry: str, size: int) -> None:
    """Make the zip directory (and the entry's local header) claim ``size`` unpacked bytes."""
    data = bytearray(path.read_bytes())
    name = entry.encode()
    for signature, size_at, name_at in ((b"PK\x01\x02", 24, 46), (b"PK\x03\x04", 22, 30)):
        at = data.find(signature)
        while at >= 0 and data[at + name_at : at + name_at + len(name)] != name:
            at = data.find(signature, at + 1)
        assert at >= 0, (signature, entry)
        data[at + size_at : at + size_at + 4] = struct.pack("<I", size)
    path.write_bytes(bytes(data))


def _workbook_with(path: Path, entries: dict[str, bytes]) -> Path:
    _workbook(path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return path


def test_a_workbook_claiming_too_much_unpacked_data_is_refused(tmp_path: Path) -> None:
    path = _workbook_with(tmp_path / "big.xlsx", {"xl/media/blob.bin": b"x" * 1000})
    _patch_declared_size(path, "xl/media/blob.bin", 300_000_000)
    errors = errors_of(path)
    assert located(errors) == {("big.xlsx", 0, "")}
    assert "MB" in errors[0].message and "zip bomb" in errors[0].message


def test_a_highly_compressed_workbook_is_refused(tmp_path: Path) -> None:
    path = _workbook_with(tmp_path / "bomb.xlsx", {"xl/media/zeros.bin": bytes(20_000_000)})
    errors = errors_of(path)
    assert located(errors) == {("bomb.xlsx", 0, "")}
    assert "compressed" in errors[0].message and "to 1" in errors[0].message


def test_an_entry_unpacking_beyond_its_declared_size_is_refused(tmp_path: Path) -> None:
    path = _workbook_with(tmp_path / "liar.xlsx", {"xl/media/zeros.bin": bytes(5_000_000)})
    _patch_declared_size(path, "xl/media/zeros.bin", 1000)  # the directory lies: 1 kB
    errors = errors_of(path)
    assert located(errors) == {("liar.xlsx", 0, "")}
    assert "xl/media/zeros.bin" in errors[0].message and "declares" in errors[0].message


def test_a_workbook_with_too_many_entries_is_refused(tmp_path: Path) -> None:
    path = _workbook_with(tmp_path / "many.xlsx", {f"xl/media/{i}.bin": b"" for i in range(10_001)})
    errors = errors_of(path)
    assert located(errors) == {("many.xlsx", 0, "")} and "entries" in errors[0].message


def test_a_workbook_that_is_not_a_zip_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "text.xlsx"
    path.write_text("iso3,name\nUKR,Ukraine\n")
    errors = errors_of(path)
    assert located(errors) == {("text.xlsx", 0, "")} and "not a readable .xlsx workbook" in errors[0].message


def test_the_archive_guard_reads_bytes_too(tmp_path: Path) -> None:
    path = _workbook_with(tmp_path / "bomb.xlsx", {"xl/media/zeros.bin": bytes(20_000_000)})
    assert workbook_archive_errors(path.read_bytes(), "upload.xlsx")[0].file == "upload.xlsx"
    assert workbook_archive_errors(_workbook(tmp_path / "ok.xlsx").read_bytes(), "ok.xlsx") == []
