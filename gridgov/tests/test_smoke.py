def test_demo_territory_is_loaded(db):
    from gridgov.regions.models import Region

    assert Region.objects.filter(level="district").count() == 1
    assert Region.objects.filter(level="grid", status="active").count() >= 20
