"""Plan pages: hub utilisation beside the baselines; run lists and allocation lines paged and exported."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from nsatu.planner.metrics import compute_metrics
from nsatu.planning.models import PlanRun, RunStatus
from nsatu.planning.views import hub_figures
from tests.dashboards.test_lists_exports import read_csv, read_xlsx
from tests.planner.test_metrics_check import plan_of, tiny
from tests.planning.test_approval import client_for, finished_run  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

HUBS = {
    # capacity 200: 100 t in week 1 (the hub's busiest), 50 t in week 2
    "RZE": {"tonnes_by_week": [0.0, 100.0, 50.0, 0.0], "max_share": 0.5, "max_week": 1},
    # capacity 100: 90 t in week 3
    "CTA": {"tonnes_by_week": [0.0, 0.0, 0.0, 90.0], "max_share": 0.9, "max_week": 3},
    "IDLE": {"tonnes_by_week": [0.0, 0.0, 0.0, 0.0], "max_share": 0.0, "max_week": 0},
}


def test_hub_figures_known_answer() -> None:
    figures = hub_figures({"hub_utilisation": HUBS})
    assert figures["hub_busiest_share"] == pytest.approx(0.9)
    assert figures["hub_busiest_at"] == ["CTA", 3]
    # twelve hub-weeks: 0.5 + 0.25 + 0.9, the rest empty
    assert figures["hub_mean_share"] == pytest.approx(1.65 / 12)


def test_hub_figures_of_no_hubs_and_of_a_hub_with_no_capacity() -> None:
    assert hub_figures({}) == {} and hub_figures({"hub_utilisation": {}}) == {}
    over = {"ZERO": {"tonnes_by_week": [0.0, 3.0], "max_share": math.inf, "max_week": 1}}
    figures = hub_figures({"hub_utilisation": over})
    assert math.isinf(figures["hub_busiest_share"]) and math.isinf(figures["hub_mean_share"])


def _planner_metrics(lines: list[tuple[int, int, int, float, int]]) -> dict[str, Any]:
    """The planner's own metrics of a plan over the tiny scenario, as a run stores them (JSON)."""
    return json.loads(json.dumps(compute_metrics(tiny(), plan_of(lines))))


def test_run_and_compare_pages_show_hub_utilisation_beside_the_baselines(world: Any) -> None:
    # Hub H takes 4 t a week over 6 weeks. The plan: 2 t in week 2 and 2 t in week 4.
    plan = _planner_metrics([(0, 0, 0, 2, 2), (0, 0, 0, 2, 4)])
    # The greedy baseline: 4 t in week 2, and 3.5 units of 0.5 t (1.75 t) in week 0.
    greedy = _planner_metrics([(0, 0, 0, 4, 2), (1, 1, 0, 3.5, 0)])
    run = PlanRun.objects.create(
        method="optimal",
        status=RunStatus.DONE,
        created_by="coord",
        metrics={**plan, "baselines": {"greedy": greedy}},
    )
    html = client_for(world.users["coordinator"]).get(f"/plans/{run.pk}/").content.decode()
    assert "Busiest hub-week (share of capacity)" in html and "Mean hub-week load (share of capacity)" in html
    assert "50.00% (H, week 2)" in html and "100.00% (H, week 2)" in html
    assert "16.67%" in html  # (0.5 + 0.5) / 6
    assert "23.96%" in html  # (1 + 0.4375) / 6
    other = PlanRun.objects.create(method="greedy", status=RunStatus.DONE, created_by="coord", metrics=greedy)
    compare = client_for(world.users["leadership"]).get(f"/plans/compare/?a={run.pk}&b={other.pk}")
    text = compare.content.decode()
    assert "Busiest hub-week (share of capacity)" in text
    assert "50.00% (H, week 2)" in text and "100.00% (H, week 2)" in text and "23.96%" in text


def test_a_run_without_hub_figures_shows_empty_cells(world: Any, finished_run: PlanRun) -> None:  # noqa: F811
    html = client_for(world.users["coordinator"]).get(f"/plans/{finished_run.pk}/").content.decode()
    assert "Busiest hub-week (share of capacity)" in html and "25.00%" in html


def test_run_lines_filter_sort_page_and_export(world: Any, finished_run: PlanRun) -> None:  # noqa: F811
    client = client_for(world.users["coordinator"])
    base = f"/plans/{finished_run.pk}/"
    html = client.get(f"{base}?offer=O-coalition").content.decode()
    assert ">O-coalition<" in html and ">O-public<" not in html
    assert "export=csv&amp;table=plan-lines" in html and "offer=O-coalition" in html
    table = read_csv(client.get(f"{base}?offer=O-coalition&export=csv&table=plan-lines"))
    assert table[0][:4] == ["Requirement", "Title", "Capability", "Priority"]
    assert [row[4] for row in table[1:]] == ["O-coalition"]
    every = read_xlsx(client.get(f"{base}?sort=-offer&export=xlsx"))
    assert [row[4] for row in every[1:]] == ["O-public", "O-coalition"]
    assert [row[4] for row in read_csv(client.get(f"{base}?q=coalition&export=csv"))[1:]] == ["O-coalition"]
    assert client.get(f"{base}?export=pdf").status_code == 404


def test_plan_runs_list_filters_pages_and_exports(world: Any, finished_run: PlanRun) -> None:  # noqa: F811
    for n in range(30):
        PlanRun.objects.create(method="greedy", status=RunStatus.FAILED, created_by=f"user{n}")
    client = client_for(world.users["DEU"])
    first = client.get("/plans/").content.decode()
    assert "Page 1 of 2" in first and "page=2" in first
    done = read_csv(client.get("/plans/?status=done&export=csv"))
    assert [row[0] for row in done[1:]] == [str(finished_run.pk)]
    assert done[0][:3] == ["#", "Method", "Status"] and done[1][1:3] == ["optimal", "done"]
    assert len(read_xlsx(client.get("/plans/?method=greedy&export=xlsx"))) == 31
    assert read_csv(client.get("/plans/?approved=yes&export=csv"))[1:] == []
