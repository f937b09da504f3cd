"""Whatever a browser posts to any of our forms or to the admin's, the answer is never a 5xx,
every row of our models still passes `full_clean()`, and no text is stored cut short: what
was saved equals what was posted, or the post was refused.

Rows the post did not touch were valid to begin with (`test_the_world_is_valid_to_begin_with`),
so only the rows it added or changed are cleaned again.

Each target is a page with a form. The page is fetched once, parsed as a browser would see it
(`PageForms`), and Hypothesis then posts variations of that form: each field keeps its value,
takes one of the options the page offers, or takes a hostile value (huge and negative
integers, 2**63 and beyond, long strings, control characters, unicode, malformed dates). Every
example runs in a savepoint that is rolled back, so all examples start from the same data.
"""

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from meetings import invitations, services
from meetings.models import DatePoll, DatePollCandidate, Mailing, MailingRecipient, Registration
from members.models import ContactPerson, EmailDomain, User
from projects import services as project_services
from projects.models import CallReminder, EuropeanPartner, Interest, ProjectIdea
from tests import factories
from tests.helpers import email_address_of_length, sign_in_with_second_factor

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
NOW = dt.datetime(2031, 3, 3, 10, 0, tzinfo=OSLO)
OUR_APPS = ("members", "meetings", "projects")
PASSWORD = "Fjellstova-Kvitveis-2027"

# Small enough that the whole module runs in well under a minute on SQLite.
EXAMPLES = settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
    # Shrinking is what makes a failure readable; explaining it costs minutes.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    report_multiple_bugs=False,
)


# --- Hostile values ----------------------------------------------------------------------------

HUGE_NUMBERS = [2**63 - 1, 2**63, 2**64, 2**64 + 5, 10**30, 1099511627776, 2**31, 32768]
NEGATIVE_NUMBERS = [-1, -(2**31), -(2**63), -(2**63) - 1, -(10**30)]
TEXTS = [
    "",
    " ",
    "x" * 255,
    "x" * 300,
    "y" * 5000,
    "\x00",
    "Kari\x00Nordmann",
    "\x01\x02\x1b[31m\x7f",
    "Linje 1\nLinje 2",
    "Linje 1\r\nLinje 2\ttab",
    "\u2028\u2029\ufeff\u200b",
    "Ærøå – «sitat» 😀 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "İ" * 130,
    "<script>alert(1)</script>",
    "{name} {0} {name!r} {",
    "' OR 1=1 --",
]
EMAILS = [
    "kari@example.org",
    "KARI.Nordmann@Voss.Kommune.NO",
    email_address_of_length(254),
    email_address_of_length(255),
    email_address_of_length(268),
    email_address_of_length(318),
    email_address_of_length(320),
    '"ka\x01ri"@example.org',
    '"ka\nri"@example.org',
    "kari@bücher.no",
    "@",
    "kari@",
]
DATES = [
    "0000-00-00",
    "0001-01-01",
    "1899-12-31",
    "2031-02-30",
    "31.02.2031",
    "2031-13-01",
    "9999-12-31",
    "10000-01-01",
    "2031-03-10",
    "-1",
    "i går",
]
TIMES = ["00:00", "23:59:59", "24:00", "25:61", "23:59:60", "-1:00", "12", "noon"]
IDS = ["0", "-1", str(2**63 - 1), str(2**63), str(2**64), "9" * 30, "1e3", "1.5", "abc", "\x00"]

HOSTILE = st.one_of(
    st.sampled_from(HUGE_NUMBERS + NEGATIVE_NUMBERS).map(str),
    st.integers().map(str),
    st.sampled_from(TEXTS),
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40),
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=190, max_size=320),
    st.sampled_from(EMAILS),
    st.sampled_from(DATES),
    st.sampled_from(TIMES),
    st.sampled_from(IDS),
)


