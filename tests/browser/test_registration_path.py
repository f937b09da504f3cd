"""A newcomer's whole path in Chromium: from the meeting page through sign-up, e-mail
verification and sign-in to a registration, and on to cancelling it from My meetings.

Every page on the way is checked against WCAG 2.1 A/AA, the forms also in their error state.
E-mails are read from Django's locmem outbox: the live server runs in a thread of this
process, so what it sends lands in the same `mail.outbox` the test reads.
"""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import translation
from playwright.sync_api import expect

from meetings.models import Registration
from members.models import ContactPerson, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "person@testkommune.kommune.no"
NAME = "Kari Nordmann"
PASSWORD = "Fjordvegen-Hardanger-2024"
CONFIRM_LINK = re.compile(r"https?://\S+?(/accounts/confirm-email/[^/\s]+/)")


def nynorsk(message: str, context: str | None = None) -> str:
    """The Nynorsk the live server renders for `message`, from the same compiled catalogue."""
    with translation.override("nn"):
        if context:
            return translation.pgettext(context, message)
        return translation.gettext(message)


@pytest.fixture
def municipality(municipality_factory, email_domain_factory):
    municipality = municipality_factory(name="Testkommune")
    email_domain_factory(municipality=municipality, domain="testkommune.kommune.no")
    return municipality


