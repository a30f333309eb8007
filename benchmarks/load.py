"""Load benchmark: 50 simulated users of all roles against the server on PostgreSQL.

    make bench-load        (or: bash scripts/with-postgres.sh .venv/bin/python -m benchmarks.load)

Starts the same server `make run` starts, on a throw-away PostgreSQL with the
demo scenario, runs locust headless for a bounded time with mixed reads and
writes, then the same number of users against /healthz (a bare Django view)
as the ceiling on the same server. Reports throughput, p50/p99 latency and
errors as a ratio to the ceiling, and checks that the ledger and the tables
agree: every offer the users created has exactly one create event, and the
chain verifies. Writes benchmarks/results/load.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
RESULTS = ROOT / "benchmarks" / "results" / "load.md"
ROLES = [
    ("load-donor", "donor", "DEU"),
    ("load-recipient", "recipient", "UKR"),
    ("load-coordinator", "coordinator", ""),
    ("load-leadership", "leadership", ""),
    ("load-auditor", "auditor", ""),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def shell(env: dict[str, str], code: str) -> str:
    """Run Python in Django's shell; return the last line it printed."""
    lines = manage(env, "shell", "--no-imports", "-c", code).strip().splitlines()
    return lines[-1] if lines else ""


def locust(
    env: dict[str, str], host: str, users: int, seconds: int, classes: list[str], prefix: Path
) -> dict[str, float]:
    command = [
        PY,
        "-m",
        "locust",
        "-f",
        str(ROOT / "benchmarks" / "locustfile.py"),
        "--headless",
        "--host",
        host,
        "-u",
        str(users),
        "-r",
        str(max(1, users // 5)),
        "-t",
        f"{seconds}s",
        "--csv",
        str(prefix),
        "--only-summary",
        "--stop-timeout",
        "5",
        *classes,
    ]
    subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=seconds + 120
    )
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows["Aggregated"]
    errors = 0
    failures_file = Path(f"{prefix}_failures.csv")
    five_xx = 0
    if failures_file.exists():
        with open(failures_file, newline="") as handle:
            for row in csv.DictReader(handle):
                errors += int(row["Occurrences"])
                if "50" in row["Error"] or "HTTPError('5" in row["Error"]:
                    five_xx += int(row["Occurrences"])
    return {
        "requests": float(total["Request Count"]),
        "failures": float(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p50": float(total["50%"]),
        "p99": float(total["99%"]),
        "errors": float(errors),
        "five_xx": float(five_xx),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        os.execvp(
            "bash",
            [
                "bash",
                str(ROOT / "scripts" / "with-postgres.sh"),
                PY,
                "-m",
                "benchmarks.load",
                "--users",
                str(args.users),
                "--seconds",
                str(args.seconds),
            ],
        )
    var = Path(tempfile.mkdtemp(prefix="nsatu-load-"))
    password = secrets.token_urlsafe(12)
    env = {
        **os.environ,
        "NSATU_VAR_DIR": str(var),
        "NSATU_DEBUG": "0",
        "NSATU_LOAD_PASSWORD": password,
        "DJANGO_SETTINGS_MODULE": "nsatu.site.settings",
    }
    manage(env, "migrate", "--noinput", "-v0")
    subprocess.run(
        [str(Path(PY).parent / "nsatu"), "demo", "load"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    users = ", ".join(f"({u!r}, {r!r}, {n!r})" for u, r, n in ROLES)
    shell(
        env,
        (
            "from nsatu.accounts.services import create_user; from nsatu.core.actors import CLI;"
            "from nsatu.nations.models import Nation;"
            f"[create_user(actor=CLI, username=u, password={password!r}, role=r,"
            " nation=Nation.objects.filter(iso3=n).first() if n else None)"
            f" for u, r, n in [{users}]]"
        ),
    )
    port = free_port()
    server = subprocess.Popen(
        [PY, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    host = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{host}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        mixed = locust(
            env,
            host,
            args.users,
            args.seconds,
            ["Donor", "Recipient", "Coordinator", "Leadership", "Auditor"],
            var / "mixed",
        )
        bare = locust(env, host, args.users, max(10, args.seconds // 2), ["Bare"], var / "bare")
    finally:
        server.terminate()
        server.wait(10)
    agreement = shell(
        env,
        (
            "from nsatu.offers.models import Offer; from nsatu.core.models import Event;"
            "from nsatu.core.ledger import verify_ledger;"
            "rows = Offer.objects.filter(code__startswith='LOAD-').count();"
            "events = Event.objects.filter(action='create', object_type='offers.offer',"
            " payload__code__startswith='LOAD-').count();"
            "print(rows, events, verify_ledger().ok)"
        ),
    ).split()
    rows, events, chain_ok = int(agreement[0]), int(agreement[1]), agreement[2] == "True"
    table = [
        "# Load benchmark (PostgreSQL, the `make run` server, loopback)",
        "",
        f"{args.users} users for {args.seconds} s, all roles, mixed reads and writes; then the same users on",
        "`/healthz` (bare Django: no database, no template) as the ceiling, same server, same run.",
        "",
        "| run | requests | req/s | p50 ms | p99 ms | errors | 5xx |",
        "|---|---|---|---|---|---|---|",
        f"| mixed | {mixed['requests']:.0f} | {mixed['rps']:.1f} | {mixed['p50']:.0f} | {mixed['p99']:.0f} | "
        f"{mixed['errors']:.0f} | {mixed['five_xx']:.0f} |",
        f"| bare /healthz | {bare['requests']:.0f} | {bare['rps']:.1f} | {bare['p50']:.0f} | "
        f"{bare['p99']:.0f} | "
        f"{bare['errors']:.0f} | {bare['five_xx']:.0f} |",
        "",
        f"Throughput ratio mixed / ceiling: **{mixed['rps'] / max(bare['rps'], 1e-9):.2f}**; "
        f"p50 ratio: {mixed['p50'] / max(bare['p50'], 1e-9):.1f}x.",
        "",
        f"Writes: {rows} offers created under load, {events} ledger create events for them "
        f"({'agree' if rows == events else 'DISAGREE'}); "
        f"ledger chain {'verifies' if chain_ok else 'BROKEN'}.",
        "",
        "The machine is shared (2 cores): absolute figures vary between runs; the ratio is what compares.",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(table) + "\n")
    print("\n".join(table))
    if mixed["five_xx"] or rows != events or not chain_ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
