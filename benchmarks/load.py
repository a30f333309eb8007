"""Load benchmark: 50 simulated users of all roles against the server on PostgreSQL.

    make bench-load        (or: bash scripts/with-postgres.sh .venv/bin/python -m benchmarks.load)

Starts the same server `make run` starts, on a throw-away PostgreSQL with the
demo scenario, runs locust headless for a bounded time with mixed reads and
writes, then the same number of users against /healthz (a bare Django view)
as the ceiling on the same server. Reports throughput, p50/p99 latency and
errors as a ratio to the ceiling; counts 5xx answers twice (locust's status
codes and the server's access log); and checks that the ledger and the tables
agree: every offer write the server acknowledged is in the table exactly once
with exactly one create event (none lost, none duplicated), and the chain
verifies. Writes benchmarks/results/load.md; exits 1 on any 5xx, lost or
duplicated write, or a broken chain.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

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
    env: dict[str, str],
    host: str,
    users: int,
    seconds: int,
    classes: list[str],
    prefix: Path,
    *,
    signs_in: bool = True,
) -> dict[str, Any]:
    """Run locust headless; its figures, and the status codes and writes locustfile.py recorded."""
    out = Path(f"{prefix}_out.json")
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
    result = subprocess.run(
        command,
        cwd=ROOT,
        # the mixed run's statistics restart once every user has signed in (locustfile.py)
        env={**env, "NSATU_LOAD_OUT": str(out), "NSATU_LOAD_USERS": str(users) if signs_in else "0"},
        capture_output=True,
        text=True,
        check=False,
        timeout=seconds + 120,
    )
    if not Path(f"{prefix}_stats.csv").exists() or not out.exists():
        raise SystemExit(f"locust failed:\n{result.stdout}\n{result.stderr}")
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows["Aggregated"]
    # an endpoint with no request since the statistics restarted (the sign-ins) has no percentiles
    answered = [r for n, r in rows.items() if n != "Aggregated" and r["50%"] != "N/A"]
    endpoints = sorted(answered, key=lambda r: -float(r["50%"]))
    recorded = json.loads(out.read_text())
    by_status: collections.Counter[int] = collections.Counter()
    for _name, status, n in recorded["statuses"]:
        by_status[int(status)] += int(n)
    return {
        "requests": float(total["Request Count"]),
        "failures": float(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p50": float(total["50%"]),
        "p99": float(total["99%"]),
        "five_xx": sum(n for status, n in by_status.items() if status >= 500),
        "no_answer": by_status.get(0, 0),
        "statuses": dict(sorted(by_status.items())),
        "writes": recorded["writes"],
        "endpoints": [
            (
                r["Name"],
                float(r["Request Count"]),
                float(r["50%"]),
                float(r["99%"]),
                float(r["Failure Count"]),
            )
            for r in endpoints
        ],
    }


def writes_in_db(acknowledged_path: str) -> None:
    """In the server's database (run in `manage.py shell`): print how the acknowledged writes fared."""
    from nsatu.core.ledger import verify_ledger
    from nsatu.core.models import Event
    from nsatu.offers.models import Offer

    acknowledged = set(json.loads(Path(acknowledged_path).read_text()))
    rows = collections.Counter(Offer.objects.filter(code__startswith="LOAD-").values_list("code", flat=True))
    events = collections.Counter(
        Event.objects.filter(
            action="create", object_type="offers.offer", payload__code__startswith="LOAD-"
        ).values_list("payload__code", flat=True)
    )
    print(
        json.dumps(
            {
                "rows": sum(rows.values()),
                "events": sum(events.values()),
                "lost": sorted(acknowledged - set(rows)),
                "duplicated": sorted(code for code, n in rows.items() if n > 1),
                "events_not_one": sorted(code for code in set(rows) | set(events) if events[code] != 1),
                "unacknowledged": sorted(set(rows) - acknowledged),
                "chain_ok": verify_ledger().ok,
            }
        )
    )


# The pages each role's simulated users read (locustfile.py), for the one-request-at-a-time probe.
PROBE_PAGES = {
    "load-donor": ["/offers/", "/offers/new/", "/requirements/?sort=priority", "/api/v1/offers?limit=50"],
    "load-recipient": ["/requirements/", "/api/v1/requirements?limit=50"],
    "load-coordinator": ["/", "/plans/"],
    "load-auditor": ["/audit/ledger/"],
}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def service_times(host: str, password: str, repeat: int = 5) -> list[tuple[str, float]]:
    """Median milliseconds of each page alone (one request at a time): what it costs, without queueing."""
    import statistics
    import urllib.parse
    from http.cookiejar import CookieJar

    times: list[tuple[str, float]] = []
    for username, pages in PROBE_PAGES.items():
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        token = CSRF.search(opener.open(f"{host}/login/", timeout=60).read().decode())
        form = {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": token.group(1) if token else "",
        }
        opener.open(f"{host}/login/", urllib.parse.urlencode(form).encode(), timeout=60).read()
        for page in pages:
            opener.open(host + page, timeout=60).read()  # warm
            samples = []
            for _ in range(repeat):
                start = time.perf_counter()
                opener.open(host + page, timeout=60).read()
                samples.append(1000 * (time.perf_counter() - start))
            times.append((page, statistics.median(samples)))
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        urllib.request.urlopen(f"{host}/healthz", timeout=60).read()
        samples.append(1000 * (time.perf_counter() - start))
    times.append(("/healthz", statistics.median(samples)))
    return sorted(times, key=lambda item: -item[1])


