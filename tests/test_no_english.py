"""No English on the Nynorsk and Bokmål pages: every admin page and every package screen we use
(allauth, django-import-export, django-simple-history) is rendered in nn and nb, and each visible
text (and aria-label, title, placeholder, alt and button value) is compared with the English
msgids of Django's, the packages' and our own catalogues. Data (names, e-mail addresses) is no
msgid, so only untranslated interface text is caught."""

import datetime as dt
import functools
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import django
import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.sites.models import Site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst
from django_tasks_db.models import DBTaskResult

from members.models import NetworkOwner
from network_portal.po import read_po
from outbox.models import OutboxEmail
from projects.models import CallReminder, EUProgramme
from tests import factories
from tests import test_authorization_matrix as matrix
from tests.helpers import sign_in_with_second_factor
from tests.test_authorization_matrix import ROLES, SITE, client_as, path_for

pytestmark = pytest.mark.django_db

# The authorization matrix's visitors (a member, a coordinator, ...) and their objects.
world = matrix.world

SITE_PACKAGES = Path(django.__file__).resolve().parent.parent
PROJECT = Path(settings.BASE_DIR)
# A package's English msgids are the same in each of its catalogues; these languages together
# cover every package we use (import-export ships no Norwegian).
SOURCE_LANGUAGES = ("nb", "de")
PACKAGE_LOCALES = [
    "django/conf/locale",
    "django/contrib/admin/locale",
    "django/contrib/auth/locale",
    "django/contrib/contenttypes/locale",
    "django/contrib/humanize/locale",
    "django/contrib/sites/locale",
    "allauth/locale",
    "import_export/locale",
    "simple_history/locale",
]
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[sdir]|\{[a-z_]*\}")
# Scripts and styles are not read; text areas hold data; <code> holds values to be typed as they
# are (the import screen's column headings and codes).
IGNORED_ELEMENTS = {"script", "style", "textarea", "template", "code"}
VOID_ELEMENTS = {
    "area",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "wbr",
}
ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")


def normalise(text: str) -> str:
    return " ".join(text.split())


def catalogue_files(domain: str) -> list[Path]:
    files = []
    for locale in PACKAGE_LOCALES:
        for language in SOURCE_LANGUAGES:
            files += (SITE_PACKAGES / locale / language / "LC_MESSAGES").glob(f"{domain}.po")
    for locale_path in settings.LOCALE_PATHS:
        files += Path(locale_path).glob(f"*/LC_MESSAGES/{domain}.po")
    return files


@functools.cache
def english_msgids() -> tuple[frozenset[str], tuple[re.Pattern, ...]]:
    """The English msgids (and their plurals): exact texts, and patterns for those with
    placeholders whose fixed words are enough to tell them from data."""
    texts, patterns = set(), {}
    for path in catalogue_files("django"):
        for entry in read_po(path):
            for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
                text = normalise(msgid)
                if "<" in text:
                    continue
                if not PLACEHOLDER.search(text):
                    texts.add(text)
                    continue
                fixed = PLACEHOLDER.sub("", text)
                if len(re.findall(r"[A-Za-z]", fixed)) >= 6 and text not in patterns:
                    pieces = [re.escape(piece) for piece in PLACEHOLDER.split(text)]
                    patterns[text] = re.compile("(.+?)".join(pieces), re.IGNORECASE)
    return frozenset(texts), tuple(patterns.values())


def data_texts(language: str) -> frozenset[str]:
    """Texts that are data, not interface: group names and permissions as the admin lists them
    ("app | model | Can add model", stored in English by Django), and the contact-person file's
    column headings and choice codes, which the import preview shows as they are in the file."""
    from django.contrib.auth.models import Permission

    from members.models import ContactPerson, Sector
    from members.resources import ContactPersonResource

    with translation.override(language):
        permissions = [str(p) for p in Permission.objects.select_related("content_type")]
    return frozenset(
        normalise(text)
        for text in [
            *Group.objects.values_list("name", flat=True),
            *permissions,
            *ContactPersonResource().get_diff_headers(),
            *Sector.values,
            *ContactPerson.Role.values,
        ]
    )


def translations(language: str) -> frozenset[str]:
    """Every text the language's merged catalogue translates to: a Norwegian word that is also
    an English msgid ("Status", "Filter") is fine when it is the translation."""
    with translation.override(language):
        catalogue = translation.trans_real.translation(language)._catalog
        return frozenset(normalise(text) for _key, text in catalogue.items() if text)


