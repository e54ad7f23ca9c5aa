"""Every change made in the admin is audited field by field (gridgov.common.admin_site.AuditedAdminMixin).

Each test drives real admin POSTs as the administrator whose work it is and asserts exactly the audit rows written:
the action, the object, who, from where, and each changed field's value before and after, with secrets masked.
"""

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from gridgov.accounts.models import Department, User
from gridgov.common.admin_site import AuditedAdminMixin, RoleInlineMixin
from gridgov.common.audit import MASK
from gridgov.common.masking import mask_phone
from gridgov.common.models import AuditLog, CalendarDay, OutboxMessage
from gridgov.events.models import Category, Route
from gridgov.regions.models import Region
from gridgov.registry.models import Tag

pytestmark = pytest.mark.django_db


def test_every_model_admin_uses_the_audited_base():
    """A ModelAdmin registered tomorrow is covered the day it is added: it must be built on the audited base (which
    also carries the role permissions), its inlines must take the parent's permissions, and it must be somebody's
    work (a model nobody may open has no business in the admin)."""
    assert admin.site._registry, "the admin site has no models"
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        assert isinstance(model_admin, AuditedAdminMixin), f"{label}: {type(model_admin).__name__} is not audited"
        for inline in model_admin.inlines:
            assert issubclass(inline, RoleInlineMixin), f"{label}: inline {inline.__name__} has its own permissions"
        assert model_admin.view_roles | model_admin.edit_roles, f"{label}: nobody may open it"


# --- helpers -------------------------------------------------------------------------------------------------------

def mark() -> int:
    return AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def rows_since(since: int) -> list[AuditLog]:
    return list(AuditLog.objects.filter(pk__gt=since).order_by("pk"))


def label(obj) -> str:
    return f"{obj} (#{obj.pk})"


def account(user: User) -> str:
    """How the audit names an account: as the admin does, and by the username people search for."""
    assert user.full_name
    return f"{user.full_name} ({user.username})"


def user_form(user: User, **changes) -> dict:
    data = {"username": user.username, "full_name": user.full_name, "phone": user.phone,
            "employment": user.employment, "role": user.role, "region": user.region_id or "",
            "department": user.department_id or "", "grids": [g.pk for g in user.grids.all()],
            "is_active": user.is_active}
    data.update(changes)
    if not data.pop("is_active"):
        return data
    return {**data, "is_active": "on"}


def user_url(user: User) -> str:
    return f"/admin/accounts/user/{user.pk}/change/"


# --- accounts (the security administrator) -------------------------------------------------------------------------

def test_a_role_change_is_audited_with_before_and_after(as_user):
    worker = User.objects.get(username="worker_b")
    client = as_user("secadmin")
    since = mark()

    response = client.post(user_url(worker), user_form(worker, role="grid_leader"))

    assert response.status_code == 302, response.content.decode()[:3000]
    [row] = rows_since(since)
    assert (row.action, row.object_type, row.object_id) == ("admin.change", "accounts.user", str(worker.pk))
    assert (row.actor.username, row.actor_name, row.ip, row.outcome) == ("secadmin", "secadmin", "127.0.0.1",
                                                                         "success")
    assert row.detail == {"object": account(worker),
                          "changes": {"role": {"before": "grid_worker", "after": "grid_leader"}}}


def test_a_password_reset_is_audited_without_the_hash(as_user):
    worker = User.objects.get(username="worker_a")
    old_hash = worker.password
    client = as_user("secadmin")
    since = mark()

    response = client.post(f"/admin/accounts/user/{worker.pk}/password/",
                           {"password1": "a-Long-passw0rd-2026", "password2": "a-Long-passw0rd-2026"})

    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.check_password("a-Long-passw0rd-2026")
    [row] = rows_since(since)
    assert (row.action, row.object_type, row.object_id, row.actor_name) == (
        "admin.password_change", "accounts.user", str(worker.pk), "secadmin")
    assert row.detail == {"object": account(worker), "changes": {"password": {"before": MASK, "after": MASK}}}
    text = json.dumps(row.detail)
    assert old_hash not in text and worker.password not in text and "pbkdf2" not in text


def test_a_refused_password_changes_nothing_and_writes_nothing(as_user):
    worker = User.objects.get(username="worker_a")
    client = as_user("secadmin")
    since = mark()

    response = client.post(f"/admin/accounts/user/{worker.pk}/password/",
                           {"password1": "a-Long-passw0rd-2026", "password2": "another-passw0rd-2026"})

    assert response.status_code == 200  # the form again, with the error
    worker.refresh_from_db()
    assert worker.check_password("gridgov-demo-2026")
    assert rows_since(since) == []


