"""Plan runs as records: which finished runs were planned on inputs that have changed since.

A run remembers the ledger's last event when its worker read the scenario
(``PlanRun.input_seq``). Any later event on a record the planner reads (a
requirement, an offer, the catalog, hubs and routes, courses, the settings, an
approved line committed, aid taken back) makes the run **stale**: its lines and
figures are still its record, but no longer what a plan of today's data would be.
An approved run is a commitment, not a proposal: it is never called stale.
"""

from __future__ import annotations

from django.db.models import Max

from nsatu.core.models import Event
from nsatu.planning.models import PlanRun, RunStatus

# The object types of the events that change what scenario_from_db() reads.
PLAN_INPUTS = (
    "nations.nation",
    "catalog.capability",
    "catalog.family",
    "catalog.itemtype",
    "needs.requirement",
    "offers.offer",
    "logistics.hub",
    "logistics.route",
    "training.course",
    "planning.planningsettings",
    "planning.allocation",  # `commit`: an approval
    "commitments.decommitment",  # aid suspended, withdrawn or resumed
)


def last_input_change() -> int:
    """The sequence number of the latest event that changed a planning input (0 when none)."""
    return int(Event.objects.filter(object_type__in=PLAN_INPUTS).aggregate(seq=Max("seq"))["seq"] or 0)


def current_seq() -> int:
    """The ledger's last sequence number now."""
    return int(Event.objects.aggregate(seq=Max("seq"))["seq"] or 0)


def is_stale(run: PlanRun, last_change: int | None = None) -> bool:
    """A finished, unapproved run whose inputs changed after its worker read them."""
    if run.status != RunStatus.DONE or run.approved_at is not None or run.input_seq is None:
        return False
    return (last_input_change() if last_change is None else last_change) > run.input_seq
