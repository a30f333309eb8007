"""Changes to the catalog: capabilities, families, aliases, item types (audited)."""

from __future__ import annotations

from typing import Any

from nsatu.catalog.models import Capability, Family, FamilyAlias, ItemType
from nsatu.core.actors import Actor
from nsatu.core.services import create_record, delete_record, update_record


def create_capability(*, actor: Actor, code: str, name: str = "") -> Capability:
    return create_record(Capability, actor=actor, code=code, name=name)


def update_capability(capability: Capability, *, actor: Actor, **changes: Any) -> Capability:
    return update_record(capability, actor=actor, **changes)


def create_family(
    *,
    actor: Actor,
    code: str,
    name: str,
    capability: Capability,
    in_service: bool = False,
    introduction_cost: float | None = None,
    crew_per_unit: float = 0,
    existing_crews: float = 0,
) -> Family:
    """Add a platform family to the catalog."""
    return create_record(
        Family,
        actor=actor,
        code=code,
        name=name,
        capability=capability,
        in_service=in_service,
        introduction_cost=introduction_cost,
        crew_per_unit=crew_per_unit,
        existing_crews=existing_crews,
    )


def update_family(family: Family, *, actor: Actor, **changes: Any) -> Family:
    return update_record(family, actor=actor, **changes)


def delete_family(family: Family, *, actor: Actor) -> None:
    delete_record(family, actor=actor)


def create_family_alias(*, actor: Actor, alias: str, family: Family, source: str = "") -> FamilyAlias:
    """Map a raw system name, as a source spells it, to a family."""
    return create_record(FamilyAlias, actor=actor, alias=alias.strip(), family=family, source=source)


def delete_family_alias(alias: FamilyAlias, *, actor: Actor) -> None:
    delete_record(alias, actor=actor)


def resolve_family(raw_name: str) -> Family | None:
    """The family a raw system name stands for, through the alias table."""
    alias = FamilyAlias.objects.select_related("family").filter(alias__iexact=raw_name.strip()).first()
    return alias.family if alias else None


def create_item_type(
    *,
    actor: Actor,
    code: str,
    name: str,
    family: Family,
    unit: str = "each",
    mass_t: float = 0,
    nsn: str = "",
    serialised: bool = False,
    countable: bool | None = None,
) -> ItemType:
    """Add an item type; the NSN, when given, must have 13 digits (dashes allowed). ``countable``
    None: whole units or not as the unit says."""
    return create_record(
        ItemType,
        actor=actor,
        code=code,
        name=name,
        family=family,
        unit=unit,
        mass_t=mass_t,
        nsn=nsn.strip(),
        serialised=serialised,
        countable=countable,
    )


def update_item_type(item_type: ItemType, *, actor: Actor, **changes: Any) -> ItemType:
    return update_record(item_type, actor=actor, **changes)


def delete_item_type(item_type: ItemType, *, actor: Actor) -> None:
    delete_record(item_type, actor=actor)
