"""Every public and member page on a phone (375 px) and on a desktop screen (1,280 px).

The pages are taken from the urlconf: each named URL outside the admin is either in PAGES,
with the visitors it is opened as, or in NOT_PAGES, with the reason it is no HTML page.
`test_every_portal_url_is_visited` fails on a URL in neither, so a new page is not missed.

Each page is filled with realistic data (long names, long e-mail addresses, the longest stage
badge) and checked at both widths: nothing makes the page scroll sideways, and axe-core finds
no WCAG 2.1 A/AA violation. At the desktop width every element the keyboard reaches shows the
3 px focus outline. Further tests work the collapsing header with the keyboard and check that
its links keep to one line in every language at 1,280 px.
"""

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.internal.flows.login import record_authentication
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from meetings import invitations, polls
from meetings.models import DatePoll, DatePollCandidate, Meeting, Registration
from projects import services as project_services
from projects.models import EUProgramme, Interest, Presentation
from tests import factories
from tests.browser.conftest import AXE_OPTIONS, format_axe_violations
from tests.helpers import sign_in_with_second_factor

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "correct-horse-battery"  # what the user factory sets

# Who opens each page. Roles: anonymous; member and coordinator of a municipality (signed in
# with the password a moment ago, so allauth's pages behind reauthentication open); unlinked
# (an account no municipality has claimed yet); other_member (of another municipality, who
# marks interest in the member's idea); staff (county staff, with the second factor); and
# signing_in (the coordinator half-way through signing in, at the second-factor step).
# A URL that redirects is checked where it leads.
PAGES = {
    "home": ("anonymous", "member", "staff"),
    "accessibility": ("anonymous",),
    "privacy": ("anonymous",),
    "meetings:list": ("anonymous", "member"),
    "meetings:detail": ("anonymous", "member", "coordinator", "unlinked"),
    "meetings:register": ("member", "coordinator"),
    "meetings:registration_edit": ("member", "coordinator"),
    "meetings:registration_cancel": ("member",),
    "meetings:overview": ("staff",),
    "meetings:check_in": ("staff",),
    "meetings:attendance_confirmation": ("member",),
    "meetings:poll": ("anonymous", "member"),
    "poll_link": ("anonymous",),
    "my_meetings": ("member", "coordinator"),
    "invitation": ("anonymous", "member"),
    "invitation_decline": ("anonymous",),
    "profile": ("member", "coordinator", "unlinked", "staff"),
    "profile_waiting": ("unlinked",),
    "profile_delete": ("member",),
    "profile_deleted": ("anonymous",),
    "projects:list": ("member", "staff"),
    "projects:create": ("member",),
    "projects:detail": ("member", "other_member"),
    "projects:edit": ("member",),
    "projects:delete": ("member",),
    "projects:municipality": ("member",),
    "yearwheel:current": ("anonymous",),
    "yearwheel:year": ("anonymous", "member"),
    "projects:follow_programmes": ("member", "staff"),
    "account_login": ("anonymous",),
    "account_logout": ("member",),
    "account_inactive": ("anonymous",),
    "account_signup": ("anonymous",),
    "account_reauthenticate": ("member",),
    "account_request_reauthentication_code": ("member",),
    "account_confirm_reauthentication_code": ("member",),
    "account_email": ("member",),
    "account_email_verification_sent": ("anonymous",),
    "account_change_password": ("member",),
    "account_set_password": ("member",),
    "account_reset_password": ("anonymous",),
    "account_reset_password_done": ("anonymous",),
    "account_reset_password_from_key": ("anonymous",),
    "account_reset_password_from_key_done": ("anonymous",),
    "account_confirm_login_code": ("anonymous",),
    "account_confirm_email": ("anonymous",),
    "mfa_index": ("member", "staff"),
    "mfa_authenticate": ("signing_in",),
    "mfa_reauthenticate": ("staff",),
    "mfa_activate_totp": ("member",),
    "mfa_deactivate_totp": ("staff",),
    "mfa_view_recovery_codes": ("staff",),
    "mfa_generate_recovery_codes": ("staff",),
    "mfa_list_webauthn": ("member",),
    "mfa_add_webauthn": ("member",),
    "mfa_edit_webauthn": ("member",),
    "mfa_remove_webauthn": ("member",),
    "mfa_reauthenticate_webauthn": ("anonymous",),
}
NOT_PAGES = {
    "healthz": "a plain-text health check",
    "meetings:calendar": "an iCalendar download",
    "network_feed": "an iCalendar feed",
    "personal_feed": "an iCalendar feed",
    "projects:export": "a CSV download",
    "yearwheel:svg": "an SVG download",
    "meetings:overview_csv": "a CSV download",
    "meetings:overview_xlsx": "an Excel download",
    "profile_export": "a JSON download",
    "mfa_download_recovery_codes": "a text-file download",
    "set_language": "answers POST only",
    "profile_reset_feed": "answers POST only",
    "profile_sign_out_everywhere": "answers POST only",
    "projects:interest": "answers POST only",
    "projects:interest_withdraw": "answers POST only",
    "meetings:material": "a file download",
    "meetings:material_upload": "answers POST only (its form is on the meeting page)",
    "meetings:material_remove": "answers POST only",
    "meetings:check_in_toggle": "answers POST only",
    "meetings:check_in_walk_in": "answers POST only",
}
ROLES = sorted({role for roles in PAGES.values() for role in roles})