def hostile_for(name: str, form: "PageForm"):
    """Hostile values, half of the time of the kind the field expects, so that they get past
    the field's first check more often: addresses for e-mail fields, dates and times for the
    admin's split date and time inputs, ids and numbers for choices."""
    if "email" in name or name == "login":
        typed = st.sampled_from(EMAILS)
    elif name.endswith("_0") or "date" in name or "deadline" in name:
        typed = st.sampled_from(DATES)
    elif name.endswith("_1"):
        typed = st.sampled_from(TIMES)
    elif name in form.options or name.endswith("-id") or name in ("user", "order", "year"):
        typed = st.sampled_from(IDS + [str(n) for n in HUGE_NUMBERS + NEGATIVE_NUMBERS])
    elif name in ("capacity", "days_before"):
        typed = st.sampled_from([str(n) for n in HUGE_NUMBERS + NEGATIVE_NUMBERS])
    else:
        typed = st.sampled_from(TEXTS)
    return st.one_of(typed, HOSTILE)


# --- Forms as a browser sees them ----------------------------------------------------------------


@dataclass
class PageForm:
    id: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    # Values a name can take besides what it has: options of selects, checkboxes, radios.
    options: dict[str, list[str]] = field(default_factory=dict)
    multiple: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        seen = dict.fromkeys(name for name, _value in self.fields)
        seen.update(dict.fromkeys(self.options))
        return list(seen)

    def values(self, name) -> list[str]:
        return [value for key, value in self.fields if key == name]


