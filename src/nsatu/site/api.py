"""The REST API under /api/v1/: one router per app, session or bearer-token authentication."""

from django.apps import apps
from ninja import NinjaAPI
from ninja.security import django_auth

from nsatu.catalog.api import router as catalog_router
from nsatu.commitments.api import router as commitments_router
from nsatu.core.api import install_error_handlers
from nsatu.logistics.api import router as logistics_router
from nsatu.monitoring.api import router as monitoring_router
from nsatu.nations.api import router as nations_router
from nsatu.needs.api import router as needs_router
from nsatu.notifications.api import router as notifications_router
from nsatu.offers.api import router as offers_router
from nsatu.planning.api import router as planning_router
from nsatu.shipments.api import router as shipments_router
from nsatu.stress.api import router as stress_router
from nsatu.tokens.auth import token_auth
from nsatu.training.api import router as training_router

api = NinjaAPI(
    title="NSATU coordination API",
    version="1",
    description=(
        "Requirements, offers, planning, committed aid, shipments, end-use monitoring after receipt "
        "(inventories, reports, transfers, repairs, discrepancy cases, evidence), notifications, training, "
        "the agreements' aid "
        "chain, stress runs and the reference data of the NSATU coordination platform. "
        "Authenticate with the web session (send the CSRF token on unsafe methods) or with "
        "`Authorization: Bearer <token>` (`nsatu token create`). Lists page with `limit` and `offset` "
        "and answer `{items, count}`. Records not releasable to your nation answer 404. "
        "Changes carry the `version` you read; a stale one answers 409. See docs/api.md."
    ),
    urls_namespace="api",
    auth=[token_auth, django_auth],
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)
for router in (
    nations_router,
    catalog_router,
    needs_router,
    offers_router,
    logistics_router,
    training_router,
    planning_router,
    shipments_router,
    commitments_router,
    stress_router,
    monitoring_router,
    notifications_router,
):
    api.add_router("/", router)

if apps.is_installed("nsatu.tokens"):
    from nsatu.tokens.api import router as tokens_router

    api.add_router("/", tokens_router)
