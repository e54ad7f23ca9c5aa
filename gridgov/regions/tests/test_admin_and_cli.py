"""The admin's GeoJSON import page and the gridgov console command."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from gridgov.regions.models import Region
from gridgov.regions.tests.helpers import square
from gridgov.regions.tests.test_import_export import GOOD, _fc, _feature

pytestmark = pytest.mark.django_db


def _upload(data) -> SimpleUploadedFile:
    return SimpleUploadedFile("grids.geojson", json.dumps(data).encode(), content_type="application/geo+json")


def test_admin_import_page_loads_a_good_file(as_user):
    client = as_user("sysadmin")
    assert client.get("/admin/regions/region/import/").status_code == 200
    response = client.post("/admin/regions/region/import/", {"file": _upload(GOOD), "effective_date": "2026-01-01"},
                           follow=True)
    assert response.status_code == 200
    assert Region.objects.filter(code__startswith="980000").count() == 5
    assert "5" in response.content.decode()


def test_admin_import_page_lists_bad_features_and_loads_nothing(as_user):
    bad = _fc(GOOD["features"][0], _feature("980000001", "街道", "street", "nope", square(120.1, 30.1, 120.12, 30.12)))
    response = as_user("sysadmin").post("/admin/regions/region/import/",
                                        {"file": _upload(bad), "effective_date": "2026-01-01"})
    page = response.content.decode()
    assert response.status_code == 200 and "nope" in page and "<td>1</td>" in page
    assert not Region.objects.filter(code__startswith="980000").exists()


def test_only_the_system_administrator_reaches_the_import_page(as_user):
    assert as_user("secadmin").get("/admin/regions/region/import/").status_code == 403  # not their work (三员)
    assert as_user("dispatcher").get("/admin/regions/region/import/").status_code == 302  # to the admin login


def test_demo_command_leaves_an_existing_territory_alone():
    out = io.StringIO()
    before = Region.objects.count()
    call_command("demo", if_empty=True, stdout=out)
    assert "already" in out.getvalue() and Region.objects.count() == before


def test_grids_validate_and_export_commands(tmp_path):
    out = io.StringIO()
    call_command("grids", "validate", stdout=out)
    assert "regions checked" in out.getvalue() and "[size]" in out.getvalue()
    target = tmp_path / "export.geojson"
    call_command("grids", "export", "--level", "street", "-o", str(target), stderr=io.StringIO())
    data = json.loads(target.read_text(encoding="utf-8"))
    assert {f["properties"]["level"] for f in data["features"]} == {"street"}
    assert len(data["features"]) == Region.objects.filter(level="street").count()


def test_console_script_prints_help(capsys):
    from gridgov.cli import main

    main(["--help"])
    assert "gridgov serve" in capsys.readouterr().out


def test_admin_layer_import_refuses_a_merged_grid_that_splits_a_base_grid(as_user):
    from gridgov.regions import io as territory_io
    from gridgov.regions.models import Layer, LayerGrid

    territory_io.territory_import(actor=None, raw=json.dumps(GOOD))
    merged = Layer.objects.get(code="duowang")
    client = as_user("sysadmin")
    assert client.get("/admin/regions/layergrid/import/").status_code == 200
    splitting = _fc({"type": "Feature", "geometry": square(120.1, 30.1, 120.115, 30.12),
                     "properties": {"code": "ADM-1", "name": "跨格"}})
    page = client.post("/admin/regions/layergrid/import/", {"layer": merged.pk, "file": _upload(splitting)})
    assert page.status_code == 200 and "980000001001002" in page.content.decode()
    assert not LayerGrid.objects.filter(code="ADM-1").exists()
    whole = _fc({"type": "Feature", "geometry": None,
                 "properties": {"code": "ADM-2", "name": "整格", "members": ["980000001001001"]}})
    client.post("/admin/regions/layergrid/import/", {"layer": merged.pk, "file": _upload(whole)})
    assert LayerGrid.objects.get(code="ADM-2").memberships.get().region.code == "980000001001001"
    assert as_user("secadmin").get("/admin/regions/layergrid/import/").status_code == 403
