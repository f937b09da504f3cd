"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Nothing is downloaded: Playwright launches the system Chromium (CHROMIUM_PATH, by default
/usr/bin/chromium) instead of a browser of its own, and every request that leaves the live
server is blocked and fails the test, so a page that pulls anything from a CDN is caught.

When Chromium is missing the browser tests are skipped, unless REQUIRE_BROWSER_TESTS=1 (set by
CI), which turns the skip into an error: CI must never go green with the browser layer skipped.
"""

import contextlib
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.test import Client
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

from tests.helpers import sign_in_with_second_factor

DEFAULT_CHROMIUM_PATH = "/usr/bin/chromium"

# Keep Chromium off the network: no updates, sync, field trials or QUIC probes.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# axe-core rules of WCAG 2.0 and 2.1, levels A and AA: what the county must meet.
WCAG_21_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": WCAG_21_AA_TAGS},
    "resultTypes": ["violations"],
}


def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM_PATH


def browser_tests_required() -> bool:
    return os.environ.get("REQUIRE_BROWSER_TESTS", "").strip().lower() in {"1", "true", "yes"}


def chromium_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when Chromium is in place."""
    path = chromium_path()
    if Path(path).is_file() and os.access(path, os.X_OK):
        return None
    if browser_tests_required():
        return (
            f"Chromium not found at {path}, but REQUIRE_BROWSER_TESTS=1 says the browser tests "
            "must run (install Debian's chromium package, or point CHROMIUM_PATH at Chromium)"
        )
    return (
        f"Chromium not found at {path}: browser tests skipped (install Debian's chromium package)"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark every test that uses the browser, and skip them all up front when Chromium is
    missing (before a database is set up for them). When the tests are required the skip is
    left out, and the `browser` fixture fails each of them instead."""
    reason = None if browser_tests_required() else chromium_missing_reason()
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
        if reason and item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for the browser tests; each test gets a fresh context.

    Playwright's sync API runs an asyncio event loop in the test's thread and marks it as
    running for as long as Playwright lives. Django then refuses every ORM call from that
    thread (the factories in these tests) with SynchronousOnlyOperation. No coroutine touches
    the database here, so the check is switched off while Chromium runs, and only then.
    """
    reason = chromium_missing_reason()
    if reason:
        if browser_tests_required():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=chromium_path(), args=CHROMIUM_ARGS, timeout=60_000
            )
            yield chromium
            chromium.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser, live_server):
    """A page in a new browser context (no cookies, default locale) with `live_server` as its
    base URL, so tests call `page.goto("/meetings/")`.

    Requests to any other host are aborted, and the test errors at teardown if one was made.
    """
    server_origin = urlsplit(live_server.url)[:2]
    blocked = []

    def leaves_live_server(url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in {"http", "https", "ws", "wss"} and parts[:2] != server_origin

    def block(route):
        blocked.append(route.request.url)
        route.abort("blockedbyclient")

    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    context.route(leaves_live_server, block)
    page = context.new_page()
    yield page
    # Let the last page's requests finish before the database is flushed: a request still
    # being served (a session write, say) would otherwise hold SQLite's lock during teardown.
    with contextlib.suppress(PlaywrightError):
        page.wait_for_load_state("networkidle", timeout=5_000)
    context.close()
    assert not blocked, "The page requested resources outside the live server:\n" + "\n".join(
        blocked
    )


@pytest.fixture
def assert_stylesheets_loaded():
    """Check that the page's stylesheets were served and applied.

    The colour-contrast checks of axe mean nothing on an unstyled page, so pages assert this
    before an accessibility check: Bootstrap and portal.css are linked, the server answers 200
    with text/css for every <link rel="stylesheet">, the browser parsed rules from each (a sheet
    that failed to load has none), and a rule each of Bootstrap and portal.css is in effect.
    """

    def check(page):
        sheets = page.eval_on_selector_all(
            'link[rel="stylesheet"]',
            "links => links.map(link => ({href: link.href,"
            " rules: link.sheet ? link.sheet.cssRules.length : 0}))",
        )
        hrefs = [sheet["href"] for sheet in sheets]
        assert any(href.endswith("/bootstrap/css/bootstrap.min.css") for href in hrefs), hrefs
        assert any(href.endswith("/css/portal.css") for href in hrefs), hrefs
        for sheet in sheets:
            response = page.request.get(sheet["href"])
            assert response.status == 200, f"{sheet['href']} answered {response.status}"
            assert response.headers["content-type"].startswith("text/css"), response.headers
            assert sheet["rules"] > 0, f"{sheet['href']} was not applied by the browser"
        # Bootstrap's reboot removes the body margin; portal.css tints the header.
        expect(page.locator("body")).to_have_css("margin-top", "0px")
        expect(page.locator(".site-header")).to_have_css("background-color", "rgb(244, 247, 251)")

    return check


def format_axe_violations(url: str, violations: list[dict]) -> str:
    lines = [f"{len(violations)} WCAG 2.1 A/AA violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact')}): {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            target = " ".join(str(selector) for selector in node["target"])
            lines.append(f"    target: {target}")
            lines.append(f"      html: {node['html']}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n            ")
            if summary:
                lines.append(f"      why:  {summary}")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def axe():
    return Axe()


@pytest.fixture
def assert_accessible(axe):
    """Run axe-core's WCAG 2.1 A/AA rules on the page as it is now and assert no violations.

    `context` narrows the check to part of the page (an axe-core context: a CSS selector or
    an include/exclude dict), e.g. after opening a dialog.
    """

    def check(page, *, context=None):
        results = axe.run(page, context=context, options=AXE_OPTIONS)
        violations = results.response["violations"]
        assert not violations, format_axe_violations(page.url, violations)

    return check


@pytest.fixture
def security_key(page):
    """A virtual security key in Chromium (the DevTools WebAuthn domain), which answers every
    request as if touched: the page's own JavaScript and allauth's server side do the rest."""
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable")
    session.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return session


@pytest.fixture
def county_staff_with(user_factory):
    """`county_staff_with(app_label, codenames)`: a staff user in the "County staff" group with
    those permissions. The transactional database is flushed between tests, which removes the
    group the data migration made, so it is made here."""

    def make(app_label: str, codenames: list[str]):
        group, _created = Group.objects.get_or_create(name="County staff")
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )
        user = user_factory(email="fylke@example.org", is_staff=True)
        user.groups.add(group)
        return user

    return make


@pytest.fixture
def sign_in_staff(page, live_server):
    """`sign_in_staff(user)`: `page` with the user's session cookie, as after signing in with
    the second factor the admin asks of staff."""

    def sign_in(user):
        client = Client()
        sign_in_with_second_factor(client, user)
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        return page

    return sign_in
