"""The donor-withdrawal stress test over committed aid, on the small scenario with known answers.

After the greedy plan is approved everything is committed: R1 (weight 16) gets POL's 60 and
40 of DEU's, R2 (weight 8) 50 of DEU's; DEU keeps 60 on the table. France then offers 30 more
(5 days to the hub), which the plan of the remainder has no use for. pwf counts over
16 + 8 = 24, every line on time:

- POL withdrawing loses R1's 60 (16 x 0.6 / 24 = 0.4 without backfill); the backfill
  fills them from France's 30 and DEU's 60 (nothing lost with it);
- DEU withdrawing loses R1's 40 and R2's 50 ((16 x 0.4 + 8) / 24 = 0.6); the backfill has only
  France's 30 (POL's 60 are committed), for R1 first: 16 x 0.3 / 24 = 0.2 back, 0.4 lost;
- France withdrawing loses nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from nsatu.cli import app
from nsatu.commitments import services
from nsatu.commitments.fulfilment import backfill_report
from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.nations.models import Nation
from nsatu.planner.io import read_scenario
from nsatu.planning.adapters import import_scenario, scenario_from_db
from nsatu.planning.models import PlanRun
from nsatu.planning.services import approve_plan_run
from nsatu.planning.tasks import execute_plan_run
from nsatu.stress.models import StressCase, StressRun, StressStatus
from nsatu.stress.services import start_stress_run
from nsatu.stress.tasks import execute_case, execute_prepare
from tests.commitments.conftest import SMALL

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LOSS_WITHOUT = {"POL": 16 * 0.6 / 24, "DEU": (16 * 0.4 + 8) / 24, "FRA": 0.0}
LOSS_WITH = {"POL": 0.0, "DEU": (16 * 0.4 + 8 - 16 * 0.3) / 24, "FRA": 0.0}


@pytest.fixture
def with_france(small: dict[str, Any], approved: PlanRun, tmp_path: Path) -> dict[str, Any]:
    """The approved small scenario, then France's 30 rounds offered (imported on top)."""
    folder = tmp_path / "france"
    folder.mkdir()
    files = dict(SMALL)
    files["offers.csv"] += "O-FRA,FRA,SHELL,30,2027-01-04,,\n"
    files["routes.csv"] += "FRA,RZE,5\n"
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    import_scenario(read_scenario(folder), actor=CLI)
    return small


def stress_here() -> StressRun:
    """A greedy donor-withdrawal stress run of the database, its tasks run in this process."""
    run = start_stress_run(actor=CLI, kind="withdrawal", method="greedy", time_limit=10, enqueue=False)
    for case_id in execute_prepare(run.pk, enqueue_cases=False):
        execute_case(case_id)
    run.refresh_from_db()
    assert run.status == StressStatus.DONE, run.message
    return run


def results(run: StressRun) -> dict[str, dict[str, Any]]:
    return {c.key: dict(c.result) for c in StressCase.objects.filter(run=run)}


def test_each_donor_loses_its_committed_aid_and_the_backfill_wins_back_what_the_rest_can(
    with_france: dict[str, Any],
) -> None:
    run = stress_here()
    # the base is the committed aid (every requirement met on time) and an empty plan of the rest
    assert run.base["committed_pwf"] == pytest.approx(1.0) and run.base["pwf"] == pytest.approx(1.0)
    assert run.base_lines == []
    assert run.base["fixed_losses"] == pytest.approx(LOSS_WITHOUT)
    got = results(run)
    assert sorted(got) == ["DEU", "FRA", "POL"]  # POL offers nothing uncommitted: a case all the same
    for donor in got:
        assert got[donor]["fixed_loss"] == pytest.approx(LOSS_WITHOUT[donor]), donor
        assert got[donor]["pwf_loss"] == pytest.approx(LOSS_WITH[donor]), donor
        assert got[donor]["committed_loss"] == pytest.approx(LOSS_WITHOUT[donor]), donor
    assert (got["POL"]["committed_lines"], got["DEU"]["committed_lines"], got["FRA"]["committed_lines"]) == (
        1,
        2,
        0,
    )
    assert got["DEU"]["below_half"] == ["R2"] and got["DEU"]["capability_loss"] == {
        "ammo_155": pytest.approx(0.4)
    }
    assert got["POL"]["below_half"] == [] and got["POL"]["capability_loss"] == {}
    # a stress test writes nothing but its own records: the commitments stand as approved
    assert not services.Decommitment.objects.exists()
    assert scenario_from_db().requirements.ids == []
    assert verify_ledger().ok


