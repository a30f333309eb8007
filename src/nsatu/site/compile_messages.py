"""Compile the translation catalogs (``locale/*/LC_MESSAGES/django.po``) to ``.mo`` in pure Python.

Django's ``compilemessages`` needs GNU gettext's ``msgfmt``; this uses Babel, so
a fresh machine without gettext can build the catalogs, and the test suite can
check that the committed ``.mo`` files hold exactly what their ``.po`` says.

    python -m nsatu.site.compile_messages            # check each .po, write the .mo files that changed
    python -m nsatu.site.compile_messages --check    # write nothing; exit 1 if a .mo is stale or a .po bad
    python -m nsatu.site.compile_messages --extract  # re-extract first (makemessages: needs GNU gettext)

A catalog is refused while any message is untranslated, fuzzy, or has
placeholders that differ from its msgid's.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ("uk",)
# What makemessages reads: the whole package but the planner, which never imports Django.
EXTRACT_IGNORE = ("planner/*",)

PLACEHOLDER = re.compile(r"%\((\w+)\)")
MessageKey = tuple[str | None, str | tuple[str, ...]]


@dataclass(frozen=True)
class CatalogReport:
    """One .po file: what is wrong with it, and whether its .mo is up to date."""

    po: Path
    problems: list[str]
    mo_current: bool


def po_files(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Every ``django.po`` under the locale directory."""
    return sorted(locale_dir.glob("*/LC_MESSAGES/django.po"))


def read_catalog(po: Path) -> Catalog:
    with po.open("rb") as handle:
        return read_po(handle, locale=po.parent.parent.name)


def _strings(message: Message) -> tuple[str, ...]:
    """A message's translation, or its plural forms ("" where missing)."""
    string = message.string
    if isinstance(string, str) or string is None:
        return (string or "",)
    return tuple(text or "" for text in string)


def _ids(message: Message) -> tuple[str, ...]:
    """A message's msgid, or its singular and plural msgids."""
    return (message.id,) if isinstance(message.id, str) else tuple(message.id)


def catalog_problems(catalog: Catalog) -> list[str]:
    """Untranslated, fuzzy and placeholder-mismatched messages, one line each."""
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings, msgid = _strings(message), _ids(message)[0]
        if not all(strings):
            problems.append(f"untranslated: {msgid!r}")
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        if "python-format" in message.flags:
            problems.extend(_placeholder_problems(_ids(message), strings))
    for message, errors in catalog.check():
        problems.extend(f"{error}: {_ids(message)[0]!r}" for error in errors)
    return problems


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text.replace("%%", "")))


def _placeholder_problems(ids: tuple[str, ...], strings: Sequence[str]) -> list[str]:
    """Each translation must keep every named placeholder of its msgid, and add none."""
    wanted = _placeholders(ids[-1]) | _placeholders(ids[0])
    return [
        f"placeholders {sorted(_placeholders(text))} instead of {sorted(wanted)}: {ids[0]!r}"
        for text in strings
        if text and _placeholders(text) != wanted
    ]


def compile_catalog(catalog: Catalog) -> bytes:
    """The .mo bytes of ``catalog`` (fuzzy messages left out, as msgfmt does)."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def mo_messages(data: bytes) -> dict[MessageKey, object]:
    """What a .mo file translates, and its plural rule: the part that must match its .po.

    The header's dates and Babel's version are left out, so rebuilding an
    unchanged catalog on another machine does not count as a change.
    """
    catalog = read_mo(io.BytesIO(data))
    messages: dict[MessageKey, object] = {
        (message.context, message.id if isinstance(message.id, str) else _ids(message)): (
            message.string if isinstance(message.string, str) else _strings(message)
        )
        for message in catalog
        if message.id
    }
    messages[(None, "")] = (catalog.num_plurals, catalog.plural_expr)
    return messages


def check(po: Path) -> CatalogReport:
    """Read one .po, list its problems and compare its .mo with a fresh compilation."""
    catalog = read_catalog(po)
    mo = po.with_suffix(".mo")
    try:
        current = mo_messages(mo.read_bytes()) == mo_messages(compile_catalog(catalog))
    except OSError:  # missing, or not a .mo file at all
        current = False
    return CatalogReport(po, catalog_problems(catalog), current)


def extract() -> None:
    """Re-extract every language's messages from the templates and Python (GNU gettext's xgettext)."""
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nsatu.site.settings")
    django.setup()
    cwd = Path.cwd()
    os.chdir(LOCALE_DIR.parent)
    try:
        call_command(
            "makemessages",
            locale=list(LANGUAGES),
            no_obsolete=True,
            ignore_patterns=list(EXTRACT_IGNORE),
            add_location="file",
            verbosity=1,
        )
    finally:
        os.chdir(cwd)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nsatu.site.compile_messages", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="write nothing; fail if a .mo is stale")
    parser.add_argument("--extract", action="store_true", help="run makemessages first (needs GNU gettext)")
    args = parser.parse_args(argv)
    if args.extract:
        extract()
    status = 0
    for po in po_files():
        report = check(po)
        name = po.relative_to(LOCALE_DIR.parent)
        if report.problems:
            status = 1
            print(f"{name}: {len(report.problems)} problem(s)", file=sys.stderr)
            for problem in report.problems:
                print(f"  {problem}", file=sys.stderr)
            continue
        if report.mo_current:
            print(f"{name}: up to date")
        elif args.check:
            status = 1
            print(f"{name}: the .mo is stale; run python -m nsatu.site.compile_messages", file=sys.stderr)
        else:
            po.with_suffix(".mo").write_bytes(compile_catalog(read_catalog(po)))
            print(f"{name}: compiled")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
