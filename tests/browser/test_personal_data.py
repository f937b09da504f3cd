"""A person's own data in Chromium: the profile's data and sign-in sections, deleting the
account through the password check and the confirmation, all checked against WCAG 2.1 A/AA."""

import re

import pytest
from django.core.cache import cache
from django.utils import translation
from playwright.sync_api import expect

from members.models import ContactPerson, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


def nynorsk(message: str) -> str:
    with translation.override("nn"):
        return translation.gettext(message)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """allauth counts failed logins in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def person(linked_contact_person_factory):
    return linked_contact_person_factory(name="Solveig Haugland", email="solveig@example.org")


def sign_in(page, live_server, person):
    page.goto("/accounts/login/?next=/profile/")
    form = page.locator('form[action="/accounts/login/"]')
    form.locator('input[name="login"]').fill(person.email)
    form.locator('input[name="password"]').fill(PASSWORD)
    form.locator('button[type="submit"]').click()
    page.wait_for_url(re.compile(re.escape(live_server.url) + "/profile/$"))


def test_profile_offers_export_sign_out_everywhere_and_delete(
    page, live_server, person, assert_stylesheets_loaded, assert_accessible
):
    sign_in(page, live_server, person)

    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    expect(page.get_by_role("heading", name=nynorsk("Your data"))).to_be_visible()
    expect(page.get_by_role("button", name=nynorsk("Sign out everywhere"))).to_be_visible()
    export = page.get_by_role("link", name=nynorsk("Download my data (JSON)"))
    with page.expect_download() as download:
        export.click()
    assert download.value.suggested_filename.startswith("personal-data-")
    assert_stylesheets_loaded(page)
    assert_accessible(page)


def test_deleting_the_account_asks_for_the_password_and_the_address(
    page, live_server, person, assert_stylesheets_loaded, assert_accessible
):
    sign_in(page, live_server, person)

    page.get_by_role("link", name=nynorsk("Delete my account")).click()
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    assert_accessible(page)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('#main form button[type="submit"]').click()

    page.wait_for_url(re.compile(re.escape(live_server.url) + "/profile/delete/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(nynorsk("Delete your account"))
    assert_stylesheets_loaded(page)
    assert_accessible(page)

    # The wrong address first: the form answers with its error, accessibly.
    address = page.get_by_label(nynorsk("Your e-mail address"))
    address.fill("someone@example.org")
    page.get_by_role("button", name=nynorsk("Delete my account")).click()
    expect(address).to_have_attribute("aria-invalid", "true")
    page.wait_for_load_state("load")
    assert_accessible(page)
    assert User.objects.filter(pk=person.user_id).exists()

    address.fill(person.email)
    page.get_by_role("button", name=nynorsk("Delete my account")).click()

    page.wait_for_url(re.compile(re.escape(live_server.url) + "/profile/deleted/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        nynorsk("Your account has been deleted")
    )
    expect(page.get_by_role("link", name=nynorsk("Sign in"))).to_be_visible()
    assert_accessible(page)
    assert not User.objects.filter(pk=person.user_id).exists()
    assert ContactPerson.objects.get(pk=person.pk).anonymised_at is not None
