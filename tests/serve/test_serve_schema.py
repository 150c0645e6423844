"""Schema fuzzing of the OpenAPI document with schemathesis against the live server: no 5xx, and
every response matches its declared schema, status and content type."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.checks import not_a_server_error

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api_schema(live):
    return schemathesis.openapi.from_url(live.base + "/openapi.json")


def operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


def test_no_server_errors_and_responses_match_the_schema(api_schema, live):
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    tried, calls, statuses = [], [0], set()
    for op in operations(api_schema):
        tried.append(f"{op.method.upper()} {op.path}")

        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=op.as_strategy())
        def fuzz(case):
            response = case.call(headers={"Authorization": "Bearer k-admin"}, timeout=30)
            calls[0] += 1
            statuses.add(response.status_code)
            assert "Traceback" not in response.text
            case.validate_response(response, checks=checks)

        fuzz()
    assert len(tried) >= 12 and calls[0] >= 100, (tried, calls)
    assert 200 in statuses and {400, 422} & statuses  # both valid and rejected requests were made