class PageForms(HTMLParser):
    """The forms of an HTML page with what a browser would post for each: text inputs and
    textareas, checked boxes and radios, selected options (the first one of a single select
    if none is selected), but no buttons until one is pressed."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self._form = None
        self._select = None
        self._textarea = None
        self._option = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {key: value if value is not None else "" for key, value in attrs}
        if tag == "form":
            self._form = PageForm(attributes.get("id", ""), attributes.get("action", ""))
            self.forms.append(self._form)
            return
        form, name = self._form, attributes.get("name")
        if form is None:
            return
        if tag == "input" and name:
            kind = attributes.get("type", "text").lower()
            value = attributes.get("value", "on" if kind in ("checkbox", "radio") else "")
            if kind in ("submit", "image", "reset", "button"):
                form.buttons.append((name, value))
            elif kind in ("checkbox", "radio"):
                form.options.setdefault(name, []).append(value)
                if kind == "checkbox":
                    form.multiple.add(name)
                if "checked" in attributes:
                    form.fields.append((name, value))
            elif kind == "file":
                form.files.add(name)
            else:
                form.fields.append((name, value))
        elif tag == "button" and name:
            form.buttons.append((name, attributes.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = (name, [])
        elif tag == "select" and name:
            self._select = {"name": name, "selected": [], "first": None}
            form.options.setdefault(name, [])
            if "multiple" in attributes:
                form.multiple.add(name)
        elif tag == "option" and self._select is not None:
            self._option = {"value": attributes.get("value"), "text": [], "selected": False}
            self._option["selected"] = "selected" in attributes

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)
        if self._option is not None:
            self._option["text"].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            text = "".join(parts)
            # Browsers drop the line break that follows <textarea>.
            self._form.fields.append((name, text.removeprefix("\r\n").removeprefix("\n")))
            self._textarea = None
        elif tag == "option" and self._option is not None:
            self._end_option()
        elif tag == "select" and self._select is not None:
            if self._option is not None:
                self._end_option()
            select, form = self._select, self._form
            chosen = select["selected"]
            if not chosen and select["name"] not in form.multiple and select["first"] is not None:
                chosen = [select["first"]]
            form.fields.extend((select["name"], value) for value in chosen)
            self._select = None

    def _end_option(self):
        option, select = self._option, self._select
        value = option["value"] if option["value"] is not None else "".join(option["text"])
        self._form.options[select["name"]].append(value)
        if select["first"] is None:
            select["first"] = value
        if option["selected"]:
            select["selected"].append(value)
        self._option = None


# --- The data every example starts from ---------------------------------------------------------


@dataclass
class World:
    member: ContactPerson
    coordinator: ContactPerson
    outsider: ContactPerson
    superuser: User
    meeting: object
    registration: object
    colleague_registration: object
    idea: ProjectIdea
    foreign_idea: ProjectIdea
    invitation: MailingRecipient
    draft: Mailing
    objects: dict = field(default_factory=dict)


@pytest.fixture
def world(freeze_now, programme, material_storage) -> World:
    freeze_now(NOW)
    voss = factories.MunicipalityFactory(name="Voss", number="4621")
    EmailDomain.objects.create(municipality=voss, domain="voss.kommune.no")
    kvam = factories.MunicipalityFactory(name="Kvam", number="4622")
    member = factories.LinkedContactPersonFactory(
        name="Kari Nordmann", email="kari@voss.kommune.no", municipality=voss
    )
    coordinator = factories.LinkedContactPersonFactory(
        name="Kjell Koordinator", email="kjell@voss.kommune.no", municipality=voss, coordinator=True
    )
    colleague = factories.ContactPersonFactory(
        name="Ola Kollega", email="ola@voss.kommune.no", municipality=voss
    )
    outsider = factories.LinkedContactPersonFactory(
        name="Siri Samarbeid", email="siri@kvam.kommune.no", municipality=kvam
    )
    superuser = factories.VerifiedUserFactory(
        email="admin@example.org", is_staff=True, is_superuser=True
    )
    superuser.groups.add(Group.objects.get(name="County staff"))
    starts = NOW + dt.timedelta(days=30)
    meeting = factories.MeetingFactory(
        title="Søknadsverkstad",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        registration_deadline=starts - dt.timedelta(days=2),
        capacity=3,
        online_url="https://meet.example.org/verkstad",
    )
    factories.AgendaItemFactory(meeting=meeting, order=1, title="Velkomen")
    answers = services.RegistrationAnswers(dietary_needs="Vegetar", comment="Gler meg")
    registration, _ = services.registration_create(
        meeting=meeting, person=member, actor=member, answers=answers
    )
    colleague_registration, _ = services.registration_create(
        meeting=meeting, person=colleague, actor=coordinator, answers=answers
    )
    idea = project_services.idea_create(
        author=member,
        fields={"title": "Velferdsteknologi", "local_need": "Fleire eldre bur heime."},
        sectors=["health_care"],
        programmes=[programme("Erasmus+")],
        european_partners=[("Göteborgs stad", "Sverige")],
    )
    foreign_idea = project_services.idea_create(
        author=outsider, fields={"title": "Ungdomsbustader", "local_need": "Unge flyttar ut."}
    )
    project_services.interest_mark(idea=idea, person=outsider, message="Vi vil vere med.")
    call = factories.CallFactory(programme=programme("Erasmus+"), title="KA220")
    idea.calls.add(call)
    project_services.programme_follow(person=member, programme=call.programme)
    CallReminder.objects.create(call=call, contact_person=member, days_before=28)
    factories.PresentationFactory(idea=idea, meeting=meeting, registration=registration)
    mailing = factories.MailingFactory(meeting=meeting)
    invitation = factories.MailingRecipientFactory(
        mailing=mailing, email=member.email, name=member.name, contact_person=member
    )
    services.mailing_send(mailing=mailing)
    draft = factories.MailingFactory(meeting=meeting, subject="Utkast: {meeting}")
    factories.MailingRecipientFactory(mailing=draft, municipality=voss, email=voss.official_email)
    # A file of the meeting, for the material's admin page.
    factories.MaterialFactory(meeting=meeting, uploaded_by=member.user)
    # An open date poll on a tentative meeting, for the poll's admin page.
    june = factories.MeetingFactory(tentative=True, title="Junimøte", slug="juni")
    poll = DatePoll.objects.create(meeting=june, closes_at=timezone.now() + dt.timedelta(days=30))
    june_day = timezone.now() + dt.timedelta(days=60)
    DatePollCandidate.objects.create(
        poll=poll, starts_at=june_day, ends_at=june_day + dt.timedelta(hours=4)
    )
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=superuser, type="totp", data={"secret": "JBSWY3DPEHPK3PXP"})
    return World(
        member=member,
        coordinator=coordinator,
        outsider=outsider,
        superuser=superuser,
        meeting=meeting,
        registration=registration,
        colleague_registration=colleague_registration,
        idea=idea,
        foreign_idea=foreign_idea,
        invitation=invitation,
        draft=draft,
    )


# --- Checks after every post -------------------------------------------------------------------


def our_models() -> list[type[models.Model]]:
    """Our models, without django-simple-history's copies of their rows."""
    return [
        model
        for label in OUR_APPS
        for model in apps.get_app_config(label).get_models()
        if not hasattr(model, "instance_type")
    ]


