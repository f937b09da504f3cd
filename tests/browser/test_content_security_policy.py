"""The Content-Security-Policy in Chromium: no page we serve trips it.

The portal sends `script-src 'self'; style-src 'self'` without 'unsafe-inline', so an inline
`<script>`, a `style=""` attribute or a `<style>` element in a template, or markup with one
that a script inserts, is blocked by the browser. These tests open a representative set of
member pages, allauth's pages (TOTP set-up with its QR code included) and the admin pages
county staff use, work the admin's widgets (calendar and clock, autocomplete, the two-box
filter, the prepopulated slug, extra inline rows, the related-object popup, the import
preview) and fail on any violation the browser reports.

Nothing here bypasses the policy: Chromium enforces the header exactly as the live server
sends it. Violations are caught twice over: the `securitypolicyviolation` event, recorded by
a script Playwright adds to every document (Playwright's own scripts are not subject to the
page's policy), and Chromium's console message "... violates the following Content Security
Policy directive ...".
"""

import csv
import io
import re

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client, RequestFactory
from django.urls import reverse
from playwright.sync_api import expect

from meetings import invitations
from meetings.models import Mailing, Meeting
from projects.models import CallReminder, EUProgramme, ProjectIdea
from tests import factories
from tests.helpers import sign_in_with_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # what the user factory sets
VIOLATION_MARK = "securitypolicyviolation:"
RECORD_VIOLATIONS = f"""
document.addEventListener("securitypolicyviolation", (event) => {{
  console.error("{VIOLATION_MARK} " + [
    event.effectiveDirective, "blocked " + (event.blockedURI || "inline"),
    "in " + event.sourceFile + ":" + event.lineNumber, "sample " + event.sample,
    "on " + document.location.pathname,
  ].join(" | "));
}});
"""


class ViolationLog:
    """Every Content-Security-Policy violation in the browser context, from any page or
    popup, with the page it happened on."""

    def __init__(self, context):
        self.messages: list[str] = []
        context.add_init_script(RECORD_VIOLATIONS)
        context.on("console", self._on_console)

    def _on_console(self, message):
        text = message.text
        if text.startswith(VIOLATION_MARK) or "Content Security Policy" in text:
            page_url = message.page.url if message.page else "?"
            self.messages.append(f"{page_url}: {text}")

    def assert_none(self):
        assert not self.messages, (
            f"{len(self.messages)} Content-Security-Policy violation(s):\n"
            + "\n".join(self.messages)
        )


@pytest.fixture
def violations(page):
    return ViolationLog(page.context)


@pytest.fixture
def sign_in(page, live_server):
    """Give `page` the session of `user`, as after signing in (staff with the second factor
    the admin asks of them)."""

    def as_user(user):
        client = Client()
        if user.is_staff:
            sign_in_with_second_factor(client, user)
        else:
            client.force_login(user)
        page.context.clear_cookies()
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )

    return as_user


def visit(page, path, *, status=200):
    """Open `path`, check that the policy came with it (enforced, not report-only) and wait
    until the page's scripts have run."""
    response = page.goto(path)
    assert response is not None
    assert response.status == status, f"{path} answered {response.status}"
    headers = response.headers
    assert "content-security-policy-report-only" not in headers
    policy = headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy, f"{path}: {policy!r}"
    assert "style-src 'self'" in policy, f"{path}: {policy!r}"
    page.wait_for_load_state("load")


