"""What the pages answer to input they will not take — a search of 50,000 characters, a NUL character, a body over
the size limit, an unknown page, an expired form — in the user's language, never a 500 nor Django's English page.
The API's side is in gridgov/tests/test_api_error_bodies.py."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

LONG = "井" * 50_000


@pytest.mark.parametrize(("persona", "url"), [
    ("dispatcher", "/cases/?q=" + LONG),
    ("dispatcher", "/regions/?q=" + LONG),
    ("worker_a", "/visits/targets/?q=" + LONG),
])
def test_a_50000_character_search_says_it_is_too_long(as_user, persona, url):
    """It used to reach the database (SQLite: "LIKE pattern too complex", a 500), then was silently dropped."""
    response = as_user(persona).get(url)
    assert response.status_code == 200
    text = response.content.decode()
    assert "搜索：最多 64 个字符（您输入了 50000 个），请缩短后再搜索。" in text
    assert "下面的列表未按它筛选。" in text


def test_the_registry_search_says_it_is_too_long(as_user):
    response = as_user("community").post("/registry/", {"q": LONG})
    assert response.status_code == 200
    assert "搜索：最多 64 个字符（您输入了 50000 个），请缩短后再搜索。" in response.content.decode()


def test_the_search_boxes_tell_the_browser_their_limit(as_user):
    for persona, url in [("dispatcher", "/cases/"), ("dispatcher", "/regions/"), ("community", "/registry/")]:
        assert 'name="q" value="" maxlength="64"' in as_user(persona).get(url).content.decode()


@pytest.mark.parametrize(("method", "url", "data", "field"), [
    ("get", "/cases/?q=%E4%BA%95%00", None, "q"),
    ("get", "/disputes/?q=a%00b", None, "q"),
    ("post", "/registry/", {"q": "王\x00"}, "q"),
    ("post", "/disputes/new/", {"kind": "neighbour", "summary": "纠纷\x00", "grid": "1"}, "summary"),
])
def test_a_nul_character_gets_a_clear_page(as_user, method, url, data, field):
    """PostgreSQL cannot store NUL: a 500 there. Now a 400 page naming the field, and nothing is written."""
    from gridgov.disputes.models import Dispute

    persona = "worker_a" if "disputes" in url else "community"
    client = as_user(persona)
    client.raise_request_exception = False
    before = Dispute.objects.count()
    response = client.get(url) if method == "get" else client.post(url, data)
    assert response.status_code == 400
    text = response.content.decode()
    assert f"{field}：文本中不能含有空字符（\\x00）。" in text and "无法处理该请求" in text
    assert Dispute.objects.count() == before


def test_a_form_over_the_size_limit_gets_a_chinese_413_page(as_user, settings):
    """Django answered its English "Bad Request (400)" page."""
    from gridgov.disputes.models import Dispute

    client = as_user("worker_a")
    body = {"kind": "neighbour", "summary": "长" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 3 + 10), "grid": "1"}
    before = Dispute.objects.count()
    response = client.post("/disputes/new/", body)
    assert response.status_code == 413
    text = response.content.decode()
    assert "内容过大" in text and "请求体超过 2.5 MB" in text
    assert Dispute.objects.count() == before


def test_an_unknown_page_is_a_chinese_404(as_user):
    response = as_user("dispatcher").get("/no-such-page/")
    assert response.status_code == 404
    assert "没有这个页面，或它不在您的管辖范围内。" in response.content.decode()


def test_an_expired_form_gets_a_chinese_403():
    from gridgov.accounts.models import User

    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="worker_a"))
    response = client.post("/disputes/new/", {"kind": "neighbour"})
    assert response.status_code == 403
    assert "表单已过期（安全校验未通过）" in response.content.decode()


def test_a_server_error_is_a_chinese_page_and_json_under_the_api(as_user, monkeypatch):
    from gridgov.events import views

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.selectors, "queue_counts", boom)
    client = as_user("dispatcher")
    client.raise_request_exception = False
    response = client.get("/cases/")
    assert response.status_code == 500 and "服务器出错，已记录。请稍后再试。" in response.content.decode()

    from gridgov.events import api

    monkeypatch.setattr(api.selectors, "queue_counts", boom)
    response = client.get("/api/v1/events/queues")
    assert response.status_code == 500
    assert response.json() == {"code": "server_error", "message": "服务器出错，已记录。请稍后再试。"}