def portal_url_names() -> set[str]:
    """Every named URL of the urlconf outside the admin (which has tests of its own)."""

    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return {name for name in walk(get_resolver().url_patterns) if not name.startswith("admin:")}


def test_every_portal_url_is_visited():
    names = portal_url_names()
    assert set(PAGES).isdisjoint(NOT_PAGES)
    missing = names - set(PAGES) - set(NOT_PAGES)
    assert not missing, f"URLs neither visited nor said not to be pages: {sorted(missing)}"
    gone = (set(PAGES) | set(NOT_PAGES)) - names
    assert not gone, f"entries for URLs the urlconf no longer has: {sorted(gone)}"


# --- The network, with long names everywhere ---------------------------------------------------


@pytest.fixture
def world(
    municipality_factory,
    email_domain_factory,
    linked_contact_person_factory,
    user_factory,
    meeting_series_factory,
    meeting_factory,
    agenda_item_factory,
    registration_factory,
    mailing_factory,
    mailing_recipient_factory,
    project_idea_factory,
):
    home = municipality_factory(
        name="Guovdageainnu suohkan – Kautokeino kommune",
        number="5626",
        website="https://www.kautokeino.kommune.no/",
    )
    email_domain_factory(municipality=home, domain="guovdageainnu-suohkan.kommune.no")
    other = municipality_factory(name="Hattfjelldal kommune – Aarborten tjïelte", number="1826")
    # Merged into the home municipality, so its page shows the mergers section.
    municipality_factory(
        name="Guovdageainnu gielda – Kautokeino herad", number="2011", successor=home
    )
    member = linked_contact_person_factory(
        name="Anne-Margrethe Kristoffersen-Brekkeflåt",
        email="anne-margrethe.kristoffersen-brekkeflat@guovdageainnu-suohkan.kommune.no",
        job_title="Spesialrådgjevar for internasjonalt samarbeid og regional utvikling",
        phone="+47 912 34 567",
        municipality=home,
    )
    coordinator = linked_contact_person_factory(
        name="Bjørn-Kristian Haugland-Ødegård",
        email="bjorn-kristian.haugland-odegard@guovdageainnu-suohkan.kommune.no",
        job_title="Kommunalsjef for samfunnsutvikling",
        municipality=home,
        coordinator=True,
    )
    for number, name in enumerate(["Siv Sara-Aslaksen", "Per Ivar Hætta-Guttorm"]):
        linked_contact_person_factory(
            name=name, email=f"kollega{number}@guovdageainnu-suohkan.kommune.no", municipality=home
        )
    other_member = linked_contact_person_factory(
        name="Marit Kappfjell-Jåma", email="marit@hattfjelldal.kommune.no", municipality=other
    )
    unlinked = linked_contact_person_factory(
        name="Ola Utan-Kommune", email="ola.utan.kommune@gmail.test", municipality=None
    )
    staff = user_factory(email="fylke@vestlandfylke.test", is_staff=True)
    # The transactional database is flushed between tests, which takes the group the data
    # migrations made; the permissions are those the pages staff open here ask for.
    group, _created = Group.objects.get_or_create(name="County staff")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["meetings", "projects"],
            codename__in=[
                "view_meetingseries",
                "view_meeting",
                "view_registration",
                "view_projectidea",
                "check_in_participants",
            ],
        )
    )
    staff.groups.add(group)

    series = meeting_series_factory(
        name="Internasjonalt kommunenettverk for fylkeskommunen og kommunane"
    )
    meeting = meeting_factory(
        series=series,
        title="Arbeidsverkstad om Interreg Nordsjøen, Erasmus+ og Horisont Europa for kommunane",
        slug="arbeidsverkstad",
        kind=Meeting.Kind.APPLICATION_WORKSHOP,
        description="Ein heil dag med søknadsskriving, erfaringsdeling og partnarsøk.",
        online_url="https://video.example.org/rom/arbeidsverkstad",
        capacity=40,
    )
    for order, title in enumerate(
        ["Velkomen og presentasjonsrunde", "Korleis skrive ein god søknad til Interreg"]
    ):
        agenda_item_factory(meeting=meeting, order=order, title=title)
    full = meeting_factory(series=series, title="Studietur til Brussel", capacity=1)
    registration_factory(meeting=full, contact_person=other_member)
    autumn = meeting_factory(series=series, tentative=True, title="Haustsamling med partnarsøk")
    poll = DatePoll.objects.create(meeting=autumn, closes_at=meeting.starts_at)
    for days in (40, 41, 47):
        starts_at = meeting.starts_at + dt.timedelta(days=days)
        candidate = DatePollCandidate.objects.create(
            poll=poll, starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=5)
        )
        polls.poll_answer(poll=poll, answers={candidate.pk: "yes"}, person=other_member)
    meeting_factory(
        series=series, title="Avlyst nettverksmøte om EU-program", status=Meeting.Status.CANCELLED
    )
    held = meeting_factory(
        series=series,
        title="Fjorårets oppstartsmøte for kommunenettverket",
        status=Meeting.Status.HELD,
        starts_at=meeting.starts_at.replace(year=meeting.starts_at.year - 1),
    )
    registration = registration_factory(meeting=meeting, contact_person=member)
    # Under way: its check-in list has buttons and the walk-in form.
    today = meeting_factory(
        series=series,
        title="Nettverksmøte i dag med partnarsøk og søknadsverkstad for heile fylket",
        starts_at=timezone.now() - dt.timedelta(hours=1),
        ends_at=timezone.now() + dt.timedelta(hours=2),
        registration_deadline=timezone.now() - dt.timedelta(days=2),
    )
    for person in (member, coordinator, other_member):
        registration_factory(meeting=today, contact_person=person)
    registration_factory(meeting=full, contact_person=member, status=Registration.Status.WAITLISTED)
    registration_factory(
        meeting=held, contact_person=member, attended_at=held.starts_at, attended_by=staff
    )
    colleague_registration = registration_factory(meeting=meeting, contact_person=coordinator)

    interreg, _ = EUProgramme.objects.get_or_create(name="Interreg North Sea")
    erasmus, _ = EUProgramme.objects.get_or_create(name="Erasmus+")
    idea = project_services.idea_create(
        author=member,
        fields={
            "title": "Velferdsteknologi og digitalt tilsyn i heimetenesta på tvers av kommunane",
            "local_need": "Fleire eldre vil bu heime lenger, og heimetenesta treng nye verktøy.",
            "stage": "learning",
        },
        sectors=["health_care", "planning"],
        programmes=[interreg, erasmus],
        partner_municipalities=[other],
        european_partners=[("Stichting Welzijnstechnologie Gemeente Súdwest-Fryslân", "Nederland")],
    )
    Interest.objects.create(
        idea=idea, contact_person=other_member, municipality=other, message="Vi er med!"
    )
    Presentation.objects.create(idea=idea, meeting=meeting)
    # A call with a long title the idea aims at, in a programme the member follows.
    call = factories.CallFactory(
        programme=interreg,
        title="Utlysing for klimarobuste lokalsamfunn og grøn omstilling i kystkommunane",
        is_example=True,
    )
    idea.calls.add(call)
    project_services.programme_follow(person=member, programme=interreg)
    project_idea_factory(
        contact_person=other_member,
        title="Eldreomsorg over fjellet",
        sectors=["health_care"],
        stage="seeking_partners",
    )

    recipient = mailing_recipient_factory(
        mailing=mailing_factory(meeting=meeting),
        contact_person=member,
        email=member.email,
        name=member.name,
    )
    # A security key of the member's, and the coordinator's authenticator app, which makes
    # signing in ask for the second factor. The key is never used, so its credential is bare.
    key = Authenticator.objects.create(
        user=member.user,
        type=Authenticator.Type.WEBAUTHN,
        data={"name": "Nøkkel på nøkkelknippet", "credential": {}},
    )
    TOTP.activate(coordinator.user, generate_totp_secret())
    sign_in_with_second_factor(Client(), staff)  # gives staff an authenticator app
    RecoveryCodes.activate(staff)
    unconfirmed = user_factory(email="ny.brukar@guovdageainnu-suohkan.kommune.no")
    address = EmailAddress.objects.create(
        user=unconfirmed, email=unconfirmed.email, verified=False, primary=True
    )
    token = invitations.recipient_token(recipient)
    poll_recipient = mailing_recipient_factory(
        mailing=mailing_factory(meeting=autumn, queued_at=meeting.starts_at),
        municipality=home,
        email="postmottak@guovdageainnu-suohkan.kommune.no",
        name="Guovdageainnu suohkan / Kautokeino kommune",
    )
    kwargs = {
        "meetings:detail": {"slug": meeting.slug},
        "meetings:register": {"slug": meeting.slug},
        "meetings:check_in": {"slug": today.slug},
        "meetings:attendance_confirmation": {"slug": held.slug},
        "meetings:registration_edit": {
            "member": {"pk": registration.pk},
            # The coordinator changes what they registered a colleague with.
            "coordinator": {"pk": colleague_registration.pk},
        },
        "meetings:registration_cancel": {"pk": registration.pk},
        "projects:detail": {"pk": idea.pk},
        "projects:edit": {"pk": idea.pk},
        "projects:delete": {"pk": idea.pk},
        "projects:municipality": {"number": home.number},
        "yearwheel:year": {"year": timezone.localdate(meeting.starts_at).year},
        "invitation": {"token": token},
        "invitation_decline": {"token": token},
        "meetings:poll": {"slug": autumn.slug},
        "poll_link": {"token": polls.poll_token(poll_recipient)},
        "account_confirm_email": {"key": EmailConfirmationHMAC(address).key},
        "account_reset_password_from_key": {
            "uidb36": user_pk_to_url_str(member.user),
            "key": default_token_generator.make_token(member.user),
        },
        "mfa_edit_webauthn": {"pk": key.pk},
        "mfa_remove_webauthn": {"pk": key.pk},
    }
    users = {
        "member": member.user,
        "coordinator": coordinator.user,
        "signing_in": coordinator.user,
        "other_member": other_member.user,
        "unlinked": unlinked.user,
        "staff": staff,
    }
    return SimpleNamespace(users=users, kwargs=kwargs)