def test_a_change_of_grids_is_audited_as_lists_of_grids(as_user):
    worker = User.objects.get(username="worker_b")
    before = list(worker.grids.order_by("pk"))
    extra = Region.objects.filter(level="grid", status="active").exclude(pk__in=[g.pk for g in before]) \
        .order_by("code").first()
    client = as_user("secadmin")
    since = mark()

    response = client.post(user_url(worker), user_form(worker, grids=[*[g.pk for g in before], extra.pk]))

    assert response.status_code == 302
    assert set(worker.grids.all()) == {*before, extra}
    [row] = rows_since(since)
    after = sorted([*before, extra], key=lambda g: g.pk)
    assert row.detail["changes"] == {"grids": {"before": [label(g) for g in before],
                                               "after": [label(g) for g in after]}}


def test_a_change_of_org_unit_and_department_names_both_ends(as_user):
    worker = User.objects.get(username="worker_b")
    department = Department.objects.order_by("code").first()
    new_region = Region.objects.filter(level="community").exclude(pk=worker.region_id).order_by("code").first()
    old_region = worker.region
    client = as_user("secadmin")
    since = mark()

    response = client.post(user_url(worker), user_form(worker, region=new_region.pk, department=department.pk))

    assert response.status_code == 302
    [row] = rows_since(since)
    assert row.detail["changes"] == {
        "region": {"before": label(old_region) if old_region else None, "after": label(new_region)},
        "department": {"before": None, "after": label(department)},
    }


def test_a_deactivation_is_audited(as_user):
    worker = User.objects.get(username="worker_b")
    client = as_user("secadmin")
    since = mark()

    response = client.post(user_url(worker), user_form(worker, is_active=False))

    assert response.status_code == 302
    worker.refresh_from_db()
    assert not worker.is_active
    [row] = rows_since(since)
    assert row.detail == {"object": account(worker), "changes": {"is_active": {"before": True, "after": False}}}


def test_a_new_account_is_audited_with_its_values_and_no_password(as_user):
    client = as_user("secadmin")
    region = Region.objects.filter(level="community").order_by("code").first()
    since = mark()

    response = client.post("/admin/accounts/user/add/", {
        "username": "new_worker", "password1": "a-Long-passw0rd-2026", "password2": "a-Long-passw0rd-2026",
        "full_name": "新网格员", "role": "grid_worker", "region": region.pk, "department": ""})

    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="new_worker")
    [row] = rows_since(since)
    assert (row.action, row.object_type, row.object_id) == ("admin.create", "accounts.user", str(user.pk))
    changes = row.detail["changes"]
    assert changes["username"] == {"before": None, "after": "new_worker"}
    assert changes["full_name"] == {"before": None, "after": "新网格员"}
    assert changes["role"] == {"before": None, "after": "grid_worker"}
    assert changes["region"] == {"before": None, "after": label(region)}
    assert changes["password"] == {"before": None, "after": MASK}
    assert user.password not in json.dumps(row.detail)


def test_accounts_are_deactivated_never_deleted(as_user):
    """An account's rows (cases, visits, audit entries) keep naming it: the admin offers deactivation only."""
    worker = User.objects.get(username="worker_b")
    client = as_user("secadmin")
    since = mark()

    assert client.post(f"/admin/accounts/user/{worker.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post("/admin/accounts/user/", {"action": "delete_selected", "_selected_action": [worker.pk],
                                                 "post": "yes"}).status_code == 200  # no such action offered
    assert User.objects.filter(pk=worker.pk).exists()
    assert rows_since(since) == []


def test_a_change_that_changes_nothing_writes_no_row(as_user):
    worker = User.objects.get(username="worker_b")
    client = as_user("secadmin")
    since = mark()

    assert client.post(user_url(worker), user_form(worker)).status_code == 302
    assert rows_since(since) == []


def test_a_refused_change_writes_no_row(as_user):
    region = Region.objects.filter(level="grid", status="active").order_by("code").first()
    client = as_user("secadmin")
    since = mark()

    response = client.post(f"/admin/regions/region/{region.pk}/change/", {
        "name": "改不了", "households": 1, "population": 1, "villager_groups": "", "geometry": "null",
        "effective_date": "2026-06-01", "reason": "x"})

    assert response.status_code == 403
    assert Region.objects.get(pk=region.pk).name == region.name
    assert rows_since(since) == []


