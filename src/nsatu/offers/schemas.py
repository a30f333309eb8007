"""API shapes for offers."""

import datetime as dt

from ninja import Schema


class OfferOut(Schema):
    id: str
    donor: str
    item_type: str
    quantity: float
    available_from: dt.date
    earmark: str | None
    status: str
    note: str
    releasability: str
    version: int
