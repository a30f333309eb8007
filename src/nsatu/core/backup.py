"""Backup and restore of the whole database with the backend's own tools.

Django's dumpdata rounds times to milliseconds, which would break the ledger's
hashes; SQLite's online backup API and pg_dump/pg_restore copy rows exactly.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction

from nsatu.core import triggers
from nsatu.core.actors import Actor
from nsatu.core.ledger import append_event

if TYPE_CHECKING:
    from nsatu.core.verification import Report


class BackupError(Exception):
    """A backup or restore that could not be done, with the reason."""


def _pg_env_and_args() -> tuple[dict[str, str], list[str]]:
    settings = connection.settings_dict
    env = {"PGPASSWORD": str(settings.get("PASSWORD") or "")}
    args = [
        "-h",
        str(settings.get("HOST") or "127.0.0.1"),
        "-p",
        str(settings.get("PORT") or 5432),
        "-U",
        str(settings.get("USER") or "postgres"),
    ]
    return env, args


def _tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None)
    if not found:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client)")
    return str(found)


def _run(command: list[str], env: dict[str, str]) -> None:
    import os

    result = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[:2000]}")


def backup_database(target: Path) -> Path:
    """Write a consistent copy of the database to ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(str(target)) as destination:
            connection.connection.backup(destination)
        destination.close()
    elif connection.vendor == "postgresql":
        env, args = _pg_env_and_args()
        _run([_tool("pg_dump"), *args, "-Fc", "-f", str(target), str(connection.settings_dict["NAME"])], env)
    else:
        raise BackupError(f"no backup method for {connection.vendor}")
    return target


def restore_database(source: Path, *, actor: Actor, public_key: Path | None = None) -> Report:
    """Replace the database's contents with the backup at ``source``, once the backup verifies.

    The backup is first restored into a temporary database, migrated and
    verified there (chain, the data it proves, signed checkpoints); only then
    are the live data replaced. The ledger's triggers are installed again
    whatever the backup's schema held, and a ``restore`` event is recorded.
    A backup that does not verify leaves the live data untouched.
    """
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    with tempfile.TemporaryDirectory(prefix="nsatu-restore-") as folder:
        # One private copy serves the check and the restore: the file cannot change in between.
        copy = Path(folder) / "backup"
        shutil.copyfile(source, copy)
        sha256 = hashlib.sha256(copy.read_bytes()).hexdigest()
        report = _verify_copy(copy, public_key)
        if not report.ok:
            raise BackupError(
                f"{source}: the backup does not verify, nothing was restored: "
                + "; ".join(report.failures()[:5])
            )
        _replace_live(copy)
    call_command("migrate", verbosity=0, interactive=False)
    triggers.install(connection)
    with transaction.atomic():
        append_event(
            actor=actor,
            action="restore",
            object_type="core.backup",
            object_id=sha256[:16],
            payload={
                "file": source.name,
                "sha256": sha256,
                "events": report.chain.checked,
                "records": report.data.checked,
                "checkpoints": report.checkpoints,
            },
        )
    return report


CHECK_ALIAS = "nsatu-restore-check"


def _verify_copy(copy: Path, public_key: Path | None) -> Report:
    """Restore ``copy`` into a temporary database, migrate it and verify it there."""
    from nsatu.core.verification import verify_everything

    settings = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        try:
            with sqlite3.connect(str(copy)) as probe:
                probe.execute("SELECT count(*) FROM core_event").fetchone()
            probe.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(
                f"{copy.name}: not a backup of this platform's SQLite database ({exc})"
            ) from exc
        settings["NAME"] = str(copy)
        scratch = None
    elif connection.vendor == "postgresql":
        scratch = f"{settings['NAME']}_restore_check"[:63]
        _create_scratch(scratch)
        env, args = _pg_env_and_args()
        _run(
            [_tool("pg_restore"), *args, "--no-owner", "--single-transaction", "-d", scratch, str(copy)], env
        )
        settings["NAME"] = scratch
    else:
        raise BackupError(f"no restore method for {connection.vendor}")
    connections.databases[CHECK_ALIAS] = settings
    # Opened at once rather than on first query: Django's test isolation refuses lazy
    # connections to an alias that appeared at run time; this is the same connection.
    connections[CHECK_ALIAS].connect()
    try:
        try:
            call_command("migrate", database=CHECK_ALIAS, verbosity=0, interactive=False)
        except DatabaseError as exc:
            raise BackupError(
                f"{copy.name}: the backup's schema cannot be brought up to date ({exc})"
            ) from exc
        return verify_everything(using=CHECK_ALIAS, public_key=public_key)
    finally:
        connections[CHECK_ALIAS].close()
        del connections[CHECK_ALIAS]
        connections.databases.pop(CHECK_ALIAS, None)
        if scratch is not None:
            _drop_scratch(scratch)


def _create_scratch(name: str) -> None:
    _drop_scratch(name)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')


def _drop_scratch(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _replace_live(copy: Path) -> None:
    if connection.vendor == "sqlite":
        # the copy was migrated and verified: it replaces the live database as it is now
        with sqlite3.connect(str(copy)) as backup:
            connection.ensure_connection()
            backup.backup(connection.connection)
        backup.close()
        return
    env, args = _pg_env_and_args()
    connection.close()
    _run(
        [
            _tool("pg_restore"),
            *args,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "-d",
            str(connection.settings_dict["NAME"]),
            str(copy),
        ],
        env,
    )
