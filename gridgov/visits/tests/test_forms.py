"""The visit form is a Django form: each bad field gets its message in Chinese next to it and nothing is written;
the log's and the form's ids in the address are checked like the API's."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.events.tests.conftest import jpeg
from gridgov.visits.models import Visit
from gridgov.visits.tests import factories as f

pytestmark = pytest.mark.django_db


def _errors(response) -> dict[str, str]:
    return dict(re.findall(r'data-error-for="([^"]+)">([^<]*)<', response.content.decode()))


@pytest.mark.parametrize(("data", "field"), [
    ({}, "target"),
    ({"target": "person:99999999999999999999"}, "target"),
    ({"target": "planet:1"}, "target"),
    ({"target": "{target}", "visited_at": "0001-01-01T00:00"}, "visited_at"),
    ({"target": "{target}", "visited_at": "yesterday"}, "visited_at"),
    ({"target": "{target}", "visited_at": "2099-01-01T10:00"}, "visited_at"),  # the service: in the future
    ({"target": "{target}", "purpose": "gossip"}, "purpose"),
    ({"target": "{target}", "lon": "113.85"}, "lon"),
    ({"target": "{target}", "lon": "1e999", "lat": "22.6"}, "lon"),
    ({"target": "{target}", "findings": "x" * 2001}, "findings"),
])
def test_each_bad_field_is_named_and_nothing_is_written(as_user, grid_a, data, field):
    person = f.person(grid_a)
    data = {k: v.format(target=f"person:{person.pk}") for k, v in data.items()}
    before = Visit.objects.count()
    response = as_user("worker_a").post("/visits/new/", data)
    assert response.status_code == 422
    errors = _errors(response)
    assert list(errors) == [field], errors
    assert re.search(r"[\u4e00-\u9fff]", errors[field]), errors  # in Chinese
    assert Visit.objects.count() == before


def test_too_many_photos_are_refused_on_the_photos_field(as_user, grid_a):
    person = f.person(grid_a)
    photos = [SimpleUploadedFile(f"p{i}.jpg", jpeg(), "image/jpeg") for i in range(10)]
    response = as_user("worker_a").post("/visits/new/", {"target": f"person:{person.pk}", "photos": photos})
    assert response.status_code == 422 and list(_errors(response)) == ["photos"]
    assert not Visit.objects.filter(person=person).exists()


def test_a_refused_form_keeps_what_was_typed(as_user, grid_a):
    person = f.person(grid_a, "保留对象")
    response = as_user("worker_a").post("/visits/new/", {"target": f"person:{person.pk}", "findings": "门口堆物",
                                                         "visited_at": "2099-01-01T10:00", "client_key": "keep-1"})
    html = response.content.decode()
    assert response.status_code == 422 and "门口堆物" in html and 'value="keep-1"' in html
    assert "保留对象" in html and f'value="person:{person.pk}" checked' in html


@pytest.mark.parametrize("value", ["abc", "-1", "0", str(2**63)])
def test_ids_in_the_address_that_cannot_be_ids_are_not_found(as_user, value):
    client = as_user("worker_a")
    assert client.get(f"/visits/?person={value}").status_code == 404
    assert client.get(f"/visits/new/?household={value}").status_code == 404
    assert as_user("community").get(f"/visits/overdue/?worker={value}").status_code == 404