def path_for(world, name, role):
    kwargs = world.kwargs.get(name, {})
    if role in kwargs:
        kwargs = kwargs[role]
    return reverse(name, kwargs=kwargs)


@pytest.fixture
def sign_in(page, live_server):
    """Give `page` the session of `user`, signed in with the password a moment ago (staff with
    the second factor too); `language` picks the portal's language as its switcher does."""

    def as_user(user, *, language=None):
        client = Client()
        if user.is_staff:
            sign_in_with_second_factor(client, user)
        else:
            client.force_login(user)
            request = RequestFactory().get("/")
            request.user = user
            request.session = client.session
            record_authentication(request, user, method="password", email=user.email)
            request.session.save()
        cookies = [
            (settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
        ]
        if language:
            cookies.append((settings.LANGUAGE_COOKIE_NAME, language))
        page.context.add_cookies(
            [{"name": name, "value": value, "url": live_server.url} for name, value in cookies]
        )
        return page

    return as_user


def sign_in_as(page, sign_in, world, role):
    if role == "anonymous":
        return
    user = world.users[role]
    if role == "signing_in":
        # Through the form, so allauth's login stops at the second factor.
        page.goto("/accounts/login/")
        form = page.locator('form[action="/accounts/login/"]')
        form.locator('input[name="login"]').fill(user.email)
        form.locator('input[name="password"]').fill(PASSWORD)
        form.locator('button[type="submit"]').click()
        page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/$"))
        return
    sign_in(user)


# --- What is checked on each page --------------------------------------------------------------

PAGE_WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"

# The innermost elements that stick out past the right edge of the window, to say what to fix.
STICKING_OUT = """
() => {
  const found = [];
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.right <= window.innerWidth + 0.5 || !box.width) continue;
    if ([...element.children].some(child =>
        child.getBoundingClientRect().right > window.innerWidth + 0.5)) continue;
    found.push(`${element.outerHTML.slice(0, 120)} (right edge ${Math.round(box.right)}px)`);
  }
  return found.slice(0, 5);
}
"""

# What the keyboard reaches: visible, enabled and not taken out of the tab order.
FOCUS_OUTLINES = """
() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[tabindex]:not([tabindex="-1"])';
  const faint = [];
  for (const element of document.querySelectorAll(selector)) {
    if (element.disabled || element.closest('[inert]')) continue;
    if (element.getAttribute('tabindex') === '-1') continue;
    if (!element.matches('.visually-hidden-focusable') && !element.getClientRects().length) {
      continue;
    }
    element.focus();
    if (document.activeElement !== element) continue;
    const style = getComputedStyle(element);
    if (!element.matches(':focus-visible') || style.outlineStyle === 'none'
        || parseFloat(style.outlineWidth) < 3) {
      faint.push(`${element.outerHTML.slice(0, 160)}: ${style.outlineStyle} ${style.outlineWidth}`);
    }
  }
  return faint;
}
"""


def problems_on(page, axe, width):
    """What is wrong with the page as it is now, at `width`."""
    found = []
    page.set_viewport_size(width)
    scroll_width, inner_width = page.evaluate(PAGE_WIDTH)
    if scroll_width > inner_width:
        sticking_out = "\n    ".join(page.evaluate(STICKING_OUT))
        found.append(f"{page.url} at {inner_width}px is {scroll_width}px wide:\n    {sticking_out}")
    violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
    if violations:
        found.append(f"at {inner_width}px: " + format_axe_violations(page.url, violations))
    return found


def faint_focus_on(page):
    """The focusable elements of the page without a clear focus outline. One key press first,
    so that what a script focuses next counts as focused from the keyboard (:focus-visible)."""
    page.locator("body").focus()
    page.keyboard.press("Tab")
    faint = page.evaluate(FOCUS_OUTLINES)
    return [f"{page.url}: faint focus on {element}" for element in faint]


@pytest.mark.parametrize("role", ROLES)
def test_pages_fit_a_phone_and_pass_axe(page, axe, sign_in, world, role):
    sign_in_as(page, sign_in, world, role)
    found = []
    for name, roles in PAGES.items():
        if role not in roles:
            continue
        path = path_for(world, name, role)
        page.set_viewport_size(PHONE)
        response = page.goto(path)
        assert response is not None
        if response.status != 200:
            found.append(f"{path} ({name}) answered {response.status} at {page.url}")
            continue
        found += problems_on(page, axe, PHONE)
        found += problems_on(page, axe, DESKTOP)
        found += faint_focus_on(page)
    assert not found, f"{len(found)} problem(s) as {role}:\n" + "\n".join(found)


# --- The header ----------------------------------------------------------------------------------


def nynorsk(message):
    with translation.override("nn"):
        return translation.gettext(message)


def test_header_collapses_on_a_phone_and_opens_with_the_keyboard(page, sign_in, world):
    sign_in(world.users["member"])
    page.set_viewport_size(PHONE)
    page.goto("/meetings/")
    header = page.locator("header.site-header")
    toggler = header.get_by_role("button", name=nynorsk("Menu"))
    links = header.locator(".navbar-nav")
    expect(toggler).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "false")
    menu = page.locator("#" + toggler.get_attribute("aria-controls"))
    expect(menu).to_be_hidden()
    expect(links.first).to_be_hidden()
    expect(header.locator("form.language-switcher")).to_be_hidden()
    # Folded, the header is no taller than the brand on two lines.
    assert header.bounding_box()["height"] <= 90, header.bounding_box()

    # From the skip link, Tab reaches the brand and then the menu button.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(toggler).to_be_focused()
    expect(toggler).to_have_css("outline-width", "3px")
    page.keyboard.press("Enter")

    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    expect(header.get_by_role("link", name=nynorsk("My meetings"))).to_be_visible()
    expect(header.locator("form.language-switcher")).to_be_visible()
    # The next Tab goes into the open menu.
    page.keyboard.press("Tab")
    expect(header.get_by_role("link", name=nynorsk("Meetings"), exact=True)).to_be_focused()

    # Escape in the open menu closes it and gives focus back to the button.
    page.keyboard.press("Escape")
    expect(toggler).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    expect(toggler).to_be_focused()
    # Enter opens and closes it again.
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    page.keyboard.press("Enter")
    expect(toggler).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()