class VisibleText(HTMLParser):
    """The texts a person sees or hears: text nodes outside scripts, styles and text areas,
    accessible names in attributes, and the words on input buttons. Elements marked with
    another language (the language switcher's "English") are left out."""

    def __init__(self, language):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[str] = []

    @property
    def hidden(self):
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        foreign = attrs.get("lang") not in (None, "", self.language)
        skip = tag in IGNORED_ELEMENTS or foreign
        if not self.hidden and not skip:
            for name in ATTRIBUTES:
                if attrs.get(name):
                    self.texts.append(attrs[name])
            if tag == "input" and attrs.get("type") in {"submit", "button", "reset"}:
                self.texts.append(attrs.get("value") or "")
        if tag not in VOID_ELEMENTS:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self.hidden:
            self.texts.append(data)


def english_in(html: str, language: str, allowed: frozenset[str]) -> list[str]:
    texts, patterns = english_msgids()
    parser = VisibleText(language)
    parser.feed(html)
    found = []
    for raw in parser.texts:
        text = normalise(raw)
        if not re.search(r"[A-Za-z]{2}", text) or text in allowed:
            continue
        candidates = {text, text.rstrip(":").strip(), text.rstrip(".:").strip()}
        if candidates & allowed:
            continue
        english = any(
            candidate in texts or capfirst(candidate) in texts or candidate.lower() in texts
            for candidate in candidates
        ) or any(pattern.fullmatch(text) for pattern in patterns)
        if english and text not in found:
            found.append(text)
    return found


def english_in_email(message: OutboxEmail, allowed: frozenset[str]) -> list[str]:
    """English msgids in an e-mail: its subject and each line of its text, whole, and the
    longer msgids (whole sentences) anywhere in the text."""
    texts, patterns = english_msgids()
    lines = [message.subject, *message.body.splitlines()]
    found = [
        normalise(line)
        for line in lines
        if normalise(line) not in allowed
        and (
            normalise(line) in texts
            or any(pattern.fullmatch(normalise(line)) for pattern in patterns)
        )
    ]
    body = normalise(message.body)
    found += [text for text in texts if len(text) >= 25 and text in body and text not in allowed]
    return list(dict.fromkeys(found))


def date_poll(person):
    """A tentative meeting's open poll with two dates, one of them answered by the person."""
    from meetings.models import DatePoll, DatePollAnswer, DatePollCandidate

    poll = DatePoll.objects.create(
        meeting=factories.MeetingFactory(tentative=True),
        closes_at=timezone.now() + dt.timedelta(days=7),
    )
    for days in (30, 31):
        candidate = DatePollCandidate.objects.create(
            poll=poll,
            starts_at=timezone.now() + dt.timedelta(days=days),
            ends_at=timezone.now() + dt.timedelta(days=days, hours=3),
        )
    DatePollAnswer.objects.create(candidate=candidate, contact_person=person, answer="yes")
    return poll


@pytest.fixture
def data(db, settings, material_storage):
    """At least one object of every model the admin shows, with a change in its history."""
    # The task results' admin pages need the database backend, as in production.
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    ideas = factories.ProjectIdeaFactory()
    factories.InterestFactory(idea=ideas)
    meeting = factories.MeetingFactory()
    factories.AgendaItemFactory(meeting=meeting)
    factories.RegistrationFactory(meeting=meeting)
    factories.MaterialFactory(meeting=meeting)
    factories.MailingRecipientFactory()
    date_poll(factories.LinkedContactPersonFactory())
    factories.EmailDomainFactory()
    municipality = factories.MunicipalityFactory()
    municipality.name = "Kommune endra"
    municipality.save()
    owner = NetworkOwner.objects.create(name="Vestland fylkeskommune")
    owner.section = "Seksjon for internasjonalt arbeid"
    owner.save()
    EUProgramme.objects.get_or_create(name="Erasmus+")
    call = factories.CallFactory(is_example=True)
    ideas.calls.add(call)
    follower = factories.ProgrammeFollowFactory(programme=call.programme).contact_person
    CallReminder.objects.create(call=call, contact_person=follower, days_before=28)
    OutboxEmail.objects.create(
        kind="test",
        to="kari@example.org",
        from_email="portal@example.org",
        subject="Hei",
        body="Hei",
    )
    DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="meetings.tasks.send_mailing",
        backend_name="default",
        run_after=timezone.now(),
        exception_class_path="",
        traceback="",
    )
    superuser = factories.UserFactory(email="admin@example.org", is_staff=True, is_superuser=True)
    EmailAddress.objects.create(user=superuser, email=superuser.email, verified=True, primary=True)
    assert Group.objects.exists() and Site.objects.exists()
    return superuser