# --- master data (the system administrator) ------------------------------------------------------------------------

def test_a_region_edit_is_audited_by_the_admin_and_by_the_service(as_user):
    region = Region.objects.filter(level="grid", status="active").order_by("code").first()
    client = as_user("sysadmin")
    since = mark()

    response = client.post(f"/admin/regions/region/{region.pk}/change/", {
        "name": "管理后台改名", "households": region.households + 5, "population": region.population,
        "villager_groups": region.villager_groups, "geometry": json.dumps(region.geometry),
        "effective_date": "2026-06-01", "reason": "admin audit test"})

    assert response.status_code == 302
    service_row, admin_row = rows_since(since)
    assert (service_row.action, service_row.object_id) == ("region.attributes", str(region.pk))
    assert (admin_row.action, admin_row.object_type, admin_row.object_id) == (
        "admin.change", "regions.region", str(region.pk))
    assert admin_row.detail == {"object": f"管理后台改名（{region.code}）", "changes": {  # not the unchanged boundary
        "name": {"before": region.name, "after": "管理后台改名"},
        "households": {"before": region.households, "after": region.households + 5}}}
    assert service_row.detail == {"effective_date": "2026-06-01"}  # the dated change in the territory's history


def category_form(category: Category, **changes) -> dict:
    """The category change form as the admin posts it, with its routing rules inline (prefix "routes")."""
    routes = list(category.routes.order_by("priority", "id"))
    data = {"code": category.code, "name": category.name, "level": category.level,
            "parent": category.parent_id or "", "kind": category.kind, "case_type": category.case_type,
            "time_limit": str(category.time_limit), "time_unit": category.time_unit,
            "closing_standard": category.closing_standard, "sort_order": category.sort_order,
            "routes-TOTAL_FORMS": len(routes), "routes-INITIAL_FORMS": len(routes),
            "routes-MIN_NUM_FORMS": 0, "routes-MAX_NUM_FORMS": 1000}
    for flag in ("photo_required_report", "photo_required_close", "is_active"):
        if getattr(category, flag):
            data[flag] = "on"
    for i, route in enumerate(routes):
        data.update({f"routes-{i}-id": route.pk, f"routes-{i}-category": category.pk,
                     f"routes-{i}-priority": route.priority, f"routes-{i}-department_kind": route.department_kind,
                     f"routes-{i}-department": route.department_id or "", f"routes-{i}-region": route.region_id or ""})
        if route.joint:
            data[f"routes-{i}-joint"] = "on"
    data.update(category_questions_form(category))
    data.update(changes)
    return data


def category_questions_form(category: Category) -> dict:
    """The category's questions inline (prefix "attributes"; choices typed as key=name lines)."""
    from gridgov.events.attributes import choices_to_text

    questions = list(category.attributes.order_by("order", "id"))
    data = {"attributes-TOTAL_FORMS": len(questions), "attributes-INITIAL_FORMS": len(questions),
            "attributes-MIN_NUM_FORMS": 0, "attributes-MAX_NUM_FORMS": 1000}
    for i, q in enumerate(questions):
        data.update({f"attributes-{i}-id": q.pk, f"attributes-{i}-category": category.pk,
                     f"attributes-{i}-order": q.order, f"attributes-{i}-code": q.code,
                     f"attributes-{i}-description": q.description, f"attributes-{i}-datatype": q.datatype,
                     f"attributes-{i}-datatype_description": q.datatype_description,
                     f"attributes-{i}-choices": choices_to_text(q.values)})
        for flag in ("required", "variable"):
            if getattr(q, flag):
                data[f"attributes-{i}-{flag}"] = "on"
    return data