@pytest.fixture
def network(
    municipality_factory,
    email_domain_factory,
    linked_contact_person_factory,
    meeting_series_factory,
    meeting_factory,
    agenda_item_factory,
    registration_factory,
    mailing_factory,
    mailing_recipient_factory,
    project_idea_factory,
    interest_factory,
):
    """Some of everything the pages show: a member with a registration, an idea with an
    interest, a sent invitation, and change history."""
    bergen = municipality_factory(name="Bergen", number="1201")
    email_domain_factory(municipality=bergen, domain="bergen.kommune.no")
    voss = municipality_factory(name="Voss", number="1235")
    member = linked_contact_person_factory(
        name="Kari Nordmann", email="kari@bergen.kommune.no", municipality=bergen
    )
    colleague = linked_contact_person_factory(name="Ola Vossing", municipality=voss)
    series = meeting_series_factory(name="Internasjonalt kommunenettverk")
    meeting = meeting_factory(series=series, title="Nettverksmøte", slug="nettverksmote")
    meeting_factory(series=series, tentative=True, title="Søknadsverkstad")
    for order, title in enumerate(["Velkomen", "Erasmus+ for kommunane"]):
        agenda_item_factory(meeting=meeting, order=order, title=title)
    registration = registration_factory(meeting=meeting, contact_person=member)
    registration_factory(meeting=meeting, contact_person=colleague)
    # A change, so the history has two versions to compare.
    meeting.title = "Nettverksmøte om EU-program"
    meeting.save()
    programme, _created = EUProgramme.objects.get_or_create(name="Erasmus+")
    EUProgramme.objects.get_or_create(name="Interreg North Sea")
    idea = project_idea_factory(
        title="Velferdsteknologi", contact_person=member, programmes=[programme]
    )
    interest_factory(idea=idea, contact_person=colleague)
    call = factories.CallFactory(programme=programme, title="KA220 Samarbeidspartnarskap")
    idea.calls.add(call)
    factories.ProgrammeFollowFactory(contact_person=member, programme=programme)
    CallReminder.objects.create(call=call, contact_person=member, days_before=28)
    mailing = mailing_factory(meeting=meeting)
    recipient = mailing_recipient_factory(
        mailing=mailing, email=member.email, name=member.name, contact_person=member
    )
    return {
        "member": member,
        "meeting": meeting,
        "registration": registration,
        "idea": idea,
        "invitation_token": invitations.recipient_token(recipient),
    }


@pytest.fixture
def superuser(user_factory):
    return user_factory(email="admin@example.org", is_staff=True, is_superuser=True)


# --- The detector itself ---------------------------------------------------------------------


def test_an_inline_style_is_reported(page, violations, network):
    # Without this, a broken listener would let every other test here pass.
    visit(page, "/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<style>p{}</style>')")
    for _ in range(50):
        if len(violations.messages) >= 4:  # each one as an event and as a console message
            break
        page.wait_for_timeout(100)
    assert any("style-src-attr" in message for message in violations.messages), violations.messages
    assert any("style-src-elem" in message for message in violations.messages), violations.messages


# --- Member pages ----------------------------------------------------------------------------


def test_public_pages(page, violations, network):
    for path in [
        "/",
        "/meetings/",
        network["meeting"].get_absolute_url(),
        "/accessibility/",
        "/privacy/",
        f"/invitations/{network['invitation_token']}/",
        f"/invitations/{network['invitation_token']}/decline/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/admin/login/",
    ]:
        visit(page, path)
    visit(page, "/no-such-page/", status=404)
    # A form in its error state.
    visit(page, "/accounts/login/")
    page.locator('#main input[name="login"]').fill("nobody@example.org")
    page.locator('#main input[name="password"]').fill("wrong-password")
    page.locator('#main button[type="submit"]').click()
    expect(page.locator("#main .alert-danger, #main .invalid-feedback").first).to_be_visible()
    violations.assert_none()


def test_member_pages(page, violations, sign_in, network):
    sign_in(network["member"].user)
    idea = network["idea"]
    for path in [
        "/my-meetings/",
        f"/meetings/{network['meeting'].slug}/register/",
        f"/meetings/registrations/{network['registration'].pk}/edit/",
        f"/meetings/registrations/{network['registration'].pk}/cancel/",
        "/profile/",
        "/projects/",
        "/projects/new/",
        f"/projects/{idea.pk}/",
        f"/projects/{idea.pk}/edit/",
        f"/projects/{idea.pk}/delete/",
        "/projects/municipalities/1201/",
        "/projects/programmes/follow/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/logout/",
    ]:
        visit(page, path)
    violations.assert_none()


