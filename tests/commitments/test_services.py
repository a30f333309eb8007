"""Taking committed aid back: each rule of the lifecycle, through the services, on the small scenario."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from nsatu.commitments import services
from nsatu.commitments.models import Decommitment, DecommitmentState
from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.needs.models import Requirement, RequirementStatus
from nsatu.offers.models import Offer, OfferStatus
from nsatu.planning.adapters import scenario_from_db
from nsatu.planning.models import (
    PlanRun,
    committed_by_offer,
    committed_by_requirement,
    held_by_offer,
    taken_by_offer,
)
from nsatu.planning.services import approve_plan_run
from nsatu.shipments import services as shipping
from nsatu.shipments.choices import ShipmentState
from nsatu.shipments.models import Shipment
from tests.commitments.conftest import planned, pol_shipment

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def offer(code: str) -> Offer:
    return Offer.objects.select_related("donor", "item_type").get(code=code)


def requirement(code: str) -> Requirement:
    return Requirement.objects.get(code=code)


def shipments(offer_code: str) -> dict[str, Shipment]:
    return {s.code: s for s in Shipment.objects.filter(offer__code=offer_code).order_by("code")}


def remaining() -> tuple[dict[str, float], dict[str, float]]:
    """What the next plan sees: requirement and offer quantities of scenario_from_db()."""
    s = scenario_from_db()
    return (
        dict(zip(s.requirements.ids, s.requirements.quantity.tolist(), strict=True)),
        {
            code: q
            for code, q, withdrawn in zip(
                s.offers.ids, s.offers.quantity.tolist(), s.offers.withdrawn, strict=True
            )
            if not withdrawn
        },
    )


def test_a_part_withdrawn_cancels_the_latest_planned_shipments_and_reopens_the_requirement(
    small: dict[str, Any], approved: PlanRun
) -> None:
    (first,) = shipments("O-POL").values()
    part = shipping.split_shipment(first, 20, actor=CLI)  # two convoys: 40 and 20
    shipping.dispatch_shipment(first, actor=CLI, on=TODAY)  # the 40 have left
    before = Event.objects.count()
    decommitment = services.decommit_offer(
        offer("O-POL"),
        actor=small["POL"],
        kind="withdraw",
        quantity=15,
        reason="parliament cut the budget",
        effective_on=TODAY,
    )
    part.refresh_from_db()
    first.refresh_from_db()
    # the planned convoy loses 15 (split off and cancelled); the one on its way is flagged, still committed
    cancelled = Shipment.objects.get(state=ShipmentState.CANCELLED)
    assert cancelled.quantity == 15 and part.quantity == 5 and part.state == ShipmentState.PLANNED
    assert first.state == ShipmentState.DISPATCHED and "taken back" in first.flag
    assert decommitment.quantity == 15 and decommitment.state == DecommitmentState.WITHDRAWN
    o = offer("O-POL")
    assert committed_by_offer()[o.pk] == 45 and taken_by_offer()[o.pk] == 60
    assert o.status == OfferStatus.ALLOCATED  # nothing of it is on the table again: withdrawn is gone
    r1 = requirement("R1")
    assert committed_by_requirement()[r1.pk] == 85 and r1.status == RequirementStatus.PARTIAL
    needs, offers = remaining()
    assert needs["R1"] == 15 and "O-POL" not in offers  # the requirement asks again; the offer gives no more
    actions = list(Event.objects.filter(seq__gt=before).values_list("action", flat=True))
    assert actions.count("withdraw") == 1 and actions.count("cancel") == 1 and actions.count("flag") == 1
    assert "reopen" in actions and "split" in actions
    assert verify_ledger().ok


def test_a_suspension_holds_the_aid_until_it_is_resumed(small: dict[str, Any], approved: PlanRun) -> None:
    o = offer("O-POL")
    decommitment = services.decommit_offer(
        o, actor=small["coordinator"], kind="suspend", reason="export licence review", effective_on=TODAY
    )
    assert decommitment.quantity == 60 and decommitment.state == DecommitmentState.SUSPENDED
    assert held_by_offer()[o.pk] == 60 and o.pk not in committed_by_offer()
    assert requirement("R1").status == RequirementStatus.PARTIAL
    needs, offers = remaining()
    assert needs["R1"] == 60 and "O-POL" not in offers  # held: neither committed nor on offer
    services.resume_decommitment(decommitment, actor=small["POL"])
    decommitment.refresh_from_db()
    assert decommitment.state == DecommitmentState.RESUMED and decommitment.ended_by == "pol"
    assert offer("O-POL").status == OfferStatus.OFFERED
    needs, offers = remaining()
    assert offers["O-POL"] == 60 and needs["R1"] == 60  # back on the table; the next plan may use it
    with pytest.raises(services.CommitmentError, match="only a suspension"):
        services.resume_decommitment(decommitment, actor=small["POL"])


def test_a_suspension_turned_into_a_withdrawal_is_gone(small: dict[str, Any], approved: PlanRun) -> None:
    decommitment = services.decommit_offer(
        offer("O-POL"), actor=small["POL"], kind="suspend", reason="review", effective_on=TODAY
    )
    services.end_suspension(decommitment, actor=small["POL"])
    decommitment.refresh_from_db()
    assert decommitment.state == DecommitmentState.WITHDRAWN
    assert offer("O-POL").status == OfferStatus.WITHDRAWN
    assert "O-POL" not in remaining()[1]


def test_only_what_has_not_left_can_be_taken_back(small: dict[str, Any], approved: PlanRun) -> None:
    (shipment,) = shipments("O-POL").values()
    convoy = shipping.split_shipment(shipment, 20, actor=CLI)
    shipping.dispatch_shipment(convoy, actor=CLI, on=TODAY)
    with pytest.raises(ValidationError) as caught:  # the message docs/planning.md quotes
        services.decommit_offer(
            offer("O-POL"), actor=small["POL"], kind="withdraw", quantity=41, reason="x", effective_on=TODAY
        )
    assert caught.value.message_dict["quantity"] == [
        f"only 40 can be taken back effective {TODAY.isoformat()}: 20 are on their way "
        "(dispatched shipments cannot be recalled here) and 0 leave before that day"
    ]
    shipping.dispatch_shipment(shipment, actor=CLI, on=TODAY)
    with pytest.raises(services.CommitmentError, match="no committed aid left to take back"):
        services.decommit_offer(
            offer("O-POL"), actor=small["POL"], kind="withdraw", reason="x", effective_on=TODAY
        )
    with pytest.raises(ValidationError) as caught:
        services.decommit_offer(
            offer("O-DEU"), actor=small["DEU"], kind="withdraw", quantity=91, reason="x", effective_on=TODAY
        )
    assert "only 90 can be taken back" in str(caught.value.message_dict["quantity"])


def test_a_future_effective_date_keeps_what_leaves_before_it(
    small: dict[str, Any], approved: PlanRun
) -> None:
    # O-POL's convoy leaves on 2027-01-02: a withdrawal effective from the 3rd lets it go
    plan = services.plan_offer_decommitment(offer("O-POL"), kind="withdraw", effective_on=dt.date(2027, 1, 3))
    assert [s.code for s in plan.kept] == [pol_shipment()] and not plan.line_cuts
    plan = services.plan_offer_decommitment(offer("O-POL"), kind="withdraw", effective_on=dt.date(2027, 1, 2))
    assert [cut.shipment.code for cut in plan.cancelled] == [pol_shipment()] and plan.quantity == 60


def test_quantities_dates_and_reasons_are_checked_naming_the_field(
    small: dict[str, Any], approved: PlanRun
) -> None:
    o = offer("O-POL")
    cases = [
        ({"quantity": 2.5}, "quantity", "counted in whole units: 2.5 is not a whole number"),
        (
            {"effective_on": dt.date(2027, 5, 24)},
            "effective_on",
            "after the plan's horizon, which ends on 2027-05-23",
        ),
        ({"effective_on": TODAY - dt.timedelta(days=1)}, "effective_on", "before the aid was committed"),
        ({"reason": "  "}, "reason", "the reason is recorded"),
    ]
    for change, field, message in cases:
        arguments: dict[str, Any] = {"kind": "withdraw", "reason": "why", "effective_on": TODAY, **change}
        with pytest.raises(ValidationError) as caught:
            services.decommit_offer(o, actor=small["POL"], **arguments)
        assert message in " ".join(caught.value.message_dict[field]), (change, caught.value)
    assert not Decommitment.objects.exists()


def test_only_its_donor_or_a_coordinator_takes_aid_back(small: dict[str, Any], approved: PlanRun) -> None:
    with pytest.raises(services.CommitmentPermissionError, match="only its donor or a coordinator"):
        services.decommit_offer(
            offer("O-POL"), actor=small["DEU"], kind="withdraw", reason="x", effective_on=TODAY
        )
    with pytest.raises(services.CommitmentPermissionError):
        services.withdraw_donor(small["nations"]["POL"], actor=small["UKR"], reason="x", effective_on=TODAY)


def test_the_political_shift_does_what_its_preview_said(small: dict[str, Any], approved: PlanRun) -> None:
    deu = small["nations"]["DEU"]
    before = Event.objects.count()
    preview = services.plan_donor_exit(deu, effective_on=TODAY)
    assert Event.objects.count() == before  # a preview writes nothing
    assert preview.quantity == 90 and preview.rests == {offer("O-DEU").pk: 60}
    assert [m.status_after for m in preview.requirements] == [
        RequirementStatus.PARTIAL,
        RequirementStatus.OPEN,
    ]
    decommitment = services.withdraw_donor(
        deu, actor=small["coordinator"], reason="government fell", effective_on=TODAY
    )
    assert decommitment.scope == "donor" and decommitment.quantity == 90
    event = Event.objects.get(action="political-shift")
    done = services.plan_donor_exit(deu, effective_on=TODAY)  # nothing is left to undo
    assert done.empty
    summary = preview.summary()
    assert [c["of"] for c in event.payload["cancelled"]] == [c["shipment"] for c in summary["cancelled"]]
    assert event.payload["requirements"] == summary["requirements"]
    o = offer("O-DEU")
    assert o.status == OfferStatus.WITHDRAWN and o.quantity == 90  # its uncommitted 60 are off the table
    assert (
        requirement("R1").status == RequirementStatus.PARTIAL
        and requirement("R2").status == RequirementStatus.OPEN
    )
    assert set(Shipment.objects.filter(donor=deu).values_list("state", flat=True)) == {
        ShipmentState.CANCELLED
    }
    with pytest.raises(services.CommitmentError, match="no committed aid or open offer left"):
        services.withdraw_donor(deu, actor=small["coordinator"], reason="again", effective_on=TODAY)
    assert verify_ledger().ok


def test_what_is_taken_back_frees_hub_weeks_for_the_next_plan(
    small: dict[str, Any], approved: PlanRun
) -> None:
    committed_t = scenario_from_db().hubs.committed_t
    assert committed_t[0, 0] == pytest.approx(60 * 0.05) and committed_t[0, 1] == pytest.approx(90 * 0.05)
    services.decommit_offer(
        offer("O-POL"), actor=small["POL"], kind="withdraw", reason="x", effective_on=TODAY
    )
    assert scenario_from_db().hubs.committed_t[0, 0] == pytest.approx(0.0)


def test_a_run_planned_before_the_withdrawal_is_still_refused_where_aid_is_held(
    small: dict[str, Any], approved: PlanRun
) -> None:
    services.decommit_offer(
        offer("O-DEU"), actor=small["DEU"], kind="suspend", reason="x", effective_on=TODAY
    )
    # DEU's 60 uncommitted stay on offer; the 90 held are not
    needs, offers = remaining()
    assert offers["O-DEU"] == 60 and needs == {"R1": 40, "R2": 50}


def test_backfill_fills_the_hole_around_every_other_commitment(
    small: dict[str, Any], approved: PlanRun
) -> None:
    from nsatu.commitments.fulfilment import backfill_report
    from nsatu.planning.tasks import execute_plan_run

    decommitment = services.decommit_offer(
        offer("O-POL"), actor=small["POL"], kind="withdraw", reason="x", effective_on=TODAY
    )
    report = backfill_report(decommitment)
    assert report.run is None and report.total[2] is None
    # before: R1 100 and R2 50 fully on time; after: R1 lost 60 of 100 at weight 16
    assert report.total[0] == pytest.approx(1.0) and report.total[1] == pytest.approx((16 * 0.4 + 8) / 24)
    (at_risk,) = report.requirements
    assert (at_risk.code, at_risk.before, at_risk.after, at_risk.covered) == ("R1", 100, 40, None)
    run = services.start_backfill(decommitment, actor=small["coordinator"], method="greedy", time_limit=10)
    execute_plan_run(run.pk)
    decommitment.refresh_from_db()
    report = backfill_report(decommitment)
    assert report.ready and report.requirements[0].backfilled == 100 and report.requirements[0].covered
    assert [(c, b, a) for c, b, a, _f in report.capabilities] == [
        ("ammo_155", report.total[0], report.total[1])
    ]
    assert report.total[2] == pytest.approx(1.0)  # DEU's rounds arrive before R1 is due: the hole is filled
    # every other commitment fixed: the backfill uses only DEU's uncommitted 60, for R1
    assert sorted((a.offer.code, a.requirement.code, a.quantity) for a in run.allocations.all()) == [
        ("O-DEU", "R1", 60.0)
    ]
    approve_plan_run(run, actor=small["coordinator"])
    assert requirement("R1").status == RequirementStatus.MET
    report = backfill_report(decommitment)  # approved: "after" leaves the backfill's own lines out
    assert report.total[1] == pytest.approx((16 * 0.4 + 8) / 24) and not report.ready


def test_a_line_planned_after_a_withdrawal_can_be_taken_back_too(
    small: dict[str, Any], approved: PlanRun
) -> None:
    services.decommit_offer(
        offer("O-POL"), actor=small["POL"], kind="suspend", reason="x", effective_on=TODAY
    )
    second = approve_plan_run(planned(), actor=small["coordinator"])
    assert second.allocations.count() >= 1
    plan = services.plan_donor_exit(small["nations"]["DEU"], effective_on=TODAY)
    assert plan.quantity == 150  # both runs' lines of O-DEU
