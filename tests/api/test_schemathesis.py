"""schemathesis against the app's own OpenAPI schema, through WSGI, authenticated by bearer tokens.

Every operation, with generated valid and invalid input: no answer is a 5xx, and
every answer has a declared status, content type and body shape. The coverage
phase (boundary values and every kind of invalid input) runs as a coordinator,
who gets deepest into the code; the fuzzing phase sends each generated request
as every role. Bounded so the whole of tests/api stays well under 90 s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, note, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from nsatu.site.wsgi import application

ROLES = ["coordinator", "POL", "UKR", "leadership", "auditor"]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
HYPOTHESIS = settings(
    max_examples=5, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
)

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """Keep the test's database connection open across WSGI requests, as Django's test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.usefixtures("keep_connection")
@schema.parametrize()
@HYPOTHESIS
def test_api_conforms(case: Any, tokens: dict[str, str]) -> None:
    """Coverage cases go as a coordinator; fuzzed cases as each role in turn."""
    phase = case.meta.phase.name.value if case.meta is not None else "fuzzing"
    for who in ["coordinator"] if phase == "coverage" else ROLES:
        note(f"{phase} case, as {who}")
        case.call_and_validate(headers={"Authorization": f"Bearer {tokens[who]}"}, checks=CHECKS)
