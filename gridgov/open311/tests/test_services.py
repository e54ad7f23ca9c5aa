"""Discovery, the service list and service definitions, in XML and JSON, and the jurisdiction check."""

import pytest
from django.test import Client

from gridgov.events.models import Category
from gridgov.open311.tests.conftest import FORMATS, errors, parse, rows

pytestmark = pytest.mark.django_db
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_spec_the_endpoint_and_both_formats(client, fmt):
    response = client.get(f"/open311/v2/discovery.{fmt}")
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "xml":
        assert body.tag == "discovery"
        assert [child.tag for child in body] == ["changeset", "contact", "key_service", "endpoints"]
        endpoints = body.find("endpoints").findall("endpoint")
        assert len(endpoints) == 1
        endpoint = {"specification": endpoints[0].findtext("specification"), "url": endpoints[0].findtext("url"),
                    "type": endpoints[0].findtext("type"),
                    "formats": [f.text for f in endpoints[0].find("formats").findall("format")]}
        changeset = body.findtext("changeset")
    else:
        assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
        endpoint, changeset = body["endpoints"][0], body["changeset"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert changeset[:4].isdigit() and changeset.endswith("+08:00")


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_fileable_categories_with_the_spec_fields(client, fmt):
    response = client.get(f"/open311/v2/services.{fmt}")
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "xml":
        assert body.tag == "services"
        for service in body:
            assert [child.tag for child in service] == SERVICE_FIELDS
        services = rows(body, "service")
        false = "false"
    else:
        assert all(list(service) == SERVICE_FIELDS for service in body)
        services, false = body, False
    by_code = {s["service_code"]: s for s in services}
    garbage = by_code["0301"]
    assert garbage["service_name"] == "积存垃圾"
    assert garbage["description"] == "垃圾清运干净，无积存"  # the closing standard
    assert garbage["metadata"] == false and garbage["type"] == "realtime"
    assert garbage["group"] == "环境保护"
    assert "环境保护" in garbage["keywords"] and "积存垃圾" in garbage["keywords"]
    fileable = Category.objects.filter(is_active=True).exclude(level="class")
    assert "03" not in by_code and "B1" not in by_code  # a whole class is not a service
    # Reports about people (矛盾纠纷, 重点人员) are not published, so they are not offered either.
    hidden = fileable.filter(parent__code__in=["04", "05"])
    assert hidden.exists() and not set(hidden.values_list("code", flat=True)) & set(by_code)
    assert set(by_code) == set(fileable.exclude(parent__code__in=["04", "05"]).values_list("code", flat=True))
    assert len(by_code) == len(services)


def test_hidden_classes_follow_the_setting(client, settings):
    settings.GRIDGOV_OPEN311_HIDDEN_CLASSES = []
    codes = {s["service_code"] for s in client.get("/open311/v2/services.json").json()}
    assert {"0401", "0501"} <= codes
    settings.GRIDGOV_OPEN311_HIDDEN_CLASSES = ["03"]
    codes = {s["service_code"] for s in client.get("/open311/v2/services.json").json()}
    assert "0301" not in codes and "0501" in codes


def test_an_inactive_category_is_not_a_service(client):
    Category.objects.filter(code="0302").update(is_active=False)
    codes = {s["service_code"] for s in client.get("/open311/v2/services.json").json()}
    assert "0302" not in codes and "0301" in codes
    assert client.get("/open311/v2/services/0302.json").status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_has_the_spec_structure(client, fmt):
    response = client.get(f"/open311/v2/services/0301.{fmt}?jurisdiction_id=440306.gridgov")
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "xml":
        assert body.tag == "service_definition"
        assert [child.tag for child in body] == ["service_code", "attributes"]
        assert body.findtext("service_code") == "0301" and list(body.find("attributes")) == []
    else:
        assert body == {"service_code": "0301", "attributes": []}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("code", ["9999", "03", "0501"])  # unknown, a whole class, a hidden class's subclass
def test_unknown_service_is_404_in_the_spec_error_format(client, fmt, code):
    response = client.get(f"/open311/v2/services/{code}.{fmt}")
    assert response.status_code == 404
    [(status, description)] = errors(response, fmt)
    assert status == 404
    assert description.startswith("service_code：") and code in description and "未知的服务" in description


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", ["services", "services/0301", "requests", "requests/SJ1", "tokens/SJ1"])
def test_an_unknown_jurisdiction_is_404_and_ours_is_accepted(client, fmt, path):
    response = client.get(f"/open311/v2/{path}.{fmt}", {"jurisdiction_id": "city.gov"})
    assert response.status_code == 404
    [(status, description)] = errors(response, fmt)
    assert status == 404 and "jurisdiction_id" in description and "city.gov" in description
    assert "440306.gridgov" in description
    if path in ("services", "services/0301", "requests"):
        assert client.get(f"/open311/v2/{path}.{fmt}", {"jurisdiction_id": "440306.gridgov"}).status_code == 200


def test_the_jurisdiction_is_a_setting(client, settings):
    settings.GRIDGOV_OPEN311_JURISDICTION = "city.gov"
    assert client.get("/open311/v2/services.json", {"jurisdiction_id": "city.gov"}).status_code == 200
    assert client.get("/open311/v2/services.json", {"jurisdiction_id": "440306.gridgov"}).status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_other_methods_are_refused_in_the_error_format(fmt):
    api = Client(enforce_csrf_checks=True)
    for response in (api.post(f"/open311/v2/services.{fmt}"), api.delete(f"/open311/v2/requests.{fmt}")):
        assert response.status_code == 405 and "GET" in response["Allow"]
        assert errors(response, fmt)[0][0] == 405


def test_other_formats_do_not_exist(client):
    assert client.get("/open311/v2/services.csv").status_code == 404
    assert client.get("/open311/v2/services").status_code == 404
