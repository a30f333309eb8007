"""The OpenAPI schema and the docs page: complete, typed, served locally."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests.conftest import screenshot

pytestmark = pytest.mark.django_db


def test_every_operation_is_summarised_and_declares_its_errors() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "NSATU coordination API"
    operations = [(path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()]
    assert len(operations) >= 70
    for path, method, op in operations:
        assert op.get("summary"), (path, method)
        assert {"401", "422"} <= set(op["responses"]), (path, method)
        if method != "get":
            assert {"400", "403", "409"} <= set(op["responses"]), (path, method)
        elif "{" in path:
            assert "404" in op["responses"], (path, method)
        assert op["security"] == [{"ApiTokenAuth": []}, {"SessionAuth": []}]
    schemas = schema["components"]["schemas"]
    for name in (
        *("OfferIn", "OfferOut", "OfferPatch", "RequirementIn", "RequirementOut", "PlanRunOut"),
        *("ShipmentOut", "StepIn", "ReceiptIn", "CohortIn", "CohortPatch", "CohortOut", "GraduateIn"),
        *(
            "ReadinessOut",
            "FamilyReadinessOut",
            "AidChainOut",
            "StressRunIn",
            "StressRunOut",
            "StressReportOut",
        ),
    ):
        assert name in schemas, name
    assert schemas["ValidationErrorOut"]["required"] == ["detail", "errors"]


def test_docs_page_uses_local_assets() -> None:
    page = Client().get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    # no asset from elsewhere (a bare "cdn" could occur in a random token)
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", html), "an asset from another host"
    assert "cdn." not in html.lower()
    asset = Client().get("/static/ninja/swagger-ui-bundle.js")
    assert asset.status_code == 200
    asset.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_docs_page_renders_under_the_csp(live_server: Any, page: Any) -> None:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "NSATU coordination API" in page.inner_text(".swagger-ui .info .title")
    page.get_by_text("Approve a plan run").first.wait_for()
    screenshot(page, "api-docs")
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_shipments_training_aid_chain_and_stress_are_mounted() -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/shipments",
        "/api/v1/shipments/{code}",
        "/api/v1/shipments/{code}/{step}",
        "/api/v1/shipments/{code}/receipt",
        "/api/v1/plan-runs/{run_id}/shipments",
        "/api/v1/cohorts",
        "/api/v1/cohorts/{code}",
        "/api/v1/cohorts/{code}/graduate",
        "/api/v1/courses/{code}/cohorts",
        "/api/v1/readiness",
        "/api/v1/readiness/{family}",
        "/api/v1/aid-chains",
        "/api/v1/aid-chains/{code}",
        "/api/v1/iati-activities",
        "/api/v1/stress-runs",
        "/api/v1/stress-runs/{run_id}",
        "/api/v1/stress-runs/{run_id}/cases",
        "/api/v1/stress-runs/{run_id}/report",
    ):
        assert path in paths, path
    iati = paths["/api/v1/iati-activities"]["get"]["responses"]["200"]
    assert list(iati["content"]) == ["application/xml"]
    # Nation roles may not read stress runs at all: the lists declare their 403 too.
    assert "403" in paths["/api/v1/stress-runs"]["get"]["responses"]