def test_header_without_javascript_shows_its_links(browser, live_server):
    # The menu button needs its script; without one the links are shown, and the button not.
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport=PHONE
    )
    try:
        page = context.new_page()
        page.goto("/")
        header = page.locator("header.site-header")
        expect(header.locator(".navbar-toggler")).to_be_hidden()
        expect(header.get_by_role("link", name=nynorsk("Sign in"))).to_be_visible()
        expect(header.locator("form.language-switcher")).to_be_visible()
        scroll_width, inner_width = page.evaluate(PAGE_WIDTH)
        assert scroll_width <= inner_width, (scroll_width, inner_width)
    finally:
        context.close()


def test_header_is_open_on_a_desktop_screen(page, sign_in, world):
    sign_in(world.users["member"])
    page.set_viewport_size(DESKTOP)
    page.goto("/")
    header = page.locator("header.site-header")
    expect(header.get_by_role("button", name=nynorsk("Menu"))).to_be_hidden()
    expect(header.get_by_role("link", name=nynorsk("My meetings"))).to_be_visible()
    expect(header.locator("form.language-switcher")).to_be_visible()


# For each item of the header: the number of lines its text takes, and its vertical middle.
HEADER_LINES = """
header => [...header.querySelectorAll('.navbar-brand, .nav-link, .language-switcher .btn')]
  .map(element => {
    const range = document.createRange();
    range.selectNodeContents(element);
    const tops = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
    const box = element.getBoundingClientRect();
    return {text: element.textContent.trim(), lines: tops.size,
            middle: Math.round(box.top + box.height / 2)};
  })
"""