def watched_models() -> list[type[models.Model]]:
    """Ours, and the other models the admin edits (whose rows need not pass full_clean)."""
    ours = our_models()
    return ours + [model for model in admin.site._registry if model not in ours]


def snapshot() -> dict:
    rows = {}
    for model in watched_models():
        pk = model._meta.pk.attname
        for row in model._base_manager.values():
            rows[(model, row[pk])] = row
    return rows


def changed_rows(before: dict, after: dict) -> list[tuple[type[models.Model], object]]:
    return [key for key, row in after.items() if before.get(key) != row]


def is_free_text(model_field) -> bool:
    return isinstance(model_field, models.CharField | models.TextField) and not (
        model_field.choices
    )


def kept_whole(posted: str, stored: str) -> bool:
    """Forms strip surrounding spaces, and e-mail addresses and domains may be stored in
    lower case; anything else is a change of what was posted."""
    cleaned = posted.strip()
    return stored in (posted, cleaned) or stored.lower() == cleaned.lower()


@dataclass
class Saved:
    """Where a target stores posted text: posted name -> field of the model's row (its pk, or
    the one new row of the model when `pk` gives None)."""

    model: type[models.Model]
    # None: every free-text field of the model posted under its own name (ModelForms).
    fields: dict[str, str] | None
    pk: Callable[[World], object] = lambda world: None

    def field_names(self, posted) -> dict[str, str]:
        if self.fields is not None:
            return self.fields
        return {
            f.name: f.name
            for f in self.model._meta.concrete_fields
            # Django's URLField adds a missing scheme: a change, but not a cut.
            if f.name in posted and is_free_text(f) and not isinstance(f, models.URLField)
        }


def check_after_post(target, world, posted: dict, before: dict, response) -> None:
    assert response.status_code < 500, (target.name, posted)
    after = snapshot()
    changed = changed_rows(before, after)
    ours = our_models()
    for model, pk in changed:
        if model not in ours:
            continue
        row = model._base_manager.get(pk=pk)
        try:
            row.full_clean()
        except ValidationError as error:
            pytest.fail(f"{target.name}: {model.__name__} {pk} invalid after {posted!r}: {error}")
    # Nothing cut at a column's length: a stored value as long as its column, and a longer
    # value posted for a field of that name that starts with it, is a truncation.
    posted_by_field = {}
    for name, values in posted.items():
        posted_by_field.setdefault(name.rpartition("-")[2], []).extend(
            value for value in values if isinstance(value, str)
        )
    for model, pk in changed:
        row = after[(model, pk)]
        for model_field in model._meta.concrete_fields:
            stored = row.get(model_field.attname)
            limit = getattr(model_field, "max_length", None)
            if not isinstance(stored, str) or not limit or len(stored) != limit:
                continue
            for value in posted_by_field.get(model_field.name, []):
                cleaned = value.strip()
                assert not (
                    len(cleaned) > len(stored) and cleaned.lower().startswith(stored.lower())
                ), f"{target.name}: {model.__name__}.{model_field.name} cut to {limit}"
    for saved in target.saved:
        check_saved_whole(target, world, saved, posted, before, after, changed)


def check_saved_whole(target, world, saved: Saved, posted, before, after, changed) -> None:
    pk = saved.pk(world)
    if pk is None:
        new = [key for key in changed if key[0] is saved.model and key not in before]
        if not new:
            return
        assert len(new) == 1, (target.name, new)
        pk = new[0][1]
    elif (saved.model, pk) not in changed:
        return
    row = saved.model._base_manager.get(pk=pk)
    for name, field_name in saved.field_names(posted).items():
        values = posted.get(name)
        if not values:
            continue
        stored = getattr(row, field_name)
        assert kept_whole(values[-1], stored), (
            f"{target.name}: posted {name}={values[-1]!r}, stored {field_name}={stored!r}"
        )


# --- Targets -----------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    url: Callable[[World], str]
    user: Callable[[World], object] = lambda world: None
    # Picks the form on the page.
    form: Callable[[PageForm], bool] = lambda form: True
    button: str | None = None
    saved: list[Saved] = field(default_factory=list)
    # Fields the page does not show but the form accepts (a browser could send them).
    extra: tuple[str, ...] = ()

    def __str__(self):
        return self.name


