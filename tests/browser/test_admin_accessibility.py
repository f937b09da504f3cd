"""The admin in Chromium as county staff use it (Nynorsk, a 1,280 px window), against WCAG 2.1
A/AA with axe-core: every registered model's list, add, change and delete page and its history
list, the confirmation of the list's delete action, each form again after an invalid
submission, the import (and export) screens in each of their states, the invitation screens
and the participation overview. Every add and change page fits the window without a sideways
scrollbar (the meeting's page, with its agenda rows, was 1,586 px wide), and everything the
keyboard reaches shows a 3 px focus ring.

The pages are walked from `admin.site._registry`, so a model registered later is checked
without touching this file: `admin_data` gives every model an object, with rows in the
inlines of its change page, and the walk fails for a model that has none. Each test runs in
one browser context with one sign-in, every page a subtest, so a run reports all the pages
that fail rather than the first.
"""

import csv
import datetime as dt
import io

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.sites.models import Site
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse
from import_export.admin import ExportMixin, ImportMixin
from playwright.sync_api import expect

from meetings import invitations, polls, services
from meetings.models import DatePoll, DatePollCandidate, Mailing
from members.models import Municipality, NetworkOwner
from outbox.models import OutboxEmail
from projects.models import (
    CallReminder,
    EUProgramme,
    EuropeanPartner,
    Presentation,
    ProjectIdea,
    StageChange,
)
from tests import factories
from tests.helpers import sign_in_with_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WINDOW = {"width": 1280, "height": 900}

# What the browser's own checks of `required` would stop before the server sees it.
EDITABLE_REQUIRED = (
    "#content-main form :is(input, textarea)[required]"
    ":not([type=checkbox], [type=radio], [type=hidden], [type=file])"
)


@pytest.fixture
def superuser(verified_user_factory):
    return verified_user_factory(
        email="fylke@example.org", is_staff=True, is_superuser=True, first_name="Fylke"
    )


@pytest.fixture
def staff_page(page, live_server, superuser):
    """`page` signed in as a superuser who passed the second factor, in a 1,280 px window."""
    client = Client()
    sign_in_with_second_factor(client, superuser)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.set_viewport_size(WINDOW)
    return page