def test_totp_set_up_shows_its_qr_code(page, violations, sign_in, network):
    sign_in(network["member"].user)
    # allauth asks for the password again before MFA set-up.
    visit(page, "/accounts/2fa/totp/activate/")
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    page.locator('#main input[name="password"]').fill(PASSWORD)
    page.locator('#main button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/$"))

    qr_code = page.locator("#main img[src^='data:']")
    expect(qr_code).to_have_count(1)
    # img-src allows data: URLs, so the QR code is drawn, not blocked.
    assert qr_code.evaluate("image => image.complete && image.naturalWidth > 0")
    violations.assert_none()


def test_two_factor_pages(page, violations, sign_in, live_server, network):
    user = network["member"].user
    RecoveryCodes.activate(user)
    sign_in(user)
    sign_in_with_second_factor(Client(), user)  # gives the member an authenticator app
    for path in [
        "/profile/",
        "/accounts/2fa/",
        "/accounts/2fa/recovery-codes/",
        # These ask for the second factor again first: allauth's reauthentication page.
        "/accounts/2fa/recovery-codes/generate/",
        "/accounts/2fa/totp/deactivate/",
        "/accounts/2fa/reauthenticate/",
    ]:
        visit(page, path)
    # The code asked for at login, in its error state.
    page.context.clear_cookies()
    visit(page, "/accounts/login/")
    page.locator('#main input[name="login"]').fill(user.email)
    page.locator('#main input[name="password"]').fill(PASSWORD)
    page.locator('#main button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.locator('#main input[name="code"]').fill("000000")
    page.locator('#main button[type="submit"]').first.click()
    expect(page.locator("#main .invalid-feedback, #main .alert-danger").first).to_be_visible()
    violations.assert_none()


def test_security_key_pages(page, violations, sign_in, security_key, network):
    # allauth's WebAuthn pages run its scripts from static files, with their data in
    # JSON <script> elements, which the policy does not execute.
    user = network["member"].user
    sign_in(user)
    visit(page, "/accounts/2fa/webauthn/add/")
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    page.locator('#main input[name="password"]').fill(PASSWORD)
    page.locator('#main button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/accounts/2fa/webauthn/add/$"))
    page.locator("#mfa_webauthn_add").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/$"))
    key = user.authenticator_set.get(type="webauthn")
    for path in [
        "/accounts/2fa/webauthn/",
        f"/accounts/2fa/webauthn/keys/{key.pk}/edit/",
        f"/accounts/2fa/webauthn/keys/{key.pk}/remove/",
        "/accounts/2fa/webauthn/reauthenticate/",
    ]:
        visit(page, path)
    # Signing in with the password and the key.
    page.context.clear_cookies()
    visit(page, "/accounts/login/")
    page.locator('#main input[name="login"]').fill(user.email)
    page.locator('#main input[name="password"]').fill(PASSWORD)
    page.locator('#main button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.locator("#mfa_webauthn_authenticate").click()
    page.wait_for_url(re.compile(r"/my-meetings/$"))
    violations.assert_none()


# --- Admin pages -----------------------------------------------------------------------------


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_admin_changelist_add_and_change_page(page, violations, sign_in, network, superuser):
    sign_in(superuser)
    request = RequestFactory().get("/admin/")
    request.user = superuser
    visit(page, "/admin/")
    for model, model_admin in admin.site._registry.items():
        visit(page, admin_url(model, "changelist"))
        if model_admin.has_add_permission(request):
            visit(page, admin_url(model, "add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            visit(page, admin_url(model, "change", first.pk))
    violations.assert_none()


def test_admin_history_delete_and_password_pages(page, violations, sign_in, network, superuser):
    sign_in(superuser)
    meeting = network["meeting"]
    visit(page, admin_url(Meeting, "history", meeting.pk))
    # The style the overridden template had inline comes from static/css/admin.css.
    expect(page.locator(".history-paginator")).to_have_css("border-top-style", "none")
    # django-simple-history's page of one version, compared with the present.
    page.locator("#change-history a").first.click()
    page.wait_for_load_state("load")
    # A meeting with registrations cannot be deleted (it is cancelled instead): delete one
    # without.
    spare = Meeting.objects.create(
        series=meeting.series, title="Ekstramøte", slug="ekstramote", tentative_period="juni"
    )
    visit(page, admin_url(Meeting, "delete", spare.pk))
    visit(page, reverse("admin:auth_user_password_change", args=[superuser.pk]))
    visit(page, admin_url(Group, "add"))
    visit(page, reverse("admin:password_change"))
    # The participation overview, linked from the admin index.
    visit(page, reverse("meetings:overview"))
    expect(page.locator("svg.registration-chart")).to_be_visible()
    # A changelist action's confirmation page, for a programme without calls (a programme's
    # calls keep it from being deleted).
    spare_programme = factories.EUProgrammeFactory(name="Ekstraprogram")
    visit(page, admin_url(EUProgramme, "changelist"))
    page.locator(f'input[name="_selected_action"][value="{spare_programme.pk}"]').check()
    page.locator('select[name="action"]').select_option("delete_selected")
    page.locator('button[name="index"]').click()
    expect(page.locator("#content form input[name='post']")).to_have_count(1)
    violations.assert_none()


def test_admin_widgets_at_work(page, violations, sign_in, network, superuser):
    sign_in(superuser)
    # The dark-mode switch in the header.
    visit(page, "/admin/")
    page.locator("button.theme-toggle").first.click()
    # The sidebar's filter box.
    visit(page, admin_url(Meeting, "changelist"))
    page.locator("#nav-filter").fill("møte")

    visit(page, admin_url(Meeting, "add"))
    # The prepopulated slug (prepopulate.js listens for keys, not for input events).
    page.locator("#id_title").press_sequentially("Haustmøte i Bergen")
    expect(page.locator("#id_slug")).to_have_value(re.compile(r"^haustm"))
    # Calendar and clock pop-ups of the date and time widgets.
    page.locator(".datetimeshortcuts a[id^='calendarlink']").first.click()
    expect(page.locator(".calendarbox").first).to_be_visible()
    page.locator(".calendarbox .calendarnav-next").first.click()
    page.locator(".calendarbox .calendar td a").first.click()
    page.locator(".datetimeshortcuts a[id^='clocklink']").first.click()
    expect(page.locator(".clockbox").first).to_be_visible()
    page.locator(".clockbox a").first.click()
    # Autocomplete (select2) with a search typed into it.
    page.locator("#id_series + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill("Intern")
    expect(page.locator(".select2-results__option").first).to_contain_text("Internasjonalt")
    page.keyboard.press("Escape")
    # Another empty inline row.
    page.locator(".add-row a").first.click()
    # The related-object popup, saved, which answers with the popup response page.
    with page.expect_popup() as popup_info:
        page.locator("#add_id_series").click()
    popup = popup_info.value
    popup.wait_for_load_state("load")
    popup.locator("#id_name").fill("Nettverkssamlingar 2027")
    popup.locator("#id_year").fill("2027")
    popup.locator("#id_organiser_name").fill("Seksjon for internasjonalisering")
    with popup.expect_event("close"):
        popup.locator('input[name="_save"]').click()
    expect(page.locator("#id_series")).to_have_value(re.compile(r"\d+"))

    # The two-box filter (filter_horizontal) and a multiple autocomplete.
    visit(page, admin_url(ProjectIdea, "change", network["idea"].pk))
    page.locator("#id_programmes_input").fill("Inter")
    page.locator("#id_programmes_from option").first.click()
    page.locator("#id_programmes_add").click()
    expect(page.locator("#id_programmes_to option")).to_have_count(2)

    # The invitation form's two-box filter of municipalities.
    visit(page, admin_url(Mailing, "add"))
    page.locator("#id_municipalities_add_all").click()
    violations.assert_none()


def test_admin_import_preview_and_confirm(page, violations, sign_in, network, superuser):
    sign_in(superuser)
    text = io.StringIO()
    csv.writer(text).writerows(
        [
            ["name", "email", "job_title", "municipality"],
            ["Kari Nordmann", network["member"].email, "Rådgjevar", "1201"],
            ["Per Ny", "per.ny@bergen.kommune.no", "Konsulent", "1201"],
        ]
    )
    visit(page, "/admin/members/contactperson/import/")
    page.locator("#id_import_file").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": text.getvalue().encode()}]
    )
    page.locator("#id_format").select_option(label="csv")
    page.locator('#content form input[type="submit"]').click()
    # The preview marks what changes in each row.
    expect(page.locator("table.import-preview")).to_be_visible()
    inserted = page.locator("table.import-preview ins").first
    expect(inserted).to_be_visible()
    # Coloured by import-export's stylesheet now that the inline style is gone.
    expect(inserted).to_have_css("background-color", "rgb(230, 255, 230)")
    page.locator('input[name="confirm"]').click()
    page.wait_for_url(re.compile(r"/admin/members/contactperson/$"))
    violations.assert_none()
