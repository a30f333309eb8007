"""FORMAT.md plan folders: allocations.csv, training.csv, metrics.json, read and written."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, cast, get_args

import numpy as np

from nsatu.planner.io.cells import restore_formula
from nsatu.planner.io.errors import CellError, ScenarioError
from nsatu.planner.io.writer import csv_bytes, write_files_atomically
from nsatu.planner.metrics import compute_metrics
from nsatu.planner.plan import Plan, PlanStatus
from nsatu.planner.scenario import FloatArray, Scenario

if TYPE_CHECKING:  # the frontier plans with the optimiser; these files only write its points
    from nsatu.planner.frontier import FrontierPoint

ALLOCATION_COLUMNS = ("offer_id", "requirement_id", "hub", "quantity", "arrival_week")
TRAINING_COLUMNS = ("course_id", "seats_used")
PLAN_FILES = {"allocations.csv", "training.csv", "metrics.json"}


def _json_ready(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_json_ready(v) for v in value.tolist()]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        x = float(value)
        return x if math.isfinite(x) else None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def write_plan(s: Scenario, plan: Plan, out_dir: Path) -> None:
    """Write ``plan`` as a FORMAT.md plan folder, atomically.

    Lines with quantity 0 are left out. ``metrics.json`` holds the plan's
    metrics (computed now when the plan has none) with method and solve time.
    """
    rows: list[list[object]] = [
        [
            s.offers.ids[int(plan.alloc_offer[k])],
            s.requirements.ids[int(plan.alloc_requirement[k])],
            s.hubs.codes[int(plan.alloc_hub[k])],
            float(plan.alloc_quantity[k]),
            int(plan.alloc_week[k]),
        ]
        for k in range(plan.n_lines)
        if plan.alloc_quantity[k] != 0
    ]
    files = {"allocations.csv": csv_bytes(list(ALLOCATION_COLUMNS), rows)}
    if plan.seats_used is not None:
        seats: list[list[object]] = [[c, float(plan.seats_used[i])] for i, c in enumerate(s.courses.ids)]
        files["training.csv"] = csv_bytes(list(TRAINING_COLUMNS), seats)
    metrics = dict(plan.metrics) if "objective" in plan.metrics else compute_metrics(s, plan)
    metrics.setdefault("method", plan.method)
    metrics.setdefault("solve_seconds", float(plan.solve_seconds))
    if plan.bound is not None and "bound" not in metrics:
        metrics["bound"] = float(plan.bound)
    text = json.dumps(_json_ready(metrics), indent=2, sort_keys=True, ensure_ascii=False)
    files["metrics.json"] = (text + "\n").encode("utf-8")
    write_files_atomically(Path(out_dir), files, PLAN_FILES)


def read_plan(s: Scenario, plan_dir: Path) -> Plan:
    """Read a FORMAT.md plan folder for scenario ``s``.

    Every bad row is reported (file, row, column) in one `ScenarioError`.
    The plan's metrics are metrics.json as written (not recomputed).
    """
    folder = Path(plan_dir)
    errors: list[CellError] = []
    if not folder.is_dir():
        raise ScenarioError([CellError(str(folder), 0, "", "no such plan folder")])
    offers, requirements, hubs = s.offers.index, s.requirements.index, s.hubs.index
    columns: dict[str, list[object]] = {c: [] for c in ALLOCATION_COLUMNS}
    table = _plan_table(folder / "allocations.csv", ALLOCATION_COLUMNS, errors, required=True)
    for number, row in table:
        o = offers.get(row["offer_id"], -1)
        r = requirements.get(row["requirement_id"], -1)
        h = hubs.get(row["hub"], -1)
        ok = True
        for column, pos, what in (
            ("offer_id", o, "offer"),
            ("requirement_id", r, "requirement"),
            ("hub", h, "hub"),
        ):
            if pos < 0:
                message = f"unknown {what} {row[column]!r}" if row[column] else "is empty"
                errors.append(CellError("allocations.csv", number, column, message))
                ok = False
        quantity = _plan_number(row["quantity"], "allocations.csv", number, "quantity", errors)
        week = _plan_number(row["arrival_week"], "allocations.csv", number, "arrival_week", errors)
        if week is not None and not week.is_integer():
            errors.append(
                CellError(
                    "allocations.csv", number, "arrival_week", f"{row['arrival_week']!r} is not a whole week"
                )
            )
            week = None
        if ok and quantity is not None and week is not None:
            for column, value in zip(ALLOCATION_COLUMNS, (o, r, h, quantity, int(week)), strict=True):
                columns[column].append(value)
    seats_used: FloatArray | None = None
    if (folder / "training.csv").exists():
        seats_used = np.zeros(len(s.courses.ids))
        courses = s.courses.index
        seen: dict[str, int] = {}
        for number, row in _plan_table(folder / "training.csv", TRAINING_COLUMNS, errors, required=True):
            c = courses.get(row["course_id"], -1)
            if c < 0:
                errors.append(
                    CellError("training.csv", number, "course_id", f"unknown course {row['course_id']!r}")
                )
            elif row["course_id"] in seen:
                errors.append(
                    CellError(
                        "training.csv",
                        number,
                        "course_id",
                        f"duplicate course (first on row {seen[row['course_id']]})",
                    )
                )
                c = -1
            else:
                seen[row["course_id"]] = number
            used = _plan_number(row["seats_used"], "training.csv", number, "seats_used", errors)
            if c >= 0 and used is not None:
                seats_used[c] = used
    metrics: dict[str, object] = {}
    metrics_path = folder / "metrics.json"
    if metrics_path.exists():
        try:
            loaded = json.loads(metrics_path.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            errors.append(CellError("metrics.json", 0, "", f"not valid JSON: {exc}"))
        else:
            if isinstance(loaded, dict):
                metrics = loaded
            else:
                errors.append(CellError("metrics.json", 0, "", "must be a JSON object"))
    if errors:
        raise ScenarioError(errors)
    status = metrics.get("status")
    bound = metrics.get("bound")
    seconds = metrics.get("solve_seconds")
    return Plan(
        method=str(metrics.get("method", "file")),
        status=cast(PlanStatus, status) if status in get_args(PlanStatus) else "feasible",
        alloc_offer=np.array(columns["offer_id"], dtype=np.int64),
        alloc_requirement=np.array(columns["requirement_id"], dtype=np.int64),
        alloc_hub=np.array(columns["hub"], dtype=np.int64),
        alloc_quantity=np.array(columns["quantity"], dtype=np.float64),
        alloc_week=np.array(columns["arrival_week"], dtype=np.int64),
        seats_used=seats_used,
        bound=float(bound) if isinstance(bound, int | float) and not isinstance(bound, bool) else None,
        solve_seconds=float(seconds) if isinstance(seconds, int | float) else 0.0,
        metrics=metrics,
    )


def _plan_number(text: str, label: str, row: int, column: str, errors: list[CellError]) -> float | None:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not text or not math.isfinite(value):
        errors.append(CellError(label, row, column, f"{text!r} is not a number" if text else "is empty"))
        return None
    return value


def _plan_table(
    path: Path, columns: tuple[str, ...], errors: list[CellError], *, required: bool
) -> list[tuple[int, dict[str, str]]]:
    label = path.name
    if not path.exists():
        if required:
            errors.append(CellError(label, 0, "", "missing file"))
        return []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(CellError(label, 0, "", f"cannot read the file as UTF-8: {exc}"))
        return []
    records = [[restore_formula(c) for c in r] for r in csv.reader(io.StringIO(text, newline=""))]
    if not records:
        errors.append(CellError(label, 0, "", "the file is empty; it needs at least a header row"))
        return []
    header = [h.strip().lower() for h in records[0]]
    missing = [c for c in columns if c not in header]
    for column in missing:
        errors.append(CellError(label, 1, column, "missing column"))
    if missing:
        return []
    pos = {c: header.index(c) for c in columns}
    rows: list[tuple[int, dict[str, str]]] = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        rows.append((number, {c: record[p].strip() if p < len(record) else "" for c, p in pos.items()}))
    return rows


FRONTIER_COLUMNS = (
    "new_families",
    "introduced",
    "families",
    "pwf",
    "on_time_share",
    "objective",
    "bound",
    "gap",
    "introduced_codes",
)


def write_frontier(s: Scenario, points: list[FrontierPoint], out_dir: Path) -> None:
    """``out_dir/frontier.csv`` (one row per limit K) and one FORMAT.md plan folder per point,
    ``out_dir/k<K>/``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for point in points:
        write_plan(s, point.plan, out / f"k{point.limit}")
    rows = [[point.row(s)[c] for c in FRONTIER_COLUMNS] for point in points]
    write_files_atomically(out, {"frontier.csv": csv_bytes(list(FRONTIER_COLUMNS), rows)}, {"frontier.csv"})