@pytest.fixture
def admin_data(
    settings,
    superuser,
    municipality_factory,
    email_domain_factory,
    linked_contact_person_factory,
    contact_person_factory,
    meeting_factory,
    agenda_item_factory,
    registration_factory,
    project_idea_factory,
    interest_factory,
    material_factory,
    material_storage,
):
    """An object of every registered model, with rows in the inlines of its change page. The
    transactional database is flushed between tests, which removes what migrations seeded
    (the staff group, the programmes), so they are made here."""
    # The task results' admin pages need the database backend, as in production; the sent
    # invitation below leaves its task there.
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    group, _created = Group.objects.get_or_create(name="County staff")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="meetings"))
    Site.objects.get_or_create(pk=settings.SITE_ID, defaults={"domain": "example.org"})

    bergen = municipality_factory(name="Bergen", number="4601")
    fana = municipality_factory(name="Fana", number="1214", successor=bergen)
    email_domain_factory(municipality=bergen, domain="bergen.kommune.no")
    email_domain_factory(municipality=fana, domain="fana.kommune.no")
    kari = linked_contact_person_factory(
        name="Kari Nordmann", email="kari@bergen.kommune.no", municipality=bergen
    )
    ola = contact_person_factory(name="Ola Nordmann", municipality=fana)

    meeting = meeting_factory(title="Oppstartsmøte")
    # A file of the meeting, listed on its page, and hidden, as staff may make it.
    material_factory(meeting=meeting, title="Lysark frå fylket", hidden=True)
    workshop = meeting_factory(series=meeting.series, title="Søknadsverkstad", tentative=True)
    # An open date poll with answers, so its page shows the coverage and the pick links.
    poll = DatePoll.objects.create(meeting=workshop, closes_at=meeting.starts_at)
    for days in (40, 41):
        starts_at = meeting.starts_at + dt.timedelta(days=days)
        candidate = DatePollCandidate.objects.create(
            poll=poll, starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=4)
        )
    polls.poll_answer(poll=poll, answers={candidate.pk: "yes"}, person=kari)
    agenda_item_factory(meeting=meeting, title="Velkomen", description="Kort om dagen.")
    registration = registration_factory(meeting=meeting, contact_person=kari)
    registration_factory(meeting=meeting, contact_person=ola)

    sent = services.mailing_create(
        meeting=meeting,
        kind=Mailing.Kind.INVITATION,
        subject="Invitasjon: {meeting}",
        body="Hei {name},\n\nMeld deg på her: {link}\n",
        recipients=[
            invitations.Recipient(bergen.official_email, bergen.name, bergen.pk, None),
            invitations.Recipient(kari.email, kari.name, bergen.pk, kari.pk),
        ],
        created_by=superuser,
    )
    services.mailing_send(mailing=sent)
    draft = services.mailing_create(
        meeting=meeting,
        kind=Mailing.Kind.INVITATION,
        subject="Påminning: {meeting}",
        body="Hei {name},\n\n{link}\n",
        recipients=[invitations.Recipient(ola.email, ola.name, fana.pk, ola.pk)],
        created_by=superuser,
    )
    # The queued task has not run, so the outbox gets its e-mail by hand.
    OutboxEmail.objects.create(
        kind="mailing",
        to=kari.email,
        from_email="fylke@example.org",
        subject="Invitasjon: Oppstartsmøte",
        body="Hei Kari Nordmann",
    )

    programme, _created = EUProgramme.objects.get_or_create(
        name="Erasmus+", defaults={"url": "https://erasmus-plus.ec.europa.eu/"}
    )
    idea = project_idea_factory(
        title="Velferdsteknologi", contact_person=kari, sectors=["health_care"]
    )
    idea.programmes.set([programme])
    idea.partner_municipalities.set([fana])
    EuropeanPartner.objects.create(idea=idea, organisation="Comune di Firenze", country="IT")
    Presentation.objects.create(idea=idea, meeting=meeting, registration=registration)
    interest_factory(idea=idea, contact_person=ola)
    StageChange.objects.create(idea=idea, stage=idea.stage, changed_by=superuser)
    # In a programme of its own: a programme with calls cannot be deleted, and the delete
    # action's confirmation below is tried on the first programme.
    interreg = factories.EUProgrammeFactory(name="Interreg North Sea")
    call = factories.CallFactory(programme=interreg, title="Klimarobuste lokalsamfunn")
    idea.calls.add(call)
    factories.ProgrammeFollowFactory(contact_person=kari, programme=interreg)
    CallReminder.objects.create(call=call, contact_person=kari, days_before=28)
    NetworkOwner.objects.create(
        name="Vestland fylkeskommune",
        section="Seksjon for internasjonalt arbeid",
        address="Postboks 7900, 5020 Bergen",
        email="nettverk@example.org",
    )
    return {"meeting": meeting, "draft": draft, "sent": sent, "bergen": bergen}


def admin_url(model, view: str, *args) -> str | None:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)
    except NoReverseMatch:
        return None


def open_page(page, url: str):
    response = page.goto(url)
    assert response is not None, url
    assert response.status == 200, f"{url} answered {response.status}"
    expect(page.locator("html")).to_have_attribute("lang", "nn")
    # The admin's stylesheets and ours are in effect: colour contrast means nothing without.
    expect(page.locator("#header")).to_have_css("background-color", "rgb(65, 118, 144)")
    ring = "getComputedStyle(document.documentElement).getPropertyValue('--focus-ring')"
    assert page.evaluate(ring).strip() == "#036", "static/css/admin.css is not in effect"


def assert_fits_window(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), (
        f"{page.url} is {width} px wide in a {WINDOW['width']} px window"
    )


def submit_unchecked(page, button: str = '[type="submit"][name="_save"]'):
    """Press the form's button with the browser's checks of `required` switched off, so the
    server's answer to an invalid form shows (as in a browser without those checks)."""
    page.evaluate("document.querySelectorAll('form').forEach(f => { f.noValidate = true; })")
    page.locator(f"#content form {button}").first.click()
    page.wait_for_load_state("load")


def expect_errors(page):
    expect(page.locator("#content .errorlist").first).to_be_visible()


def empty_required_fields(page) -> int:
    """Empty the visible required text inputs of the form; how many there were."""
    fields = page.locator(EDITABLE_REQUIRED)
    emptied = 0
    for index in range(fields.count()):
        field = fields.nth(index)
        if field.is_visible() and field.is_editable():
            field.fill("")
            emptied += 1
    return emptied


