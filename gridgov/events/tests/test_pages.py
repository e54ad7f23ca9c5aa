"""The case pages: queues per role, the queue map, the dispatcher's channels on the report form, the case page."""

import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def running_case(grid_a):
    from gridgov.accounts.models import User
    from gridgov.events.services import Report, event_report

    return event_report(actor=User.objects.get(username="street_dispatcher"), report=Report(
        category_code="0401", description="页面测试纠纷", lon=grid_a.centroid_lon, lat=grid_a.centroid_lat,
        channel="police_110", external_id="110-778899"))


@pytest.mark.parametrize("persona,first_tab", [("street_dispatcher", "to_accept"), ("police", "to_sign"),
                                               ("worker_a", "to_verify"), ("leader", "open")])
def test_each_role_gets_its_queues(as_user, running_case, persona, first_tab):
    page = as_user(persona).get("/cases/")
    body = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert f'data-queue="{first_tab}"' in body.split('class="tabs"')[1].split("</nav>")[0].split("</a>")[0]


def test_the_queue_map_lists_the_cases_of_the_page(as_user, running_case, user):
    from gridgov.events.selectors import event_list

    body = as_user("street_dispatcher").get("/cases/?queue=open").content.decode()
    markers = json.loads(body.split('id="queue-markers" type="application/json">')[1].split("</script>")[0])
    page = list(event_list(user=user("street_dispatcher"), queue="open")[:30])  # the demo's open cases too
    assert [m["number"] for m in markers] == [e.number for e in page] and len(page) > 1
    assert markers[0]["number"] == running_case.number and markers[0]["lon"] == running_case.lon  # the newest
    second = as_user("street_dispatcher").get(f"/cases/?queue=open&q={running_case.number}").content.decode()
    found = json.loads(second.split('id="queue-markers" type="application/json">')[1].split("</script>")[0])
    assert [m["number"] for m in found] == [running_case.number]  # a search narrows the map with the list


def test_dispatchers_choose_the_channel_workers_do_not(as_user):
    dispatcher = as_user("street_dispatcher").get("/cases/new/").content.decode()
    assert 'name="channel"' in dispatcher and 'value="police_110"' in dispatcher
    worker = as_user("worker_a").get("/cases/new/").content.decode()
    assert 'name="channel"' not in worker
    assert as_user("police").get("/cases/new/").status_code == 404  # departments do not report


def test_case_page_shows_source_holder_and_allowed_moves(as_user, running_case):
    body = as_user("street_dispatcher").get(f"/cases/{running_case.pk}/").content.decode()
    assert "110-778899" in body and running_case.lead_department.name in body
    assert 'data-action="supervise"' in body and 'data-action="verify"' not in body
    assert as_user("worker_b").get(f"/cases/{running_case.pk}/").status_code == 404
