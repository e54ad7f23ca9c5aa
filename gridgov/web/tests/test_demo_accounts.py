"""What `make run` prints (gridgov demo, gridgov serve --init): every demo persona with its role and what it sees,
then the department handlers (all of them; at the district scale the first street's and the district's, with how
the others are named) — every printed account exists, is active and logs in with the demo password."""

import io
import re

import pytest
from django.core.management.base import OutputWrapper
from django.utils import translation

from gridgov.accounts.models import Department, User
from gridgov.demo import DEMO_PASSWORD, PERSONA_USERNAMES, demo_accounts
from gridgov.web.management.commands.demo import print_accounts

pytestmark = pytest.mark.django_db


def printed(accounts) -> str:
    out = io.StringIO()
    with translation.override("zh-hans"):
        print_accounts(OutputWrapper(out), accounts)
    return out.getvalue()


def usernames(text: str) -> list[str]:
    return re.findall(r"^  ([a-z0-9_\-]+) ", text, flags=re.M)


def test_every_persona_is_printed_with_its_role_and_what_it_sees():
    with translation.override("zh-hans"):
        accounts = demo_accounts()
    text = printed(accounts)
    assert f"密码均为 {DEMO_PASSWORD}" in text
    lines = {line.split()[0]: line for line in text.splitlines() if line.startswith("  ") and line.split()}
    assert [u for u in usernames(text) if u in PERSONA_USERNAMES] == PERSONA_USERNAMES
    assert "全区" in lines["dispatcher"] and "坐席员" in lines["dispatcher"]
    assert "新安街道" in lines["street_dispatcher"]
    worker_a = User.objects.get(username="worker_a")
    assert worker_a.grids.get().name in lines["worker_a"] and "网格员" in lines["worker_a"]
    assert "新安派出所" in lines["police"] and "派给该部门的案件" in lines["police"]
    assert "12345热线办" in lines["hotline"] and "承办人员" in lines["hotline"]


def test_every_department_handler_is_printed_at_the_small_scale():
    text = printed(demo_accounts())
    handlers = set(usernames(text)) - set(PERSONA_USERNAMES)
    served = {User.objects.filter(department=d, role="dept_handler").order_by("username").first().username
              for d in Department.objects.all()}
    assert handlers == served - set(PERSONA_USERNAMES) and len(handlers) >= 20
    admin = User.objects.get(username="sysadmin")
    assert admin.check_password(DEMO_PASSWORD)  # (one check: the hash is deliberately slow)
    for username in handlers | set(PERSONA_USERNAMES):
        user = User.objects.get(username=username)
        assert user.is_active and user.password == admin.password and user.full_name  # the same password
    assert "网格员：w" in text and "社区/村工作人员：c" in text


def test_at_the_district_scale_the_first_street_and_the_district_are_listed_and_the_rest_named(monkeypatch):
    import gridgov.demo

    monkeypatch.setattr(gridgov.demo, "ALL_HANDLERS_UP_TO", 10)  # the district scale's 10 streets, in miniature
    with translation.override("zh-hans"):
        text = printed(demo_accounts())
    listed = set(usernames(text)) - set(PERSONA_USERNAMES)
    departments = {u.department.region.level for u in User.objects.filter(username__in=listed)
                   .select_related("department__region")}
    assert listed and departments == {"district", "street"}
    assert not [u for u in listed if u.startswith("h440306002")]  # the second street's are named, not listed
    example = re.search(r"例如 (h[0-9a-z\-]+)（(.+?)）", text)
    assert example and User.objects.get(username=example.group(1)).department.name == example.group(2)