def admin_pages(client):
    """(label, url, response) of the admin's index, and of the changelist, add, change, delete
    and history page of every registered model."""
    yield "admin index", reverse("admin:index")
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        obj = model._default_manager.first()
        assert obj is not None, f"Create a {model._meta.label} in the `data` fixture."
        yield f"{model._meta.label} changelist", reverse(f"{prefix}_changelist")
        yield f"{model._meta.label} add", reverse(f"{prefix}_add")
        for view in ("change", "delete", "history"):
            yield (
                f"{model._meta.label} {view}",
                reverse(f"{prefix}_{view}", args=[obj.pk]),
            )
        if hasattr(model_admin, "history_form_view") and hasattr(model, "history"):
            record = obj.history.first()
            if record is not None:
                yield (
                    f"{model._meta.label} history record",
                    reverse(f"{prefix}_simple_history", args=[obj.pk, record.history_id]),
                )


class AdminLabels(HTMLParser):
    """The admin's names for things, never data: column headings (`th scope="col"`), app and
    model names in the navigation (`caption`, `th scope="row"`) and field labels."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.current: tuple[str, list[str]] | None = None
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        wanted = tag in {"caption", "label"} or (tag == "th" and attrs.get("scope"))
        if self.current is None and wanted:
            self.current = (tag, [])

    def handle_endtag(self, tag):
        if self.current and self.current[0] == tag:
            text = normalise("".join(self.current[1]))
            if text:
                self.texts.append(text)
            self.current = None

    def handle_data(self, data):
        if self.current:
            self.current[1].append(data)


def admin_labels(client, url: str, language: str) -> list[str]:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    if response.status_code != 200:
        return []
    parser = AdminLabels()
    parser.feed(response.content.decode())
    return parser.texts


# Names that are the same word in English, Nynorsk and Bokmål.
SHARED_WORDS = {"Status", "Type", "Data", "Filter", "ID", "Id"}


@pytest.mark.parametrize("language", ["nn", "nb"])
def test_admin_names_are_not_left_in_english(client, data, language):
    """The catalogue check above knows only the packages' msgids; a label Django makes from a
    field or model without a verbose_name ("Last used at", "Authenticators") or an app's
    hard-coded name is in no catalogue. Such a name reads the same on the English page."""
    sign_in_with_second_factor(client, data)
    RecoveryCodes.activate(data)
    problems = {}
    for label, url in admin_pages(client):
        if label.endswith(("history", "history record", "delete")):
            continue
        english = set(admin_labels(client, url, "en"))
        same = [
            text
            for text in admin_labels(client, url, language)
            if text in english
            and text.rstrip(":") not in SHARED_WORDS
            and re.search(r"[A-Za-z]{2}", text)
        ]
        if same:
            problems[label] = list(dict.fromkeys(same))
    report = "\n".join(f"  {label}: {found}" for label, found in problems.items())
    assert not problems, f"Admin names in English on {language} pages:\n{report}"


@pytest.mark.parametrize("language", ["nn", "nb"])
def test_no_english_on_admin_and_package_pages(client, data, language):
    allowed = translations(language) | data_texts(language)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    sign_in_with_second_factor(client, data)
    RecoveryCodes.activate(data)
    problems: dict[str, list[str]] = {}
    statuses: dict[str, int] = {}

    def check(label, response):
        statuses[label] = response.status_code
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            found = english_in(response.content.decode(), language, allowed)
            if found:
                problems[label] = found

    for label, url in admin_pages(client):
        check(label, client.get(url))
    opened = {label: status for label, status in statuses.items() if status != 200}
    refused = {
        label: status
        for label, status in opened.items()
        if not label.endswith((" add", " delete")) or status != 403
    }
    assert not refused, f"Admin pages that did not open for a superuser: {refused}"

    # An admin form with errors, and the delete-selected action's confirmation.
    check(
        "municipality add with errors", client.post(reverse("admin:members_municipality_add"), {})
    )
    check(
        "delete selected",
        client.post(
            reverse("admin:members_municipality_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [factories.MunicipalityFactory().pk],
            },
        ),
    )

    # The contact-person import: the upload screen, the preview to confirm, the result.
    bergen = factories.MunicipalityFactory(name="Bergen", number="1201")
    import_url = reverse("admin:members_contactperson_import")
    check("import", client.get(import_url))
    csv = "name,email,municipality\nKari Nordmann,kari@bergen.kommune.no,1201\n"

    preview = client.post(
        import_url,
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("p.csv", csv.encode(), "text/csv"),
        },
    )
    check("import preview", preview)
    form = preview.context["confirm_form"]
    check(
        "import finished",
        client.post(
            reverse("admin:members_contactperson_process_import"),
            {name: form.initial[name] for name in form.fields},
            follow=True,
        ),
    )
    check("import with errors", client.post(import_url, {"resource": "0", "format": "0"}))
    assert bergen.contact_persons.exists()

    # Allauth's pages for a signed-in person: its reauthentication page, and after it, the
    # pages that ask for the password again ...
    check("account_reauthenticate", client.get(reverse("account_reauthenticate")))
    client.post(reverse("account_reauthenticate"), {"password": "correct-horse-battery"})
    for name in (
        "account_email",
        "account_change_password",
        "account_logout",
        "mfa_index",
        "mfa_view_recovery_codes",
        "mfa_list_webauthn",
        "mfa_add_webauthn",
        "mfa_deactivate_totp",
    ):
        check(name, client.get(reverse(name)))
    check("mfa_generate_recovery_codes", client.get(reverse("mfa_generate_recovery_codes")))

    # ... and for a visitor: sign in, sign up with a too-short password, password reset.
    visitor = Client()
    visitor.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for name in ("account_login", "account_signup", "account_reset_password"):
        check(name, visitor.get(reverse(name)))
    check(
        "account_login with errors",
        visitor.post(reverse("account_login"), {"login": "nobody@example.org", "password": "x"}),
    )
    signup = visitor.post(
        reverse("account_signup"),
        {"email": "ny@example.org", "password1": "kort", "password2": "kort"},
    )
    check("account_signup with errors", signup)
    assert signup.status_code == 200 and signup.context["form"].errors
    check(
        "account_reset_password done",
        visitor.post(
            reverse("account_reset_password"), {"email": "nobody@example.org"}, follow=True
        ),
    )

    # The account e-mails those pages send, to a person whose language is the page's.
    person = factories.LinkedContactPersonFactory(preferred_language=language)
    OutboxEmail.objects.all().delete()
    visitor.post(reverse("account_reset_password"), {"email": person.email})
    visitor.post(
        reverse("account_signup"),
        {
            "name": "Ny Person",
            "email": f"ny-{language}@example.org",
            "password1": "Ein lang nok frase",
            "password2": "Ein lang nok frase",
        },
    )
    mails = list(OutboxEmail.objects.all())
    assert {mail.kind for mail in mails} >= {
        "account.password_reset_key",
        "account.email_confirmation_signup",
    }
    for mail in mails:
        found = english_in_email(mail, allowed)
        if found:
            problems[f"e-mail {mail.kind}"] = found

    not_shown = {
        label: status for label, status in statuses.items() if label not in opened and status != 200
    }
    assert not not_shown, f"Pages that did not render: {not_shown}"
    report = "\n".join(f"  {label}: {found}" for label, found in problems.items())
    assert not problems, f"English text on {language} pages:\n{report}"


def email_templates() -> set[str]:
    """Every e-mail template the portal may render: ours (templates/**/email/) and allauth's
    account and two-factor e-mails (their subject, text and HTML, as our templates or
    allauth's)."""
    ours = {
        str(path.relative_to(PROJECT / "templates"))
        for path in (PROJECT / "templates").glob("**/email/*")
        if path.name != "base.html"
    }
    allauth = SITE_PACKAGES / "allauth/templates"
    theirs = {
        str(path.relative_to(allauth))
        for folder in ("account/email", "mfa/email")
        for path in (allauth / folder).glob("*_subject.txt")
    }
    return ours | theirs


def allauth_email_prefixes() -> list[str]:
    return sorted(
        name.removesuffix("_subject.txt")
        for name in email_templates()
        if name.startswith(("account/", "mfa/")) and name.endswith("_subject.txt")
    )


@pytest.mark.parametrize("language", ["nn", "nb"])
def test_no_english_in_any_email(db, rf, settings, language):
    """Every e-mail the portal sends, to a person who chose the language: the registration
    e-mails, the meeting's change notice, the invitations and reminders, the interest in a
    project idea, the staff notice about a waiting account, and each of allauth's account and
    two-factor e-mails (notices included, which the settings may turn on). Subject, text and
    HTML are checked; every e-mail template is rendered, so a new one cannot be missed."""
    from allauth.account.adapter import get_adapter
    from allauth.core import context as allauth_context
    from django.test.signals import template_rendered

    from meetings import emails as meeting_emails
    from meetings.minutes import minutes_publish
    from meetings.models import Mailing, Registration
    from meetings.polls import poll_pick
    from members.services import account_waiting_notify
    from outbox.services import email_queue
    from projects.emails import queue_call_reminder_email, queue_interest_email

    settings.ACCOUNT_EMAIL_NOTIFICATIONS = True
    rendered: set[str] = set()

    def note(sender, template, **kwargs):
        rendered.add(template.name)

    template_rendered.connect(note)
    try:
        staff = factories.UserFactory(email="fylke@example.org", is_staff=True)
        staff.groups.add(Group.objects.get(name="County staff"))
        person = factories.LinkedContactPersonFactory(preferred_language=language)
        meeting = factories.MeetingFactory(
            online_url="https://video.example.org/rom", venue_name="Fylkeshuset"
        )
        registration = factories.RegistrationFactory(meeting=meeting, contact_person=person)
        for kind in meeting_emails.REGISTRATION_EMAILS:
            # Each e-mail as it is sent: the waiting-list ones name the person's place.
            waiting = kind in {"waitlisted", "moved_to_waitlist"}
            registration.status = (
                Registration.Status.WAITLISTED if waiting else Registration.Status.CONFIRMED
            )
            registration.save()
            meeting_emails.queue_registration_email(registration.pk, kind)
        for changes in (["scheduled", "time", "place", "status"], ["cancelled"]):
            meeting_emails.queue_meeting_changed_emails(meeting.pk, changes)
        for kind in Mailing.Kind.values:
            # Every language's default text: the person gets theirs.
            mailing = factories.MailingFactory(
                meeting=meeting,
                kind=kind,
                reminder_days=3 if kind == Mailing.Kind.REMINDER else None,
                **meeting_emails.default_mailing_texts(meeting, kind),
            )
            recipient = factories.MailingRecipientFactory(
                mailing=mailing, contact_person=person, email=person.email, name=person.name
            )
            message = meeting_emails.build_mailing_email(recipient)
            email_queue(messages=[message], kind=f"mailing.{kind}")
        poll = date_poll(person)
        poll_pick(poll=poll, candidate=poll.candidates.first())
        # The minutes go to those with a seat.
        registration.status = Registration.Status.CONFIRMED
        registration.save()
        meeting.minutes_markdown = "# Referat"
        meeting.save()
        assert minutes_publish(meeting=meeting) == 1
        colleague = factories.LinkedContactPersonFactory()
        idea = factories.ProjectIdeaFactory(contact_person=person)
        queue_interest_email(factories.InterestFactory(idea=idea, contact_person=colleague))
        call = factories.CallFactory(is_example=True)
        idea.calls.add(call)
        queue_call_reminder_email(call=call, person=person, now=timezone.now())
        account_waiting_notify(user=person.user, person=person)

        request = rf.get("/")
        request.user = person.user
        context = {
            "user": person.user,
            "activate_url": "https://portal.example.org/accounts/confirm-email/key/",
            "password_reset_url": "https://portal.example.org/accounts/password/reset/key/",
            "signup_url": "https://portal.example.org/accounts/signup/",
            "code": "ABC123",
            "key": "key",
            "timestamp": timezone.now(),
            "ip": "192.0.2.1",
            "user_agent": "Firefox",
            "from_email": person.email,
            "to_email": "ny@example.org",
            "deleted_email": "gammal@example.org",
            "username": person.email,
            "user_display": person.name,
        }
        with allauth_context.request_context(request):
            for prefix in allauth_email_prefixes():
                get_adapter(request).send_mail(prefix, person.email, context)
    finally:
        template_rendered.disconnect(note)

    assert email_templates() - rendered == set(), "E-mail templates the test did not render"
    allowed = translations(language) | data_texts(language)
    problems = {}
    mails = list(OutboxEmail.objects.order_by("pk"))
    for mail in mails:
        found = english_in_email(mail, allowed)
        if mail.html:
            found += english_in(mail.html, language, allowed)
        if found:
            problems[f"{mail.kind} to {mail.to}"] = list(dict.fromkeys(found))
    assert {mail.kind for mail in mails} >= {
        "project.interest",
        "project.call_reminder",
        "members.account_waiting",
        "meeting.changed",
        "poll.picked",
        "account.password_reset_key",
        "account.totp_activated",
    }
    report = "\n".join(f"  {label}: {found}" for label, found in problems.items())
    assert not problems, f"English text in {language} e-mails:\n{report}"


# Who sees the site's own pages: a visitor, a member, their municipality's coordinator, and a
# signed-up person no municipality has taken in yet (the waiting page).
PAGE_ROLES = ("anonymous", "member_a", "coordinator_a", "unlinked")


@pytest.mark.parametrize("language", ["nn", "nb"])
def test_no_english_on_public_and_member_pages(world, language):
    """Every page of the site (not the admin) that opens for a visitor, a member, a coordinator
    or a person waiting to be linked, in the language they chose; and the forms that show
    errors, sent empty."""
    allowed = translations(language) | data_texts(language)
    problems: dict[str, list[str]] = {}
    checked = 0

    def check(label, response):
        nonlocal checked
        assert response.status_code == 200, f"{label}: {response.status_code}"
        if "html" in response.get("Content-Type", ""):
            checked += 1
            found = english_in(response.content.decode(), language, allowed)
            if found:
                problems[label] = found

    for role in PAGE_ROLES:
        client = client_as(role, world)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for name, row in SITE.items():
            if row[ROLES.index(role)] == 200:
                check(f"{name} as {role}", client.get(path_for(name, world)))

    member = client_as("member_a", world)
    member.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    meeting = world["objects"]["meeting"]
    for name, kwargs in (
        ("profile", {}),
        ("projects:create", {}),
        ("projects:edit", {"pk": world["objects"]["idea"].pk}),
        ("meetings:register", {"slug": meeting.slug}),
    ):
        check(f"{name} with errors", member.post(reverse(name, kwargs=kwargs), {}))

    assert checked > 100
    report = "\n".join(f"  {label}: {found}" for label, found in problems.items())
    assert not problems, f"English text on {language} pages:\n{report}"


JS_STRING = r"""\s*(['"])((?:\\.|(?!\1).)*)\1"""
JS_CALLS = {
    "gettext": re.compile(r"\bgettext\(" + JS_STRING),
    "ngettext": re.compile(r"\bngettext\(" + JS_STRING + "," + JS_STRING),
    "pgettext": re.compile(r"\bpgettext\(" + JS_STRING + "," + JS_STRING),
}


def admin_script_msgids() -> set[str]:
    """The catalogue keys the admin's own scripts ask for (its vendored libraries left out),
    read from the scripts: the packaged catalogues lag behind them."""
    keys = set()
    scripts = SITE_PACKAGES / "django/contrib/admin/static/admin/js"
    for script in scripts.rglob("*.js"):
        if "vendor" in script.parts:
            continue
        source = script.read_text(encoding="utf-8")
        keys |= {m.group(2) for m in JS_CALLS["gettext"].finditer(source)}
        keys |= {m.group(2) for m in JS_CALLS["ngettext"].finditer(source)}
        keys |= {f"{m.group(2)}\x04{m.group(4)}" for m in JS_CALLS["pgettext"].finditer(source)}
    return {key.replace("\\'", "'").replace('\\"', '"') for key in keys}


@pytest.mark.parametrize("language", ["nn", "nb"])
def test_admin_javascript_catalogue_is_complete(staff_client, language):
    """The admin's scripts (the two-box selector, actions, calendar and clock) take their
    words from the admin's JavaScript catalogue: every one has a translation."""
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = staff_client.get(reverse("admin:jsi18n"))
    body = response.content.decode()
    catalogue = json.loads(re.search(r"const newcatalog = (\{.*?\});\n", body, re.S).group(1))
    wanted = admin_script_msgids()
    assert "Choose all %s" in wanted and "abbrev. day Sunday\x04Sun" in wanted
    missing = sorted(
        key
        for key in wanted
        if not catalogue.get(key) or (isinstance(catalogue[key], list) and not all(catalogue[key]))
    )
    assert not missing, f"Admin script texts without {language} translation: {missing}"


# allauth's English that the portal words otherwise: "Sign in", "Sign up", "Sign out",
# "Remember me" and "e-mail" (placeholders and markup are left out before looking).
NOT_THE_PORTAL_WORDING = re.compile(
    r"\bSign (?:In|Up|Out)\b|\bSignup\b|\bRemember Me\b|\b[Ee]mail\b|\bE-Mail\b"
)
MARKUP_AND_PLACEHOLDERS = re.compile(r"%\([^)]+\)[sd]|\{\{[^}]*\}\}|\{[a-z_]*\}|<[^>]+>")
# Names that keep their capitals in a sentence-case heading.
PROPER_NAMES = {"JavaScript", "WebAuthn", "TOTP", "ID"}


def in_title_case(text: str) -> bool:
    """A short heading or button ("Change Password"): the portal writes sentence case."""
    plain = MARKUP_AND_PLACEHOLDERS.sub("", text)
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", plain)
    if not 2 <= len(words) <= 6 or "\n" in plain or re.search(r"[.!?:] ", plain):
        return False
    return any(
        word[0].isupper() and word not in PROPER_NAMES and not word.isupper() for word in words[1:]
    )


def not_the_portal_wording(text: str) -> bool:
    plain = MARKUP_AND_PLACEHOLDERS.sub("", text)
    return bool(NOT_THE_PORTAL_WORDING.search(plain)) or in_title_case(text)


@functools.cache
def allauth_msgids() -> frozenset[str]:
    texts = set()
    for entry in read_po(SITE_PACKAGES / "allauth/locale/de/LC_MESSAGES/django.po"):
        texts |= {entry.msgid, entry.msgid_plural} - {""}
    return frozenset(texts)


def test_english_catalogue_gives_every_allauth_text_the_portal_wording():
    """Each allauth text the portal shows (the msgids package_messages takes from allauth's
    account and two-factor code and templates) that says "Sign In", "Email" or is a heading
    in title case has an English translation in locale_packages/en in the portal's words."""
    allauth = allauth_msgids()
    shown = {entry.msgid for entry in read_po(PROJECT / "locale_packages/nn/LC_MESSAGES/django.po")}
    english = {
        entry.msgid: entry
        for entry in read_po(PROJECT / "locale_packages/en/LC_MESSAGES/django.po")
    }
    wanted = sorted(msgid for msgid in shown & allauth if not_the_portal_wording(msgid))
    assert "Sign In" in wanted and "Remember Me" in wanted and "Email" in wanted
    problems = []
    for msgid in wanted:
        entry = english.get(msgid)
        if entry is None or not entry.translated:
            problems.append(f"no English wording: {msgid!r}")
            continue
        problems += [
            f"{msgid!r} -> {text!r}"
            for text in entry.msgstr.values()
            if not_the_portal_wording(text)
        ]
    assert not problems, "\n".join(problems)


def test_the_wording_check_knows_the_portal_words():
    assert not_the_portal_wording("Sign In") and not_the_portal_wording("Email Addresses")
    assert not_the_portal_wording("Change Password") and not_the_portal_wording("Add email")
    assert not not_the_portal_wording("Sign in") and not not_the_portal_wording("E-mail address")
    assert not not_the_portal_wording("Confirmation e-mail sent to %(email)s.")
    assert not not_the_portal_wording("Add WebAuthn key")


def test_english_package_pages_use_the_portal_wording(world):
    """allauth's English says "Sign In", "Remember Me", "Signup" and "Email"; the portal says
    "Sign in", "Remember me", "Sign up" and "E-mail" (locale_packages/en). Every allauth page
    a visitor or a member opens, and those behind the password asked again, in English."""
    problems: dict[str, list[str]] = {}
    pages = {name for name in SITE if name.startswith(("account_", "mfa_"))}
    seen = {}

    def check(label, response):
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            return
        seen[label] = response.content.decode()
        parser = VisibleText("en")
        parser.feed(seen[label])
        # Headings in title case only as allauth writes them: names of people and meetings
        # are capitalised too.
        found = [
            normalise(text)
            for text in parser.texts
            if NOT_THE_PORTAL_WORDING.search(normalise(text))
            or (normalise(text) in allauth_msgids() and in_title_case(normalise(text)))
        ]
        if found:
            problems[label] = list(dict.fromkeys(found))

    for role in ("anonymous", "member_a"):
        client = client_as(role, world)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        for name in sorted(pages):
            check(f"{name} as {role}", client.get(path_for(name, world)))
    client.post(reverse("account_reauthenticate"), {"password": "correct-horse-battery"})
    for name in ("mfa_activate_totp", "mfa_add_webauthn", "mfa_generate_recovery_codes"):
        check(f"{name} after reauthentication", client.get(reverse(name)))

    assert "Sign in" in seen["account_login as anonymous"]
    assert "Remember me" in seen["account_login as anonymous"]
    assert "<h1> Sign up </h1>" in " ".join(seen["account_signup as anonymous"].split())
    assert "E-mail addresses" in seen["account_email as member_a"]
    assert "mfa_activate_totp after reauthentication" in seen
    report = "\n".join(f"  {label}: {found}" for label, found in problems.items())
    assert not problems, f"allauth's wording on English pages:\n{report}"


@pytest.mark.parametrize("language", ["nn", "nb"])
def test_admin_autocomplete_boxes_load_their_translation(staff_client, language):
    """Select2 (the admin's autocomplete boxes) has its own words in a script per language;
    Nynorsk is ours (static/admin/js/vendor/select2/i18n/nn.js), Bokmål is Select2's."""
    from django.contrib.staticfiles import finders

    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = staff_client.get(reverse("admin:projects_interest_add"))

    html = response.content.decode()
    assert f"admin/js/vendor/select2/i18n/{language}.js" in html
    assert f'lang="{language}"' in html
    script = Path(finders.find(f"admin/js/vendor/select2/i18n/{language}.js")).read_text()
    assert f'"select2/i18n/{language}"' in script
    english = Path(finders.find("admin/js/vendor/select2/i18n/en.js")).read_text()
    for text in re.findall(r'return"([^"]+)"', english):
        assert text not in script


def test_the_check_finds_english_interface_text_and_leaves_data_alone():
    html = (
        "<h1>Select kommune to change</h1><p>Show counts</p>"
        '<input type="submit" value="Save"><img alt="Search" src="s.svg">'
        '<code>email</code><button lang="en">English</button><p>Kari Nordmann</p>'
        "<script>gettext('Remove all')</script><p>Vis tal</p>"
    )
    mail = OutboxEmail(
        subject="Password Reset Email", body="Hei Kari,\n\nThanks for using our site!"
    )

    assert english_in(html, "nn", frozenset()) == [
        "Select kommune to change",
        "Show counts",
        "Save",
        "Search",
    ]
    assert english_in_email(mail, frozenset()) == [
        "Password Reset Email",
        "Thanks for using our site!",
    ]


@pytest.mark.parametrize(
    "path",
    sorted(
        str(path.relative_to(PROJECT))
        for locale_path in settings.LOCALE_PATHS
        for path in Path(locale_path).glob("*/LC_MESSAGES/*.po")
    ),
)
def test_every_catalogue_entry_is_translated_with_its_placeholders(path):
    """What `msgfmt --statistics` would say: no untranslated or fuzzy entries; and each
    translation keeps the msgid's named placeholders."""
    named = re.compile(r"%\([^)]+\)[sdr]|\{[a-z_]+\}")
    problems = []
    for entry in read_po(PROJECT / path):
        if not entry.translated:
            problems.append(f"untranslated or fuzzy: {entry.msgid!r}")
            continue
        wanted = set(named.findall(entry.msgid_plural or entry.msgid))
        for text in entry.msgstr.values():
            if set(named.findall(text)) != wanted and not entry.msgid_plural:
                problems.append(f"placeholders differ: {entry.msgid!r} -> {text!r}")
    assert not problems, "\n".join(problems)


def test_package_catalogues_match_the_installed_packages():
    """After a package upgrade, `manage.py package_messages` brings new msgids in to translate
    and drops those the packages no longer use; this fails until it has been run."""
    call_command("package_messages", "--check")
