"""schemathesis against the app's own OpenAPI schema, through WSGI, authenticated by bearer tokens.

Every operation (shipments, training, the aid chain and stress runs included), with generated
valid and invalid input: no answer is a 5xx, and every answer has a declared status, content
type and body shape. The coverage phase (boundary values and every kind of invalid input) runs
as a coordinator, who gets deepest into the code; the fuzzing phase sends each generated request
as every role; every read of one record is also aimed at an existing record as every role.
Bounded (a few examples per operation) so the file runs in about a minute and a half.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, note, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from nsatu.site.wsgi import application

ROLES = ["coordinator", "POL", "UKR", "leadership", "auditor"]
# Who may change the known records: the command, the offers' donor, the requirements' recipient.
OWNERS = ["POL", "UKR", "coordinator"]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
HYPOTHESIS = settings(
    max_examples=4, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
)

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


def _keep_connection_open() -> None:
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """Keep the test's database connection open across WSGI requests, as Django's test client does."""
    _keep_connection_open()
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def known(world: Any, settings: Any, tmp_path: Any) -> dict[str, str]:
    """One existing record per resource, so fuzzed changes reach the services, not just a 404."""
    import datetime as dt
    import io

    from nsatu.catalog.services import create_family_alias, update_item_type
    from nsatu.commitments.services import decommit_offer
    from nsatu.core.actors import CLI
    from nsatu.logistics.services import create_hub, create_route
    from nsatu.monitoring.models import DiscrepancyCase, MonitoredItem
    from nsatu.nations.services import create_agreement, create_pledge
    from nsatu.planning.models import Allocation, PlanRun, RunStatus
    from nsatu.planning.services import set_planning_settings
    from nsatu.stress.models import StressCase, StressRun, StressStatus
    from nsatu.training.services import create_cohort, create_course
    from tests.shipments.builders import approved_run

    agreement = create_agreement(
        actor=CLI, code="POL-UKR", donor=world.nations["POL"], signed=dt.date(2024, 7, 8)
    )
    pledge = create_pledge(actor=CLI, agreement=agreement, year=2025, amount="100.00", currency="EUR")
    alias = create_family_alias(actor=CLI, alias="Panzerhaubitze", family=world.family)
    hub = create_hub(
        actor=CLI, code="RZE", name="Rzeszów", nation=world.nations["POL"], capacity_t_per_week=500
    )
    route = create_route(actor=CLI, donor=world.nations["POL"], hub=hub, lead_time_days=5)
    course = create_course(
        actor=CLI, code="PZH-1", family=world.family, host=world.nations["DEU"], seats=20,
        start=dt.date(2027, 1, 4), duration_weeks=6,
    )  # fmt: skip
    cohort = create_cohort(course, actor=CLI, seats_filled=10)
    # An approved run of another offer: its approval plans the shipment (O-public stays offered).
    shipment = approved_run(world, [(world.offers["coalition"], 2, 3)]).allocations.get().shipments.get()
    # A suspension of half of it, so resume, withdraw and backfill reach the services.
    decommitment = decommit_offer(
        world.offers["coalition"], actor=CLI, kind="suspend", quantity=1, reason="review",
        effective_on=dt.date.today(),
    )  # fmt: skip
    shipment.refresh_from_db()
    stress = StressRun.objects.create(
        kind="withdrawal", method="greedy", status=StressStatus.DONE, created_by="coord", cases_total=1,
        cases_done=1, base={
            "method": "greedy", "pwf": 0.5, "on_time_share": 0.5, "objective": 1.0,
            "fulfilment": {"R-public": 0.5}, "covered": ["artillery_sp"],
            "capability_pwf": {"artillery_sp": 0.5}, "fixed_losses": {"POL": 0.5},
        },
    )  # fmt: skip
    StressCase.objects.create(
        run=stress, key="POL", status=StressStatus.DONE, result={
            "donor": "POL", "offers": 4, "pwf": 0.0, "pwf_loss": 0.5, "fixed_loss": 0.5,
            "below_half": ["R-public"], "uncovered": ["artillery_sp"],
            "capability_loss": {"artillery_sp": 0.5}, "status": "optimal", "seconds": 0.1,
        },
    )  # fmt: skip
    run = PlanRun.objects.create(
        method="greedy", status=RunStatus.DONE, created_by="coord", metrics={"pwf": 0.1}
    )
    Allocation.objects.create(
        run=run, offer=world.offers["public"], requirement=world.requirements["public"], hub=hub, quantity=1,
        arrival_week=2,
    )  # fmt: skip
    # After a receipt of serialised items: monitored items, an inventory, a transfer request, a
    # repair order, a case and a file of evidence, so the monitoring operations reach the services.
    from nsatu.monitoring import services as monitoring
    from nsatu.monitoring.evidence import attach_evidence
    from nsatu.shipments.services import receive_shipment
    from tests.monitoring.files import png_bytes
    from tests.shipments.builders import handed_over

    settings.NSATU_EVIDENCE_DIR = tmp_path / "evidence"
    update_item_type(world.item, actor=CLI, serialised=True)
    received = approved_run(world, [(world.offers["listed"], 3, 4)]).allocations.get().shipments.get()
    handed_over(received, serials=["FZ-1", "FZ-2", "FZ-3"])
    receive_shipment(received, actor=CLI, quantity_received=3, serials=["FZ-1", "FZ-2", "FZ-9"])
    item, damaged = MonitoredItem.objects.order_by("serial")
    (inventory,) = monitoring.record_inventory([item], actor=CLI)
    transfer = monitoring.request_transfer(item, actor=CLI, third_party="Moldova", reason="exercise")
    monitoring.report_incident(damaged, actor=CLI, kind="damaged", reason="wear")
    today = dt.date.today()
    repair = monitoring.open_repair(
        damaged, actor=CLI, facility_kind="donor", planned_departure=today, planned_arrival=today,
        planned_return_departure=today, planned_return=today,
    )  # fmt: skip
    case = DiscrepancyCase.objects.order_by("code").first()
    assert case is not None
    evidence = attach_evidence(
        received, io.BytesIO(png_bytes()), filename="waybill.png", kind="waybill", actor=CLI
    )
    # A scenario loaded last (approvals above check crews only once one is), so the
    # backfill's figures have requirements to count.
    set_planning_settings(actor=CLI, name="api", recipient=world.nations["UKR"])
    return {
        "monitored-items": str(item.pk),
        "inventories": inventory.code,
        "transfer-requests": str(transfer.pk),
        "repair-orders": repair.code,
        "cases": case.code,
        "evidence": str(evidence.pk),
        "nations": "NOR",
        "coalitions": "ART",
        "agreements": agreement.code,
        "pledges": str(pledge.pk),
        "capabilities": "artillery_sp",
        "families": "PZH2000",
        "family-aliases": str(alias.pk),
        "item-types": "PZH2000-A",
        "requirements": "R-public",
        "offers": "O-public",
        "hubs": hub.code,
        "routes": str(route.pk),
        "courses": "PZH-1",
        "cohorts": cohort.code,
        "readiness": "PZH2000",
        "plan-runs": str(run.pk),
        "shipments": shipment.code,
        "aid-chains": agreement.code,
        "stress-runs": str(stress.pk),
        "decommitments": str(decommitment.pk),
        "donors": "POL",
    }


def _point_at_known(case: Any, known: dict[str, str], headers: dict[str, str]) -> bool:
    """Aim a fuzzed case at an existing record, with its current version; False if there is none."""
    resource = case.operation.path.split("/")[3]
    if len(case.path_parameters or {}) != 1 or resource not in known:
        return False
    (name,) = case.path_parameters
    case.path_parameters[name] = known[resource]
    item = "/".join(case.operation.path.split("/")[:5]).replace("{" + name + "}", known[resource])
    current = Client().get(item, headers=headers)
    _keep_connection_open()  # the test client reconnects the signal handlers that close it
    version = current.json().get("version") if current.status_code == 200 else None
    if isinstance(case.body, dict) and "version" in case.body and version is not None:
        case.body["version"] = version
    if isinstance(case.query, dict) and "version" in case.query and version is not None:
        case.query["version"] = version
    return True


@pytest.mark.django_db
@pytest.mark.usefixtures("keep_connection")
@schema.parametrize()
@HYPOTHESIS
def test_api_conforms(case: Any, tokens: dict[str, str], known: dict[str, str]) -> None:
    """Coverage cases go as a coordinator; fuzzed cases as each role, then aimed at an existing record."""
    phase = case.meta.phase.name.value if case.meta is not None else "fuzzing"
    for who in ["coordinator"] if phase == "coverage" else ROLES:
        note(f"{phase} case, as {who}")
        case.call_and_validate(headers=_bearer(tokens[who]), checks=CHECKS)
    if (
        phase == "fuzzing"
        and case.method != "GET"
        and _point_at_known(case, known, _bearer(tokens["coordinator"]))
    ):
        for who in OWNERS:
            note(f"aimed at an existing record, as {who}")
            case.call_and_validate(headers=_bearer(tokens[who]), checks=CHECKS)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _reads_of_one_record() -> list[Any]:
    """Every GET of one record or of its parts (`/x/{key}`, `/x/{key}/lines`)."""
    operations = (result.ok() for result in schema.get_all_operations())
    return [
        op for op in operations if op.method.upper() == "GET" and len([p for p in op.path_parameters]) == 1
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("keep_connection")
def test_every_role_reads_the_known_records(tokens: dict[str, str], known: dict[str, str]) -> None:
    """Each read of one record, aimed at an existing one, as every role: no 5xx, the declared shape.

    Fuzzing rarely names an existing record; this reaches the full answers (a stress report, a
    shipment's legs, a family's readiness weeks) and, for the nation roles, the 403s and 404s.
    """
    reads = _reads_of_one_record()
    aimed = 0
    for operation in reads:
        resource = operation.path.split("/")[3]
        if resource not in known:
            continue
        (parameter,) = [p.name for p in operation.path_parameters]
        case = operation.Case(path_parameters={parameter: known[resource]}, query={})
        for who in ROLES:
            try:
                response = case.call_and_validate(headers=_bearer(tokens[who]), checks=CHECKS)
            except Exception as exc:
                exc.add_note(f"{operation.label} {known[resource]} as {who}")
                raise
            if who == "coordinator":  # sees every record: the full answer was checked
                assert response.status_code == 200, (operation.label, response.status_code)
        aimed += 1
    assert aimed >= 20, [op.label for op in reads]
