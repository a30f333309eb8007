"""API shapes for nations, coalitions, agreements, pledges and the agreements' aid chain."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field, StringConstraints

from nsatu.core.schemas import Code, Iso3, Name, Note, Text300, Title, Version
from nsatu.nations.models import Agreement, Coalition, Pledge
from nsatu.shipments.aidchain import AgreementChain, Entry, StageSum

Bureau = Annotated[str, StringConstraints(pattern=r"^([0-9]{2})?$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]
Year = Annotated[int, Field(ge=1990, le=2100)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2, allow_inf_nan=False)]
Years = Annotated[int, Field(ge=1, le=200)]


class NationIn(Schema):
    iso3: Iso3
    name: Name
    nato: bool = False
    eu: bool = False
    codification_bureau: Bureau = ""


class NationPatch(Schema):
    version: Version
    name: Name | None = None
    nato: bool | None = None
    eu: bool | None = None
    codification_bureau: Bureau | None = None


class NationOut(Schema):
    iso3: str
    name: str
    nato: bool
    eu: bool
    codification_bureau: str
    version: int


class CoalitionIn(Schema):
    code: Code
    name: Title = Field(min_length=1)
    capabilities: list[Code] = Field(default_factory=list, max_length=500)
    leads: list[Iso3] = Field(default_factory=list, max_length=100)
    members: list[Iso3] = Field(default_factory=list, max_length=100, description="leads are members too")


class CoalitionPatch(Schema):
    version: Version
    name: Title | None = Field(None, min_length=1)
    capabilities: list[Code] | None = Field(None, max_length=500)
    leads: list[Iso3] | None = Field(None, max_length=100)
    members: list[Iso3] | None = Field(None, max_length=100)


class CoalitionOut(Schema):
    code: str
    name: str
    capabilities: list[str]
    leads: list[str]
    members: list[str]
    version: int

    @staticmethod
    def resolve_capabilities(obj: Coalition) -> list[str]:
        return sorted(c.code for c in obj.capabilities.all())

    @staticmethod
    def resolve_leads(obj: Coalition) -> list[str]:
        return sorted(n.iso3 for n in obj.leads.all())

    @staticmethod
    def resolve_members(obj: Coalition) -> list[str]:
        return sorted(n.iso3 for n in obj.members.all())


class AgreementIn(Schema):
    code: Code
    donor: Iso3
    signed: dt.date
    duration_years: Years | None = None
    place: Annotated[str, StringConstraints(max_length=120, pattern=r"^[^\x00]*$")] = ""
    note: Note = ""


class AgreementPatch(Schema):
    version: Version
    donor: Iso3 | None = None
    signed: dt.date | None = None
    duration_years: Years | None = None
    place: Annotated[str, StringConstraints(max_length=120, pattern=r"^[^\x00]*$")] | None = None
    note: Note | None = None


class AgreementOut(Schema):
    code: str
    donor: str
    signed: dt.date
    duration_years: int | None
    place: str
    note: str
    version: int

    @staticmethod
    def resolve_donor(obj: Agreement) -> str:
        return obj.donor.iso3


class PledgeIn(Schema):
    year: Year
    amount: Amount
    currency: Currency
    purpose: Text300 = ""


class PledgePatch(Schema):
    version: Version
    year: Year | None = None
    amount: Amount | None = None
    currency: Currency | None = None
    purpose: Text300 | None = None


class PledgeOut(Schema):
    id: int
    agreement: str
    year: int
    amount: str = Field(description="decimal, as a string so no cent is lost")
    currency: str
    purpose: str
    version: int

    @staticmethod
    def resolve_agreement(obj: Pledge) -> str:
        return obj.agreement.code

    @staticmethod
    def resolve_amount(obj: Pledge) -> str:
        return str(Decimal(obj.amount).quantize(Decimal("0.01")))


class StageSumOut(Schema):
    """One stage of an aid chain: units, distinct offers, values per currency, units without a value."""

    units: float
    offers: int = Field(description="distinct offers counted")
    value: dict[str, str] = Field(description="currency -> decimal amount, as a string so no cent is lost")
    unvalued_units: float = Field(description="units of item types without a known unit value")

    @staticmethod
    def resolve_offers(obj: StageSum) -> int:
        return len(obj.offers)

    @staticmethod
    def resolve_value(obj: StageSum) -> dict[str, str]:
        return {
            currency: str(amount.quantize(Decimal("0.01"))) for currency, amount in sorted(obj.value.items())
        }


class StagesOut(Schema):
    """The four stages, kept apart and never double counted."""

    pledged: StageSumOut
    committed: StageSumOut
    shipped: StageSumOut
    received: StageSumOut


class ChainYearOut(StagesOut):
    year: int


class ChainEntryOut(Schema):
    """One counted step: a pledge, an offer's commitment, a shipment shipped or received."""

    stage: str = Field(description="pledged, committed, shipped or received")
    date: dt.date
    ref: str = Field(description="pledge-<id>, offer-<code>, shipment-<code> or receipt-<code>")
    description: str
    offer: str = Field(description="the offer's code; empty for a pledge")
    units: float
    value: str | None = Field(description="decimal amount; null when the item's unit value is not known")
    currency: str

    @staticmethod
    def resolve_value(obj: Entry) -> str | None:
        return None if obj.value is None else str(obj.value)


class AidChainSummaryOut(Schema):
    """An agreement and its totals per stage, of what is releasable to you."""

    agreement: str
    donor: str
    signed: dt.date
    totals: StagesOut

    @staticmethod
    def resolve_agreement(obj: AgreementChain) -> str:
        return obj.agreement.code

    @staticmethod
    def resolve_donor(obj: AgreementChain) -> str:
        return obj.agreement.donor.iso3

    @staticmethod
    def resolve_signed(obj: AgreementChain) -> dt.date:
        return obj.agreement.signed

    @staticmethod
    def resolve_totals(obj: AgreementChain) -> dict[str, StageSum]:
        return obj.totals()


class AidChainOut(AidChainSummaryOut):
    """An agreement year by year (pledged, committed, shipped, received) and every entry counted."""

    years: list[ChainYearOut]
    entries: list[ChainEntryOut] = Field(description="by date, stage and ref")

    @staticmethod
    def resolve_years(obj: AgreementChain) -> list[dict[str, Any]]:
        return [{"year": year, **stages} for year, stages in obj.rows()]

    @staticmethod
    def resolve_entries(obj: AgreementChain) -> list[Entry]:
        return sorted(obj.entries, key=lambda e: (e.date, e.stage, e.ref))
