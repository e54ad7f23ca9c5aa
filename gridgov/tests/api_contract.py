"""Helpers for the API contract tests: the OpenAPI document, an operation's documented answers, and validation of a
real answer's body against what the document promises for its status."""

import functools
import re

import jsonschema

ERROR_REF = "#/components/schemas/ErrorOut"


@functools.cache
def openapi() -> dict:
    from gridgov.api import api

    return api.get_openapi_schema()


def operations():
    """(method, path, operation) for every operation of /api/v1/."""
    for path, item in sorted(openapi()["paths"].items()):
        for method, op in sorted(item.items()):
            yield method.upper(), path, op


def operation_for(method: str, url: str) -> dict:
    """The documented operation that answers ``method url`` (path parameters matched as anything but a slash)."""
    path = url.split("?", 1)[0]
    found = []
    for m, template, op in operations():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if m == method.upper() and re.match(pattern, path):
            found.append((template.count("{"), op))  # /events/queues before /events/{event_id}
    assert found, f"{method} {url} is not in the OpenAPI document"
    return min(found, key=lambda f: f[0])[1]


def resolve(schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = openapi()["components"]["schemas"][name]
    return schema


def answer_schema(op: dict, status: int) -> dict:
    answer = op["responses"].get(str(status)) or op["responses"].get(status)
    assert answer is not None, f"status {status} is not documented for {op['operationId']}"
    return answer["content"]["application/json"]["schema"]


def check_body(method: str, url: str, response) -> None:
    """The answer's status is documented for the operation and its JSON body validates against that schema."""
    schema = dict(answer_schema(operation_for(method, url), response.status_code))
    schema["components"] = openapi()["components"]  # so that "#/components/…" references resolve
    jsonschema.Draft202012Validator(schema).validate(response.json())
