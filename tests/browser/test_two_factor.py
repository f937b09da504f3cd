"""Two-factor authentication in Chromium: a county staff member's first visit to the admin
(password, setting up an authenticator app, recovery codes, the code the admin asks for),
signing out and in again with a code, and a member's profile and two-factor pages. Each
allauth page is checked for the portal's stylesheets and against WCAG 2.1 A/AA with axe.

TOTP codes depend on the clock, which both this test and the live server read: time-machine
starts it at Tuesday 2 March 2027, 09:00:00 in Oslo and lets it tick, and each code is typed
at the start of a new 30-second period (`fresh_code`), so none is used twice or expires on
the way.
"""

import datetime as dt
import re
import time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import translation
from playwright.sync_api import expect

from tests.helpers import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # what the user factory sets
NINE_IN_OSLO = dt.datetime(2027, 3, 2, 9, 0, 0, tzinfo=ZoneInfo("Europe/Oslo"))


def nynorsk(message: str) -> str:
    with translation.override("nn"):
        return translation.gettext(message)


@pytest.fixture
def clock():
    cache.clear()  # allauth's rate limits and used-code markers
    with time_machine.travel(NINE_IN_OSLO, tick=True) as traveller:
        yield traveller
    cache.clear()


def fresh_code(clock, secret: str) -> str:
    """Move the clock one second into the next TOTP period and give that period's code."""
    clock.shift(dt.timedelta(seconds=30 - time.time() % 30 + 1))
    return totp_code(secret)


@pytest.fixture
def county_staff(verified_user_factory):
    # The transactional database is flushed between tests, which removes the group the data
    # migration made, so it is made here.
    group, _created = Group.objects.get_or_create(name="County staff")
    user = verified_user_factory(email="fylke@example.org", is_staff=True)
    user.groups.add(group)
    return user


def expect_h1(page, text):
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_count(1)
    expect(heading).to_have_text(re.compile(rf"^\s*{re.escape(text)}\s*$"))


def check_page(page, assert_stylesheets_loaded, assert_accessible):
    expect(page.locator("html")).to_have_attribute("lang", "nn")
    assert_stylesheets_loaded(page)
    assert_accessible(page)


def submit(page):
    page.locator('#main form button[type="submit"]').first.click()
    page.wait_for_load_state("load")


def test_staff_first_visit_sets_up_the_authenticator_app_and_signs_in_with_codes(
    page, clock, county_staff, assert_stylesheets_loaded, assert_accessible
):
    # The admin hands over to the site's login.
    page.goto("/admin/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/admin/$"))
    check_page(page, assert_stylesheets_loaded, assert_accessible)
    page.locator('#main input[name="login"]').fill(county_staff.email)
    page.locator('#main input[name="password"]').fill(PASSWORD)
    submit(page)

    # No authenticator yet: set one up, after confirming the password as allauth asks.
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/\?next="))
    expect(page.locator("#main .alert").last).to_contain_text(
        nynorsk(
            "The administration needs two-factor authentication. "
            "Set up an authenticator app to continue."
        )
    )
    check_page(page, assert_stylesheets_loaded, assert_accessible)
    page.locator('#main input[name="password"]').fill(PASSWORD)
    submit(page)

    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    expect_h1(page, nynorsk("Activate Authenticator App"))
    expect(page.locator("#main img[src^='data:image/svg+xml']")).to_be_visible()
    check_page(page, assert_stylesheets_loaded, assert_accessible)
    secret = page.locator("#authenticator_secret").input_value()
    page.locator('#main input[name="code"]').fill(fresh_code(clock, secret))
    submit(page)

    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/$"))
    expect_h1(page, nynorsk("Recovery Codes"))
    codes = page.locator("#recovery_codes").input_value().split()
    assert len(codes) == 10
    check_page(page, assert_stylesheets_loaded, assert_accessible)

    # This session began with the password alone: the admin asks for a code once.
    page.goto("/admin/")
    page.wait_for_url(re.compile(r"/accounts/2fa/reauthenticate/\?next=/admin/$"))
    expect(page.locator("#main .alert").last).to_contain_text(
        nynorsk("Enter a code from your authenticator app to open the administration.")
    )
    check_page(page, assert_stylesheets_loaded, assert_accessible)
    page.locator('#main input[name="code"]').fill(fresh_code(clock, secret))
    submit(page)
    page.wait_for_url(re.compile(r"/admin/$"))
    expect(page.locator("#site-name")).to_contain_text(nynorsk("Network portal administration"))

    # The admin's logout ends the session.
    page.locator("#logout-form button").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator(".site-header")).to_contain_text(nynorsk("Sign in"))

    # Next time: the password, then a code.
    page.goto("/admin/")
    page.locator('#main input[name="login"]').fill(county_staff.email)
    page.locator('#main input[name="password"]').fill(PASSWORD)
    submit(page)
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/$"))
    expect_h1(page, nynorsk("Two-Factor Authentication"))
    check_page(page, assert_stylesheets_loaded, assert_accessible)
    page.locator('#main input[name="code"]').fill(fresh_code(clock, secret))
    submit(page)
    page.wait_for_url(re.compile(r"/admin/$"))


