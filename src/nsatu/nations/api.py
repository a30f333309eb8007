"""Nations API."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.pagination import paginate

from nsatu.nations.models import Nation
from nsatu.nations.schemas import NationOut

router = Router(tags=["nations"])


@router.get("/nations", response=list[NationOut])
@paginate
def list_nations(request: HttpRequest) -> object:
    """All participating nations (not a marked record: visible to every signed-in user)."""
    return Nation.objects.all()


@router.get("/nations/{iso3}", response=NationOut)
def get_nation(request: HttpRequest, iso3: str) -> Nation:
    return get_object_or_404(Nation, iso3=iso3.upper())