@pytest.mark.parametrize("language", ["en", "nn", "nb"])
def test_header_links_keep_to_one_line_on_a_desktop_screen(page, sign_in, world, language):
    # County staff see the most links: Administration as well.
    sign_in(world.users["staff"], language=language)
    page.set_viewport_size(DESKTOP)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    items = page.locator("header.site-header").evaluate(HEADER_LINES)
    assert len(items) >= 8, items
    brand, *links = items
    # The name of the network may break once; a link or a language button not at all.
    assert brand["lines"] <= 2, brand
    wrapped = [item for item in links if item["lines"] != 1]
    assert not wrapped, wrapped
    middles = {item["middle"] for item in links}
    assert max(middles) - min(middles) <= 2, f"the header's links are on more than one row: {links}"


# --- Focus --------------------------------------------------------------------------------------


def keyboard_focus(page, locator):
    """Focus `locator` the way the keyboard does: from the element before it, with Tab."""
    locator.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(locator).to_be_focused()


@pytest.mark.parametrize(
    "selector",
    [
        "header .nav-link",
        "form.language-switcher button",
        "#main input[type=search]",
        "#main input[type=radio]",
        "#main input[type=checkbox]",
        "#main select",
        "#main textarea",
        "#main .btn-primary",
        "#main a",
    ],
)
def test_focused_controls_have_a_3px_outline(page, sign_in, world, selector):
    sign_in(world.users["coordinator"])
    page.set_viewport_size(DESKTOP)
    page.goto("/meetings/arbeidsverkstad/register/")
    control = page.locator(selector).first
    keyboard_focus(page, control)
    expect(control).to_have_css("outline-style", "solid")
    expect(control).to_have_css("outline-width", "3px")
    # Dark blue (#036): more than 3:1 from the white page and the tinted header.
    expect(control).to_have_css("outline-color", "rgb(0, 51, 102)")
