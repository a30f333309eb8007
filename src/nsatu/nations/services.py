"""Changes to nations, coalitions, agreements and pledges (audited)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nsatu.core.actors import Actor
from nsatu.core.services import create_record, delete_record, update_record
from nsatu.nations.models import Agreement, Coalition, Nation, Pledge


def create_nation(
    *, actor: Actor, iso3: str, name: str, nato: bool = False, eu: bool = False, codification_bureau: str = ""
) -> Nation:
    """Register a participating nation."""
    return create_record(
        Nation,
        actor=actor,
        iso3=iso3.upper(),
        name=name,
        nato=nato,
        eu=eu,
        codification_bureau=codification_bureau,
    )


def update_nation(nation: Nation, *, actor: Actor, **changes: Any) -> Nation:
    return update_record(nation, actor=actor, **changes)


def delete_nation(nation: Nation, *, actor: Actor) -> None:
    delete_record(nation, actor=actor)


def create_coalition(
    *,
    actor: Actor,
    code: str,
    name: str,
    capabilities: Iterable[Any] = (),
    leads: Iterable[Nation] = (),
    members: Iterable[Nation] = (),
) -> Coalition:
    """Create a capability coalition with its leads and members."""
    leads = list(leads)
    # A lead nation is a member too.
    all_members = {n.pk: n for n in [*members, *leads]}
    return create_record(
        Coalition,
        actor=actor,
        code=code,
        name=name,
        m2m={"capabilities": list(capabilities), "leads": leads, "members": list(all_members.values())},
    )


def update_coalition(
    coalition: Coalition, *, actor: Actor, m2m: dict[str, Iterable[Any]] | None = None, **changes: Any
) -> Coalition:
    return update_record(coalition, actor=actor, m2m=m2m, **changes)


def delete_coalition(coalition: Coalition, *, actor: Actor) -> None:
    delete_record(coalition, actor=actor)


def create_agreement(
    *,
    actor: Actor,
    code: str,
    donor: Nation,
    signed: Any,
    duration_years: int | None = None,
    place: str = "",
    note: str = "",
) -> Agreement:
    """Record a bilateral security agreement."""
    return create_record(
        Agreement,
        actor=actor,
        code=code,
        donor=donor,
        signed=signed,
        duration_years=duration_years,
        place=place,
        note=note,
    )


def update_agreement(agreement: Agreement, *, actor: Actor, **changes: Any) -> Agreement:
    return update_record(agreement, actor=actor, **changes)


def delete_agreement(agreement: Agreement, *, actor: Actor) -> None:
    delete_record(agreement, actor=actor)


def create_pledge(
    *, actor: Actor, agreement: Agreement, year: int, amount: Any, currency: str, purpose: str = ""
) -> Pledge:
    """Add one year's pledge to an agreement."""
    return create_record(
        Pledge,
        actor=actor,
        agreement=agreement,
        year=year,
        amount=amount,
        currency=currency.upper(),
        purpose=purpose,
    )


def delete_pledge(pledge: Pledge, *, actor: Actor) -> None:
    delete_record(pledge, actor=actor)
