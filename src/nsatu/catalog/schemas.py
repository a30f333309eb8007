"""API shapes for capabilities, platform families, family aliases and item types."""

from typing import Annotated

from ninja import Schema
from pydantic import Field, StringConstraints

from nsatu.catalog.models import NSN_PATTERN, Family, FamilyAlias, ItemType
from nsatu.core.schemas import NO_NUL, Code, Name, NonNegative, Text300, Title, Version

ShortName = Annotated[str, StringConstraints(max_length=120, pattern=NO_NUL)]
Unit = Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=NO_NUL)]
Nsn = Annotated[str, StringConstraints(pattern=f"({NSN_PATTERN})|^$")]
AliasText = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]*[^\x00\s][^\x00]*$")
]


class CapabilityIn(Schema):
    code: Code
    name: ShortName = ""


class CapabilityPatch(Schema):
    version: Version
    name: ShortName | None = None


class CapabilityOut(Schema):
    code: str
    name: str
    version: int


class FamilyIn(Schema):
    code: Code
    name: Name
    capability: Code
    in_service: bool = Field(False, description="in service with the recipient")
    introduction_cost: NonNegative | None = Field(None, description="null = the scenario default")
    crew_per_unit: NonNegative = 0
    existing_crews: NonNegative = 0


class FamilyPatch(Schema):
    version: Version
    name: Name | None = None
    capability: Code | None = None
    in_service: bool | None = None
    introduction_cost: NonNegative | None = None
    crew_per_unit: NonNegative | None = None
    existing_crews: NonNegative | None = None


class FamilyOut(Schema):
    code: str
    name: str
    capability: str
    in_service: bool
    introduction_cost: float | None
    crew_per_unit: float
    existing_crews: float
    version: int

    @staticmethod
    def resolve_capability(obj: Family) -> str:
        return obj.capability.code


class FamilyAliasIn(Schema):
    alias: AliasText
    family: Code
    source: Text300 = ""


class FamilyAliasPatch(Schema):
    version: Version
    alias: AliasText | None = None
    family: Code | None = None
    source: Text300 | None = None


class FamilyAliasOut(Schema):
    id: int
    alias: str
    family: str
    source: str
    version: int

    @staticmethod
    def resolve_family(obj: FamilyAlias) -> str:
        return obj.family.code


class ItemTypeIn(Schema):
    code: Code
    name: Title = Field(min_length=1)
    family: Code
    unit: Unit = Field("each", description="`each` = whole units")
    mass_t: NonNegative = Field(0, description="mass per unit in tonnes")
    nsn: Nsn = Field("", description="NATO stock number: 13 digits, dashes allowed")
    serialised: bool = False
    countable: bool | None = Field(
        None, description="counted in whole units; null = by the unit (each, rounds, pieces, sets... are)"
    )


class ItemTypePatch(Schema):
    version: Version
    name: Title | None = Field(None, min_length=1)
    family: Code | None = None
    unit: Unit | None = None
    mass_t: NonNegative | None = None
    nsn: Nsn | None = None
    serialised: bool | None = None
    countable: bool | None = Field(None, description="null = by the unit")


class ItemTypeOut(Schema):
    code: str
    name: str
    family: str
    capability: str
    unit: str
    mass_t: float
    nsn: str
    serialised: bool
    countable: bool | None = Field(description="what the catalog says; null = by the unit")
    whole: bool = Field(description="planned, committed, shipped and received in whole numbers")
    version: int

    @staticmethod
    def resolve_whole(obj: ItemType) -> bool:
        return obj.is_whole

    @staticmethod
    def resolve_family(obj: ItemType) -> str:
        return obj.family.code

    @staticmethod
    def resolve_capability(obj: ItemType) -> str:
        return obj.family.capability.code
