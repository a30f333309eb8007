"""API shapes for requirements."""

import datetime as dt

from ninja import Schema


class RequirementOut(Schema):
    id: str
    title: str
    recipient: str
    capability: str
    quantity: float
    priority: int
    needed_by: dt.date
    accepts: list[str]
    status: str
    releasability: str
    version: int
