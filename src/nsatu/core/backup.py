"""Backup and restore of the whole database with the backend's own tools.

Django's dumpdata rounds times to milliseconds, which would break the ledger's
hashes; SQLite's online backup API and pg_dump/pg_restore copy rows exactly.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connection


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


def restore_database(source: Path) -> None:
    """Replace the database's contents with the backup at ``source``."""
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    if connection.vendor == "sqlite":
        try:
            with sqlite3.connect(str(source)) as backup:
                backup.execute("SELECT count(*) FROM core_event").fetchone()
                connection.ensure_connection()
                backup.backup(connection.connection)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source}: not a backup of this platform's SQLite database ({exc})") from exc
    elif connection.vendor == "postgresql":
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
                str(source),
            ],
            env,
        )
    else:
        raise BackupError(f"no restore method for {connection.vendor}")