@pytest.fixture
def member_page(page, live_server, linked_contact_person_factory):
    """`page` signed in, through the login form, as a member."""
    person = linked_contact_person_factory(email="kari@bergen.kommune.no")
    page.goto("/accounts/login/")
    page.locator('#main input[name="login"]').fill(person.email)
    page.locator('#main input[name="password"]').fill(PASSWORD)
    submit(page)
    page.wait_for_url(re.compile(r"/my-meetings/$"))
    return page, person


def test_member_profile_and_two_factor_pages(
    clock, member_page, assert_stylesheets_loaded, assert_accessible
):
    page, person = member_page
    page.goto("/profile/")
    section = page.locator("section[aria-labelledby='two-factor-heading']")
    expect(section).to_contain_text(nynorsk("Two-factor authentication"))
    check_page(page, assert_stylesheets_loaded, assert_accessible)

    section.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/$"))
    expect_h1(page, nynorsk("Two-Factor Authentication"))
    check_page(page, assert_stylesheets_loaded, assert_accessible)

    # With an authenticator app: the index offers to turn it off and shows recovery codes.
    TOTP.activate(person.user, generate_totp_secret())
    page.reload()
    expect(page.locator("#main")).to_contain_text(
        nynorsk("Authentication using an authenticator app is active.")
    )
    check_page(page, assert_stylesheets_loaded, assert_accessible)
    page.goto("/accounts/2fa/totp/deactivate/")
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    page.locator('#main input[name="password"]').fill(PASSWORD)
    submit(page)
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/deactivate/$"))
    expect_h1(page, nynorsk("Deactivate Authenticator App"))
    check_page(page, assert_stylesheets_loaded, assert_accessible)


def test_staff_sign_in_with_a_security_key(
    page, clock, county_staff, security_key, assert_stylesheets_loaded, assert_accessible
):
    page.goto("/accounts/login/?next=/accounts/2fa/webauthn/add/")
    page.locator('#main input[name="login"]').fill(county_staff.email)
    page.locator('#main input[name="password"]').fill(PASSWORD)
    submit(page)
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    page.locator('#main input[name="password"]').fill(PASSWORD)
    submit(page)

    page.wait_for_url(re.compile(r"/accounts/2fa/webauthn/add/$"))
    expect_h1(page, nynorsk("Add Security Key"))
    check_page(page, assert_stylesheets_loaded, assert_accessible)
    page.locator("#mfa_webauthn_add").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/$"))

    page.goto("/accounts/2fa/webauthn/")
    expect_h1(page, nynorsk("Security Keys"))
    expect(page.locator("#main table")).to_contain_text(nynorsk("Not used."))
    check_page(page, assert_stylesheets_loaded, assert_accessible)

    # The session began with the password alone: the admin asks for the key.
    page.goto("/admin/")
    page.wait_for_url(re.compile(r"/accounts/2fa/webauthn/reauthenticate/\?next=/admin/$"))
    expect(page.locator("#main .alert").last).to_contain_text(
        nynorsk("Use your security key to open the administration.")
    )
    check_page(page, assert_stylesheets_loaded, assert_accessible)
    page.locator("#mfa_webauthn_reauthenticate").click()
    page.wait_for_url(re.compile(r"/admin/$"))

    page.locator("#logout-form button").click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/admin/")
    page.locator('#main input[name="login"]').fill(county_staff.email)
    page.locator('#main input[name="password"]').fill(PASSWORD)
    submit(page)
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/$"))
    check_page(page, assert_stylesheets_loaded, assert_accessible)
    page.locator("#mfa_webauthn_authenticate").click()
    page.wait_for_url(re.compile(r"/admin/$"))
