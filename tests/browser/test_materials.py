"""Materials and minutes in Chromium: a presenter uploads a file from the meeting page (first a
refused one, then a good one), and the page with files grouped by agenda item and the
published minutes, like the list of past meetings, passes axe-core's WCAG 2.1 A/AA rules, in
Nynorsk, for a member and for a visitor who is not signed in."""

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation
from playwright.sync_api import expect

from meetings.minutes import minutes_publish
from meetings.models import Material, Meeting
from tests import factories
from tests.factories import PDF_BYTES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def nynorsk(message: str) -> str:
    with translation.override("nn"):
        return translation.gettext(message)


def use_session(page, live_server, client=None):
    """Make `page` the visitor `client` is signed in as (anonymous without one), in Nynorsk."""
    page.context.clear_cookies()
    cookies = [(settings.LANGUAGE_COOKIE_NAME, "nn")]
    if client is not None:
        cookies.append(
            (settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
        )
    page.context.add_cookies(
        [{"name": name, "value": value, "url": live_server.url} for name, value in cookies]
    )


def goto(page, path):
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: {response.status}"


@pytest.fixture
def meeting(material_storage):
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=3)
    meeting = factories.MeetingFactory(
        title="Prosjekt og partnarar",
        slug="juni",
        status=Meeting.Status.HELD,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=4),
        registration_deadline=start - dt.timedelta(days=2),
        minutes_markdown=(
            "# Vedtak\n\nMøtet vart samde om **tre** prosjektidear:\n\n"
            "1. Berekraftig reiseliv\n2. Eldreomsorg\n3. Klima\n\n"
            "Sjå [Vestland fylkeskommune](https://www.vestlandfylke.no).\n\n"
            "<script>alert('x')</script>"
        ),
    )
    item = factories.AgendaItemFactory(meeting=meeting, title="Prosjektidear", order=1)
    factories.MaterialFactory(meeting=meeting, title="Program for dagen", visibility="public")
    factories.MaterialFactory(meeting=meeting, agenda_item=item, title="Lysark: reiseliv")
    minutes_publish(meeting=meeting)
    return meeting


@pytest.fixture
def presenter(meeting):
    person = factories.LinkedContactPersonFactory(name="Per Presentatør")
    registration = factories.RegistrationFactory(meeting=meeting, contact_person=person)
    factories.PresentationFactory(
        meeting=meeting, registration=registration, idea__contact_person=person
    )
    return person


def test_materials_and_minutes_on_the_meeting_page(
    page, live_server, meeting, presenter, assert_accessible, assert_stylesheets_loaded, tmp_path
):
    client = Client()
    client.force_login(presenter.user)
    use_session(page, live_server, client)
    goto(page, "/meetings/juni/")
    assert_stylesheets_loaded(page)
    expect(page.get_by_role("heading", name=nynorsk("Materials"))).to_be_visible()
    expect(page.get_by_role("link", name="Lysark: reiseliv")).to_be_visible()
    expect(page.get_by_role("heading", name="Vedtak")).to_be_visible()
    assert page.locator(".minutes script").count() == 0
    assert_accessible(page)

    # A file that only claims to be a PDF is refused, with the reason at the field.
    fake = tmp_path / "lysark.pdf"
    fake.write_bytes(b"MZ\x90\x00 not a pdf")
    page.locator('input[name="title"]').fill("Lysark: eldreomsorg")
    page.locator('input[name="file"]').set_input_files(str(fake))
    page.get_by_role("button", name=nynorsk("Upload"), exact=True).click()
    expect(page.locator(".alert-danger").first).to_be_visible()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    assert not Material.objects.filter(title="Lysark: eldreomsorg").exists()
    assert_accessible(page)

    # The real one goes to the agenda item.
    good = tmp_path / "eldreomsorg.pdf"
    good.write_bytes(PDF_BYTES)
    page.locator('input[name="title"]').fill("Lysark: eldreomsorg")
    page.locator('input[name="file"]').set_input_files(str(good))
    page.locator('select[name="agenda_item"]').select_option(label="Prosjektidear")
    page.get_by_role("button", name=nynorsk("Upload"), exact=True).click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.get_by_role("link", name="Lysark: eldreomsorg")).to_be_visible()
    material = Material.objects.get(title="Lysark: eldreomsorg")
    assert material.uploaded_by == presenter.user
    download = page.request.get(live_server.url + material.get_absolute_url())
    assert download.status == 200 and download.body() == PDF_BYTES
    assert_accessible(page)

    # A visitor who is not signed in sees the public file and the minutes.
    use_session(page, live_server)
    goto(page, "/meetings/juni/")
    expect(page.get_by_role("link", name="Program for dagen")).to_be_visible()
    expect(page.get_by_role("link", name="Lysark: reiseliv")).to_have_count(0)
    expect(page.get_by_role("heading", name="Vedtak")).to_be_visible()
    assert_accessible(page)

    # The archive marks the minutes and counts the files.
    goto(page, "/meetings/")
    past = page.locator("#past-heading").locator("..")
    expect(past.get_by_role("link", name=nynorsk("Minutes"), exact=True)).to_be_visible()
    assert_accessible(page)
