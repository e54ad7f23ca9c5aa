"""Browser tests drive Debian's Chromium through Playwright (never a downloaded browser).

When Chromium is missing they are skipped with the reason shown, unless GRIDGOV_REQUIRE_BROWSER=1 (CI sets it),
in which case a missing browser fails the run.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("GRIDGOV_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}: apt-get install -y chromium fonts-wqy-microhei"
        if os.environ.get("GRIDGOV_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def demo_live_server(live_server, transactional_db):
    """The live server over the demo district (transactional tests flush the database, so rebuild if needed)."""
    from gridgov.demo import demo_build
    from gridgov.regions.index import geo_index
    from gridgov.regions.models import Region

    if not Region.objects.exists():
        demo_build(scale="small", history=False)  # rebuilt after every flush: without the months of cases
    geo_index.invalidate()
    return live_server


@pytest.fixture
def page_for(browser):
    contexts = []

    def make(viewport=(1366, 820)):
        ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN")
        contexts.append(ctx)
        page = ctx.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def login(page, base_url, username, password="gridgov-demo-2026"):
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def shot(page, name):
    page.wait_for_load_state("networkidle")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
