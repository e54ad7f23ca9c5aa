"""The OpenAPI document promises, for every operation of /api/v1/: its success answer, the usual 4xx answers with the
one shared error schema, and bounded input (integers, strings, lists). A new operation that forgets any of these
fails here on day one."""

import pytest

from gridgov.tests.api_contract import ERROR_REF, openapi, operations, resolve

OPERATIONS = list(operations())
IDS = [f"{method} {path}" for method, path, _op in OPERATIONS]
UNBOUNDED_STRING_FORMATS = {"date", "date-time", "time", "binary"}  # their own syntax bounds them


def _codes(op) -> set[int]:
    return {int(code) for code in op["responses"]}


def _takes_input(op) -> bool:
    return bool(op.get("parameters") or op.get("requestBody"))


def _session(op) -> bool:
    return any("SessionAuth" in s for s in op.get("security", []))


def test_the_document_lists_every_operation():
    assert len(OPERATIONS) >= 90  # 91 today; the other tests walk them all


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=IDS)
def test_success_answer_is_documented(method, path, op):
    ok = sorted(code for code in _codes(op) if 200 <= code < 300)
    assert ok, "no 2xx answer documented"
    for code in ok:
        answer = op["responses"][str(code)] if str(code) in op["responses"] else op["responses"][code]
        if code == 204:
            assert "content" not in answer
            continue
        content = answer.get("content")
        assert content, f"{code} has no content schema"
        assert all("schema" in media for media in content.values())


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=IDS)
def test_usual_errors_are_documented(method, path, op):
    codes = _codes(op)
    if _session(op):
        assert {401, 403} <= codes, "a session is needed: 401 and 403"
    else:
        assert 401 in codes, "signed requests: 401"
    if "{" in path:
        assert 404 in codes, "it takes an id or a code: 404"
    if _takes_input(op):
        assert 422 in codes, "it takes input: 422"


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=IDS)
def test_requests_that_cannot_be_read_are_documented(method, path, op):
    """Whatever an operation declares, the middleware may refuse its request as unreadable (422: a NUL character;
    413: a body over the limit) and the web server may refuse a too long address (414): the fuzz sees all three."""
    codes = _codes(op)
    assert {414, 422} <= codes
    if "requestBody" in op:
        assert 413 in codes


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=IDS)
def test_errors_use_the_one_error_schema(method, path, op):
    for code, answer in op["responses"].items():
        if not 400 <= int(code) < 500:
            continue
        if int(code) == 414:  # the web server's page, before the API runs: documented as such
            assert set(answer["content"]) == {"text/html"} and "web server" in answer["description"]
            continue
        schema = answer["content"]["application/json"]["schema"]
        refs = [schema.get("$ref")] + [s.get("$ref") for s in schema.get("anyOf", [])]
        assert ERROR_REF in refs, f"{code} does not answer with ErrorOut"


def test_the_error_schema_matches_what_the_handlers_send():
    schema = openapi()["components"]["schemas"]["ErrorOut"]
    assert set(schema["required"]) == {"code", "message"}
    assert set(schema["properties"]) == {"code", "message", "field", "details"}


def _unbounded(schema: dict, where: str, seen=()) -> list[str]:
    """Every integer has a minimum and a maximum, every string a maximum length (or an enum or a date format),
    every list a maximum number of items."""
    schema = dict(schema)
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return _unbounded(resolve(schema), where, seen + (name,))
    problems = []
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            problems += _unbounded(sub, where, seen)
    kind = schema.get("type")
    if kind == "integer" and not ("maximum" in schema and "minimum" in schema):
        problems.append(f"{where}: integer without minimum and maximum")
    if kind == "string" and "maxLength" not in schema and "enum" not in schema and "const" not in schema \
            and schema.get("format") not in UNBOUNDED_STRING_FORMATS:
        problems.append(f"{where}: string without maxLength")
    if kind == "array":
        if "maxItems" not in schema:
            problems.append(f"{where}: list without maxItems")
        problems += _unbounded(schema.get("items", {}), f"{where}[]", seen)
    for name, sub in schema.get("properties", {}).items():
        problems += _unbounded(sub, f"{where}.{name}", seen)
    return problems


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=IDS)
def test_input_is_bounded(method, path, op):
    problems = []
    for param in op.get("parameters", []):
        problems += _unbounded(param["schema"], f"{param['in']}:{param['name']}")
    for media, body in op.get("requestBody", {}).get("content", {}).items():
        problems += _unbounded(body["schema"], f"body({media})")
    assert not problems, "\n".join(problems)


def test_the_bounds_test_can_fail():
    """The walker itself finds what it looks for (a test that cannot fail is a defect)."""
    assert _unbounded({"type": "integer"}, "x") == ["x: integer without minimum and maximum"]
    assert _unbounded({"type": "string"}, "x") == ["x: string without maxLength"]
    assert _unbounded({"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 2}}, "x") == [
        "x: list without maxItems"]
    assert _unbounded({"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]}, "x") == []