def test_a_category_edit_with_a_new_routing_rule_is_audited_row_by_row(as_user):
    category = Category.objects.get(code="0301")
    department = Department.objects.order_by("code").first()
    n = category.routes.count()
    data = category_form(category, time_limit="2.0", **{
        "routes-TOTAL_FORMS": n + 1, f"routes-{n}-category": category.pk, f"routes-{n}-priority": 90,
        f"routes-{n}-department_kind": "", f"routes-{n}-department": department.pk, f"routes-{n}-region": "",
        f"routes-{n}-joint": "on"})
    assert category.time_limit != Decimal("2.0")
    client = as_user("sysadmin")
    since = mark()

    response = client.post(f"/admin/events/category/{category.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    new_route = Route.objects.get(category=category, department=department, priority=90)
    route_row, category_row = rows_since(since)
    assert (route_row.action, route_row.object_type, route_row.object_id) == (
        "admin.create", "events.route", str(new_route.pk))
    assert route_row.detail["parent"] == {"type": "events.category", "id": category.pk, "object": category.name}
    assert route_row.detail["changes"] == {
        "category": {"before": None, "after": label(category)},
        "department": {"before": None, "after": label(department)},
        "priority": {"before": None, "after": 90},
        "joint": {"before": None, "after": True},
    }
    assert (category_row.action, category_row.object_id) == ("admin.change", str(category.pk))
    assert category_row.detail == {"object": category.name, "changes": {
        "time_limit": {"before": str(category.time_limit), "after": "2.0"}}}


def test_deleting_a_routing_rule_inline_is_audited_with_its_values(as_user):
    category = next(c for c in Category.objects.order_by("code") if c.routes.exists())
    route = category.routes.order_by("priority", "id").first()
    client = as_user("sysadmin")
    since = mark()

    response = client.post(f"/admin/events/category/{category.pk}/change/",
                           category_form(category, **{"routes-0-DELETE": "on"}))

    assert response.status_code == 302, response.content.decode()[:3000]
    assert not Route.objects.filter(pk=route.pk).exists()
    [row] = rows_since(since)
    assert (row.action, row.object_type, row.object_id) == ("admin.delete", "events.route", str(route.pk))
    assert row.detail["parent"] == {"type": "events.category", "id": category.pk, "object": category.name}
    assert row.detail["changes"]["category"] == {"before": label(category), "after": None}
    assert row.detail["changes"]["priority"] == {"before": route.priority, "after": None}


def test_a_department_edit_masks_the_phone_and_lists_the_service_area(as_user):
    department = Department.objects.filter(service_area__isnull=True).order_by("code").first() \
        or Department.objects.order_by("code").first()
    area_before = list(department.service_area.order_by("pk"))
    street = Region.objects.filter(level="street").exclude(pk__in=[r.pk for r in area_before]).order_by("code")[0]
    data = {"code": department.code, "name": department.name + "（新）", "kind": department.kind,
            "region": department.region_id, "service_area": [*[r.pk for r in area_before], street.pk],
            "phone": "13812345678"}
    if department.is_active:
        data["is_active"] = "on"
    client = as_user("sysadmin")
    since = mark()

    response = client.post(f"/admin/accounts/department/{department.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    [row] = rows_since(since)
    assert (row.action, row.object_type, row.object_id) == ("admin.change", "accounts.department",
                                                            str(department.pk))
    area_after = sorted([*area_before, street], key=lambda r: r.pk)
    expected = {
        "name": {"before": department.name, "after": department.name + "（新）"},
        "service_area": {"before": [label(r) for r in area_before], "after": [label(r) for r in area_after]},
    }
    if department.phone != "13812345678":
        expected["phone"] = {"before": mask_phone(department.phone), "after": "138****5678"}  # masked as in lists
    assert row.detail["changes"] == expected
    assert "13812345678" not in json.dumps(row.detail)


def test_a_tag_edit_in_the_change_list_is_audited(as_user):
    """The change list's editable columns save without the change form: audited all the same."""
    tag = Tag.objects.get(code="C01")
    data = {"form-TOTAL_FORMS": 1, "form-INITIAL_FORMS": 1, "form-MIN_NUM_FORMS": 0, "form-MAX_NUM_FORMS": 1000,
            "form-0-id": tag.pk, "form-0-visit_every_days": tag.visit_every_days + 3,
            "form-0-sort_order": tag.sort_order, "_save": "Save"}
    if tag.is_active:
        data["form-0-is_active"] = "on"
    client = as_user("sysadmin")
    since = mark()

    response = client.post("/admin/registry/tag/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    [row] = rows_since(since)
    assert (row.action, row.object_type, row.object_id) == ("admin.change", "registry.tag", str(tag.pk))
    assert row.detail == {"object": tag.name, "changes": {
        "visit_every_days": {"before": tag.visit_every_days, "after": tag.visit_every_days + 3}}}


def test_a_calendar_day_added_and_changed_is_audited(as_user, django_capture_on_commit_callbacks):
    client = as_user("sysadmin")
    since = mark()
    with django_capture_on_commit_callbacks(execute=True):
        added = client.post("/admin/common/calendarday/add/",
                            {"date": "2027-02-08", "kind": "holiday", "name": "春节", "note": ""})
    assert added.status_code == 302
    day = CalendarDay.objects.get(date=date(2027, 2, 8))
    with django_capture_on_commit_callbacks(execute=True):
        changed = client.post(f"/admin/common/calendarday/{day.pk}/change/",
                              {"date": "2027-02-08", "kind": "workday", "name": "春节调休", "note": "国办发明电"})
    assert changed.status_code == 302

    create, change = rows_since(since)
    assert (create.action, create.object_type, create.object_id) == ("admin.create", "common.calendarday",
                                                                     str(day.pk))
    assert create.detail == {"object": "2027-02-08 节假日 春节", "changes": {  # as the (Chinese) admin shows it
        "date": {"before": None, "after": "2027-02-08"}, "kind": {"before": None, "after": "holiday"},
        "name": {"before": None, "after": "春节"}}}
    assert change.action == "admin.change"
    assert change.detail["changes"] == {"kind": {"before": "holiday", "after": "workday"},
                                        "name": {"before": "春节", "after": "春节调休"},
                                        "note": {"before": "", "after": "国办发明电"}}


def test_a_delete_is_audited_with_the_values_deleted(as_user, django_capture_on_commit_callbacks):
    day = CalendarDay.objects.create(date=date(2027, 2, 9), kind=CalendarDay.Kind.HOLIDAY, name="春节")
    client = as_user("sysadmin")
    since = mark()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/common/calendarday/{day.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not CalendarDay.objects.filter(pk=day.pk).exists()
    [row] = rows_since(since)
    assert (row.action, row.object_type, row.object_id) == ("admin.delete", "common.calendarday", str(day.pk))
    assert row.detail["changes"] == {"date": {"before": "2027-02-09", "after": None},
                                     "kind": {"before": "holiday", "after": None},
                                     "name": {"before": "春节", "after": None}}


def test_a_bulk_delete_writes_one_row_per_object(as_user, django_capture_on_commit_callbacks):
    days = [CalendarDay.objects.create(date=date(2027, 3, d), kind=CalendarDay.Kind.WORKDAY) for d in (6, 7)]
    client = as_user("sysadmin")
    since = mark()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/common/calendarday/", {
            "action": "delete_selected", "_selected_action": [d.pk for d in days], "post": "yes"})

    assert response.status_code == 302
    assert not CalendarDay.objects.filter(pk__in=[d.pk for d in days]).exists()
    rows = rows_since(since)
    assert [(r.action, r.object_id) for r in rows] == [("admin.delete", str(d.pk)) for d in days]
    assert [r.detail["changes"]["date"] for r in rows] == [{"before": "2027-03-06", "after": None},
                                                           {"before": "2027-03-07", "after": None}]


def test_an_admin_action_records_what_it_changed_on_each_object(as_user):
    failing = OutboxMessage.objects.create(topic="hotline.callback", payload={"event_id": 2}, attempts=4,
                                           last_error="URLError")
    client = as_user("sysadmin")
    since = mark()

    response = client.post("/admin/common/outboxmessage/", {"action": "retry_now",
                                                            "_selected_action": [failing.pk]})

    assert response.status_code == 302
    service_row, admin_row = rows_since(since)
    assert service_row.action == "outbox.retry"
    assert (admin_row.action, admin_row.object_type, admin_row.object_id) == (
        "admin.change", "common.outboxmessage", str(failing.pk))
    assert admin_row.detail["admin_action"] == "retry_now"
    assert admin_row.detail["changes"]["attempts"] == {"before": 4, "after": 0}
    assert "payload" not in admin_row.detail["changes"]


def test_the_change_and_its_audit_row_are_one_transaction(as_user, monkeypatch):
    """If the audit row cannot be written, the change is not kept either."""
    from gridgov.common import audit

    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    tag = Tag.objects.get(code="C01")
    client = as_user("sysadmin")
    monkeypatch.setattr(audit, "audit_change_rows", broken)
    with pytest.raises(RuntimeError):
        client.post(f"/admin/registry/tag/{tag.pk}/change/", {
            "code": tag.code, "name": "不会保存", "group": tag.group, "visit_every_days": tag.visit_every_days,
            "sort_order": tag.sort_order, "is_active": "on"})
    assert Tag.objects.get(pk=tag.pk).name == tag.name


# --- custom admin views (imports) ----------------------------------------------------------------------------------

def test_the_taxonomy_import_audits_each_category_it_changes(as_user):
    client = as_user("sysadmin")
    workbook = load_workbook(io.BytesIO(client.get("/admin/events/category/excel/").content))
    sheet = workbook.worksheets[0]
    [row_no] = [r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == "0301"]
    category = Category.objects.get(code="0301")
    sheet.cell(row_no, 7).value = float(category.time_limit) + 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    since = mark()

    response = client.post("/admin/events/category/import/",
                           {"file": SimpleUploadedFile("t.xlsx", buffer.getvalue())})

    assert response.status_code == 302
    rows = rows_since(since)
    assert [r.action for r in rows] == ["taxonomy.import", "admin.change"]
    assert (rows[1].object_type, rows[1].object_id) == ("events.category", str(category.pk))
    assert rows[1].detail == {"object": category.name, "via": "taxonomy Excel import", "changes": {
        "time_limit": {"before": str(category.time_limit), "after": str(category.time_limit + 1)}}}


def test_the_geojson_import_audits_each_region_it_creates_and_a_dry_run_nothing(as_user):
    from gridgov.regions.tests.test_import_export import GOOD

    def upload():
        return SimpleUploadedFile("grids.geojson", json.dumps(GOOD).encode(), content_type="application/geo+json")

    client = as_user("sysadmin")
    since = mark()
    dry = client.post("/admin/regions/region/import/", {"file": upload(), "effective_date": "2026-01-01",
                                                         "dry_run": "on"})
    assert dry.status_code == 200 and rows_since(since) == []

    response = client.post("/admin/regions/region/import/", {"file": upload(), "effective_date": "2026-01-01"})

    assert response.status_code == 200
    created = {r.pk: r for r in Region.objects.filter(code__startswith="980000")}
    assert len(created) == 5
    rows = [r for r in rows_since(since) if r.action.startswith("admin.")]
    assert {(r.action, r.object_type, int(r.object_id)) for r in rows} == {
        ("admin.create", "regions.region", pk) for pk in created}
    for row in rows:
        region = created[int(row.object_id)]
        assert row.detail["via"] == "GeoJSON import"
        assert row.detail["changes"]["code"] == {"before": None, "after": region.code}
        assert row.detail["changes"]["name"] == {"before": None, "after": region.name}
    assert "regions.import" in [r.action for r in rows_since(since)]


# --- the audit administrator reads the rows -------------------------------------------------------------------------

def test_the_audit_administrator_finds_a_change_by_a_value_in_its_detail(as_user):
    tag = Tag.objects.get(code="C01")
    sysadmin = as_user("sysadmin")
    sysadmin.post(f"/admin/registry/tag/{tag.pk}/change/", {
        "code": tag.code, "name": "独居老人甲乙", "group": tag.group, "visit_every_days": tag.visit_every_days,
        "sort_order": tag.sort_order, "is_active": "on"})
    row = AuditLog.objects.get(action="admin.change", object_type="registry.tag", object_id=str(tag.pk))
    auditor = as_user("auditadmin")

    for term in ("老人甲乙", "registry.tag"):
        page = auditor.get("/admin/common/auditlog/", {"q": term})
        assert page.status_code == 200
        assert row.pk in {r.pk for r in page.context["cl"].result_list}, term
    assert row.pk not in {r.pk for r in auditor.get("/admin/common/auditlog/",
                                                    {"q": "不在任何一行里"}).context["cl"].result_list}

    detail = auditor.get(f"/admin/common/auditlog/{row.pk}/change/").content.decode()
    assert "独居老人甲乙" in detail and "&quot;before&quot;" in detail  # readable JSON, not \\u escapes
    assert as_user("sysadmin").get("/admin/common/auditlog/", {"q": "老人甲乙"}).status_code == 403
    assert as_user("secadmin").get("/admin/common/auditlog/", {"q": "老人甲乙"}).status_code == 403


def test_the_audit_administrator_finds_changes_to_an_account_by_its_username(as_user):
    worker = User.objects.get(username="worker_b")
    as_user("secadmin").post(user_url(worker), user_form(worker, is_active=False))
    row = AuditLog.objects.get(action="admin.change", object_type="accounts.user", object_id=str(worker.pk))

    page = as_user("auditadmin").get("/admin/common/auditlog/", {"q": "worker_b"})

    assert row.pk in {r.pk for r in page.context["cl"].result_list}