def test_every_admin_page_passes_axe_and_fits_the_window(
    staff_page, admin_data, assert_accessible, subtests
):
    page = staff_page
    request = RequestFactory().get("/")
    request.user = admin_data["sent"].created_by
    pages = [("admin index", reverse("admin:index"), "")]
    app_labels = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        if model._meta.app_label not in app_labels:
            app_labels.append(model._meta.app_label)
        obj = model._default_manager.order_by("pk").first()
        with subtests.test(msg=f"{label}: an object to show"):
            assert obj is not None, f"admin_data makes no {label}"
        pages.append((f"{label} list", admin_url(model, "changelist"), ""))
        if model_admin.has_add_permission(request):
            pages.append((f"{label} add", admin_url(model, "add"), "form"))
        if obj is not None:
            pages.append((f"{label} change", admin_url(model, "change", obj.pk), "form"))
            pages.append((f"{label} history", admin_url(model, "history", obj.pk), ""))
            if model_admin.has_delete_permission(request, obj):
                pages.append((f"{label} delete", admin_url(model, "delete", obj.pk), ""))
    pages += [
        (f"{app} index", reverse("admin:app_list", kwargs={"app_label": app}), "")
        for app in app_labels
    ]

    for name, url, kind in pages:
        with subtests.test(msg=name):
            open_page(page, url)
            assert_accessible(page)
            if kind == "form":
                assert_fits_window(page)
        if kind == "form" and page.locator('[name="_save"]').count():
            # A change page with nothing required to empty has no error state to show.
            if name.endswith(" change") and empty_required_fields(page) == 0:
                continue
            with subtests.test(msg=f"{name}, invalid"):
                submit_unchecked(page)
                expect_errors(page)
                assert_accessible(page)
                assert_fits_window(page)

    # The list's "delete selected" action asks first, on a page of its own.
    programme = EUProgramme.objects.order_by("pk").first()
    with subtests.test(msg="delete action, confirmation"):
        open_page(page, admin_url(EUProgramme, "changelist"))
        page.locator(f'input[name="_selected_action"][value="{programme.pk}"]').check()
        page.locator('select[name="action"]').select_option("delete_selected")
        page.locator('button[name="index"]').click()
        expect(page.locator('input[name="post"]')).to_have_count(1)
        assert_accessible(page)
        assert_fits_window(page)


def people_csv(rows) -> dict:
    text = io.StringIO()
    csv.writer(text).writerows(
        [["name", "email", "phone", "job_title", "sector", "municipality", "role"], *rows]
    )
    return {"name": "people.csv", "mimeType": "text/csv", "buffer": text.getvalue().encode()}


def test_import_and_export_screens_pass_axe(staff_page, admin_data, assert_accessible, subtests):
    page = staff_page
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        if isinstance(model_admin, ImportMixin):
            with subtests.test(msg=f"{label} import"):
                open_page(page, admin_url(model, "import"))
                assert_accessible(page)
            with subtests.test(msg=f"{label} import, no file"):
                submit_unchecked(page, '[type="submit"]')
                expect_errors(page)
                assert_accessible(page)
        # None has an export form today; one added later is checked here.
        if isinstance(model_admin, ExportMixin):
            with subtests.test(msg=f"{label} export"):
                open_page(page, admin_url(model, "export"))
                assert_accessible(page)
            with subtests.test(msg=f"{label} export, no format"):
                submit_unchecked(page, '[type="submit"]')
                expect_errors(page)
                assert_accessible(page)

    import_url = reverse("admin:members_contactperson_import")
    with subtests.test(msg="contact person import, rows with errors"):
        open_page(page, import_url)
        page.locator("#id_import_file").set_input_files(
            people_csv([["Kari Nordmann", "ikkje-ei-adresse", "", "", "planning", "0000", ""]])
        )
        page.locator("#id_format").select_option(index=1)
        submit_unchecked(page, '[type="submit"]')
        expect(page.locator("#content .validation-error-count").first).to_be_visible()
        assert_accessible(page)
    with subtests.test(msg="contact person import, preview to confirm"):
        open_page(page, import_url)
        page.locator("#id_import_file").set_input_files(
            people_csv([["Per Hansen", "per@bergen.kommune.no", "", "", "", "4601", ""]])
        )
        page.locator("#id_format").select_option(index=1)
        submit_unchecked(page, '[type="submit"]')
        expect(page.locator('#content form [name="import_file_name"]')).to_be_attached()
        assert_accessible(page)


