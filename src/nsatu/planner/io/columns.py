"""The columns FORMAT.md and the platform's extensions (docs/format.md) define."""

from __future__ import annotations

# FORMAT.md columns, in FORMAT.md order (the order files are written in).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "nations": ("iso3", "name", "nato", "eu"),
    "families": (
        "code",
        "name",
        "capability",
        "in_service",
        "introduction_cost",
        "crew_per_unit",
        "existing_crews",
    ),
    "item_types": ("code", "name", "family", "unit", "mass_t", "nsn"),
    "requirements": ("id", "capability", "quantity", "priority", "needed_by", "accepts"),
    "offers": ("id", "donor", "item_type", "quantity", "available_from", "earmark", "status"),
    "hubs": ("code", "name", "iso3", "capacity_t_per_week"),
    "routes": ("donor", "hub", "lead_time_days"),
    "courses": ("id", "family", "host", "seats", "start", "duration_weeks"),
}
# Columns whose every cell may be empty: a file may leave the column out altogether.
OPTIONAL_COLUMNS: dict[str, frozenset[str]] = {
    "families": frozenset({"introduction_cost"}),
    "item_types": frozenset({"nsn"}),
    "requirements": frozenset({"accepts"}),
    "offers": frozenset({"earmark", "status"}),
}
# Platform extra columns the reader validates (docs/format.md); kept in extra_columns.
KNOWN_EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
    "nations": ("codification_bureau",),
    "item_types": ("serialised",),
    "requirements": ("title", "releasability"),
    "offers": ("releasability", "note", "platform_status"),
}
# Platform extension tables (docs/format.md), all optional.
EXTENSION_COLUMNS: dict[str, tuple[str, ...]] = {
    "capabilities": ("code", "name"),
    "family_aliases": ("alias", "family", "source"),
    "coalitions": ("code", "name", "capabilities", "leads", "members"),
    "agreements": ("id", "donor", "signed", "duration_years", "place", "note"),
    "pledges": ("agreement", "year", "amount", "currency", "purpose"),
}
EXTENSION_REQUIRED: dict[str, frozenset[str]] = {
    "capabilities": frozenset({"code"}),
    "family_aliases": frozenset({"alias", "family"}),
    "coalitions": frozenset({"code"}),
    "agreements": frozenset({"id", "donor", "signed"}),
    "pledges": frozenset({"agreement", "year", "amount", "currency"}),
}
SCENARIO_KEYS: tuple[str, ...] = (
    "start_date",
    "horizon_weeks",
    "recipient",
    "lateness_half_life_weeks",
    "default_family_cost",
    "name",
    "description",
)
IGNORED_SHEETS = frozenset({"notes", "readme"})
RELEASABILITY_WORDS = ("public", "coalition", "command-only")