ACCESS_STATUS = re.compile(r'" (\d{3}) ')


def access_log_statuses(log: Path) -> collections.Counter[int]:
    """Status codes of every request in gunicorn's access log (the server's own count)."""
    counts: collections.Counter[int] = collections.Counter()
    for line in log.read_text(errors="replace").splitlines():
        found = ACCESS_STATUS.search(line)
        if found and "HTTP/1" in line:
            counts[int(found.group(1))] += 1
    return counts


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
    server_log = var / "server.log"
    # Exactly what `make run` starts: scripts/serve.sh (gunicorn and the task worker).
    with server_log.open("w") as log:
        server = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "serve.sh")],
            cwd=ROOT,
            env={**env, "PY": PY, "NSATU_ADDR": f"127.0.0.1:{port}"},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    host = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{host}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("the server did not start:\n" + server_log.read_text())
        alone = service_times(host, password)
        mixed = locust(
            env,
            host,
            args.users,
            args.seconds,
            ["Donor", "Recipient", "Coordinator", "Leadership", "Auditor"],
            var / "mixed",
        )
        bare = locust(
            env, host, args.users, max(10, args.seconds // 2), ["Bare"], var / "bare", signs_in=False
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    served = access_log_statuses(server_log)
    server_five_xx = sum(n for status, n in served.items() if status >= 500)
    writes = mixed["writes"]
    (var / "acknowledged.json").write_text(json.dumps(writes["acknowledged"]))
    agreement = json.loads(
        shell(
            env, f"from benchmarks.load import writes_in_db; writes_in_db({str(var / 'acknowledged.json')!r})"
        )
    )
    rows, events, chain_ok = agreement["rows"], agreement["events"], agreement["chain_ok"]
    lost, duplicated = agreement["lost"], agreement["duplicated"] + agreement["events_not_one"]
    workers, threads = os.environ.get("NSATU_WEB_WORKERS", "3"), os.environ.get("NSATU_WEB_THREADS", "4")
    ratio = mixed["rps"] / max(bare["rps"], 1e-9)

    def run_row(name: str, run: dict[str, Any]) -> str:
        errors = run["failures"]
        return (
            f"| {name} | {run['requests']:.0f} | {run['rps']:.1f} | {run['p50']:.0f} | {run['p99']:.0f} | "
            f"{errors:.0f} | {run['five_xx']} | {run['no_answer']} |"
        )

    table = [
        f"# Load benchmark (PostgreSQL, the `make run` server: gunicorn, {workers} processes x {threads} "
        "threads, and the task worker; loopback)",
        "",
        f"{args.users} users for {args.seconds} s, all roles (donor 4 : recipient 2 : coordinator 2 : "
        "leadership 1 : auditor 1),",
        "mixed reads and writes, no think time (so the server is saturated and the figures measure its",
        "capacity: latency is mostly waiting for a thread); then the same users on `/healthz` (bare",
        "Django: no database, no template) as the ceiling, same server.",
        "",
        "| run | requests | req/s | p50 ms | p99 ms | errors | 5xx | no answer |",
        "|---|---|---|---|---|---|---|---|",
        run_row("mixed", mixed),
        run_row("bare /healthz", bare),
        "",
        f"Throughput, mixed / ceiling: **{ratio:.3f}** ({mixed['rps']:.1f} / {bare['rps']:.1f} req/s); "
        f"p50 {mixed['p50'] / max(bare['p50'], 1e-9):.1f}x, p99 {mixed['p99'] / max(bare['p99'], 1e-9):.1f}x "
        "the ceiling's.",
        "",
        "Status codes (locust, mixed): "
        + ", ".join(f"{status or 'none'}: {n}" for status, n in mixed["statuses"].items())
        + f". 5xx in the server's access log (both runs): {server_five_xx}.",
        "",
        f"Writes: {len(writes['sent'])} offers sent, {len(writes['acknowledged'])} acknowledged (302); "
        f"in the table {rows} rows, with {events} ledger create events; "
        f"lost (acknowledged, not in the table): {len(lost)}; duplicated (a code twice, or not exactly "
        f"one event): {len(duplicated)}; written but unacknowledged: {len(agreement['unacknowledged'])}; "
        f"ledger chain {'verifies' if chain_ok else 'BROKEN'}.",
        "",
        "The machine is shared (2 cores, other work running): absolute figures vary between runs; the",
        "ratio to the ceiling is what compares. The mixed run's statistics restart once the last user",
        f"has signed in, so the opening burst of {args.users} sign-ins (Argon2, deliberately slow) is left",
        "out of them; the status codes above count every response, sign-ins included.",
        "",
        "Each page alone, one request at a time before the load (median of 5, ms): what a page costs",
        "without waiting for a thread:",
        "",
        "| page | ms |",
        "|---|---|",
        *(f"| `{page}` | {ms:.0f} |" for page, ms in alone),
        "",
        "Endpoints of the mixed run, slowest median first:",
        "",
        "| endpoint | requests | p50 ms | p99 ms | failures |",
        "|---|---|---|---|---|",
        *(
            f"| `{name}` | {n:.0f} | {p50:.0f} | {p99:.0f} | {failed:.0f} |"
            for name, n, p50, p99, failed in mixed["endpoints"]
        ),
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(table) + "\n")
    print("\n".join(table))
    if mixed["five_xx"] or bare["five_xx"] or server_five_xx or lost or duplicated or not chain_ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
