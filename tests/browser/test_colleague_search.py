"""A coordinator of a large municipality finds a colleague with the keyboard in Chromium:
the search narrows the picker's list without JavaScript, the narrowed list is announced in
the picker's description, and the registration goes through. Checked against WCAG 2.1 A/AA
with axe, before and after the search."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from meetings.models import Registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def coordinator(municipality_factory, linked_contact_person_factory, contact_person_factory):
    bergen = municipality_factory(name="Bergen", number="4601")
    for number in range(30):
        contact_person_factory(name=f"Kollega {number:02d}", municipality=bergen)
    contact_person_factory(name="Solveig Særnamn", municipality=bergen, email="solveig@k.test")
    return linked_contact_person_factory(
        name="Kari Koordinator", municipality=bergen, coordinator=True
    )


def test_coordinator_finds_and_registers_a_colleague_with_the_keyboard(
    page, live_server, coordinator, meeting_factory, assert_stylesheets_loaded, assert_accessible
):
    meeting = meeting_factory(title="Haustmøtet", slug="haustmotet")
    client = Client()
    client.force_login(coordinator.user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url},
        ]
    )
    page.goto(f"/meetings/{meeting.slug}/register/")
    picker = page.get_by_label("Who is coming?")
    expect(picker.locator("option")).to_have_count(21)
    assert_stylesheets_loaded(page)
    assert_accessible(page)

    search = page.get_by_role("searchbox", name="Find a colleague by name or e-mail address")
    search.focus()
    page.keyboard.type("særn")
    page.keyboard.press("Enter")
    page.wait_for_url("**/register/?colleague=*")
    expect(picker.locator("option")).to_have_count(2)
    expect(picker).to_have_accessible_description(
        "As coordinator you can register colleagues from your municipality. "
        "The list shows colleagues matching “særn”."
    )
    assert_accessible(page)

    picker.select_option(label="Solveig Særnamn <solveig@k.test>")
    page.get_by_role("button", name="Register").click()
    expect(page.locator(".alert-success")).to_contain_text("Solveig Særnamn is registered")
    assert Registration.objects.get().contact_person.name == "Solveig Særnamn"
