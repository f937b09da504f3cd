"""The participation overview in Chromium, signed in as county staff: chart and WCAG 2.1 AA."""

import datetime as dt
import os

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from meetings.models import Meeting, Registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def nynorsk(message: str) -> str:
    with translation.override("nn"):
        return translation.gettext(message)


@pytest.fixture
def county_staff(county_staff_with):
    return county_staff_with(
        "meetings", ["view_meetingseries", "view_meeting", "view_registration"]
    )


@pytest.fixture
def signed_in_page(sign_in_staff, county_staff):
    return sign_in_staff(county_staff)


@pytest.fixture
def participation(
    meeting_series_factory,
    meeting_factory,
    municipality_factory,
    contact_person_factory,
    registration_factory,
):
    """A series with a held meeting, the next one and a tentative one; registrations from
    several municipalities, one on the waiting list, and members with nobody registered."""
    now = timezone.now().replace(microsecond=0)
    series = meeting_series_factory(name="Internasjonalt kommunenettverk")
    held = meeting_factory(
        series=series,
        title="Oppstartsmøte",
        status=Meeting.Status.HELD,
        starts_at=now - dt.timedelta(days=30),
    )
    upcoming = meeting_factory(series=series, title="Prosjektidentifisering")
    meeting_factory(series=series, title="Søknadsverkstad", tentative=True)
    counts = {"Bergen": (4, 2), "Voss": (2, 1), "Askøy": (1, 0), "Kvam": (0, 0), "Fedje": (0, 0)}
    for name, (at_held, at_upcoming) in counts.items():
        municipality = municipality_factory(name=name)
        for meeting, number in ((held, at_held), (upcoming, at_upcoming)):
            for _ in range(number):
                registration_factory(
                    meeting=meeting,
                    contact_person=contact_person_factory(municipality=municipality),
                )
    registration_factory(
        meeting=upcoming,
        contact_person=contact_person_factory(municipality=municipality_factory(name="Stord")),
        status=Registration.Status.WAITLISTED,
    )
    return series


def test_participation_overview(
    signed_in_page, participation, assert_stylesheets_loaded, assert_accessible
):
    page = signed_in_page
    response = page.goto("/meetings/overview/")
    assert response is not None
    assert response.status == 200

    expect(page.locator("html")).to_have_attribute("lang", "nn")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_count(1)
    expect(heading).to_have_text(nynorsk("Participation overview"))

    chart = page.locator("svg.registration-chart")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("role", "img")
    expect(
        page.get_by_role(
            "img",
            name=nynorsk("Registrations per municipality, %(series)s") % {"series": participation},
        )
    ).to_have_count(1)
    # Bergen, Voss, Askøy and Stord registered; Kvam and Fedje did not.
    expect(chart.locator("g.chart-bar")).to_have_count(4)
    expect(chart.locator("g.chart-bar text.chart-label")).to_have_text(
        ["Bergen", "Voss", "Askøy", "Stord"]
    )
    expect(chart.locator("rect.chart-bar-waitlisted")).to_have_count(1)
    # portal.css paints the bars: confirmed solid, the waiting list hatched and outlined, all
    # in the portal blue.
    expect(chart.locator("rect.chart-bar-confirmed").first).to_have_css("fill", "rgb(10, 79, 143)")
    waitlisted = chart.locator("rect.chart-bar-waitlisted")
    expect(waitlisted).to_have_css("stroke", "rgb(10, 79, 143)")
    expect(waitlisted).to_have_css("fill", 'url("#registration-chart-hatch")')

    table = page.get_by_role("table")
    expect(table.locator("tbody tr")).to_have_count(6)
    expect(page.locator(".municipality-list li")).to_have_text(["Askøy", "Fedje", "Kvam"])

    # Switching the series is a plain GET form, no script.
    expect(page.get_by_label(nynorsk("Meeting series"))).to_have_value(str(participation.pk))

    assert_stylesheets_loaded(page)
    assert_accessible(page)

    screenshot_dir = os.environ.get("OVERVIEW_SCREENSHOT_DIR")
    if screenshot_dir:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(
            path=os.path.join(screenshot_dir, "participation-overview.png"), full_page=True
        )


def test_participation_overview_in_english_on_a_narrow_screen(
    signed_in_page, participation, assert_accessible
):
    page = signed_in_page
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/meetings/overview/")
    # On a phone the language switcher is in the header's folded menu.
    page.locator(".site-header .navbar-toggler").click()
    page.locator('form.language-switcher button[value="en"]').click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Participation overview")
    expect(page.locator("svg.registration-chart")).to_be_visible()
    # The wide table scrolls inside a keyboard-focusable region instead of the page.
    region = page.get_by_role("region", name="Registrations in Internasjonalt kommunenettverk")
    region.focus()
    expect(region).to_be_focused()
    assert_accessible(page)
