"""Dashboard and fleet figures: known answers, sums equal to the database, no leak to donors."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db.models import F, Sum

from nsatu.dashboards import charts
from nsatu.planning.models import Allocation
from tests.dashboards.conftest import START, client_for

pytestmark = pytest.mark.django_db


def figures(response: Any) -> dict[str, Any]:
    """The figures the page embeds with json_script."""
    content = response.content.decode()
    start = content.index('<script id="dashboard-figures" type="application/json">')
    body = content[start:].split(">", 1)[1].split("</script>", 1)[0]
    return json.loads(body)


def by_name(figure: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {trace["name"]: trace for trace in figure["data"]}


def test_the_latest_unapproved_run_is_only_proposed(planned: Any) -> None:
    assert charts.latest_proposed_run() == planned.run
    response = client_for(planned.world.users["leadership"]).get("/dashboard/")
    html = response.content.decode()
    assert f"Plan run #{planned.run.pk}" in html and "is proposed, not approved" in html
    data = figures(response)
    assert by_name(data["fulfilment"])["artillery_sp"]["y"] == []  # nothing is committed
    assert by_name(data["donors"])["Committed quantity"]["y"] == [0.0, 0.0]
    standing = {
        row.code: row for row in charts.standing_by_capability(planned.world.users["leadership"], planned.run)
    }
    assert (standing["artillery_sp"].committed, standing["artillery_sp"].proposed) == (0.0, 5.0)
    assert (standing["air_defence_medium"].required, standing["air_defence_medium"].proposed) == (3.0, 3.0)


@pytest.mark.parametrize("role", ["leadership", "coordinator", "auditor", "DEU", "UKR"])
def test_dashboard_and_fleet_render(planned: Any, role: str) -> None:
    client = client_for(planned.world.users[role])
    for path in ("/dashboard/", "/fleet/"):
        response = client.get(path)
        assert response.status_code == 200
        assert "<title>" in response.content.decode()
        assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_leadership_figures_have_known_answers(committed: Any) -> None:
    planned = committed
    data = figures(client_for(planned.world.users["leadership"]).get("/dashboard/"))

    fulfilment = by_name(data["fulfilment"])
    weeks = [(START + dt.timedelta(days=7 * w)).isoformat() for w in (2, 3, 4)]
    assert fulfilment["artillery_sp"]["x"] == weeks
    # 16 required (four requirements of 4); 2 arrive in week 2, 3 more in week 4.
    assert fulfilment["artillery_sp"]["y"] == [0.125, 0.125, 0.3125]
    assert fulfilment["air_defence_medium"]["y"] == [0.0, 1.0, 1.0]

    families = by_name(data["families"])
    assert families["In service"]["x"] == ["air_defence_medium", "artillery_sp"]
    assert families["In service"]["y"] == [1, 1]
    assert families["Introduced by approved plans"]["y"] == [1, 0]
    assert families["Introduced by approved plans"]["hovertext"][0] == "IRIS-T SLM"

    donors = by_name(data["donors"])
    assert donors["Offered quantity"]["x"] == ["DEU", "POL"]
    assert donors["Offered quantity"]["y"] == [3.0, 8.0]
    assert donors["Offered quantity"]["customdata"] == [1, 4]
    assert donors["Committed quantity"]["y"] == [3.0, 5.0]
    assert donors["Committed quantity"]["customdata"] == [1, 3]

    agreements = by_name(data["agreements"])
    units = agreements["Committed units arriving that year (not valued)"]
    assert units["x"] == ["DEU-UKR 2027", "DEU-UKR 2028", "POL-UKR 2027"]
    assert units["y"] == [3.0, 0.0, 5.0]
    assert agreements["Pledged, millions EUR"]["y"] == [50.0, None, 100.0]
    assert agreements["Pledged, millions USD"]["y"] == [None, 20.0, None]

    arrivals = by_name(data["arrivals"])
    assert arrivals["RZE"]["y"] == [114.0, 0.0, 171.0]
    assert arrivals["CTA"]["y"] == [0.0, 90.0, 0.0]
    assert arrivals["RZE capacity"]["y"] == [200.0] * 3


def test_chart_sums_equal_database_sums(committed: Any) -> None:
    planned = committed
    data = figures(client_for(planned.world.users["leadership"]).get("/dashboard/"))
    lines = Allocation.objects.filter(run=planned.run)
    total_quantity = lines.aggregate(q=Sum("quantity"))["q"]
    total_tonnes = lines.aggregate(t=Sum(F("quantity") * F("offer__item_type__mass_t")))["t"]
    donors = by_name(data["donors"])
    assert sum(donors["Committed quantity"]["y"]) == total_quantity
    arrivals = data["arrivals"]["data"]
    assert sum(sum(t["y"]) for t in arrivals if t["type"] == "bar") == total_tonnes
    # The older run's line (week 9) is not counted anywhere.
    assert all("2027-03-08" not in t["x"] for t in arrivals)


def test_donor_aggregates_count_only_what_it_may_see(committed: Any) -> None:
    """DEU sees public and coalition records and its own: lines a2 (command) and a3 (FRA) stay out."""
    planned = committed
    data = figures(client_for(planned.world.users["DEU"]).get("/dashboard/"))
    donors = by_name(data["donors"])
    assert donors["Offered quantity"]["y"] == [3.0, 4.0]  # DEU, POL (O-public + O-coalition)
    assert donors["Committed quantity"]["y"] == [3.0, 2.0]
    fulfilment = by_name(data["fulfilment"])
    assert fulfilment["artillery_sp"]["y"] == [0.25, 0.25]  # 2 of 8 visible, weeks 2 and 3
    arrivals = by_name(data["arrivals"])
    assert sum(arrivals["RZE"]["y"]) == 114.0
    page = client_for(planned.world.users["DEU"]).get("/dashboard/").content.decode()
    assert "releasable to your nation" in page


def test_a_dashboard_without_any_plan_renders_empty(world: Any) -> None:
    response = client_for(world.users["leadership"]).get("/dashboard/")
    assert response.status_code == 200
    data = figures(response)
    assert by_name(data["fulfilment"])["artillery_sp"]["y"] == []
    assert "No plan is approved yet: nothing is committed." in response.content.decode()


def test_fleet_diversity_counts_families_in_service(planned: Any) -> None:
    from nsatu.catalog.services import create_family
    from nsatu.core.actors import CLI

    create_family(actor=CLI, code="M109", name="M109", capability=planned.world.capability, in_service=True)
    rows = {r.code: r for r in charts.fleet_diversity()}
    assert rows["artillery_sp"].families == ["M109", "PzH 2000"]
    assert rows["air_defence_medium"].families == ["NASAMS"]
    assert rows["air_defence_medium"].catalog == 2
    response = client_for(planned.world.users["leadership"]).get("/fleet/")
    trace = figures(response)["fleet"]["data"][0]
    assert dict(zip(trace["y"], trace["x"], strict=True)) == {"artillery_sp": 2, "air_defence_medium": 1}
    assert "M109, PzH 2000" in response.content.decode()


def test_ukrainian_figures_use_ukrainian_separators(planned: Any) -> None:
    client = client_for(planned.world.users["leadership"])
    data = figures(client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="uk"))
    assert data["donors"]["layout"]["separators"] == ", "


def test_plotly_bundle_and_css_are_served_locally(client: Any) -> None:
    from nsatu.core.plotly_assets import assets

    digest = assets().digest
    js = client.get(f"/assets/plotly-{digest}.min.js")
    assert js.status_code == 200 and js["Content-Type"].startswith("text/javascript")
    assert b"plotly.js v" in js.content[:200]
    css = client.get(f"/assets/plotly-{digest}.css")
    assert css.status_code == 200
    assert ".js-plotly-plot .plotly .main-svg{" in css.content.decode()
    assert client.get("/assets/plotly-0000.min.js").status_code == 404
    gz = client.get(f"/assets/plotly-{digest}.min.js", HTTP_ACCEPT_ENCODING="gzip")
    assert gz["Content-Encoding"] == "gzip" and len(gz.content) < len(js.content)
