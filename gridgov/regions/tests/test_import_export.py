"""GeoJSON import (every bad feature reported, nothing half-loaded, re-import changes nothing) and export."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from gridgov.regions import io as territory_io
from gridgov.regions.models import Region, RegionVersion
from gridgov.regions.tests.helpers import square

pytestmark = pytest.mark.django_db


def _fc(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def _feature(code, name, level, parent, geometry, **props):
    return {"type": "Feature", "geometry": geometry,
            "properties": {"code": code, "name": name, "level": level, "parent": parent, **props}}


GOOD = _fc(
    _feature("980000", "导入区", "district", None, square(120.1, 30.1, 120.12, 30.12)),
    _feature("980000001", "导入街道", "street", "980000", square(120.1, 30.1, 120.12, 30.12)),
    _feature("980000001001", "导入社区", "community", "980000001", square(120.1, 30.1, 120.12, 30.12)),
    _feature("980000001001001", "一格", "grid", "980000001001", square(120.1, 30.1, 120.11, 30.12), households=350),
    _feature("980000001001002", "二格", "grid", "980000001001", square(120.11, 30.1, 120.12, 30.12), households="410"),
)


def test_import_creates_the_tree_and_reimport_changes_nothing():
    result = territory_io.territory_import(actor=None, raw=json.dumps(GOOD))
    assert result.errors == [] and len(result.created) == 5
    assert Region.objects.get(code="980000001001002").households == 410
    versions = RegionVersion.objects.count()
    again = territory_io.territory_import(actor=None, raw=json.dumps(GOOD).encode())
    assert again.errors == [] and again.created == [] and again.updated == [] and len(again.unchanged) == 5
    assert RegionVersion.objects.count() == versions


def test_every_bad_feature_is_reported_and_nothing_is_loaded():
    bad = _fc(
        GOOD["features"][0],
        _feature("980000001", "", "street", "980000", square(120.1, 30.1, 120.12, 30.12)),           # 1: no name
        _feature("980000001001", "社区", "village", "980000001", square(120.1, 30.1, 120.12, 30.12)),  # 2: level
        _feature("980000001001001", "一格", "grid", "999999999999", square(120.1, 30.1, 120.11, 30.12)),  # 3
        _feature("980000001001002", "二格", "grid", "980000001001", {"type": "Point", "coordinates": [121, 31]}),  # 4
        _feature("980000001001003", "三格", "grid", "980000001001", square(120.1, 30.1, 120.11, 30.12),
                 households=-3),                                                                     # 5
        _feature("980000", "重复", "district", None, square(120.1, 30.1, 120.12, 30.12)),            # 6: dup code
        {"type": "Feature", "geometry": None, "properties": {"code": "980000001001004", "name": "x",
                                                              "level": "grid", "parent": "980000001001"}},  # 7
    )
    before = Region.objects.count()
    result = territory_io.territory_import(actor=None, raw=json.dumps(bad))
    got = {(e["index"], e["field"]) for e in result.errors}
    assert got == {(1, "name"), (2, "level"), (3, "parent"), (4, "geometry"), (5, "households"), (6, "code"),
                   (7, "geometry")}
    assert all(e["message"] for e in result.errors)
    assert Region.objects.count() == before


@pytest.mark.parametrize("raw,fragment", [
    (b"{not json", "JSON"),
    (json.dumps({"type": "Feature"}), "FeatureCollection"),
    (json.dumps(_fc()), "没有"),
])
def test_a_file_that_is_not_a_feature_collection_is_refused(raw, fragment):
    from gridgov.common.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        territory_io.territory_import(actor=None, raw=raw)
    assert fragment in str(exc.value.message) and exc.value.field == "file"


def test_changed_boundary_on_reimport_becomes_a_dated_version():
    import datetime as dt

    territory_io.territory_import(actor=None, raw=json.dumps(GOOD), effective_date=dt.date(2024, 1, 1))
    changed = json.loads(json.dumps(GOOD))
    changed["features"][3]["properties"]["households"] = 360
    result = territory_io.territory_import(actor=None, raw=json.dumps(changed), effective_date=dt.date(2025, 1, 1))
    assert result.updated == ["980000001001001"] and len(result.unchanged) == 4
    grid = Region.objects.get(code="980000001001001")
    assert [v.households for v in grid.versions.order_by("valid_from")] == [350, 360]


def test_dry_run_checks_and_loads_nothing():
    result = territory_io.territory_import(actor=None, raw=json.dumps(GOOD), dry_run=True)
    assert result.errors == [] and len(result.created) == 5
    assert not Region.objects.filter(code__startswith="980000").exists()


def test_export_round_trips_through_import(tmp_path):
    territory_io.territory_import(actor=None, raw=json.dumps(GOOD))
    exported = territory_io.territory_export(regions=Region.objects.filter(code__startswith="980000"))
    assert [f["properties"]["code"] for f in exported["features"]][:2] == ["980000", "980000001"]
    result = territory_io.territory_import(actor=None, raw=json.dumps(exported))
    assert result.errors == [] and len(result.unchanged) == 5


def test_cli_import_reports_bad_features(tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(_fc(_feature("97", "", "district", None, square(0, 0, 1, 1)))), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 bad features"):
        call_command("grids", "import", str(path), stderr=err)
    assert "feature 0" in err.getvalue() and "name" in err.getvalue()
    good = tmp_path / "good.geojson"
    good.write_text(json.dumps(GOOD), encoding="utf-8")
    out = io.StringIO()
    call_command("grids", "import", str(good), stdout=out)
    assert "5 created" in out.getvalue()


def test_layer_import_refuses_a_merged_grid_that_splits_a_base_grid(as_user):
    territory_io.territory_import(actor=None, raw=json.dumps(GOOD))
    fc = _fc({"type": "Feature", "geometry": square(120.1, 30.1, 120.115, 30.12),
              "properties": {"code": "IMP-1", "name": "跨格"}},
             {"type": "Feature", "geometry": None, "properties": {"code": "IMP-2", "name": "整格",
                                                                  "members": "980000001001002"}})
    client = as_user("sysadmin")
    response = client.post("/api/v1/layers/duowang/import", data=json.dumps(fc), content_type="application/json")
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["index"], e["code"]) for e in errors] == [(0, "IMP-1")]
    assert "980000001001002" in errors[0]["message"]


def test_api_import_upload(as_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = as_user("sysadmin")
    upload = SimpleUploadedFile("grids.geojson", json.dumps(GOOD).encode(), content_type="application/geo+json")
    response = client.post("/api/v1/regions/import", {"file": upload})
    assert response.status_code == 200 and response.json()["created"] == 5
    export = client.get("/api/v1/regions/export?root=980000")
    assert export.status_code == 200
    assert len(export.json()["features"]) == 5


def test_a_refused_change_rolls_back_the_new_regions_of_the_same_file():
    import datetime as dt

    territory_io.territory_import(actor=None, raw=json.dumps(GOOD), effective_date=dt.date(2025, 1, 1))
    changed = json.loads(json.dumps(GOOD))
    changed["features"][3]["properties"]["households"] = 999  # dated before its current state: refused
    changed["features"].append(_feature("980000001001003", "三格", "grid", "980000001001",
                                        square(120.1, 30.1, 120.105, 30.105)))
    result = territory_io.territory_import(actor=None, raw=json.dumps(changed), effective_date=dt.date(2024, 6, 1))
    assert [(e["index"], e["code"], e["field"]) for e in result.errors] == [(3, "980000001001001", "effective_date")]
    assert result.created == [] and result.updated == []
    assert not Region.objects.filter(code="980000001001003").exists()
    assert Region.objects.get(code="980000001001001").households == 350
