"""Database triggers that refuse UPDATE and DELETE on the ledger's event table."""

from __future__ import annotations

from typing import Any

TABLE = "core_event"

SQLITE_CREATE = [
    f"CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;",
    f"CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS ledger_no_update;", "DROP TRIGGER IF EXISTS ledger_no_delete;"]

POSTGRES_CREATE = [
    "CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'ledger events are append-only'; END; $$ LANGUAGE plpgsql;",
    f"DROP TRIGGER IF EXISTS ledger_append_only ON {TABLE};",
    f"CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();",
]
POSTGRES_DROP = [f"DROP TRIGGER IF EXISTS ledger_append_only ON {TABLE};"]


def _run(connection: Any, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install(connection: Any) -> None:
    """Create the append-only triggers for this backend (no-op elsewhere)."""
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_CREATE)
    elif connection.vendor == "postgresql":
        _run(connection, POSTGRES_CREATE)


def remove(connection: Any) -> None:
    """Drop the triggers (used by `flush`, and by tests that play an intruder)."""
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_DROP)
    elif connection.vendor == "postgresql":
        _run(connection, POSTGRES_DROP)
