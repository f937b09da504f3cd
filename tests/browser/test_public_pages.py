"""The public pages in Chromium: headings, language, styling, WCAG 2.1 AA and the keyboard."""

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from meetings.models import Meeting
from members.models import NetworkOwner

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def nynorsk(message: str) -> str:
    """The Nynorsk the live server renders for `message`, from the same compiled catalogue."""
    with translation.override("nn"):
        return translation.gettext(message)


@pytest.fixture
def meetings(meeting_factory, agenda_item_factory, registration_factory):
    """One meeting of each status, so every status badge is checked for contrast; and the
    network owner, so the footer shows its address and contact links."""
    NetworkOwner.objects.create(
        name="Vestland fylkeskommune",
        section="Seksjon for internasjonalt arbeid",
        address="Postboks 7900, 5020 Bergen",
        contact_name="Kari Nordmann",
        contact_title="seniorrådgivar",
        phone="+47 55 00 00 00",
        email="nettverk@example.org",
    )
    scheduled = meeting_factory(title="Oppstartsmøte for kommunenettverket", capacity=25)
    for order, title in enumerate(["Velkomen", "EU-program for kommunane", "Vegen vidare"]):
        agenda_item_factory(meeting=scheduled, order=order, title=title)
    registration_factory.create_batch(2, meeting=scheduled)
    tentative = meeting_factory(tentative=True, title="Søknadsverkstad")
    cancelled = meeting_factory(
        title="Avlyst nettverksmøte", status=Meeting.Status.CANCELLED, capacity=10
    )
    started = (timezone.now() - dt.timedelta(days=60)).replace(microsecond=0)
    held = meeting_factory(
        title="Fjorårets haustmøte", status=Meeting.Status.HELD, starts_at=started
    )
    return SimpleNamespace(scheduled=scheduled, tentative=tentative, cancelled=cancelled, held=held)


def open_page(page, path):
    response = page.goto(path)
    assert response is not None
    assert response.status == 200, f"{path} answered {response.status}"


def expect_h1(page, text):
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_count(1)
    expect(heading).to_be_visible()
    expect(heading).to_have_text(text)


def test_home_page(page, meetings, assert_stylesheets_loaded, assert_accessible):
    open_page(page, "/")

    expect(page.locator("html")).to_have_attribute("lang", "nn")
    expect_h1(page, nynorsk("International municipality network"))
    next_meetings = page.locator("#main table tbody tr")
    expect(next_meetings).to_have_count(2)  # cancelled and held meetings are left out
    expect(next_meetings.nth(0)).to_contain_text(meetings.scheduled.title)
    expect(next_meetings.nth(0).locator("td").nth(3)).to_have_text("23")
    expect(next_meetings.nth(1)).to_contain_text(meetings.tentative.title)
    expect(page.locator("footer address")).to_contain_text("Postboks 7900, 5020 Bergen")
    expect(page.locator('footer a[href="tel:+4755000000"]')).to_be_visible()
    assert_stylesheets_loaded(page)
    assert_accessible(page)


def test_meeting_list(page, meetings, assert_stylesheets_loaded, assert_accessible):
    open_page(page, "/meetings/")

    expect(page.locator("html")).to_have_attribute("lang", "nn")
    expect_h1(page, nynorsk("Meetings"))
    expect(page.locator("#main table")).to_have_count(2)
    upcoming, past = page.locator("#main table").all()
    expect(upcoming.locator("tbody tr")).to_have_count(3)
    expect(upcoming).to_contain_text(meetings.scheduled.title)
    expect(upcoming).to_contain_text(meetings.tentative.title)
    expect(upcoming).to_contain_text(meetings.cancelled.title)
    expect(past.locator("tbody tr")).to_have_count(1)
    expect(past).to_contain_text(meetings.held.title)
    expect(page.get_by_role("link", name=nynorsk("Meetings"), exact=True).first).to_have_attribute(
        "aria-current", "page"
    )
    assert_stylesheets_loaded(page)
    assert_accessible(page)


def test_meeting_detail(page, meetings, assert_stylesheets_loaded, assert_accessible):
    open_page(page, meetings.scheduled.get_absolute_url())

    expect(page.locator("html")).to_have_attribute("lang", "nn")
    expect_h1(page, meetings.scheduled.title)
    expect(page.locator("ol.agenda > li")).to_have_text(
        ["Velkomen", "EU-program for kommunane", "Vegen vidare"]
    )
    assert_stylesheets_loaded(page)
    assert_accessible(page)


@pytest.mark.parametrize("status", ["tentative", "cancelled", "held"])
def test_meeting_detail_in_other_states(page, meetings, status, assert_accessible):
    meeting = getattr(meetings, status)
    open_page(page, meeting.get_absolute_url())

    expect_h1(page, meeting.title)
    expect(page.locator(f".status-badge.status-{status}").first).to_be_visible()
    assert_accessible(page)


def test_skip_link_is_the_first_tab_stop_and_moves_to_main(page, meetings):
    open_page(page, "/")
    skip_link = page.locator(".skip-link")

    page.keyboard.press("Tab")

    expect(skip_link).to_be_focused()
    expect(skip_link).to_have_attribute("href", "#main")
    expect(skip_link).not_to_have_text("")
    # Bootstrap's .visually-hidden-focusable clips the link to 1px until it has focus.
    box = skip_link.bounding_box()
    assert box is not None and box["width"] > 1 and box["height"] > 1, box

    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.locator("#main")).to_be_focused()
    # The next Tab continues inside the main content, past the header's links: the table of
    # the next meetings, a region of its own that scrolls on narrow screens, comes first.
    page.keyboard.press("Tab")
    expect(page.locator("#main [tabindex='0'], #main a").first).to_be_focused()


def test_language_switcher_switches_to_english(page, meetings, assert_accessible):
    open_page(page, "/")
    expect(page.locator("html")).to_have_attribute("lang", "nn")

    page.locator('form.language-switcher button[value="en"]').click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect_h1(page, "International municipality network")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator('form.language-switcher button[value="en"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    # The choice sticks: the next page is English too.
    open_page(page, "/meetings/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect_h1(page, "Meetings")
    assert_accessible(page)


@pytest.mark.parametrize(
    ("path", "heading"),
    [("/accessibility/", "Accessibility statement"), ("/privacy/", "Privacy")],
)
def test_statement_pages_are_reachable_from_the_footer(
    page, path, heading, assert_stylesheets_loaded, assert_accessible
):
    open_page(page, "/")
    page.locator(f'footer a[href="{path}"]').click()
    page.wait_for_url(re.compile(re.escape(path) + "$"))

    expect_h1(page, nynorsk(heading))
    assert_stylesheets_loaded(page)
    assert_accessible(page)