def test_invitation_screens_and_the_overview_pass_axe(
    staff_page, admin_data, assert_accessible, subtests
):
    page = staff_page
    meeting, draft = admin_data["meeting"], admin_data["draft"]
    new_invitation = reverse("admin:meetings_mailing_add") + f"?meeting={meeting.pk}"
    with subtests.test(msg="new invitation from the meeting's page"):
        open_page(page, new_invitation)
        expect(page.locator("#id_subject")).not_to_have_value("")
        assert_accessible(page)
        assert_fits_window(page)
    with subtests.test(msg="new invitation, invalid"):
        page.locator("#id_subject").fill("")
        submit_unchecked(page)
        expect_errors(page)
        assert_accessible(page)
    with subtests.test(msg="the two-box selectors' labels come before the boxes"):
        for field in ["municipalities", "persons"]:
            label = page.locator(f'.field-{field} label[for="id_{field}"]')
            boxes = page.locator(f".field-{field} .selector")
            assert label.bounding_box()["x"] < boxes.bounding_box()["x"], field
    with subtests.test(msg="draft invitation"):
        open_page(page, reverse("admin:meetings_mailing_change", args=[draft.pk]))
        expect(page.locator("#id_send_now")).to_be_visible()
        assert_accessible(page)
    with subtests.test(msg="draft invitation, invalid"):
        page.locator("#id_subject").fill("")
        submit_unchecked(page)
        expect_errors(page)
        assert_accessible(page)
    for name, url in [
        ("sent invitation", reverse("admin:meetings_mailing_change", args=[admin_data["sent"].pk])),
        ("participation overview", reverse("meetings:overview")),
        (
            "participation overview of the series",
            reverse("meetings:overview") + f"?series={meeting.series_id}",
        ),
    ]:
        with subtests.test(msg=name):
            response = page.goto(url)
            assert response is not None and response.status == 200
            assert_accessible(page)


# Dark blue on the light page, the admin's yellow on its blue header and breadcrumbs.
FOCUS_RINGS = {
    "link": ("#content-main a.button", "rgb(0, 51, 102)"),
    "link in the sidebar": ("#nav-sidebar a[href$='/meetings/meeting/']", "rgb(0, 51, 102)"),
    "link in the breadcrumbs": ("div.breadcrumbs a", "rgb(245, 221, 93)"),
    "link in the header": ("#user-tools a", "rgb(245, 221, 93)"),
    "text input": ("#content-main input#id_title", "rgb(0, 51, 102)"),
    "text area": ("#content-main textarea#id_description", "rgb(0, 51, 102)"),
    "select": ("#content-main select#id_kind", "rgb(0, 51, 102)"),
    "checkbox": ("#content-main input#id_reminders_enabled", "rgb(0, 51, 102)"),
    "button": ('#content-main input[type="submit"][name="_save"]', "rgb(0, 51, 102)"),
    "autocomplete box": (".field-series .select2-selection", "rgb(0, 51, 102)"),
}


def test_the_keyboard_focus_shows_a_3px_ring(staff_page, admin_data, subtests):
    page = staff_page
    open_page(page, reverse("admin:meetings_meeting_change", args=[admin_data["meeting"].pk]))
    for name, (selector, colour) in FOCUS_RINGS.items():
        with subtests.test(msg=name):
            element = page.locator(selector).first
            element.focus()
            # As the keyboard focuses it: no mouse was used, so the browser shows the ring.
            assert element.evaluate("e => e.matches(':focus-visible')"), selector
            expect(element).to_have_css("outline-style", "solid")
            expect(element).to_have_css("outline-width", "3px")
            expect(element).to_have_css("outline-offset", "2px")
            expect(element).to_have_css("outline-color", colour)

    # A multiple autocomplete box takes the focus in its search field; the ring goes round
    # the whole box.
    idea = ProjectIdea.objects.get()
    open_page(page, reverse("admin:projects_projectidea_change", args=[idea.pk]))
    with subtests.test(msg="multiple autocomplete box"):
        box = page.locator(".field-partner_municipalities .select2-selection--multiple")
        box.locator(".select2-search__field").focus()
        expect(box).to_have_css("outline-width", "3px")
        expect(box).to_have_css("outline-color", "rgb(0, 51, 102)")


def test_the_merger_form_passes_axe(staff_page, admin_data, assert_accessible, subtests):
    page = staff_page
    chosen = ",".join(
        str(pk) for pk in Municipality.objects.order_by("pk")[:2].values_list("pk", flat=True)
    )
    with subtests.test(msg="merger form"):
        open_page(page, reverse("admin:members_municipality_merge") + f"?ids={chosen}")
        expect(page.locator('input[name="municipalities"]:checked')).to_have_count(2)
        assert_accessible(page)
        assert_fits_window(page)
    with subtests.test(msg="merger form, invalid"):
        page.locator('input[name="municipalities"]').first.uncheck()
        submit_unchecked(page, '[type="submit"]')
        expect_errors(page)
        assert_accessible(page)
        assert_fits_window(page)
