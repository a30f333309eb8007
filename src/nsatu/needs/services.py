"""Changes to requirements (audited)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from nsatu.catalog.models import Capability, Family
from nsatu.core.actors import Actor
from nsatu.core.choices import Releasability, Role
from nsatu.core.ownership import ensure_coordinator, ensure_own_nation, ensure_owner
from nsatu.core.services import RecordInUseError, create_record, delete_record, runs_naming, update_record
from nsatu.nations.models import Nation
from nsatu.needs.models import Requirement, RequirementStatus
from nsatu.planner.io import format_number
from nsatu.planning.models import committed_by_requirement, quantity_tolerance


def _check_accepts(capability: Capability, accepts: Iterable[Family]) -> list[Family]:
    families = list(accepts)
    wrong = [f.code for f in families if f.capability_id != capability.pk]
    if wrong:
        raise ValidationError({"accepts": f"families {', '.join(wrong)} do not provide {capability.code}"})
    return families


def create_requirement(
    *,
    actor: Actor,
    code: str,
    recipient: Nation,
    capability: Capability,
    quantity: float,
    priority: int,
    needed_by: dt.date,
    title: str = "",
    accepts: Iterable[Family] = (),
    releasability: str = Releasability.PUBLIC,
    releasable_to: Iterable[Nation] = (),
) -> Requirement:
    """State a need of the recipient (its representative, or a coordinator)."""
    ensure_own_nation(actor, recipient.pk, Role.RECIPIENT, doing=_("state requirements"))
    families = _check_accepts(capability, accepts)
    return create_record(
        Requirement,
        actor=actor,
        m2m={"accepts": families, "releasable_to": list(releasable_to)},
        code=code,
        title=title,
        recipient=recipient,
        capability=capability,
        quantity=quantity,
        priority=priority,
        needed_by=needed_by,
        releasability=releasability,
    )


def update_requirement(
    requirement: Requirement,
    *,
    actor: Actor,
    expected_version: int | None = None,
    accepts: Iterable[Family] | None = None,
    releasable_to: Iterable[Nation] | None = None,
    **changes: Any,
) -> Requirement:
    """Change a requirement; refused when someone saved it since ``expected_version``,
    or when its quantity would go below what approved plans committed to it. Only its recipient's
    representatives and coordinators may change it."""
    ensure_owner(actor, requirement, owner_field="recipient", role=Role.RECIPIENT, doing=_("change it"))
    m2m: dict[str, Iterable[Any]] = {}
    if accepts is not None:
        m2m["accepts"] = _check_accepts(changes.get("capability", requirement.capability), accepts)
    if releasable_to is not None:
        m2m["releasable_to"] = list(releasable_to)
    with transaction.atomic():
        if "quantity" in changes:
            current = Requirement.objects.select_for_update().get(pk=requirement.pk)
            _check_commitments(current, float(changes["quantity"]))
        return update_record(requirement, actor=actor, expected_version=expected_version, m2m=m2m, **changes)


def _check_commitments(requirement: Requirement, quantity: float) -> None:
    committed = committed_by_requirement().get(requirement.pk, 0.0)
    if committed > quantity + quantity_tolerance(quantity):
        raise ValidationError(
            {
                "quantity": _(
                    "Approved plans have committed %(committed)s to requirement %(code)s: "
                    "its quantity cannot be less."
                )
                % {"committed": format_number(committed), "code": requirement.code}
            }
        )


def cancel_requirement(requirement: Requirement, *, actor: Actor) -> Requirement:
    """Mark a requirement cancelled (its recipient's representatives, coordinators)."""
    ensure_owner(actor, requirement, owner_field="recipient", role=Role.RECIPIENT, doing=_("cancel it"))
    return update_record(requirement, actor=actor, action="cancel", status=RequirementStatus.CANCELLED)


def delete_requirement(requirement: Requirement, *, actor: Actor) -> Requirement | None:
    """Delete a requirement (coordinators; the others cancel it); returns None.

    A requirement plan runs name is their record: it is retired instead (status
    ``retired``, event ``retire``: out of planning, kept for the runs' lines and
    metrics) and returned. Refused (``RecordInUseError``) while approved plans still
    commit aid to it or offers are earmarked for it.
    """
    ensure_coordinator(actor, doing=_("delete requirements (cancel it instead)"))
    with transaction.atomic():
        current = Requirement.objects.select_for_update().get(pk=requirement.pk)
        runs = runs_naming(current.allocations.all())
        if not runs:
            delete_record(current, actor=actor)
            return None
        committed = committed_by_requirement().get(current.pk, 0.0)
        if committed > 0:
            raise RecordInUseError(
                _(
                    "Requirement %(code)s cannot be deleted or retired: approved plans commit %(committed)s "
                    "to it. Take that aid back first (Committed aid), or cancel the requirement."
                )
                % {"code": current.code, "committed": format_number(committed)}
            )
        earmarked = sorted(current.earmarked_offers.values_list("code", flat=True))
        if earmarked:
            raise RecordInUseError(
                _(
                    "Requirement %(code)s cannot be deleted or retired: "
                    "offers %(offers)s are earmarked for it."
                )
                % {"code": current.code, "offers": ", ".join(earmarked)}
            )
        return (
            update_record(current, actor=actor, action="retire", status=RequirementStatus.RETIRED)
            if current.status != RequirementStatus.RETIRED
            else current
        )
