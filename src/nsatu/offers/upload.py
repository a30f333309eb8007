"""Reading a donor's offers workbook: every row checked, every error located.

A workbook passes the scenario reader's zip-bomb check before it is opened, and
a file of more than ``NSATU_UPLOAD_MAX_ROWS`` offers is refused before its rows
are read. The rules are the API's: an earmark names a requirement the uploader
may see (one it may not see is answered exactly like one that does not exist),
and the optional ``releasability`` column takes the markings of FORMAT.md's
extension (``public``, ``coalition``, ``nations:AAA;BBB``, ``command-only``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from nsatu.catalog.models import ItemType
from nsatu.core.choices import Releasability
from nsatu.core.releasability import parse_marking, releasable
from nsatu.nations.models import Nation
from nsatu.needs.models import Requirement
from nsatu.offers.models import Offer
from nsatu.planner.io import format_number, workbook_archive_errors
from nsatu.planning.models import quantity_tolerance, taken_by_offer_code

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_ROWS = 20_000
COLUMNS = ["id", "item_type", "quantity", "available_from", "earmark", "status", "releasability"]
REQUIRED = ["id", "item_type", "quantity", "available_from"]


def max_rows() -> int:
    """The most offer rows one upload may hold (``NSATU_UPLOAD_MAX_ROWS``)."""
    return int(getattr(settings, "NSATU_UPLOAD_MAX_ROWS", DEFAULT_MAX_ROWS))


@dataclass
class OfferRow:
    code: str
    item_type: ItemType
    quantity: float
    available_from: dt.date
    earmark: Requirement | None
    withdrawn: bool
    exists: bool
    # None: the row gives no marking (a new offer is public, an existing one keeps its own)
    releasability: str | None = None
    releasable_to: list[Nation] = field(default_factory=list)

    @property
    def marking_text(self) -> str:
        """The marking as the file wrote it, for the preview."""
        if self.releasability is None:
            return ""
        if self.releasability == Releasability.NATIONS:
            return "nations:" + ";".join(sorted(n.iso3 for n in self.releasable_to))
        return self.releasability


@dataclass
class UploadResult:
    rows: list[OfferRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class TooManyRows(Exception):
    """The file holds more rows than one upload may."""

    def __init__(self, sheet: str, rows: int) -> None:
        super().__init__(sheet, rows)
        self.sheet, self.rows = sheet, rows


def _sheet_rows(name: str, content: bytes) -> tuple[str, list[list[Any]]]:
    """The sheet's name and its rows, header first; ``TooManyRows`` before a long sheet is read."""
    limit = max_rows() + 1  # and the header
    if name.lower().endswith(".xlsx"):
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheet = "offers" if "offers" in book.sheet_names else book.sheet_names[0]
        table = book.get_sheet_by_name(sheet)
        if table.height > limit:
            raise TooManyRows(sheet, table.height - 1)
        return sheet, table.to_python(skip_empty_area=False)
    text = content.decode("utf-8-sig")
    rows: list[list[Any]] = []
    for row in csv.reader(io.StringIO(text, newline="")):
        rows.append(row)
        if len(rows) > limit:
            raise TooManyRows(name, text.rstrip("\n").count("\n"))
    return name, rows


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if value is not None else ""


