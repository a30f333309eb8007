"""API shapes for nations."""

from ninja import Schema


class NationOut(Schema):
    iso3: str
    name: str
    nato: bool
    eu: bool
    codification_bureau: str
