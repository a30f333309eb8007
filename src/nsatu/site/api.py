"""The REST API under /api/v1/: one router per app."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.security import django_auth

from nsatu.nations.api import router as nations_router
from nsatu.needs.api import router as needs_router
from nsatu.offers.api import router as offers_router

api = NinjaAPI(
    title="NSATU coordination API",
    version="1",
    urls_namespace="api",
    auth=[django_auth],
    docs_url="/docs",
)
api.add_router("/", nations_router)
api.add_router("/", needs_router)
api.add_router("/", offers_router)
