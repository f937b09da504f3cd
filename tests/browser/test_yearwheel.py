"""The annual wheel in Chromium: WCAG 2.1 AA by axe-core on a desktop screen and a phone, no
sideways scrolling at 375 px, the marks reached by the keyboard, and one A4 page in print."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.yearwheel.data import seed_year

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

URL = "/year/2027/"


@pytest.fixture
def year_page(page):
    seed_year()
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    assert not violations, violations


@pytest.mark.parametrize("language", ["nn", "en"])
def test_the_wheel_is_accessible(
    year_page, live_server, assert_accessible, assert_stylesheets_loaded, language
):
    year_page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    year_page.set_viewport_size({"width": 1280, "height": 900})
    year_page.goto(URL)
    assert_stylesheets_loaded(year_page)
    wheel = year_page.locator("svg.yearwheel-page")
    expect(wheel).to_be_visible()
    # The wheel's own stylesheet is applied: kickoffs are portal blue.
    expect(wheel.locator("a.mark-kickoff").first).to_have_css("color", "rgb(10, 79, 143)")
    assert_accessible(year_page)


def test_no_sideways_scrolling_on_a_phone(year_page, assert_accessible):
    year_page.set_viewport_size({"width": 375, "height": 800})
    year_page.goto(URL)
    widths = year_page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths
    box = year_page.locator("svg.yearwheel-page").bounding_box()
    assert box["width"] <= 375
    assert box["width"] > 300  # the wheel fills the phone's width
    assert_accessible(year_page)


def test_the_keyboard_reaches_each_mark_with_its_name(year_page):
    year_page.goto(URL)
    marks = year_page.locator("svg.yearwheel-page a.wheel-mark")
    expect(marks).to_have_count(6)
    first = marks.first
    first.focus()
    expect(first).to_be_focused()
    expect(first).to_have_accessible_name(re.compile(r"^Påmeldingsfrist: Oppstartsmøte 2027, "))
    year_page.keyboard.press("Tab")
    expect(marks.nth(1)).to_be_focused()
    year_page.keyboard.press("Enter")
    expect(year_page).to_have_url(re.compile(r"/meetings/oppstart-2027/$"))


def test_the_year_switcher_works_without_javascript(browser, live_server):
    seed_year()
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(URL)
        page.select_option("#yearwheel-year", "2018")
        page.locator(".yearwheel-year-form button").click()
        expect(page).to_have_url(re.compile(r"/year/2018/$"))
        expect(page.locator("h1")).to_have_text("Årshjul 2018")
    finally:
        context.close()


def test_it_prints_on_one_a4_page(year_page):
    year_page.goto(URL)
    year_page.emulate_media(media="print")
    expect(year_page.locator(".site-header")).to_be_hidden()
    expect(year_page.locator(".yearwheel-switcher")).to_be_hidden()
    expect(year_page.locator("svg.yearwheel-page")).to_be_visible()
    pdf = year_page.pdf(format="A4", prefer_css_page_size=True)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == 1, f"{pages} pages"