@pytest.fixture
def meeting(meeting_factory, agenda_item_factory):
    """A scheduled meeting with registration open, two seats, and an online option."""
    meeting = meeting_factory(
        title="Nettverksmøte om EU-program",
        slug="nettverksmote-eu-program",
        capacity=2,
        online_url="https://meet.example.org/nettverksmote",
    )
    for order, title in enumerate(["Velkomen", "Erasmus+ for kommunane", "Vegen vidare"]):
        agenda_item_factory(meeting=meeting, order=order, title=title)
    return meeting


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """allauth counts sign-ups and failed logins in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()


def goto(page, path):
    response = page.goto(path)
    assert response is not None
    assert response.status == 200, f"{path} answered {response.status}"


def messages_to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]


def ics_attachments(message) -> list:
    return [
        attachment
        for attachment in message.attachments
        if not isinstance(attachment, str) and str(attachment[0]).endswith(".ics")
    ]


def test_sign_up_verify_sign_in_register_and_cancel(
    page, live_server, municipality, meeting, assert_stylesheets_loaded, assert_accessible
):
    meeting_path = meeting.get_absolute_url()
    register_path = f"/meetings/{meeting.slug}/register/"
    login_path = f"/accounts/login/?next={register_path}"

    def at(path):
        """The whole URL of `path` on the live server, for wait_for_url and to_have_url."""
        return re.compile("^" + re.escape(live_server.url + path) + "$")

    registration_panel = page.locator("#registration")

    # --- The meeting page, signed out: an invitation to sign in or sign up. -----------------
    goto(page, meeting_path)
    expect(page.locator("html")).to_have_attribute("lang", "nn")
    expect(page.get_by_role("heading", level=1)).to_have_text(meeting.title)
    expect(page.locator("ol.agenda > li")).to_have_count(3)
    sign_in_link = registration_panel.locator('a[href^="/accounts/login/"]')
    expect(sign_in_link).to_have_attribute("href", login_path)
    expect(registration_panel.locator("form")).to_have_count(0)

    # --- Sign up. ----------------------------------------------------------------------------
    registration_panel.locator('a[href^="/accounts/signup/"]').click()
    page.wait_for_url(at(f"/accounts/signup/?next={register_path}"))
    signup_form = page.locator('form[action="/accounts/signup/"]')
    expect(signup_form.locator('input[name="name"]')).to_be_visible()
    assert_stylesheets_loaded(page)
    assert_accessible(page)

    signup_form.locator('input[name="name"]').fill(NAME)
    signup_form.locator('input[name="email"]').fill(EMAIL)
    signup_form.locator('input[name="password1"]').fill(PASSWORD)
    signup_form.locator('input[name="password2"]').fill(PASSWORD)
    signup_form.locator('button[type="submit"]').click()

    # Mandatory verification: no session yet, just the "we have sent you an e-mail" page.
    page.wait_for_url(at("/accounts/confirm-email/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(nynorsk("Verify Your Email Address"))
    assert_accessible(page)
    user = User.objects.get(email=EMAIL)
    assert (user.first_name, user.last_name) == ("Kari", "Nordmann")
    assert not ContactPerson.objects.filter(email__iexact=EMAIL).exists()

    # --- Verify the address with the link from the e-mail. ------------------------------------
    [verification] = messages_to(EMAIL)
    match = CONFIRM_LINK.search(verification.body)
    assert match, verification.body
    goto(page, match.group(1))
    # allauth signs the key afresh for the form (with a timestamp), so match the prefix only.
    confirm_button = page.locator('form[action^="/accounts/confirm-email/"] button[type="submit"]')
    expect(confirm_button).to_be_visible()
    assert_accessible(page)
    confirm_button.click()
    page.wait_for_url(at("/accounts/login/"))
    assert user.emailaddress_set.get(email=EMAIL).verified

    # --- Sign in from the meeting page: a wrong password first. ------------------------------
    goto(page, meeting_path)
    sign_in_link.click()
    page.wait_for_url(at(login_path))
    login_form = page.locator('form[action="/accounts/login/"]')
    expect(login_form.locator('input[name="login"]')).to_be_visible()
    assert_stylesheets_loaded(page)
    assert_accessible(page)

    login_form.locator('input[name="login"]').fill(EMAIL)
    login_form.locator('input[name="password"]').fill("not-the-password")
    login_form.locator('button[type="submit"]').click()
    # The same URL answers with the form again: wait for its error, then for the page's load.
    expect(login_form.locator(".alert-danger, .invalid-feedback").first).to_be_visible()
    page.wait_for_load_state("load")
    # The form posts to /accounts/login/ and carries the way back in a hidden field.
    expect(page).to_have_url(at("/accounts/login/"))
    expect(login_form.locator('input[name="next"]')).to_have_value(register_path)
    assert_accessible(page)

    login_form.locator('input[name="login"]').fill(EMAIL)
    login_form.locator('input[name="password"]').fill(PASSWORD)
    login_form.locator('button[type="submit"]').click()

    # --- Back at the meeting page, now with the registration form. ---------------------------
    page.wait_for_url(at(register_path))
    registration_form = registration_panel.locator(f'form[action="{register_path}"]')
    expect(registration_form).to_be_visible()
    attendance = registration_form.locator('input[type="radio"][name="attendance_mode"]')
    expect(attendance).to_have_count(2)
    assert_stylesheets_loaded(page)
    assert_accessible(page)

    person = ContactPerson.objects.get(user=user)
    assert person.municipality == municipality

    # An invalid answer: the server rejects a comment over 2000 characters.
    registration_form.locator('textarea[name="comment"]').evaluate(
        "(textarea, value) => { textarea.removeAttribute('maxlength'); textarea.value = value; }",
        "x" * 2001,
    )
    registration_form.locator('button[type="submit"]').click()
    # The same URL answers with the form again: wait for its error, then for the page's load.
    comment = registration_form.locator('textarea[name="comment"]')
    expect(comment).to_have_attribute("aria-invalid", "true")
    page.wait_for_load_state("load")
    expect(page).to_have_url(at(register_path))
    expect(page.locator(".messages .alert-danger")).to_have_text(
        nynorsk("Please correct the errors in the form.")
    )
    comment_error = registration_form.locator(".invalid-feedback")
    expect(comment_error).to_have_count(1)
    expect(comment_error).to_contain_text("2000")
    assert not Registration.objects.exists()
    assert_accessible(page)

    # Valid answers.
    registration_form.locator('input[name="attendance_mode"][value="online"]').check()
    registration_form.locator('input[name="dietary_needs"]').fill("Vegetar")
    registration_form.locator('input[name="presenting_project_idea"]').check()
    comment.fill("Gler meg til møtet.")
    registration_form.locator('button[type="submit"]').click()

    page.wait_for_url(at(f"{meeting_path}#registration"))
    expect(page.locator(".messages .alert-success")).to_have_text(
        nynorsk("You are registered. A confirmation has been sent by e-mail.")
    )
    expect(registration_panel.locator(".registration-status")).to_contain_text(nynorsk("Confirmed"))
    expect(registration_panel.locator("form")).to_have_count(0)
    assert_accessible(page)

    registration = Registration.objects.get(meeting=meeting, contact_person=person)
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.attendance_mode == Registration.AttendanceMode.ONLINE
    assert registration.dietary_needs == "Vegetar"
    assert registration.presenting_project_idea
    assert registration.comment == "Gler meg til møtet."

    confirmation = messages_to(EMAIL)[-1]
    assert confirmation.subject == nynorsk("Registration confirmed: %(title)s") % {
        "title": meeting.title
    }
    [calendar] = ics_attachments(confirmation)
    content = calendar[1].decode() if isinstance(calendar[1], bytes) else calendar[1]
    assert "BEGIN:VCALENDAR" in content
    assert "BEGIN:VEVENT" in content
    assert len(messages_to(EMAIL)) == 2  # the verification and the confirmation

    # --- My meetings: the registration, and cancelling it. -----------------------------------
    goto(page, "/my-meetings/")
    row = page.locator("#main table tbody tr", has_text=meeting.title)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(2)).to_have_text(nynorsk("Confirmed"))
    assert_accessible(page)

    cancel_path = f"/meetings/registrations/{registration.pk}/cancel/"
    row.locator(f'a[href^="{cancel_path}"]').click()
    page.wait_for_url(at(f"{cancel_path}?next=my_meetings"))
    expect(page.get_by_role("heading", level=1)).to_have_text(nynorsk("Cancel registration"))
    assert_accessible(page)
    page.locator('#main form[method="post"] button[type="submit"]').click()

    page.wait_for_url(at("/my-meetings/"))
    expect(page.locator(".messages .alert-success")).to_have_text(
        nynorsk("The registration has been cancelled.")
    )
    expect(row.locator("td").nth(2)).to_have_text(nynorsk("Cancelled", "registration status"))
    expect(row.locator(f'a[href="{register_path}"]')).to_be_visible()
    assert_accessible(page)

    # The meeting page offers the form again.
    goto(page, meeting_path)
    expect(registration_panel.locator(".registration-status")).to_have_count(0)
    expect(registration_panel.locator(f'form[action="{register_path}"]')).to_be_visible()

    # --- The e-mails and the database. -------------------------------------------------------
    sent = messages_to(EMAIL)
    assert len(sent) == 3, [message.subject for message in sent]
    cancellation = sent[-1]
    assert cancellation.subject == nynorsk("Registration cancelled: %(title)s") % {
        "title": meeting.title
    }
    # The entry from the confirmation is cancelled in the person's calendar.
    [entry] = ics_attachments(cancellation)
    assert "STATUS:CANCELLED" in entry[1]

    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    assert registration.cancelled_at is not None
    assert Registration.objects.count() == 1
    person.refresh_from_db()
    assert person.user == user
    assert person.email == EMAIL
    assert person.municipality == municipality
