"""A small scenario for committed aid: two donors of 155 mm rounds, two requirements, one hub.

R1 (priority 1) needs 100 rounds, R2 (priority 2) 50. POL offers 60 (2 days to the hub's
far side), DEU 150 (9 days). The greedy plan sends POL's 60 and 40 of DEU's to R1, 50 of
DEU's to R2: DEU keeps 60 on the table, enough to fill what POL would leave.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nsatu.accounts.services import create_user
from nsatu.core.actors import CLI
from nsatu.nations.models import Nation
from nsatu.planner.io import read_scenario
from nsatu.planning.adapters import import_scenario
from nsatu.planning.models import PlanRun, RunStatus
from nsatu.planning.services import approve_plan_run
from nsatu.planning.tasks import execute_plan_run

SMALL = {
    "scenario.toml": 'start_date = 2027-01-04\nhorizon_weeks = 20\nrecipient = "UKR"\n',
    "nations.csv": (
        "iso3,name,nato,eu\nUKR,Ukraine,false,false\nPOL,Poland,true,true\nDEU,Germany,true,true\n"
        "FRA,France,true,true\n"
    ),
    "families.csv": (
        "code,name,capability,in_service,introduction_cost,crew_per_unit,existing_crews\n"
        "A155,155 mm,ammo_155,true,,0,0\n"
    ),
    "item_types.csv": "code,name,family,unit,mass_t,nsn\nSHELL,155 mm HE,A155,rounds,0.05,\n",
    "requirements.csv": (
        "id,capability,quantity,priority,needed_by,accepts\n"
        "R1,ammo_155,100,1,2027-03-01,\nR2,ammo_155,50,2,2027-04-01,\n"
    ),
    "offers.csv": (
        "id,donor,item_type,quantity,available_from,earmark,status\n"
        "O-POL,POL,SHELL,60,2027-01-04,,\nO-DEU,DEU,SHELL,150,2027-01-04,,\n"
    ),
    "hubs.csv": "code,name,iso3,capacity_t_per_week\nRZE,Rzeszow,POL,500\n",
    "routes.csv": "donor,hub,lead_time_days\nPOL,RZE,2\nDEU,RZE,9\n",
    "courses.csv": "id,family,host,seats,start,duration_weeks\n",
}


def load(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    import_scenario(read_scenario(folder), actor=CLI)


def planned(method: str = "greedy") -> PlanRun:
    """A plan run of the database's scenario, done here (no task worker)."""
    run = PlanRun.objects.create(method=method, time_limit=20, created_by="test")
    execute_plan_run(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.message
    return run


@pytest.fixture
def small(db: Any, tmp_path: Path) -> dict[str, Any]:
    """The small scenario loaded, with a coordinator, each donor's representative and the recipient's."""
    load(tmp_path / "small", SMALL)
    nation = {n.iso3: n for n in Nation.objects.all()}
    password = "x-Secret-123456"
    return {
        "coordinator": create_user(actor=CLI, username="coord", password=password, role="coordinator"),
        "POL": create_user(actor=CLI, username="pol", password=password, role="donor", nation=nation["POL"]),
        "DEU": create_user(actor=CLI, username="deu", password=password, role="donor", nation=nation["DEU"]),
        "UKR": create_user(
            actor=CLI, username="ukr", password=password, role="recipient", nation=nation["UKR"]
        ),
        "leadership": create_user(actor=CLI, username="lead", password=password, role="leadership"),
        "nations": nation,
    }


def pol_shipment() -> str:
    """The code of O-POL's one shipment (codes follow the line's key, which PostgreSQL does not reset)."""
    from nsatu.shipments.models import Shipment

    return Shipment.objects.get(offer__code="O-POL").code


@pytest.fixture
def approved(small: dict[str, Any]) -> PlanRun:
    """The greedy plan of the small scenario, approved (its shipments planned)."""
    return approve_plan_run(planned(), actor=small["coordinator"])
