"""The OpenAPI schema documents every error an operation can answer, with the error format."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def error_ref(response: dict) -> str | None:
    return response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")


def test_the_error_format_is_a_component(schema):
    error = schema["components"]["schemas"]["Error"]
    detail = schema["components"]["schemas"]["ErrorDetail"]
    assert error["required"] == ["error"]
    assert set(detail["properties"]) == {"code", "message", "field", "details"}


def test_every_operation_documents_its_errors(schema):
    count = 0
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        expected = {"400", "429", "503"}
        if method != "get":
            expected |= {"404", "409", "413"}
        elif "{" in path:
            expected.add("404")
        if operation.get("security") != [{}]:  # an endpoint that takes credentials
            expected |= {"401", "403"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in expected:
            assert error_ref(responses[status]) == "#/components/schemas/Error", (path, status)
        count += 1
    assert count > 80


def test_declared_responses_are_kept(schema):
    login = schema["paths"]["/api/v1/auth/login/"]["post"]["responses"]
    assert login["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Token")
    assert "401" not in login  # it takes no credentials