def has(*names) -> Callable[[PageForm], bool]:
    return lambda form: all(name in form.names for name in names)


def meeting_url(world) -> str:
    return reverse("meetings:register", kwargs={"slug": world.meeting.slug})


REGISTRATION_TEXT = {"dietary_needs": "dietary_needs", "comment": "comment"}

PUBLIC_TARGETS = [
    Target(
        "sign-up",
        lambda world: reverse("account_signup"),
        form=has("password1"),
        saved=[Saved(User, {"email": "email"})],
    ),
    Target("login", lambda world: reverse("account_login"), form=has("login", "password")),
    Target("password reset", lambda world: reverse("account_reset_password"), form=has("email")),
    Target(
        "add e-mail",
        lambda world: reverse("account_email"),
        user=lambda world: world.member.user,
        form=lambda form: "action_add" in dict(form.buttons),
        button="action_add",
    ),
    Target(
        "profile",
        lambda world: reverse("profile"),
        user=lambda world: world.member.user,
        form=has("preferred_language"),
        saved=[
            Saved(
                ContactPerson,
                {"name": "name", "phone": "phone", "job_title": "job_title"},
                pk=lambda world: world.member.pk,
            )
        ],
    ),
    Target(
        "register (member)",
        meeting_url,
        user=lambda world: world.outsider.user,
        form=has("attendance_mode"),
        saved=[Saved(Registration, REGISTRATION_TEXT)],
        extra=("participant", "ideas"),
    ),
    Target(
        "register (coordinator, new colleague)",
        meeting_url,
        user=lambda world: world.coordinator.user,
        form=has("attendance_mode", "new_colleague_email"),
        saved=[
            Saved(Registration, REGISTRATION_TEXT),
            Saved(ContactPerson, {"new_colleague_name": "name", "new_colleague_email": "email"}),
        ],
    ),
    Target(
        "edit registration (member)",
        lambda world: reverse("meetings:registration_edit", args=[world.registration.pk]),
        user=lambda world: world.member.user,
        form=has("attendance_mode"),
        saved=[
            Saved(
                Registration,
                REGISTRATION_TEXT,
                pk=lambda world: world.registration.pk,
            )
        ],
        extra=("participant",),
    ),
    Target(
        "edit registration (coordinator)",
        lambda world: reverse("meetings:registration_edit", args=[world.colleague_registration.pk]),
        user=lambda world: world.coordinator.user,
        form=has("attendance_mode"),
        saved=[
            Saved(
                Registration,
                REGISTRATION_TEXT,
                pk=lambda world: world.colleague_registration.pk,
            )
        ],
    ),
    Target(
        "cancel registration",
        lambda world: reverse("meetings:registration_cancel", args=[world.registration.pk]),
        user=lambda world: world.member.user,
        form=has("next"),
    ),
    Target(
        "new project idea",
        lambda world: reverse("projects:create"),
        user=lambda world: world.member.user,
        form=has("local_need"),
        saved=[
            Saved(
                ProjectIdea,
                {"title": "title", "local_need": "local_need", "description": "description"},
            )
        ],
    ),
    Target(
        "edit project idea",
        lambda world: reverse("projects:edit", args=[world.idea.pk]),
        user=lambda world: world.member.user,
        form=has("local_need"),
        saved=[
            Saved(
                ProjectIdea,
                {"title": "title", "local_need": "local_need", "description": "description"},
                pk=lambda world: world.idea.pk,
            )
        ],
    ),
    Target(
        "project interest",
        lambda world: reverse("projects:detail", args=[world.foreign_idea.pk]),
        user=lambda world: world.member.user,
        form=has("message"),
        saved=[Saved(Interest, {"message": "message"})],
    ),
    Target(
        "follow programmes",
        lambda world: reverse("projects:follow_programmes"),
        user=lambda world: world.member.user,
        form=has("programmes"),
        saved=[],
    ),
    Target(
        "invitation decline",
        lambda world: reverse(
            "invitation_decline", args=[invitations.recipient_token(world.invitation)]
        ),
        form=lambda form: not form.action.startswith("/i18n/"),
        extra=("declined", "email"),
    ),
]


