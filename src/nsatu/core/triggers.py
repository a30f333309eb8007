"""Database triggers that keep the ledger's tables append-only.

They refuse UPDATE and DELETE on events and checkpoints, an INSERT that would
take the place of an existing event (SQLite's ``INSERT OR REPLACE`` deletes
the old row without firing DELETE triggers) and, on PostgreSQL, TRUNCATE
(which fires no row triggers either).
"""

from __future__ import annotations

from typing import Any

TABLE = "core_event"
TABLES = (TABLE, "core_checkpoint")
REFUSAL = "ledger events are append-only"


def _sqlite_create(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END;",
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END;",
        # A replacing insert deletes the conflicting row silently: refuse any insert
        # whose key is taken, before SQLite resolves the conflict.
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id{_sqlite_unique(table)}) "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END;",
    ]


def _sqlite_unique(table: str) -> str:
    return " OR seq = NEW.seq OR hash = NEW.hash" if table == TABLE else ""


SQLITE_DROP = [
    *(f"DROP TRIGGER IF EXISTS {t}_no_{kind};" for t in TABLES for kind in ("update", "delete", "replace")),
    # the names of the first release of these triggers
    "DROP TRIGGER IF EXISTS ledger_no_update;",
    "DROP TRIGGER IF EXISTS ledger_no_delete;",
]

POSTGRES_CREATE = [
    f"CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$ "
    f"BEGIN RAISE EXCEPTION '{REFUSAL}'; END; $$ LANGUAGE plpgsql;",
    *(
        sql
        for table in TABLES
        for sql in (
            f"DROP TRIGGER IF EXISTS ledger_append_only ON {table};",
            f"CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();",
            f"DROP TRIGGER IF EXISTS ledger_no_truncate ON {table};",
            f"CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();",
        )
    ),
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS {name} ON {table};"
    for table in TABLES
    for name in ("ledger_append_only", "ledger_no_truncate")
]


def _run(connection: Any, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _present(connection: Any) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def install(connection: Any) -> None:
    """Create the append-only triggers for this backend (no-op elsewhere); idempotent."""
    present = _present(connection)
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_DROP[-2:])
        _run(connection, [sql for t in TABLES if t in present for sql in _sqlite_create(t)])
    elif connection.vendor == "postgresql":
        _run(connection, POSTGRES_CREATE[:1])
        _run(connection, [sql for sql in POSTGRES_CREATE[1:] if any(f" ON {t}" in sql for t in present)])


def remove(connection: Any) -> None:
    """Drop the triggers (used by `flush`, and by tests that play an intruder)."""
    present = _present(connection)
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_DROP)
    elif connection.vendor == "postgresql":
        _run(connection, [sql for sql in POSTGRES_DROP if any(sql.endswith(f" ON {t};") for t in present)])
