"""The QR code printed on a grid's notice board points at GRIDGOV_PUBLIC_BASE_URL, whatever address the staff member
opened the page with (an intranet IP, localhost …); unset, the page falls back to that address and says so."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import settings as project_settings
from gridgov.events.citizen import qr_svg

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def grid_a(db):
    from gridgov.accounts.models import User

    return User.objects.get(username="worker_a").grids.get()


def test_the_printed_code_uses_the_public_address(grid_a, as_user, settings):
    settings.GRIDGOV_PUBLIC_BASE_URL = "https://grid.example.gov.cn"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "10.20.1.7"]
    page = as_user("worker_a").get(f"/regions/{grid_a.pk}/notice/", HTTP_HOST="10.20.1.7:8000")
    body = page.content.decode()
    public = f"https://grid.example.gov.cn/q/{grid_a.code}/"
    assert page.status_code == 200
    assert qr_svg(public) in body and public in body  # the code and the address printed under it
    assert "10.20.1.7" not in body and 'id="notice-host-warning"' not in body


def test_unset_the_code_uses_this_address_and_the_page_warns(grid_a, as_user, settings):
    settings.GRIDGOV_PUBLIC_BASE_URL = ""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "10.20.1.7"]
    body = as_user("worker_a").get(f"/regions/{grid_a.pk}/notice/", HTTP_HOST="10.20.1.7:8000").content.decode()
    here = f"http://10.20.1.7:8000/q/{grid_a.code}/"
    assert qr_svg(here) in body
    warning = body[body.index('id="notice-host-warning"'):]
    warning = warning[:warning.index("</p>")]
    assert "10.20.1.7:8000" in warning and "GRIDGOV_PUBLIC_BASE_URL" in warning and "no-print" in body


@pytest.mark.parametrize("raw, expected", [
    (None, ""), ("", ""), ("https://grid.example.gov.cn", "https://grid.example.gov.cn"),
    ("https://grid.example.gov.cn/", "https://grid.example.gov.cn"),
    (" http://10.1.2.3:8080/gridgov/ ", "http://10.1.2.3:8080/gridgov"),
])
def test_the_setting_is_read_strictly(monkeypatch, raw, expected):
    monkeypatch.delenv("GRIDGOV_PUBLIC_BASE_URL", raising=False)
    if raw is not None:
        monkeypatch.setenv("GRIDGOV_PUBLIC_BASE_URL", raw)
    assert project_settings.public_base_url() == expected


@pytest.mark.parametrize("raw", ["grid.example.gov.cn", "ftp://grid.example.gov.cn", "https://", "https:///q/",
                                 "https://grid.example.gov.cn/?x=1", "https://grid.example.gov.cn/#top",
                                 "https://user:pw@grid.example.gov.cn"])
def test_a_bad_address_stops_the_start_up(monkeypatch, raw):
    monkeypatch.setenv("GRIDGOV_PUBLIC_BASE_URL", raw)
    with pytest.raises(ImproperlyConfigured, match="GRIDGOV_PUBLIC_BASE_URL"):
        project_settings.public_base_url()


def test_the_server_does_not_start_with_a_bad_address():
    env = {**os.environ, "GRIDGOV_PUBLIC_BASE_URL": "grid.example.gov.cn", "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0 and "GRIDGOV_PUBLIC_BASE_URL='grid.example.gov.cn' is not an http(s) URL" in done.stderr
