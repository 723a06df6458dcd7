"""Browser fixtures: Debian's Chromium driven by Playwright (never a downloaded browser).

A failing test leaves a screenshot of every open page under
test-output/screenshots/.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, require

CHROMIUM = os.environ.get("BLOG_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "test-output" / "screenshots"


@pytest.fixture(scope="session")
def browser():
    require(bool(shutil.which(CHROMIUM) or Path(CHROMIUM).exists()), f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        require(False, "the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _new_context(browser, request, **options):
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    request.node.browser_contexts = [*getattr(request.node, "browser_contexts", []), context]
    return context


@pytest.fixture
def page(browser, request, live_server) -> Iterator:
    """A page with JavaScript on, its base URL the live server."""
    context = _new_context(browser, request, base_url=live_server.url)
    yield context.new_page()
    context.close()


@pytest.fixture
def page_nojs(browser, request, live_server) -> Iterator:
    """A page with JavaScript off: everything must still work."""
    context = _new_context(browser, request, base_url=live_server.url, java_script_enabled=False)
    yield context.new_page()
    context.close()


@pytest.fixture
def new_page(browser, request, live_server):
    """Make more pages, each in a fresh context (another visitor)."""
    contexts = []

    def make(javascript: bool = True, **options):
        """``options`` go to the new context, e.g. ``storage_state`` (another tab of
        the same visitor) or ``bypass_csp``."""
        context = _new_context(
            browser, request, base_url=live_server.url, java_script_enabled=javascript, **options
        )
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", item.nodeid)[-150:]
    for i, context in enumerate(getattr(item, "browser_contexts", [])):
        for j, open_page in enumerate(context.pages):
            try:
                open_page.screenshot(path=str(SCREENSHOTS / f"{name}-{i}-{j}.png"), full_page=True)
            except Exception:  # the page may be gone; the report says why the test failed
                pass


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
