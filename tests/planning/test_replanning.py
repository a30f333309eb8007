"""Planning again after an approval: what approved runs committed is no longer on the table.

A tiny scenario: one donor, 155 mm shells (an uncrewed family counted `each`),
one hub. R1 (priority 1) needs 4; O1 offers 8. The first plan uses half of O1.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from django.core.exceptions import ValidationError

from nsatu.catalog.models import ItemType
from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.logistics.models import Hub
from nsatu.nations.models import Nation
from nsatu.needs.models import Requirement
from nsatu.needs.services import cancel_requirement, create_requirement, update_requirement
from nsatu.offers.models import Offer, OfferStatus
from nsatu.offers.services import create_offer, update_offer, withdraw_offer
from nsatu.planner.check import check_plan
from nsatu.planner.io import ScenarioError, read_scenario, write_scenario
from nsatu.planner.plan import Plan
from nsatu.planner.scenario import Scenario
from nsatu.planning.adapters import import_scenario, scenario_from_db
from nsatu.planning.models import Allocation, PlanRun, RunStatus, SeatUse, committed_by_code
from nsatu.planning.services import PlanningError, approve_plan_run
from nsatu.planning.tasks import execute_plan_run
from nsatu.training.models import Course

pytestmark = pytest.mark.django_db

TINY = {
    "scenario.toml": 'start_date = 2027-01-04\nhorizon_weeks = 20\nrecipient = "UKR"\n',
    "nations.csv": "iso3,name,nato,eu\nUKR,Ukraine,false,false\nPOL,Poland,true,true\n",
    "families.csv": (
        "code,name,capability,in_service,introduction_cost,crew_per_unit,existing_crews\n"
        "A155,155 mm,ammo,true,,0,0\n"
    ),
    "item_types.csv": "code,name,family,unit,mass_t,nsn\nSHELL,155 mm HE,A155,each,0.05,\n",
    "requirements.csv": "id,capability,quantity,priority,needed_by,accepts\nR1,ammo,4,1,2027-03-01,\n",
    "offers.csv": "id,donor,item_type,quantity,available_from,earmark,status\nO1,POL,SHELL,8,2027-01-04,,\n",
    "hubs.csv": "code,name,iso3,capacity_t_per_week\nRZE,Rzeszow,POL,500\n",
    "routes.csv": "donor,hub,lead_time_days\nPOL,RZE,2\n",
    "courses.csv": "id,family,host,seats,start,duration_weeks\n",
}


def load_files(folder: Path, files: dict[str, str]) -> None:
    """Write a scenario folder of these files and import it."""
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    import_scenario(read_scenario(folder), actor=CLI)


@pytest.fixture
def tiny(tmp_path: Path) -> None:
    load_files(tmp_path / "tiny", TINY)


def planned(method: str = "greedy") -> PlanRun:
    """A plan run of the database's scenario, done here (no task worker)."""
    run = PlanRun.objects.create(method=method, time_limit=20, created_by="test")
    execute_plan_run(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.message
    return run


def lines_of(run: PlanRun) -> list[tuple[str, str, float]]:
    """A run's (offer, requirement, quantity) totals, whatever weeks its lines arrive in."""
    totals: dict[tuple[str, str], float] = {}
    for a in run.allocations.select_related("offer", "requirement"):
        key = (a.offer.code, a.requirement.code)
        totals[key] = totals.get(key, 0.0) + a.quantity
    return sorted((offer, requirement, quantity) for (offer, requirement), quantity in totals.items())


def hand_run(*lines: tuple[str, str, float]) -> PlanRun:
    """A finished run with the given (offer, requirement, quantity) lines, arriving in week 1."""
    run = PlanRun.objects.create(method="greedy", status=RunStatus.DONE, created_by="test")
    hub = Hub.objects.get(code="RZE")
    for offer, requirement, quantity in lines:
        Allocation.objects.create(
            run=run,
            offer=Offer.objects.get(code=offer),
            requirement=Requirement.objects.get(code=requirement),
            hub=hub,
            quantity=quantity,
            arrival_week=1,
        )
    return run


def new_requirement(code: str, quantity: float, priority: int = 2) -> Requirement:
    requirement = Requirement.objects.get(code="R1")
    return create_requirement(
        actor=CLI,
        code=code,
        recipient=Nation.objects.get(iso3="UKR"),
        capability=requirement.capability,
        quantity=quantity,
        priority=priority,
        needed_by=dt.date(2027, 3, 1),
    )


def new_offer(code: str, quantity: float, earmark: Requirement | None = None) -> Offer:
    return create_offer(
        actor=CLI,
        code=code,
        donor=Nation.objects.get(iso3="POL"),
        item_type=ItemType.objects.get(code="SHELL"),
        quantity=quantity,
        available_from=dt.date(2027, 1, 4),
        earmark=earmark,
    )


def quantities(s: Scenario) -> tuple[dict[str, float], dict[str, float]]:
    """(offer id -> quantity, requirement id -> quantity) of a scenario."""
    return (
        dict(zip(s.offers.ids, s.offers.quantity.tolist(), strict=True)),
        dict(zip(s.requirements.ids, s.requirements.quantity.tolist(), strict=True)),
    )


@pytest.mark.parametrize("method", ["greedy", "optimal"])
def test_the_next_plan_uses_the_other_half_and_leaves_the_served_requirement_alone(
    tiny: None, method: str
) -> None:
    first = planned(method)
    assert lines_of(first) == [("O1", "R1", 4)]  # half of O1
    approve_plan_run(first, actor=CLI)
    assert Offer.objects.get(code="O1").status == OfferStatus.OFFERED  # 4 of 8 are still on the table
    new_requirement("R2", 10)
    assert quantities(scenario_from_db()) == ({"O1": 4}, {"R2": 10})  # R1 is served: out of the picture
    second = planned(method)
    # Without the commitments, R1 (priority 1) would take 4 again and R2 the other 4.
    assert lines_of(second) == [("O1", "R2", 4)]
    approve_plan_run(second, actor=CLI)
    assert Offer.objects.get(code="O1").status == OfferStatus.ALLOCATED  # 8 of 8 committed
    new_offer("O2", 9)
    assert quantities(scenario_from_db()) == ({"O2": 9}, {"R2": 6})  # R2 still needs 6 of its 10
    third = planned(method)
    assert lines_of(third) == [("O2", "R2", 6)]
    approve_plan_run(third, actor=CLI)
    assert Offer.objects.get(code="O2").status == OfferStatus.OFFERED  # 3 of 9 left
    assert committed_by_code("offer") == {"O1": 8, "O2": 6}
    assert committed_by_code("requirement") == {"R1": 4, "R2": 10}
    assert verify_ledger().ok


def test_approval_allocates_only_offers_it_uses_up(tiny: None) -> None:
    new_offer("O2", 2)
    new_requirement("R2", 10)
    run = hand_run(("O1", "R1", 4), ("O2", "R2", 2))
    approve_plan_run(run, actor=CLI)
    assert Offer.objects.get(code="O1").status == OfferStatus.OFFERED
    assert Offer.objects.get(code="O2").status == OfferStatus.ALLOCATED
    allocated = Event.objects.filter(action="allocate", object_type="offers.offer")
    assert list(allocated.values_list("object_id", flat=True)) == [str(Offer.objects.get(code="O2").pk)]
    approve = Event.objects.get(action="approve")
    assert approve.payload["offers_allocated"] == 1 and approve.payload["offers_partly_committed"] == 1


def test_approval_marks_requirements_met_or_partly_met_by_what_is_committed(tiny: None) -> None:
    new_offer("O2", 6)
    new_requirement("R2", 10)
    new_requirement("R3", 5)
    approve_plan_run(hand_run(("O1", "R1", 4), ("O1", "R2", 3)), actor=CLI)
    status = dict(Requirement.objects.values_list("code", "status"))
    assert status == {"R1": "met", "R2": "partial", "R3": "open"}
    approve_plan_run(hand_run(("O2", "R2", 6)), actor=CLI)  # 3 + 6 of 10: still partly met
    assert Requirement.objects.get(code="R2").status == "partial"
    approve_plan_run(hand_run(("O1", "R2", 1)), actor=CLI)  # 10 of 10
    assert Requirement.objects.get(code="R2").status == "met"
    changes = Event.objects.filter(action="fulfil", object_type="needs.requirement").order_by("seq")
    assert [e.payload["changes"]["status"] for e in changes] == [
        ["open", "met"],
        ["open", "partial"],
        ["partial", "met"],
    ]
    assert verify_ledger().ok


def test_a_stale_run_that_no_longer_fits_an_offer_is_refused_naming_it(tiny: None) -> None:
    new_requirement("R2", 10)
    first, stale = hand_run(("O1", "R1", 4), ("O1", "R2", 2)), hand_run(("O1", "R2", 6))
    approve_plan_run(first, actor=CLI)
    with pytest.raises(PlanningError, match=r"no longer available \(O1 \(needs 6, 2 left\)\)"):
        approve_plan_run(stale, actor=CLI)
    assert PlanRun.objects.get(pk=stale.pk).approved_at is None
    assert committed_by_code("offer") == {"O1": 6}


def test_a_stale_run_that_still_fits_is_approved(tiny: None) -> None:
    new_requirement("R2", 10)
    first, other = hand_run(("O1", "R1", 4)), hand_run(("O1", "R2", 3))  # both planned before either approval
    approve_plan_run(first, actor=CLI)
    approve_plan_run(other, actor=CLI)
    assert committed_by_code("offer") == {"O1": 7}
    assert Offer.objects.get(code="O1").status == OfferStatus.OFFERED


def test_a_stale_run_that_would_over_serve_a_requirement_is_refused_naming_it(tiny: None) -> None:
    new_offer("O2", 4)
    first, stale = hand_run(("O1", "R1", 3)), hand_run(("O2", "R1", 4))
    approve_plan_run(first, actor=CLI)
    with pytest.raises(PlanningError, match=r"more than they still need \(R1 \(needs 4, 1 left\)\)"):
        approve_plan_run(stale, actor=CLI)


def test_withdrawn_offers_and_cancelled_requirements_are_named(tiny: None) -> None:
    new_offer("O2", 4)
    run = hand_run(("O2", "R1", 2))
    withdraw_offer(Offer.objects.get(code="O2"), actor=CLI)
    with pytest.raises(PlanningError, match=r"no longer available \(O2 \(withdrawn\)\)"):
        approve_plan_run(run, actor=CLI)
    other = hand_run(("O1", "R1", 2))
    cancel_requirement(Requirement.objects.get(code="R1"), actor=CLI)
    with pytest.raises(PlanningError, match=r"\(R1 \(cancelled\)\)"):
        approve_plan_run(other, actor=CLI)


def test_an_offer_allocated_without_lines_is_not_available(tiny: None) -> None:
    # as `nsatu scenario import` restores `platform_status` = allocated into an empty database
    offer = Offer.objects.get(code="O1")
    offer.status = OfferStatus.ALLOCATED
    offer.save()
    assert quantities(scenario_from_db()) == ({}, {"R1": 4})
    with pytest.raises(PlanningError, match=r"O1 \(needs 1, 0 left\)"):
        approve_plan_run(hand_run(("O1", "R1", 1)), actor=CLI)


def test_offers_earmarked_for_a_requirement_no_longer_planned_are_left_out(tiny: None) -> None:
    r2 = new_requirement("R2", 2)
    r3 = new_requirement("R3", 2)
    new_offer("E1", 2, earmark=Requirement.objects.get(code="R1"))
    new_offer("E2", 2, earmark=r2)
    new_offer("E3", 2, earmark=r3)
    approve_plan_run(hand_run(("O1", "R1", 4)), actor=CLI)
    cancel_requirement(r2, actor=CLI)
    s = scenario_from_db()
    assert s.requirements.ids == ["R3"]
    assert s.offers.ids == ["E3", "O1"]  # E1's requirement is served, E2's cancelled
    assert s.offers.earmark.tolist() == [0, -1]


def test_the_export_shows_the_records_and_every_approved_line_checks_against_it(
    tiny: None, tmp_path: Path
) -> None:
    new_requirement("R2", 10)
    approve_plan_run(hand_run(("O1", "R1", 4)), actor=CLI)
    approve_plan_run(hand_run(("O1", "R2", 4)), actor=CLI)
    out = tmp_path / "export"
    write_scenario(scenario_from_db(remaining=False), out)
    offers = (out / "offers.csv").read_text(encoding="utf-8").splitlines()
    assert offers[1] == "O1,POL,SHELL,8,2027-01-04,,offered,public,,allocated"  # the stored quantity
    assert (out / "requirements.csv").read_text(encoding="utf-8").count("\nR1,ammo,4,1,") == 1
    exported = read_scenario(out)
    assert not exported.offers.withdrawn.any()  # FORMAT.md's reading: O1 is an offered offer
    # every line the approved runs committed, together, is a valid plan of the exported scenario
    approved = Allocation.objects.filter(run__approved_at__isnull=False).select_related(
        "offer", "requirement", "hub"
    )
    plan = Plan(
        method="approved",
        status="feasible",
        alloc_offer=np.array([exported.offers.index[a.offer.code] for a in approved]),
        alloc_requirement=np.array([exported.requirements.index[a.requirement.code] for a in approved]),
        alloc_hub=np.array([exported.hubs.index[a.hub.code] for a in approved]),
        alloc_quantity=np.array([a.quantity for a in approved]),
        alloc_week=np.array([a.arrival_week for a in approved]),
    )
    assert check_plan(exported, plan) == []
    # importing the export into the same database changes nothing (no double subtraction)
    assert import_scenario(exported, actor=CLI).changed_rows == 0


def test_an_import_below_what_is_committed_is_refused(tiny: None, tmp_path: Path) -> None:
    approve_plan_run(hand_run(("O1", "R1", 3)), actor=CLI)
    out = tmp_path / "export"
    write_scenario(scenario_from_db(remaining=False), out)
    offers = out / "offers.csv"
    offers.write_text(offers.read_text(encoding="utf-8").replace("O1,POL,SHELL,8,", "O1,POL,SHELL,2,"))
    requirements = out / "requirements.csv"
    requirements.write_text(requirements.read_text(encoding="utf-8").replace("R1,ammo,4,", "R1,ammo,2,"))
    events = Event.objects.count()
    with pytest.raises(ScenarioError) as caught:
        import_scenario(read_scenario(out), actor=CLI)
    said = "approved plans have committed 3 of it; the quantity cannot be 2"
    assert [str(e) for e in caught.value.errors] == [
        f"requirements.csv, column quantity: R1: {said}",
        f"offers.csv, column quantity: O1: {said}",
    ]
    assert Event.objects.count() == events and Offer.objects.get(code="O1").quantity == 8


def test_withdrawing_a_partly_committed_offer_takes_only_the_rest_off_the_table(tiny: None) -> None:
    approve_plan_run(hand_run(("O1", "R1", 3)), actor=CLI)
    offer = withdraw_offer(Offer.objects.get(code="O1"), actor=CLI)
    assert (offer.status, offer.quantity) == (OfferStatus.ALLOCATED, 3)
    event = Event.objects.filter(action="withdraw").get()
    assert event.payload["changes"]["quantity"] == [8.0, 3.0]
    assert quantities(scenario_from_db()) == ({}, {"R1": 1})


def test_an_offer_edit_keeps_its_status_with_its_commitments(tiny: None) -> None:
    approve_plan_run(hand_run(("O1", "R1", 4)), actor=CLI)
    with pytest.raises(ValidationError) as caught:
        update_offer(Offer.objects.get(code="O1"), actor=CLI, quantity=3)
    assert "committed 4 of offer O1" in str(caught.value.message_dict["quantity"])
    offer = update_offer(Offer.objects.get(code="O1"), actor=CLI, quantity=4)
    assert offer.status == OfferStatus.ALLOCATED  # nothing left uncommitted
    # an upload sends `offered` for every row it does not withdraw: the commitment stays
    offer = update_offer(offer, actor=CLI, quantity=4, status=OfferStatus.OFFERED)
    assert offer.status == OfferStatus.ALLOCATED
    offer = update_offer(offer, actor=CLI, quantity=6)
    assert offer.status == OfferStatus.OFFERED  # 2 more on the table
    assert quantities(scenario_from_db())[0] == {"O1": 2}


def test_a_requirement_cannot_go_below_what_is_committed_to_it(tiny: None) -> None:
    approve_plan_run(hand_run(("O1", "R1", 3)), actor=CLI)
    with pytest.raises(ValidationError) as caught:
        update_requirement(Requirement.objects.get(code="R1"), actor=CLI, quantity=2)
    assert "committed 3 to requirement R1" in str(caught.value.message_dict["quantity"])
    update_requirement(Requirement.objects.get(code="R1"), actor=CLI, quantity=3)
    assert quantities(scenario_from_db())[1] == {}  # now fully served


def test_only_approved_runs_commit(tiny: None) -> None:
    hand_run(("O1", "R1", 4))  # finished, not approved
    assert quantities(scenario_from_db()) == ({"O1": 8}, {"R1": 4})
    assert committed_by_code("offer") == {}


def all_approved_lines_as_one_plan(s: Scenario) -> Plan:
    """Every approved line, in the positions of ``s`` (a scenario of the records as stored)."""
    lines = list(
        Allocation.objects.filter(run__approved_at__isnull=False).values_list(
            "offer__code", "requirement__code", "hub__code", "quantity", "arrival_week"
        )
    )
    o, r, h = s.offers.index, s.requirements.index, {c: i for i, c in enumerate(s.hubs.codes)}
    return Plan(
        method="approved",
        status="feasible",
        alloc_offer=np.array([o[x[0]] for x in lines], dtype=np.int64),
        alloc_requirement=np.array([r[x[1]] for x in lines], dtype=np.int64),
        alloc_hub=np.array([h[x[2]] for x in lines], dtype=np.int64),
        alloc_quantity=np.array([x[3] for x in lines], dtype=float),
        alloc_week=np.array([x[4] for x in lines], dtype=np.int64),
    )


@pytest.mark.parametrize("method", ["greedy", "optimal"])
def test_the_next_plan_leaves_the_hub_weeks_an_approved_plan_fills(tiny: None, method: str) -> None:
    hub = Hub.objects.get(code="RZE")
    from nsatu.core.services import update_record

    update_record(hub, actor=CLI, capacity_t_per_week=0.1)  # two 50 kg shells a week
    first = planned(method)
    approve_plan_run(first, actor=CLI)
    weeks = sorted(first.allocations.values_list("arrival_week", flat=True).distinct())
    s = scenario_from_db()
    assert s.hubs.committed_t[0, weeks].tolist() == pytest.approx([0.1] * len(weeks))
    new_requirement("R2", 4, priority=1)
    second = planned(method)
    assert not set(second.allocations.values_list("arrival_week", flat=True)) & set(weeks)
    approve_plan_run(second, actor=CLI)
    # together the approved lines are one valid plan of the records as stored: rule 6 holds
    stored = scenario_from_db(remaining=False)
    assert check_plan(stored, all_approved_lines_as_one_plan(stored)) == []


CREWED = {
    **TINY,
    "families.csv": (
        "code,name,capability,in_service,introduction_cost,crew_per_unit,existing_crews\nF16,F-16,air,true,,1,0\n"
    ),
    "item_types.csv": "code,name,family,unit,mass_t,nsn\nF16J,F-16 jet,F16,each,1,\n",
    "requirements.csv": "id,capability,quantity,priority,needed_by,accepts\nR1,air,2,1,2027-02-01,\n",
    "offers.csv": "id,donor,item_type,quantity,available_from,earmark,status\nO1,POL,F16J,4,2027-01-04,,\n",
    # two pilots graduate in week 2
    "courses.csv": "id,family,host,seats,start,duration_weeks\nC1,F16,POL,2,2027-01-04,2\n",
}


def test_the_next_plan_does_not_count_seats_and_crews_an_approved_plan_took(tmp_path: Path) -> None:
    load_files(tmp_path / "crewed", CREWED)
    first = planned("optimal")
    assert lines_of(first) == [("O1", "R1", 2)]
    approve_plan_run(first, actor=CLI)
    s = scenario_from_db()
    assert s.courses.seats.tolist() == [0.0]  # both seats train the crews of the approved jets
    assert s.families.committed_crews[0].tolist() == [0, 0] + [0] * (s.horizon_weeks - 2)
    new_requirement("R2", 2, priority=1)
    # Two jets are still offered, but nobody is left to fly them.
    assert lines_of(planned("optimal")) == []
    assert lines_of(planned("greedy")) == []


def test_a_stale_run_that_would_overfill_a_hub_week_is_refused_naming_it(tiny: None) -> None:
    from nsatu.core.services import update_record

    update_record(Hub.objects.get(code="RZE"), actor=CLI, capacity_t_per_week=0.1)  # two shells a week
    new_offer("O2", 2)
    new_requirement("R2", 2)
    first, stale = hand_run(("O1", "R1", 2)), hand_run(("O2", "R2", 2))  # both planned for week 1
    approve_plan_run(first, actor=CLI)
    with pytest.raises(
        PlanningError, match=r"hub RZE in week 1: 0\.1 t arriving, capacity 0\.1 t, 0\.1 t of it"
    ):
        approve_plan_run(stale, actor=CLI)
    assert PlanRun.objects.get(pk=stale.pk).approved_at is None


def test_seats_that_runs_approved_from_the_same_state_both_counted_on_graduate_once(tmp_path: Path) -> None:
    load_files(tmp_path / "crewed", CREWED)
    hub = Hub.objects.get(code="RZE")
    course = Course.objects.get(code="C1")
    for _ in range(2):  # each run counted on both seats of C1
        run = PlanRun.objects.create(method="greedy", status=RunStatus.DONE, created_by="test")
        Allocation.objects.create(
            run=run,
            offer=Offer.objects.get(code="O1"),
            requirement=Requirement.objects.get(code="R1"),
            hub=hub,
            quantity=1,
            arrival_week=2,
        )
        SeatUse.objects.create(run=run, course=course, seats_used=2)
        approve_plan_run(run, actor=CLI)
    s = scenario_from_db()
    # two jets need two crews from week 2; C1 graduates two then, not four
    assert s.families.committed_crews[0, :4].tolist() == [0, 0, 0, 0]
    assert s.courses.seats.tolist() == [0.0]
