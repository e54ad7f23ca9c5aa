"""The citizen's report is a Django form: each bad field gets its Chinese message next to it, what was typed stays
on the page, and nothing is written."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gridgov.events.models import Event
from gridgov.events.tests.conftest import jpeg

pytestmark = pytest.mark.django_db



def _errors(response) -> dict[str, str]:
    return dict(re.findall(r'data-error-for="([^"]+)">([^<]*)<', response.content.decode()))


@pytest.mark.parametrize(("fields", "field", "word"), [
    ({"category": ""}, "category", "问题"),
    ({"category": "0501"}, "category", "问题"),  # a key-person class is not for citizens
    ({"description": ""}, "description", "描述"),
    ({"description": "长" * 2001}, "description", "2000"),
    ({"phone": "call me"}, "phone", "电话"),
    ({"name": "名" * 65}, "name", "64"),
    ({"lon": "1e999", "lat": "22.6"}, "lon", "数"),
    ({"photos": [SimpleUploadedFile(f"p{i}.jpg", jpeg(), "image/jpeg") for i in range(4)]}, "photos", "3"),
    ({"photos": SimpleUploadedFile("x.jpg", b"%PDF-1.4 not an image", "image/jpeg")}, "photos", "图片"),
])
def test_each_bad_field_is_named_in_chinese(grid_a, fields, field, word):
    before = Event.objects.count()
    data = {"category": "E101", "description": "楼下垃圾桶满了没人清", "name": "王先生", **fields}
    response = Client().post(f"/q/{grid_a.code}/", data)
    assert response.status_code == 422
    errors = _errors(response)
    assert list(errors) == [field], errors
    assert word in errors[field] and re.search(r"[\u4e00-\u9fff]", errors[field]), errors
    assert Event.objects.count() == before
    if field != "name":
        assert "王先生" in response.content.decode()  # what was typed stays


def test_the_category_list_groups_items_under_their_class(grid_a):
    html = Client().get(f"/q/{grid_a.code}/").content.decode()
    assert "<optgroup" in html and 'value="E101"' in html and 'value="0501"' not in html
