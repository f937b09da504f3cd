"""The admin's change history in Chromium, as county staff read it: the history list of a
meeting (with its agenda's changes) and the page of one version pass axe-core's WCAG 2.1 A/AA
rules, in Nynorsk."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from playwright.sync_api import expect

from meetings.models import AgendaItem, Meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OSLO = ZoneInfo("Europe/Oslo")


def nynorsk(message: str) -> str:
    with translation.override("nn"):
        return translation.gettext(message)


@pytest.fixture
def county_staff(county_staff_with):
    return county_staff_with("meetings", ["view_meetingseries", "view_meeting", "view_agendaitem"])


@pytest.fixture
def signed_in_page(sign_in_staff, county_staff):
    return sign_in_staff(county_staff)


@pytest.fixture
def changed_meeting(meeting_factory, county_staff):
    """A meeting on 9 March 2028 at 10:00 that staff moved to 11:00 and cancelled, with an
    agenda item added, changed and another removed."""
    starts = dt.datetime(2028, 3, 9, 10, 0, tzinfo=OSLO)
    meeting = meeting_factory(
        title="Oppstartsmøte",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        registration_deadline=starts - dt.timedelta(days=2),
        capacity=None,
    )
    welcome = AgendaItem(meeting=meeting, order=1, title="Velkomst", starts_at=dt.time(10))
    spare = AgendaItem(meeting=meeting, order=2, title="Pause")
    for item in (welcome, spare):
        item._history_user = county_staff
        item.save()
    welcome.title = "Velkomst og kaffi"
    welcome._history_user = county_staff
    welcome.save()
    spare._history_user = county_staff
    spare.delete()
    meeting.status = Meeting.Status.CANCELLED
    meeting.starts_at = starts + dt.timedelta(hours=1)
    meeting.capacity = 40
    meeting._history_user = county_staff
    meeting.save()
    return meeting


def test_history_list_and_version_pages_are_accessible(
    signed_in_page, changed_meeting, county_staff, assert_accessible
):
    page = signed_in_page
    response = page.goto(f"/admin/meetings/meeting/{changed_meeting.pk}/history/")
    assert response is not None and response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "nn")

    table = page.locator("#change-history")
    expect(table.locator("tbody tr")).to_have_count(6)
    expect(table.locator("thead th").nth(2)).to_have_text(nynorsk("Action"))
    status = table.locator(".history-changes li", has_text="Status:")
    # The arrow is for the eye; screen readers read "changed to" instead.
    expect(status).to_have_text(f"Status: Planlagt → {nynorsk('changed to')} Avlyst")
    expect(status.locator('[aria-hidden="true"]')).to_have_text("→")
    expect(status.locator(".visually-hidden")).to_have_css("position", "absolute")
    starts = table.locator(".history-changes li", has_text=f"{nynorsk('starts').capitalize()}:")
    expect(starts).to_contain_text("9. mars 2028 kl. 10.00")
    expect(starts).to_contain_text("9. mars 2028 kl. 11.00")
    expect(table).to_contain_text("Programpunkt «Pause» fjerna")
    assert_accessible(page)

    table.get_by_role("link", name="Oppstartsmøte").first.click()
    page.wait_for_url(f"**/admin/meetings/meeting/{changed_meeting.pk}/history/*/")
    version = page.locator(".history-version")
    expect(version.get_by_role("heading", level=2)).to_have_text(nynorsk("This version"))
    expect(version.get_by_role("table")).to_contain_text("Avlyst")
    expect(version).to_contain_text(str(county_staff))
    # The version is read as text, not as a form that cannot be saved.
    values = page.get_by_role("table", name=nynorsk("Values in this version"))
    expect(values.get_by_role("row", name=nynorsk("starts").capitalize())).to_contain_text(
        "9. mars 2028 kl. 11.00"
    )
    expect(page.locator("#content-main input:not([type=hidden])")).to_have_count(0)
    assert_accessible(page)
