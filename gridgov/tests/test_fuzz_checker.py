"""The fuzz's own judge (scripts/fuzz_api.py): every answer schemathesis got is checked against the OpenAPI document.
A judge that cannot fail would make `make fuzz` a green light for anything: each kind of breach is caught here."""

import importlib.util
import json
from pathlib import Path

import pytest

from gridgov.tests.api_contract import openapi

ROOT = Path(__file__).resolve().parents[2]
JSON = "application/json"
ERROR = json.dumps({"code": "invalid", "message": "不合法"})


@pytest.fixture(scope="module")
def fuzz():
    spec = importlib.util.spec_from_file_location("fuzz_api", ROOT / "scripts" / "fuzz_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def contract(fuzz):
    return fuzz.Contract(json.loads(json.dumps(openapi(), default=str)))


@pytest.mark.parametrize(("method", "path", "status", "content_type", "text"), [
    ("POST", "/api/v1/events", 422, JSON, ERROR),
    ("GET", "/api/v1/events/queues", 200, JSON, json.dumps({"reported": 1})),
    ("DELETE", "/api/v1/events", 405, JSON, json.dumps({"code": "method_not_allowed", "message": "x"})),
    ("GET", "/api/v1/no-such-thing", 404, JSON, json.dumps({"code": "not_found", "message": "x"})),
    ("GET", "/api/v1/regions/geojson", 414, "text/html", "<html>URI Too Long</html>"),
    ("GET", "/api/v1/indicators.xlsx", 200,
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "PK…"),
])
def test_answers_the_document_promises_pass(contract, method, path, status, content_type, text):
    assert contract.problem(method, path, status, content_type, text) is None


@pytest.mark.parametrize(("method", "path", "status", "content_type", "text", "reason"), [
    ("POST", "/api/v1/events", 400, "text/html", "<h1>Bad Request (400)</h1>", "400 is not documented"),
    ("POST", "/api/v1/events", 422, "text/html", "<h1>x</h1>", "text/html where application/json is documented"),
    ("POST", "/api/v1/events", 422, JSON, json.dumps({"detail": "x"}), "body does not match the schema"),
    ("POST", "/api/v1/events", 422, JSON, "not json", "not JSON"),
    ("GET", "/api/v1/events/queues", 200, JSON, json.dumps({"reported": "many"}), "does not match"),
    ("DELETE", "/api/v1/events", 405, "text/html", "Method not allowed", "not ErrorOut"),
    ("DELETE", "/api/v1/events", 403, JSON, ERROR, "a method the address does not take"),
    ("GET", "/api/v1/no-such-thing", 404, "text/html", "<h1>Not Found</h1>", "not ErrorOut"),
])
def test_answers_that_break_the_document_are_caught(contract, method, path, status, content_type, text, reason):
    problem = contract.problem(method, path, status, content_type, text)
    assert problem is not None and reason in problem


def test_a_har_report_is_counted(fuzz, contract, tmp_path):
    def entry(method, url, status, content_type, text):
        return {"request": {"method": method, "url": "http://127.0.0.1:1" + url},
                "response": {"status": status, "headers": [{"name": "Content-Type", "value": content_type}],
                             "content": {"text": text}}}

    har = tmp_path / "har.json"
    har.write_text(json.dumps({"log": {"entries": [
        entry("POST", "/api/v1/events", 422, JSON, ERROR),
        entry("POST", "/api/v1/events", 500, "text/html", "<h1>Server Error (500)</h1>"),
        entry("DELETE", "/api/v1/events", 405, "text/html", "Method not allowed"),
        entry("GET", "/api/v1/regions/1", 404, JSON, json.dumps({"code": "not_found", "message": "x"})),
    ]}}))
    result = fuzz.analyse(contract, har)
    assert (result["cases"], result["server_errors"], result["violations"]) == (4, 1, 1)
    assert result["server_error_kinds"][0][:3] == ["POST /api/v1/events", "500", 1]
    assert result["statuses"] == {"4xx": 3, "5xx": 1}