def read_offer_upload(name: str, content: bytes, *, donor_iso3: str, reader: Any = None) -> UploadResult:
    """Check an uploaded offers file for one donor, as ``reader`` (the uploading user) may see the
    requirements it earmarks (none without a reader); nothing is written here."""
    result = UploadResult()
    if len(content) > MAX_UPLOAD_BYTES:
        result.errors.append(
            _("%(file)s: the file is larger than %(mb)s MB")
            % {"file": name, "mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
        return result
    if not name.lower().endswith((".xlsx", ".csv")):
        result.errors.append(_("%(file)s: upload a .xlsx workbook or a .csv file") % {"file": name})
        return result
    if name.lower().endswith(".xlsx"):
        # An .xlsx file is a zip archive: checked against zip bombs before calamine unpacks it.
        refused = workbook_archive_errors(content, name)
        if refused:
            result.errors.extend(str(error) for error in refused)
            return result
    try:
        sheet, table = _sheet_rows(name, content)
    except TooManyRows as exc:
        result.errors.append(
            _("%(sheet)s: about %(rows)s rows; at most %(max)s offers per upload: split the file")
            % {"sheet": exc.sheet, "rows": exc.rows, "max": max_rows()}
        )
        return result
    except Exception as exc:  # a corrupt workbook or undecodable text
        result.errors.append(
            _("%(file)s: cannot be read (%(error)s)")
            % {"file": name, "error": f"{exc.__class__.__name__}: {exc}"}
        )
        return result
    if not table or not any(_text(c) for c in table[0]):
        result.errors.append(_("%(sheet)s: the file is empty") % {"sheet": sheet})
        return result
    header = [_text(c).lower() for c in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        result.errors.append(
            _("%(sheet)s, row 1: missing column(s) %(columns)s")
            % {"sheet": sheet, "columns": ", ".join(missing)}
        )
        return result
    items = {t.code: t for t in ItemType.objects.all()}
    # Only the requirements the uploader may see: a hidden one is answered as one that does not exist.
    requirements = {r.code: r for r in releasable(Requirement.objects.all(), reader)}
    nations = {n.iso3: n for n in Nation.objects.all()}
    others = dict(Offer.objects.exclude(donor__iso3=donor_iso3).values_list("code", "donor__iso3"))
    mine = set(Offer.objects.filter(donor__iso3=donor_iso3).values_list("code", flat=True))
    committed = taken_by_offer_code()  # committed, held or withdrawn: not the offer's to lower
    seen: set[str] = set()
    for number, raw in enumerate(table[1:], start=2):
        cells = {header[i]: raw[i] for i in range(min(len(header), len(raw)))}
        if not any(_text(v) for v in cells.values()):
            continue
        where = _("%(sheet)s, row %(row)s") % {"sheet": sheet, "row": number}
        code = _text(cells.get("id"))
        problems: list[str] = []
        if not code:
            problems.append(_("%(where)s, column id: empty") % {"where": where})
        elif code in seen:
            problems.append(_("%(where)s, column id: duplicate id %(id)s") % {"where": where, "id": code})
        elif code in others:
            problems.append(
                _("%(where)s, column id: %(id)s is another nation's offer") % {"where": where, "id": code}
            )
        seen.add(code)
        item = items.get(_text(cells.get("item_type")))
        if item is None:
            problems.append(
                _("%(where)s, column item_type: unknown item type %(value)r")
                % {"where": where, "value": _text(cells.get("item_type"))}
            )
        try:
            quantity = float(cells.get("quantity"))  # type: ignore[arg-type]
            if quantity <= 0:
                problems.append(_("%(where)s, column quantity: must be greater than zero") % {"where": where})
            elif item is not None and item.is_whole and not quantity.is_integer():
                problems.append(
                    _("%(where)s, column quantity: %(item)s is counted in whole units")
                    % {"where": where, "item": item.code}
                )
            elif code in mine and committed.get(code, 0.0) > quantity + quantity_tolerance(quantity):
                problems.append(
                    _(
                        "%(where)s, column quantity: approved plans have committed %(committed)s "
                        "of %(id)s; the quantity cannot be less"
                    )
                    % {"where": where, "committed": format_number(committed[code]), "id": code}
                )
        except (TypeError, ValueError):
            quantity = 0.0
            problems.append(
                _("%(where)s, column quantity: not a number (%(value)r)")
                % {"where": where, "value": _text(cells.get("quantity"))}
            )
        try:
            available = _date(cells.get("available_from"))
        except ValueError:
            available = dt.date.min
            problems.append(
                _("%(where)s, column available_from: not a date (%(value)r)")
                % {"where": where, "value": _text(cells.get("available_from"))}
            )
        earmark_code = _text(cells.get("earmark"))
        earmark = requirements.get(earmark_code) if earmark_code else None
        if earmark_code and earmark is None:
            problems.append(
                _("%(where)s, column earmark: no requirement %(value)r")
                % {"where": where, "value": earmark_code}
            )
        marking, listed = _marking(_text(cells.get("releasability")), nations, where, problems)
        status = _text(cells.get("status")).lower() or "offered"
        if status not in ("offered", "withdrawn"):
            problems.append(
                _("%(where)s, column status: must be offered or withdrawn, not %(value)r")
                % {"where": where, "value": status}
            )
        if problems:
            result.errors.extend(problems)
            continue
        assert item is not None
        result.rows.append(
            OfferRow(
                code,
                item,
                quantity,
                available,
                earmark,
                status == "withdrawn",
                exists=code in mine,
                releasability=marking,
                releasable_to=listed,
            )
        )
    if not result.rows and not result.errors:
        result.errors.append(_("%(sheet)s: no offer rows") % {"sheet": sheet})
    return result


def _marking(
    text: str, nations: dict[str, Nation], where: str, problems: list[str]
) -> tuple[str | None, list[Nation]]:
    """A row's ``releasability`` cell as (marking, listed nations); (None, []) when empty."""
    if not text:
        return None, []
    try:
        marking, codes = parse_marking(text)
    except ValueError:
        problems.append(
            _(
                "%(where)s, column releasability: %(value)r is not public, coalition, "
                "nations:AAA;BBB or command-only"
            )
            % {"where": where, "value": text}
        )
        return None, []
    unknown = [code for code in codes if code not in nations]
    if unknown:
        problems.append(
            _("%(where)s, column releasability: no nation %(codes)s")
            % {"where": where, "codes": ", ".join(repr(c) for c in unknown)}
        )
        return None, []
    if marking == Releasability.NATIONS and not codes:
        problems.append(
            _("%(where)s, column releasability: name the nations after nations: (nations:POL;DEU)")
            % {"where": where}
        )
        return None, []
    return marking, [nations[code] for code in dict.fromkeys(codes)]
