"""Browser tests: one headless Chromium (Debian's) per session, a fresh context per test.

Every page a test visits is audited the same way: no console errors, no uncaught exceptions (a
Content-Security-Policy violation is a console error), and no axe-core violations.
"""

import os
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

from tests.world import build_world

# pytest-django's live server runs in a thread while Playwright's sync API runs an event loop in
# this one, which Django's async-safety check would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
# Playwright cannot download its own browser here; Debian's Chromium needs no sandbox in a
# container and must not phone home during a test.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "a-browser-test-password"
AXE = Axe()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: `make chromium` installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def world(transactional_db):
    """The test company, in a database the live server thread can see; the two personas the
    journeys sign in as get a password (world.py leaves everyone's unusable)."""
    world = build_world()
    for key in ("manager_1", "seller_a", "executive"):
        user = world.users[key]
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return world


@pytest.fixture
def console_errors() -> list[str]:
    return []


@pytest.fixture
def page(browser, live_server, console_errors):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 800}, locale="en-US"
    )
    context.set_default_timeout(5_000)
    # A page load may wait on the live server's first request (URLconf, templates) on a busy machine.
    context.set_default_navigation_timeout(20_000)
    page = context.new_page()

    def on_console(message):
        if message.type == "error":
            console_errors.append(f"{message.text} (at {message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: console_errors.append(f"uncaught: {error}"))
    yield page
    context.close()
    # A safety net for anything reported after a test's last check.
    assert not console_errors, "The browser reported errors:\n" + "\n".join(console_errors)


@pytest.fixture
def check_page(page, console_errors):
    """Assert the page as it is now reported no errors and has no axe-core violations."""

    def check() -> None:
        assert not console_errors, f"Errors on {page.url}:\n" + "\n".join(console_errors)
        results = AXE.run(page)
        assert results.violations_count == 0, (
            f"axe found {results.violations_count} violations on {page.url}:\n" + results.generate_report()
        )

    return check


@pytest.fixture
def sign_in(page, world):
    """Sign in through the real login form, as a person would."""

    def sign_in_as(persona: str) -> None:
        page.goto("/login/")
        page.get_by_label("Username").fill(persona)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name=f"Sign out {world.people[persona].name}")).to_be_visible()

    return sign_in_as


@pytest.fixture
def screenshot(page, pytestconfig):
    """Save a full-page screenshot under test-output/screenshots/ and return its path."""
    folder = pytestconfig.rootpath / "test-output" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = folder / f"{name}.png"
        # Playwright's default caret="hide" leaves style="" on the page's inputs, which would then
        # trip the CSP (style-src 'self') if htmx re-inserted them; a focused field shows a caret.
        page.screenshot(path=path, full_page=True, caret="initial")
        return path

    return take


@pytest.fixture
def publish_screenshot(pytestconfig):
    """Copy a screenshot to docs/screenshots/, where the README shows it."""
    folder = pytestconfig.rootpath / "docs" / "screenshots"

    def publish(path: Path, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / name)

    return publish