def admin_url(model, action: str, world: World | None = None) -> str:
    info = (model._meta.app_label, model._meta.model_name)
    if action == "add":
        return reverse("admin:{}_{}_add".format(*info))
    obj = model._default_manager.order_by("pk").last()
    # The newest row (the draft mailing); without one (the task queue's results), a missing one.
    return reverse("admin:{}_{}_change".format(*info), args=[obj.pk if obj else 1])


def admin_targets() -> list[Target]:
    targets = []
    for model in admin.site._registry:
        label = model._meta.label
        for action in ("add", "change"):
            saved = []
            if action == "change":

                def first_pk(world, model=model):
                    obj = model._default_manager.order_by("pk").last()
                    return obj.pk if obj else None

                saved = [Saved(model, None, pk=first_pk)]
            else:
                saved = [Saved(model, None)]
            targets.append(
                Target(
                    f"admin {action} {label}",
                    lambda world, model=model, action=action: admin_url(model, action, world),
                    user=lambda world: world.superuser,
                    form=lambda form, model=model: form.id == f"{model._meta.model_name}_form",
                    button="_save",
                    saved=saved,
                )
            )
    return targets


# --- Posting -----------------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    if user is not None and user.is_staff:
        # The admin opens only after a second factor.
        sign_in_with_second_factor(client, user)
    elif user is not None:
        client.force_login(user)
    return client


def page_form(client, target, world) -> PageForm | None:
    response = client.get(target.url(world))
    assert response.status_code < 500, target.name
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return None
    forms = [
        form
        for form in PageForms(response.content.decode()).forms
        if target.form(form) and "logout" not in form.action
    ]
    return forms[0] if forms else None


def draw_post(data, form: PageForm, target: Target) -> dict[str, list[str]]:
    """What a browser (or someone with its developer tools) could post: mostly the form as it
    is with one to three fields changed, so that posts get past the other fields' checks;
    sometimes every field changed at once."""
    names = [*form.names, *(name for name in target.extra if name not in form.names)]
    # A huge TOTAL_FORMS makes Django build a thousand forms (its cap): correct, and slow.
    fuzzable = [
        name
        for name in names
        if name != "csrfmiddlewaretoken" and not name.endswith("-TOTAL_FORMS")
    ]
    if not fuzzable:
        changed = set()
    elif data.draw(st.integers(0, 3), label="all fields") == 0:
        changed = set(fuzzable)
    else:
        changed = set(
            data.draw(st.lists(st.sampled_from(fuzzable), min_size=1, max_size=3, unique=True))
        )
    posted: dict[str, list[str]] = {}
    for name in names:
        current = form.values(name)
        options = [value for value in form.options.get(name, []) if value]
        how = "keep"
        if name in changed:
            ways = ["hostile", "hostile", "omit"] + (["option"] if options else [])
            how = data.draw(st.sampled_from(ways), label=f"how {name}")
        if how == "keep":
            if current:
                posted[name] = current
        elif how == "option":
            if name in form.multiple:
                posted[name] = data.draw(st.lists(st.sampled_from(options), max_size=3))
            else:
                posted[name] = [data.draw(st.sampled_from(options), label=name)]
        elif how == "hostile":
            if name in form.multiple:
                hostile = st.lists(hostile_for(name, form), min_size=1, max_size=3)
                posted[name] = data.draw(hostile, label=name)
            else:
                posted[name] = [data.draw(hostile_for(name, form), label=name)]
    if target.button:
        posted[target.button] = [dict(form.buttons).get(target.button, "")]
    return posted


def run_target(target: Target, world: World) -> None:
    form = page_form(client_for(target.user(world)), target, world)
    if form is None:
        # Pages without a form for this user (no permission, read-only) are checked with a
        # bare post: refused, never a 500.
        form = PageForm("", "")

    @EXAMPLES
    @given(st.data())
    def post_variations(data):
        cache.clear()  # allauth's rate limits count in the cache
        with transaction.atomic():
            posted = draw_post(data, form, target)
            client = client_for(target.user(world))
            before = snapshot()
            response = client.post(target.url(world), posted)
            check_after_post(target, world, posted, before, response)
            transaction.set_rollback(True)

    post_variations()


