"""Real headless Chromium on forms that refuse what was typed: the message names each field by the label the user
reads (never the API's English field name), lists every problem, and nothing typed is lost."""

import pytest

from gridgov.web.tests.conftest import login, shot
from gridgov.web.tests.test_case_loop import _click_lonlat

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport,tag", [((1366, 768), "desktop"), ((390, 844), "phone")])
def test_the_report_page_names_every_bad_field_by_its_label(demo_live_server, page_for, viewport, tag):
    from gridgov.accounts.models import User
    from gridgov.events.models import Event

    base = demo_live_server.url
    grid = User.objects.get(username="worker_a").grids.get()
    target = grid.children.order_by("code").first() or grid
    before = Event.objects.count()
    page = page_for(viewport)
    login(page, base, "worker_a")
    page.goto(f"{base}/cases/new/")
    page.wait_for_function("document.getElementById('map').dataset.ready === '1'", timeout=15000)
    _click_lonlat(page, "__gridgovReportMap", target.centroid_lon, target.centroid_lat)
    page.wait_for_function("document.getElementById('where').textContent.includes('网格')")
    page.click("#report button[type=submit]")  # no category, no description
    error = page.locator("#report-error")
    error.wait_for()
    text = error.inner_text()
    assert "类别" in text and "问题描述" in text, text  # both problems, by their labels
    assert "category" not in text and "description" not in text, text
    shot(page, f"report-errors-{tag}")
    assert Event.objects.count() == before
    assert page.errors == []


@pytest.mark.parametrize("viewport,tag", [((1366, 768), "desktop"), ((390, 844), "phone")])
def test_anomaly_evidence_reads_as_a_table_and_positions_open_the_map(demo_live_server, page_for, viewport, tag):
    """The demo's impossible-speed anomaly: a table in Chinese with local times and units; a jump's start point
    opens the map there, marked, with the place named."""
    from gridgov.fieldwork.models import Anomaly

    base = demo_live_server.url
    anomaly = Anomaly.objects.filter(kind="impossible_speed").first()
    page = page_for(viewport)
    login(page, base, "dispatcher")
    page.goto(f"{base}/anomalies/{anomaly.pk}/")
    table = page.locator("table.evidence-table")
    assert table.locator("tr").count() >= 3
    text = table.inner_text()
    assert "跳变次数" in text and "km/h" in text and "max_kmh" not in text and "+00:00" not in text
    shot(page, f"anomaly-evidence-{tag}")
    page.locator("table.evidence-table a", has_text="起点").first.click()
    page.wait_for_function("location.pathname === '/map/'")
    page.wait_for_function("document.querySelector('.leaflet-pin-pane canvas, .leaflet-pin-pane path') !== null")
    page.wait_for_function("document.querySelector('#place h3') !== null")
    shot(page, f"anomaly-evidence-map-{tag}")
    assert page.errors == []


@pytest.mark.parametrize("viewport,tag", [((1366, 768), "desktop"), ((390, 844), "phone")])
def test_registering_a_dispute_with_a_bad_phone_or_no_party_keeps_what_was_typed(demo_live_server, page_for,
                                                                                  viewport, tag):
    """Issue 9.5.1: an invalid phone, then no party at all — each time the form comes back with a Chinese message
    next to the field and in the summary, everything typed kept (the parties' rows too), nothing saved."""
    from gridgov.disputes.models import Dispute

    base = demo_live_server.url
    before = Dispute.objects.count()
    page = page_for(viewport)
    login(page, base, "worker_a")
    page.goto(f"{base}/disputes/new/")
    page.select_option("#id_kind", "neighbour")
    page.fill("#id_summary", "楼上漏水，双方对维修费用有争议")
    page.fill("#id_party_name_0", "赵六")
    page.fill("#id_party_phone_0", "138-abc")
    page.select_option("#id_party_role_1", "respondent")
    page.fill("#id_party_name_1", "钱七")
    page.click("#dispute-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Server Error" not in page.content()
    assert "电话" in page.locator("[data-error-for=party_phone_0]").inner_text()
    assert "当事人 1 电话" in page.locator(".form-errors").inner_text()
    assert page.input_value("#id_summary") == "楼上漏水，双方对维修费用有争议"
    assert page.input_value("#id_kind") == "neighbour"
    assert (page.input_value("#id_party_name_0"), page.input_value("#id_party_phone_0")) == ("赵六", "138-abc")
    assert (page.input_value("#id_party_role_1"), page.input_value("#id_party_name_1")) == ("respondent", "钱七")
    shot(page, f"dispute-bad-phone-{tag}")

    for i in (0, 1):  # no party at all
        page.fill(f"#id_party_name_{i}", "")
        page.fill(f"#id_party_phone_{i}", "")
    page.click("#dispute-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "当事人" in page.locator("[data-error-for=party_name_0]").inner_text()
    assert page.input_value("#id_summary") == "楼上漏水，双方对维修费用有争议"
    shot(page, f"dispute-no-party-{tag}")
    assert Dispute.objects.count() == before

    page.fill("#id_party_name_0", "赵六")  # corrected: registered once
    page.click("#dispute-form button[type=submit]")
    page.wait_for_url("**/disputes/*/")
    assert Dispute.objects.count() == before + 1
    assert page.errors == []
