"""Shared fixtures: the small demo district is built once per test database; every test runs in a transaction
that is rolled back, so tests see the same territory and never each other's changes.

Personas (ARCHITECTURE §8): worker_a (grid A), street_dispatcher (the street above A), worker_b (a grid in
another street), police (a department handler), and anonymous (a citizen), plus the three administrators,
a district dispatcher, a leader, community staff and a grid leader.
"""

import pytest
from django.test import Client

from gridgov.regions.index import geo_index

# --clock / GRIDGOV_TEST_CLOCK: the whole run at another date (docs/testing.md); it travels in pytest_configure,
# before django_db_setup below builds the demo district.
pytest_plugins = ["gridgov.testing.clock"]

PASSWORD = "gridgov-demo-2026"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from gridgov.demo import demo_build

    with django_db_blocker.unblock():
        demo_build(scale="small")
    geo_index.invalidate()


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Pages render without the collected-static manifest (a build artefact a fresh checkout does not have)."""
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture(autouse=True)
def _fresh_geo_index():
    """Rolled-back tests never fire the on-commit rebuild; a fingerprint check (count and last change of regions
    and layer grids) on next use catches any difference without rebuilding the index for every test."""
    geo_index.recheck()
    yield
    geo_index.recheck()


@pytest.fixture(autouse=True)
def _fresh_caches():
    """In-process caches are cleared on commit, which rolled-back tests never do: clear them around each test,
    with Django's cache (rate-limit counters), so no test inherits another's."""
    from django.core.cache import cache

    from gridgov.common.calendar import clear_cache
    from gridgov.events.routing import directory

    for clear in (clear_cache, directory.invalidate, cache.clear):
        clear()
    yield
    for clear in (clear_cache, directory.invalidate, cache.clear):
        clear()


@pytest.fixture
def without_demo_cases(db):
    """For tests that compare exact lists or values over a known set of cases: the demo's three months of cases
    are removed first, inside the test's transaction (rolled back: the next test has them again)."""
    from gridgov.events.models import Event

    Event.objects.all().delete()


def login_client(username: str) -> Client:
    """A client logged in as a demo persona. force_login skips the deliberately slow password hash (about 0.3 s);
    real password logins are covered by gridgov/accounts/tests/test_login_audit.py."""
    from gridgov.accounts.models import User

    client = Client()
    if username != "anonymous":
        client.force_login(User.objects.get(username=username, is_active=True))
    return client


@pytest.fixture
def as_user(db):
    """as_user("worker_a") → a Django test client logged in as that demo persona."""
    return login_client


@pytest.fixture
def user(db):
    from gridgov.accounts.models import User

    return lambda username: User.objects.get(username=username)