@pytest.mark.parametrize("target", PUBLIC_TARGETS, ids=str)
def test_public_forms_never_fail(target, world):
    run_target(target, world)


@pytest.mark.parametrize("target", admin_targets(), ids=str)
def test_admin_forms_never_fail(target, world):
    run_target(target, world)


def test_every_form_of_ours_is_found(world):
    """The property tests post to real forms, not to pages that lost them."""
    ours = [
        target
        for target in PUBLIC_TARGETS + admin_targets()
        if target.name.split()[-1].partition(".")[0] in OUR_APPS or target in PUBLIC_TARGETS
    ]
    missing = []
    for target in ours:
        form = page_form(client_for(target.user(world)), target, world)
        if form is None or set(form.names) <= {"csrfmiddlewaretoken"}:
            missing.append(target.name)
    assert missing == [
        # A button and nothing else to fill in.
        "invitation decline",
        # One row, never added: its change page has the form.
        "admin add members.NetworkOwner",
        # Files are uploaded on the meeting's page, where they are checked.
        "admin add meetings.Material",
        # Read-only in the admin: the queue writes delivery records.
        "admin add meetings.MailingRecipient",
        "admin change meetings.MailingRecipient",
        # Read-only in the admin: members choose what they follow, the job records reminders.
        "admin add projects.ProgrammeFollow",
        "admin change projects.ProgrammeFollow",
        "admin add projects.CallReminder",
        "admin change projects.CallReminder",
    ]


# --- The contact import ------------------------------------------------------------------------

IMPORT_URL = reverse("admin:members_contactperson_import")
PROCESS_URL = reverse("admin:members_contactperson_process_import")
COLUMNS = ["name", "email", "phone", "job_title", "sector", "municipality", "role"]


def import_cell(column: str, index: int):
    usual = {
        "name": st.just(f"Person {index}"),
        "email": st.just(f"person{index}@voss.kommune.no"),
        "phone": st.just("55 56 00 00"),
        "job_title": st.just("Rådgjevar"),
        "sector": st.sampled_from(["", "culture", "Helse og omsorg"]),
        "municipality": st.sampled_from(["", "4621", "301"]),
        "role": st.sampled_from(["", "member", "coordinator"]),
    }[column]
    return st.one_of(usual, usual, HOSTILE)


@st.composite
def import_rows(draw):
    count = draw(st.integers(min_value=1, max_value=3))
    return [[draw(import_cell(column, index)) for column in COLUMNS] for index in range(count)]


def csv_file(rows) -> SimpleUploadedFile:
    text = io.StringIO()
    csv.writer(text).writerows([COLUMNS, *rows])
    return SimpleUploadedFile("people.csv", text.getvalue().encode(), "text/csv")


def test_contact_import_never_fails(world):
    @EXAMPLES
    @given(import_rows())
    def import_variations(rows):
        with transaction.atomic():
            client = client_for(world.superuser)
            before = snapshot()
            preview = client.post(
                IMPORT_URL, {"resource": "0", "format": "0", "import_file": csv_file(rows)}
            )
            assert preview.status_code < 500, rows
            if preview.status_code == 200 and "confirm_form" in preview.context:
                form = preview.context["confirm_form"]
                response = client.post(
                    PROCESS_URL, {name: form.initial[name] for name in form.fields}
                )
                assert response.status_code < 500, rows
                for row in rows:
                    person = ContactPerson.objects.get(email__iexact=str(row[1]).strip())
                    for column in ("name", "phone", "job_title"):
                        posted = str(row[COLUMNS.index(column)])
                        if posted.strip():
                            assert kept_whole(posted, getattr(person, column)), (row, column)
            for model, pk in changed_rows(before, snapshot()):
                model._base_manager.get(pk=pk).full_clean()
            transaction.set_rollback(True)

    import_variations()


def test_the_world_is_valid_to_begin_with(world):
    """Every row the examples start from passes full_clean(), so a failure is the post's."""
    for model in our_models():
        for row in model._base_manager.all():
            row.full_clean()
    assert EuropeanPartner.objects.exists()
    assert Interest.objects.exists()
