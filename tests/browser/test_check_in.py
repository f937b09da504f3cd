"""Check-in at the door on a phone (375 px) in Chromium: county staff type a name, the list
narrows while they type, they mark the person present and the row changes without a page
load, with the result in the status region. The page fits the phone and passes axe-core's
WCAG 2.1 A/AA rules before and after. Without JavaScript the same buttons post and come back."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from meetings.models import Registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def county_staff(county_staff_with):
    return county_staff_with("meetings", ["check_in_participants", "view_registration"])


@pytest.fixture
def meeting(meeting_factory, municipality_factory, contact_person_factory, registration_factory):
    starts_at = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    meeting = meeting_factory(
        title="Arbeidsverkstad om Interreg",
        slug="arbeidsverkstad",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=3),
        registration_deadline=starts_at - dt.timedelta(days=2),
    )
    bergen = municipality_factory(name="Bergen")
    kautokeino = municipality_factory(name="Guovdageainnu suohkan – Kautokeino kommune")
    for name, municipality, title in [
        ("Kari Nordmann", bergen, "Rådgjevar"),
        (
            "Anne-Margrethe Kristoffersen-Brekkeflåt",
            kautokeino,
            "Spesialrådgjevar for internasjonalt samarbeid og regional utvikling",
        ),
        ("Ola Vossing", bergen, "Kommunalsjef"),
        *((f"Deltakar {number:02d}", bergen, "") for number in range(12)),
    ]:
        registration_factory(
            meeting=meeting,
            contact_person=contact_person_factory(
                name=name, municipality=municipality, job_title=title
            ),
        )
    return meeting


def open_page(page, sign_in_staff, county_staff, live_server, meeting):
    sign_in_staff(county_staff)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page.set_viewport_size(PHONE)
    page.goto(f"/meetings/{meeting.slug}/check-in/")


def assert_fits(page):
    scroll_width, inner_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, (scroll_width, inner_width)


def test_staff_find_and_check_in_a_person_on_a_phone(
    page,
    live_server,
    sign_in_staff,
    county_staff,
    meeting,
    assert_stylesheets_loaded,
    assert_accessible,
):
    open_page(page, sign_in_staff, county_staff, live_server, meeting)
    rows = page.locator(".check-in-row")
    expect(rows).to_have_count(15)
    expect(page.locator(".check-in-counts")).to_have_text("0 of 15 participants checked in.")
    assert_stylesheets_loaded(page)
    assert_fits(page)
    assert_accessible(page)

    search = page.get_by_role("searchbox", name="Find a participant by name, municipality")
    search.click()
    page.keyboard.type("kari nor")
    # Narrowed in the page while typing: nothing was sent.
    expect(page.locator(".check-in-row:visible")).to_have_count(1)
    assert page.url.endswith("/check-in/")
    status = page.get_by_role("status").filter(has_text="Shown")
    expect(status).to_have_text("Shown: 1 of 15.")

    button = page.get_by_role("button", name="Mark present Kari Nordmann")
    box = button.bounding_box()
    # A large touch target, the width of the phone's list.
    assert box["height"] >= 48 and box["width"] >= 300, box
    button.click()

    expect(page.get_by_role("button", name="Undo check-in Kari Nordmann")).to_be_focused()
    expect(page.locator("#check-in-status")).to_have_text("Kari Nordmann is checked in.")
    expect(page.locator(".check-in-counts")).to_have_text("1 of 15 participants checked in.")
    # Still the same page, still narrowed to the search.
    assert page.url.endswith("/check-in/")
    expect(page.locator(".check-in-row:visible")).to_have_count(1)
    registration = Registration.objects.get(contact_person__name="Kari Nordmann")
    assert registration.attended_by == county_staff
    assert_fits(page)
    assert_accessible(page)

    # The long names wrap on the phone, and the walk-in form fits too.
    search.fill("")
    page.keyboard.type("kautokeino")
    expect(page.locator(".check-in-row:visible")).to_have_count(1)
    assert_fits(page)

    # Undo, with the keyboard.
    search.fill("kari")
    page.get_by_role("button", name="Undo check-in Kari Nordmann").focus()
    page.get_by_role("button", name="Undo check-in Kari Nordmann").press("Enter")
    expect(page.get_by_role("button", name="Mark present Kari Nordmann")).to_be_focused()
    expect(page.locator("#check-in-status")).to_have_text(
        "The check-in of Kari Nordmann is undone."
    )
    registration.refresh_from_db()
    assert registration.attended_at is None


def test_without_javascript_the_buttons_post_and_come_back(
    browser, live_server, county_staff, meeting, sign_in_staff, page
):
    # A signed-in session cookie from the fixture's page, in a context without JavaScript.
    sign_in_staff(county_staff)
    cookies = page.context.cookies()
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport=PHONE
    )
    try:
        context.add_cookies(
            [
                *cookies,
                {"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url},
            ]
        )
        nojs = context.new_page()
        nojs.goto(f"/meetings/{meeting.slug}/check-in/")
        nojs.get_by_role("searchbox").fill("vossing")
        nojs.get_by_role("button", name="Search").click()
        expect(nojs.locator(".check-in-row")).to_have_count(1)
        nojs.get_by_role("button", name="Mark present Ola Vossing").click()
        expect(nojs.locator(".alert-success")).to_have_text("Ola Vossing is checked in.")
        assert "q=vossing" in nojs.url
        expect(nojs.get_by_role("button", name="Undo check-in Ola Vossing")).to_be_visible()
    finally:
        context.close()