def test_the_case_backfill_is_the_re_plan_the_backfill_action_makes(with_france: dict[str, Any]) -> None:
    run = stress_here()
    deu = results(run)["DEU"]
    decommitment = services.withdraw_donor(
        Nation.objects.get(iso3="DEU"), actor=with_france["coordinator"], reason="x", effective_on=TODAY
    )
    backfill = services.start_backfill(
        decommitment, actor=with_france["coordinator"], method="greedy", time_limit=10
    )
    execute_plan_run(backfill.pk)
    decommitment.refresh_from_db()
    report = backfill_report(decommitment)
    # before / after / with backfill of the real withdrawal: the stress case's figures
    assert report.total[0] == pytest.approx(run.base["pwf"])
    assert report.total[1] == pytest.approx(run.base["pwf"] - deu["fixed_loss"])
    assert report.total[2] == pytest.approx(deu["pwf"])
    assert sorted((a.offer.code, a.requirement.code, a.quantity) for a in backfill.allocations.all()) == [
        ("O-FRA", "R1", 30.0)
    ]
    approve_plan_run(backfill, actor=with_france["coordinator"])


def test_aid_on_its_way_stays_in_the_stress_test_as_in_a_political_shift(
    with_france: dict[str, Any],
) -> None:
    from nsatu.shipments import services as shipping
    from nsatu.shipments.models import Shipment

    shipping.dispatch_shipment(Shipment.objects.get(offer__code="O-POL"), actor=CLI, on=TODAY)
    run = stress_here()
    # POL's 60 are on their way and it offers nothing else: nothing to withdraw, no case, no loss
    assert sorted(results(run)) == ["DEU", "FRA"] and run.base["fixed_losses"]["POL"] == 0.0
    assert results(run)["DEU"]["fixed_loss"] == pytest.approx(LOSS_WITHOUT["DEU"])


def test_page_api_and_cli_show_the_loss_with_and_without_backfill(
    with_france: dict[str, Any], client: Any
) -> None:
    run = stress_here()
    client.force_login(with_france["coordinator"])
    page = client.get(f"/stress/{run.pk}/").content.decode()
    assert "Committed aid lost (pwf)" in page and "Loss with backfill" in page
    table = page.split('data-testid="withdrawal"')[1].split("</table>")[0]
    rows = table.split("<tr>")[2:]
    assert [r.split('<th scope="row">')[1].split("<")[0] for r in rows] == ["DEU", "FRA", "POL"]
    assert '<td data-testid="with-backfill">0.4000</td>' in rows[0]
    assert '<td data-testid="without-backfill">0.6000</td>' in rows[0]
    assert "the aid approved plans commit (pwf 1.0000)" in page
    ukrainian = client.get(f"/stress/{run.pk}/", HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert "Втрата із заповненням прогалини" in ukrainian and "Зобов’язані рядки" in ukrainian

    report = client.get(f"/api/v1/stress-runs/{run.pk}/report").json()
    assert report["base"]["committed_pwf"] == pytest.approx(1.0)
    deu = report["impacts"][0]
    assert deu["donor"] == "DEU" and deu["committed_lines"] == 2
    assert (deu["pwf_loss"], deu["fixed_loss"]) == (pytest.approx(0.4), pytest.approx(0.6))

    out = CliRunner().invoke(
        app,
        ["stress", "--db", "--donor-withdrawal", "--in-process", "--method", "greedy"],
        env={"COLUMNS": "250"},
    )
    assert out.exit_code == 0, out.output
    assert "Donor withdrawal, committed aid included" in out.output
    assert "(committed aid 100.00%, the plan of the rest on top)" in out.output
    deu_row = next(line for line in out.output.splitlines() if "│ DEU" in line)
    cells = [c.strip() for c in deu_row.split("│") if c.strip()]
    assert cells[:6] == ["DEU", "1", "2", "60.00%", "40.00%", "60.00%"]


def test_with_nothing_committed_the_figures_are_the_plans_own(small: dict[str, Any]) -> None:
    from nsatu.planner import stress
    from nsatu.planner.methods import run_method

    run = stress_here()
    s = scenario_from_db()
    base = run_method(s, "greedy", time_limit=10)
    assert run.base["committed_pwf"] == 0.0
    assert run.base["fixed_losses"] == pytest.approx(stress.base_figures(s, base).fixed_losses)
    for key, result in results(run).items():
        pure = stress.withdrawal_case(s, base, key, method="greedy", time_limit=10)
        assert result["pwf_loss"] == pytest.approx(pure.pwf_loss) and result["committed_lines"] == 0, key
