"""Registering, changing and cancelling through the pages, and "My meetings"."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import Meeting, Registration
from members.models import ContactPerson
from tests.helpers import register

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")

ANSWERS = {"attendance_mode": "in_person", "dietary_needs": "", "comment": ""}

ALREADY_REGISTERED = "You are already registered for this meeting."
PLEASE_CORRECT = "Please correct the errors in the form."


def oslo(year, month, day, hour=0, minute=0, second=0, *, fold=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=OSLO, fold=fold)


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def register_url(meeting) -> str:
    return reverse("meetings:register", kwargs={"slug": meeting.slug})


def edit_url(registration) -> str:
    return reverse("meetings:registration_edit", kwargs={"pk": registration.pk})


def cancel_url(registration) -> str:
    return reverse("meetings:registration_cancel", kwargs={"pk": registration.pk})


# The people are the shared ones of tests/fixtures.py: member and coordinator of Voss,
# outsider of Kvam; Voss and the colleague differ here as below.


@pytest.fixture
def voss(voss, email_domain_factory):
    """The shared Voss with an address domain: coordinators add new colleagues only at their
    municipality's domains."""
    email_domain_factory(municipality=voss, domain="voss.example")
    return voss


@pytest.fixture
def colleague(contact_person_factory, voss):
    """A colleague of the member and the coordinator, without an account (the shared one has
    one): whom coordinators register."""
    return contact_person_factory(name="Ola Kollega", municipality=voss)


@pytest.fixture
def meeting(meeting_factory):
    return meeting_factory(title="Søknadsverkstad", capacity=3)


# --- Signing in ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitor_is_sent_to_login_and_back(client, meeting, method):
    url = register_url(meeting)
    response = client.get(url) if method == "get" else client.post(url, ANSWERS)
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={url}"
    assert not Registration.objects.exists()


def test_meeting_page_offers_anonymous_visitors_to_sign_in(en_client, meeting):
    response = en_client.get(meeting.get_absolute_url())
    assert f"{reverse('account_login')}?next={register_url(meeting)}" in response.content.decode()


def test_unverified_email_cannot_register(
    client_for, contact_person_factory, voss, user_factory, meeting
):
    user = user_factory(email="uverifisert@voss.kommune.no")
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    person = contact_person_factory(email=user.email, user=user, municipality=voss)
    response = client_for(person).post(register_url(meeting), ANSWERS)
    assert response.status_code == 200
    assert "account/verified_email_required.html" in [t.name for t in response.templates]
    assert not Registration.objects.exists()


# --- Registering -----------------------------------------------------------------------------


def test_member_registers(client_for, member, meeting, django_capture_on_commit_callbacks):
    client = client_for(member)
    page = client.get(register_url(meeting))
    assert page.status_code == 200
    assert page.context["form"] is not None
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            register_url(meeting), {**ANSWERS, "dietary_needs": "Glutenfri", "comment": "Ser fram"}
        )
    assert response.status_code == 302
    assert response.url == meeting.get_absolute_url() + "#registration"
    assert flashed(response) == ["You are registered. A confirmation has been sent by e-mail."]
    registration = Registration.objects.get(meeting=meeting)
    assert registration.contact_person == member
    assert registration.status == Registration.Status.CONFIRMED
    assert (registration.dietary_needs, registration.comment) == ("Glutenfri", "Ser fram")
    assert [m.to for m in mail.outbox] == [[member.email]]


def test_full_meeting_puts_the_member_on_the_waiting_list(
    client_for, member, meeting, contact_person_factory, voss
):
    for _ in range(3):
        register(meeting, contact_person_factory(municipality=voss))
    client = client_for(member)
    response = client.post(register_url(meeting), ANSWERS, follow=True)
    assert flashed(response) == ["The meeting is full. You are on the waiting list."]
    registration = Registration.objects.get(contact_person=member)
    assert registration.status == Registration.Status.WAITLISTED
    assert response.context["own_registration"].waitlist_position == 1
    assert "place 1 on the waiting list" in response.content.decode().lower()


def test_double_submit_gives_one_registration_and_a_friendly_message(client_for, member, meeting):
    client = client_for(member)
    first = client.post(register_url(meeting), ANSWERS, follow=True)
    second = client.post(register_url(meeting), ANSWERS)
    assert (first.status_code, second.status_code) == (200, 302)
    assert flashed(second) == [ALREADY_REGISTERED]
    assert Registration.objects.filter(meeting=meeting, contact_person=member).count() == 1


def test_registering_again_after_cancelling_reuses_the_row(client_for, member, meeting):
    client = client_for(member)
    client.post(register_url(meeting), ANSWERS, follow=True)
    registration = Registration.objects.get(contact_person=member)
    client.post(cancel_url(registration), follow=True)
    response = client.post(register_url(meeting), ANSWERS)
    assert flashed(response) == ["You are registered. A confirmation has been sent by e-mail."]
    assert list(Registration.objects.values_list("pk", "status")) == [
        (registration.pk, Registration.Status.CONFIRMED)
    ]


# --- Deadline through the pages --------------------------------------------------------------

# (deadline, a second before, a second after), in Europe/Oslo, across both daylight-saving
# changes of 2027: in spring 01:59:59 is followed by 03:00:00, in autumn 02:00-03:00 comes twice.
DEADLINE_EDGES = [
    pytest.param(
        oslo(2027, 3, 28, 1, 59, 59),
        oslo(2027, 3, 28, 1, 59, 58),
        oslo(2027, 3, 28, 3, 0, 0),
        id="spring-last-second-of-winter-time",
    ),
    pytest.param(
        oslo(2027, 3, 28, 3, 0, 0),
        oslo(2027, 3, 28, 1, 59, 59),
        oslo(2027, 3, 28, 3, 0, 1),
        id="spring-first-second-of-summer-time",
    ),
    pytest.param(
        oslo(2027, 10, 31, 2, 30),
        oslo(2027, 10, 31, 2, 29, 59),
        oslo(2027, 10, 31, 2, 30, 1),
        id="autumn-first-0230",
    ),
    pytest.param(
        oslo(2027, 10, 31, 2, 30, fold=1),
        oslo(2027, 10, 31, 2, 29, 59, fold=1),
        oslo(2027, 10, 31, 2, 30, 1, fold=1),
        id="autumn-second-0230",
    ),
    pytest.param(
        oslo(2027, 10, 31, 2, 30),
        oslo(2027, 10, 31, 2, 29, 59),
        oslo(2027, 10, 31, 2, 30, fold=1),
        id="autumn-same-wall-clock-an-hour-later",
    ),
]


@pytest.mark.parametrize(("deadline", "before", "after"), DEADLINE_EDGES)
def test_form_loaded_before_the_deadline_and_posted_after_saves_nothing(
    client_for, member, meeting_with_deadline, freeze_now, deadline, before, after
):
    meeting = meeting_with_deadline(deadline)
    freeze_now(before)
    client = client_for(member)
    page = client.get(register_url(meeting))
    assert page.context["registration_open"] is True
    assert page.context["form"] is not None
    freeze_now(after)
    response = client.post(register_url(meeting), ANSWERS)
    assert response.status_code == 302
    assert flashed(response) == ["The registration deadline has passed."]
    assert not Registration.objects.exists()
    page = client.get(meeting.get_absolute_url())
    assert page.context["registration_open"] is False
    assert "Registration is closed: the deadline has passed." in page.content.decode()


@pytest.mark.parametrize(("deadline", "before", "after"), DEADLINE_EDGES)
def test_registration_a_second_before_the_deadline_is_saved(
    client_for, member, meeting_with_deadline, freeze_now, deadline, before, after
):
    meeting = meeting_with_deadline(deadline)
    freeze_now(before)
    response = client_for(member).post(register_url(meeting), ANSWERS)
    assert response.status_code == 302
    registration = Registration.objects.get(meeting=meeting)
    assert registration.status == Registration.Status.CONFIRMED
    # Compared in UTC: Python never calls an ambiguous autumn time equal to another zone's.
    assert registration.queued_at == before.astimezone(dt.UTC)


@pytest.mark.parametrize(("deadline", "before", "after"), DEADLINE_EDGES)
def test_changes_posted_after_the_deadline_are_refused(
    client_for, member, meeting_with_deadline, freeze_now, deadline, before, after
):
    meeting = meeting_with_deadline(deadline)
    registration = register(meeting, member, now=before)
    freeze_now(before)
    client = client_for(member)
    assert client.get(edit_url(registration)).context["registration_open"] is True
    freeze_now(after)
    response = client.post(edit_url(registration), {**ANSWERS, "dietary_needs": "Vegan"})
    assert response.status_code == 302
    assert flashed(response) == ["The registration deadline has passed."]
    registration.refresh_from_db()
    assert registration.dietary_needs == ""


def test_changes_before_the_deadline_are_saved(client_for, member, meeting):
    registration = register(meeting, member)
    client = client_for(member)
    page = client.get(edit_url(registration))
    assert page.status_code == 200
    response = client.post(edit_url(registration), {**ANSWERS, "dietary_needs": "Vegan"})
    assert flashed(response) == ["Your changes have been saved."]
    registration.refresh_from_db()
    assert registration.dietary_needs == "Vegan"


# --- Meetings that take no registrations -----------------------------------------------------


@pytest.mark.parametrize(
    "meeting_kwargs",
    [
        {"tentative": True},
        {"status": Meeting.Status.CANCELLED},
        {"status": Meeting.Status.HELD, "starts_at": timezone.now() - dt.timedelta(days=7)},
        {"starts_at": timezone.now() - dt.timedelta(hours=1), "registration_deadline": None},
    ],
    ids=["tentative", "cancelled", "held", "started"],
)
def test_closed_meeting_takes_no_registration(client_for, member, meeting_factory, meeting_kwargs):
    meeting = meeting_factory(**meeting_kwargs)
    client = client_for(member)
    page = client.get(meeting.get_absolute_url())
    assert page.context["registration_open"] is False
    assert 'action="' + register_url(meeting) + '"' not in page.content.decode()
    response = client.post(register_url(meeting), ANSWERS)
    assert response.status_code == 302
    [message] = flashed(response)
    assert message
    assert not Registration.objects.exists()


# --- Accounts without a municipality ---------------------------------------------------------


def test_unlinked_person_sees_why_and_cannot_register(
    client_for, linked_contact_person_factory, meeting
):
    unlinked = linked_contact_person_factory(email="ny@gmail.example", municipality=None)
    client = client_for(unlinked)
    page = client.get(meeting.get_absolute_url())
    assert "Your account is not linked to a municipality yet" in page.content.decode()
    assert 'action="' + register_url(meeting) + '"' not in page.content.decode()
    response = client.post(register_url(meeting), ANSWERS)
    assert response.status_code == 302
    assert flashed(response) == ["Your account is not linked to a municipality yet."]
    assert not Registration.objects.exists()


# --- Coordinators ----------------------------------------------------------------------------


def test_coordinator_sees_the_colleagues_to_choose_from(
    client_for, coordinator, colleague, outsider, meeting
):
    form = client_for(coordinator).get(register_url(meeting)).context["form"]
    assert set(form.fields["participant"].queryset) == {coordinator, colleague}


def test_coordinator_registers_a_colleague(
    client_for, coordinator, colleague, meeting, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(coordinator).post(
            register_url(meeting), {**ANSWERS, "participant": colleague.pk}
        )
    assert flashed(response) == ["Ola Kollega is registered and gets a confirmation by e-mail."]
    registration = Registration.objects.get()
    assert registration.contact_person == colleague
    assert [m.to for m in mail.outbox] == [[colleague.email]]


@pytest.fixture
def many_colleagues(contact_person_factory, voss):
    """30 colleagues, Kollega 00 to Kollega 29, and one named Solveig Særnamn."""
    people = [contact_person_factory(name=f"Kollega {i:02d}", municipality=voss) for i in range(30)]
    return [*people, contact_person_factory(name="Solveig Særnamn", municipality=voss)]


def participant_options(response) -> list[str]:
    select = re.search(r'<select name="participant".*?</select>', response.content.decode(), re.S)
    return re.findall(r"<option [^>]*>([^<]*)</option>", select.group(0))


def test_coordinator_picker_lists_a_bounded_number_of_colleagues(
    client_for, coordinator, many_colleagues, meeting
):
    response = client_for(coordinator).get(register_url(meeting))
    labels = participant_options(response)
    # The coordinator first, then the first 20 colleagues by name.
    assert len(labels) == 21
    assert labels[0].startswith("Kjell Koordinator")
    assert labels[1].startswith("Kollega 00")
    assert "Solveig" not in " ".join(labels)
    page = response.content.decode()
    assert "Not everyone is listed: search by name or e-mail address to find others." in page
    assert 'role="search"' in page
    assert 'for="id_colleague"' in page


def test_coordinator_searches_for_a_colleague_and_registers_them(
    client_for, coordinator, many_colleagues, meeting
):
    solveig = many_colleagues[-1]
    client = client_for(coordinator)
    response = client.get(register_url(meeting), {"colleague": "særn"})
    labels = participant_options(response)
    assert len(labels) == 2
    assert labels[1] == f"Solveig Særnamn &lt;{solveig.email}&gt;"
    assert "The list shows colleagues matching “særn”." in response.content.decode()
    # By e-mail address too.
    response = client.get(register_url(meeting), {"colleague": solveig.email.upper()})
    assert len(participant_options(response)) == 2
    client.post(register_url(meeting), {**ANSWERS, "participant": solveig.pk})
    assert Registration.objects.get().contact_person == solveig


def test_coordinator_may_register_a_colleague_not_listed(
    client_for, coordinator, many_colleagues, meeting
):
    """The list is bounded, the choice is not: any active colleague is valid, and a form
    sent back with errors keeps the one chosen in the list."""
    unlisted = many_colleagues[25]
    client = client_for(coordinator)
    response = client.post(
        register_url(meeting),
        {**ANSWERS, "participant": unlisted.pk, "attendance_mode": "by_pigeon"},
    )
    assert response.status_code == 200
    assert any(label.startswith("Kollega 25") for label in participant_options(response))
    client.post(register_url(meeting), {**ANSWERS, "participant": unlisted.pk})
    assert Registration.objects.get().contact_person == unlisted


@pytest.mark.parametrize(
    "query, message",
    [
        ("x" * 101, "Ensure this value has at most 100 characters (it has 101)."),
        ("Ola\nNordmann", "Write this on one line, without line breaks or tabs."),
    ],
    ids=["too-long", "line-break"],
)
def test_a_bad_colleague_search_is_explained(
    client_for, coordinator, many_colleagues, meeting, query, message
):
    response = client_for(coordinator).get(register_url(meeting), {"colleague": query})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert len(participant_options(response)) == 21


def test_a_colleague_search_with_a_nul_character_is_refused(client_for, coordinator, meeting):
    response = client_for(coordinator).get(register_url(meeting), {"colleague": "Ola\x00"})
    assert response.status_code == 400


def test_a_colleague_search_is_escaped(client_for, coordinator, meeting):
    response = client_for(coordinator).get(
        register_url(meeting), {"colleague": '<script>alert("x")</script>'}
    )
    page = response.content.decode()
    assert "<script>alert" not in page
    assert "No colleague matches “&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;”." in page


def test_members_have_no_colleague_search(client_for, member, meeting):
    page = client_for(member).get(register_url(meeting), {"colleague": "Ola"}).content.decode()
    assert 'name="colleague"' not in page


def test_coordinator_registers_a_new_colleague(client_for, coordinator, meeting):
    response = client_for(coordinator).post(
        register_url(meeting),
        {**ANSWERS, "new_colleague_name": "Nina Ny", "new_colleague_email": "nina@voss.example"},
    )
    assert flashed(response) == ["Nina Ny is registered and gets a confirmation by e-mail."]
    nina = ContactPerson.objects.get(email="nina@voss.example")
    assert nina.municipality == coordinator.municipality
    assert nina.registrations.get().meeting == meeting


def test_coordinator_adding_a_known_colleague_does_not_duplicate_them(
    client_for, coordinator, colleague, meeting
):
    client_for(coordinator).post(
        register_url(meeting),
        {**ANSWERS, "new_colleague_name": "Ola", "new_colleague_email": colleague.email.upper()},
    )
    assert ContactPerson.objects.filter(email__iexact=colleague.email).count() == 1
    assert Registration.objects.get().contact_person == colleague


def test_coordinator_registering_a_colleague_twice_is_told_so(
    client_for, coordinator, colleague, meeting
):
    client = client_for(coordinator)
    data = {**ANSWERS, "participant": colleague.pk}
    client.post(register_url(meeting), data, follow=True)
    response = client.post(register_url(meeting), data)
    assert flashed(response) == ["Ola Kollega is already registered for this meeting."]
    assert Registration.objects.count() == 1


def test_coordinator_forging_someone_of_another_municipality_gets_a_form_error(
    client_for, coordinator, outsider, meeting
):
    response = client_for(coordinator).post(
        register_url(meeting), {**ANSWERS, "participant": outsider.pk}
    )
    assert response.status_code == 200
    assert "participant" in response.context["form"].errors
    assert flashed(response) == [PLEASE_CORRECT]
    assert not Registration.objects.exists()


def test_coordinator_cannot_add_an_address_of_another_municipality(
    client_for, coordinator, outsider, meeting
):
    response = client_for(coordinator).post(
        register_url(meeting),
        {**ANSWERS, "new_colleague_name": "Utan", "new_colleague_email": outsider.email},
    )
    assert response.status_code == 200
    assert "new_colleague_email" in response.context["form"].errors
    assert not Registration.objects.exists()
    outsider.refresh_from_db()
    assert outsider.municipality.name == "Kvam"


def test_new_colleague_needs_name_and_address(client_for, coordinator, meeting):
    response = client_for(coordinator).post(
        register_url(meeting), {**ANSWERS, "new_colleague_name": "Berre Namn"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert ContactPerson.objects.count() == 1
    assert not Registration.objects.exists()


def test_new_colleague_is_not_added_when_registration_is_closed(
    client_for, coordinator, meeting_with_deadline, freeze_now
):
    """The form was loaded before the deadline and posted after: nothing may be saved, not
    even the new colleague."""
    deadline = oslo(2027, 3, 28, 1, 59, 59)
    meeting = meeting_with_deadline(deadline)
    freeze_now(deadline)
    client = client_for(coordinator)
    client.get(register_url(meeting))
    freeze_now(oslo(2027, 3, 28, 3, 0, 0))
    response = client.post(
        register_url(meeting),
        {**ANSWERS, "new_colleague_name": "Nina Ny", "new_colleague_email": "nina@voss.example"},
    )
    assert response.status_code == 302
    assert flashed(response) == ["The registration deadline has passed."]
    assert not Registration.objects.exists()
    assert not ContactPerson.objects.filter(email="nina@voss.example").exists()


def test_member_cannot_register_a_colleague(client_for, member, colleague, meeting):
    form = client_for(member).get(register_url(meeting)).context["form"]
    assert "participant" not in form.fields
    response = client_for(member).post(
        register_url(meeting), {**ANSWERS, "participant": colleague.pk}
    )
    assert response.status_code != 500
    assert not Registration.objects.filter(contact_person=colleague).exists()


def test_member_forging_a_participant_id_saves_nothing(client_for, member, colleague, meeting):
    """A member's form has no participant field, so a participant id in the POST is forged:
    it must be refused, not silently turned into a registration of the member instead."""
    response = client_for(member).post(
        register_url(meeting), {**ANSWERS, "participant": colleague.pk}
    )
    assert response.status_code in {200, 400, 403}
    assert not Registration.objects.exists()


def test_coordinator_cancels_a_colleague(client_for, coordinator, colleague, meeting):
    registration = register(meeting, colleague, actor=coordinator)
    client = client_for(coordinator)
    page = client.get(meeting.get_absolute_url())
    assert [r.pk for r in page.context["colleague_registrations"]] == [registration.pk]
    assert cancel_url(registration) in page.content.decode()
    response = client.post(cancel_url(registration))
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED


@pytest.mark.parametrize("url", [edit_url, cancel_url], ids=["edit", "cancel"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_coordinator_cannot_touch_another_municipality(
    client_for, coordinator, outsider, meeting, url, method
):
    registration = register(meeting, outsider)
    response = getattr(client_for(coordinator), method)(
        url(registration), {**ANSWERS, "comment": "Forfalska"}
    )
    assert response.status_code == 404
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.comment == ""


@pytest.mark.parametrize("url", [edit_url, cancel_url], ids=["edit", "cancel"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_member_cannot_touch_a_colleague(client_for, member, colleague, meeting, url, method):
    registration = register(meeting, colleague)
    response = getattr(client_for(member), method)(
        url(registration), {**ANSWERS, "comment": "Forfalska"}
    )
    assert response.status_code == 404
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.comment == ""


@pytest.mark.parametrize("path", ["edit", "cancel"])
def test_unknown_registration_is_a_404(client_for, member, path):
    response = client_for(member).post(f"/meetings/registrations/999999/{path}/", ANSWERS)
    assert response.status_code == 404


# --- Cancelling ------------------------------------------------------------------------------


def test_member_cancels_and_the_row_is_kept(client_for, member, meeting):
    registration = register(meeting, member)
    client = client_for(member)
    page = client.get(cancel_url(registration))
    assert page.status_code == 200
    response = client.post(cancel_url(registration))
    assert response.url == meeting.get_absolute_url()
    assert flashed(response) == ["The registration has been cancelled."]
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    assert registration.cancelled_at is not None


def test_cancelling_from_my_meetings_returns_there(client_for, member, meeting):
    registration = register(meeting, member)
    response = client_for(member).post(cancel_url(registration), {"next": "my_meetings"})
    assert response.url == reverse("my_meetings")


def test_cancelled_registration_cannot_be_cancelled_or_changed_again(client_for, member, meeting):
    registration = register(meeting, member)
    client = client_for(member)
    client.post(cancel_url(registration))
    assert client.post(cancel_url(registration)).status_code == 404
    assert client.post(edit_url(registration), ANSWERS).status_code == 404


def test_cancelling_a_seat_promotes_the_first_waiting(
    client_for,
    linked_contact_person_factory,
    voss,
    meeting,
    django_capture_on_commit_callbacks,
):
    people = [linked_contact_person_factory(municipality=voss) for _ in range(5)]
    start = timezone.now() - dt.timedelta(hours=1)
    registrations = [
        register(meeting, person, now=start + dt.timedelta(minutes=i))
        for i, person in enumerate(people)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        client_for(people[0]).post(cancel_url(registrations[0]))
    statuses = dict(Registration.objects.values_list("contact_person_id", "status"))
    assert [statuses[p.pk] for p in people] == [
        "cancelled",
        "confirmed",
        "confirmed",
        "confirmed",
        "waitlisted",
    ]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([people[0].email, people[3].email])
    page = client_for(people[4]).get(meeting.get_absolute_url())
    assert page.context["own_registration"].waitlist_position == 1


def test_cancelling_after_the_meeting_started_is_refused(
    client_for, member, meeting_with_deadline, freeze_now
):
    deadline = oslo(2027, 3, 10, 12)
    meeting = meeting_with_deadline(deadline)
    registration = register(meeting, member, now=deadline - dt.timedelta(days=1))
    freeze_now(meeting.starts_at + dt.timedelta(minutes=5))
    response = client_for(member).post(cancel_url(registration))
    assert response.status_code == 302
    assert len(flashed(response)) == 1
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED


# --- Bad input -------------------------------------------------------------------------------

BAD_ANSWERS = [
    pytest.param({"dietary_needs": "x" * 301}, "dietary_needs", id="dietary-needs-too-long"),
    pytest.param({"comment": "x" * 2001}, "comment", id="comment-too-long"),
    pytest.param({"comment": "Hei\x07"}, "comment", id="bell-in-comment"),
    pytest.param({"dietary_needs": "\x1b[31mNøtter"}, "dietary_needs", id="escape-in-dietary"),
    pytest.param({"comment": "nul\x00"}, "comment", id="nul-in-comment"),
    pytest.param({"attendance_mode": "online"}, "attendance_mode", id="online-without-link"),
    pytest.param({"attendance_mode": "teleport"}, "attendance_mode", id="unknown-attendance"),
]


@pytest.mark.parametrize(("bad", "field"), BAD_ANSWERS)
def test_bad_answers_are_a_form_error_and_save_nothing(client_for, member, meeting, bad, field):
    response = client_for(member).post(register_url(meeting), {**ANSWERS, **bad})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert flashed(response) == [PLEASE_CORRECT]
    assert not Registration.objects.exists()


@pytest.mark.parametrize(("bad", "field"), BAD_ANSWERS)
def test_bad_changes_are_a_form_error_and_save_nothing(client_for, member, meeting, bad, field):
    registration = register(meeting, member)
    response = client_for(member).post(edit_url(registration), {**ANSWERS, **bad})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    stored = Registration.objects.get(pk=registration.pk)
    assert (stored.dietary_needs, stored.comment, stored.attendance_mode) == (
        "",
        "",
        "in_person",
    )


def test_control_characters_in_a_new_colleague_name_save_nothing(client_for, coordinator, meeting):
    response = client_for(coordinator).post(
        register_url(meeting),
        {**ANSWERS, "new_colleague_name": "Nina\x1b", "new_colleague_email": "nina@voss.example"},
    )
    assert response.status_code == 200
    assert "new_colleague_name" in response.context["form"].errors
    assert ContactPerson.objects.count() == 1
    assert not Registration.objects.exists()


def test_longest_allowed_answers_are_saved(client_for, member, meeting):
    response = client_for(member).post(
        register_url(meeting),
        {**ANSWERS, "dietary_needs": "d" * 300, "comment": "Linje 1\r\nLinje 2\t" + "c" * 1983},
    )
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert len(registration.dietary_needs) == 300
    assert len(registration.comment) == 2000


def csrf_token_from(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())[1]


def test_register_without_csrf_token_is_refused(client_for, member, meeting):
    client = client_for(member, enforce_csrf_checks=True)
    response = client.post(register_url(meeting), ANSWERS)
    assert response.status_code == 403
    assert not Registration.objects.exists()
    # The same request with the page's token goes through: the token was what was missing.
    token = csrf_token_from(client.get(register_url(meeting)))
    response = client.post(register_url(meeting), {**ANSWERS, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Registration.objects.count() == 1


@pytest.mark.parametrize("url", [edit_url, cancel_url], ids=["edit", "cancel"])
def test_change_or_cancel_without_csrf_token_is_refused(client_for, member, meeting, url):
    registration = register(meeting, member)
    response = client_for(member, enforce_csrf_checks=True).post(
        url(registration), {**ANSWERS, "comment": "Endra"}
    )
    assert response.status_code == 403
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.comment == ""


# --- My meetings -----------------------------------------------------------------------------


def test_my_meetings_needs_login(client):
    response = client.get(reverse("my_meetings"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_my_meetings_lists_upcoming_first_with_status_position_and_links(
    client_for, member, meeting_factory, voss
):
    now = timezone.now()
    later = meeting_factory(title="Seinare", starts_at=now + dt.timedelta(days=60))
    # Its one seat taken and one on the waiting list before the member comes.
    soon = meeting_factory(
        title="Snart",
        starts_at=now + dt.timedelta(days=10),
        capacity=1,
        registrations=2,
        registrations__municipality=voss,
    )
    cancelled_by_me = meeting_factory(title="Avmeldt", starts_at=now + dt.timedelta(days=20))
    held = meeting_factory(
        title="Haldne",
        starts_at=now - dt.timedelta(days=30),
        registration_deadline=None,
        status=Meeting.Status.HELD,
    )
    on_waitlist = register(soon, member)
    seat = register(later, member)
    services.registration_cancel(registration=register(cancelled_by_me, member), actor=member)
    Registration.objects.create(meeting=held, contact_person=member)

    response = client_for(member).get(reverse("my_meetings"))
    assert response.status_code == 200
    assert [r.meeting.title for r in response.context["upcoming"]] == [
        "Snart",
        "Avmeldt",
        "Seinare",
    ]
    assert [r.meeting.title for r in response.context["past"]] == ["Haldne"]
    assert [r.waitlist_position for r in response.context["upcoming"]] == [2, None, None]
    html = response.content.decode()
    assert "place 2 on the waiting list" in html.lower()
    assert html.index("Snart") < html.index("Seinare") < html.index("Haldne")
    for registration in (on_waitlist, seat):
        assert edit_url(registration) in html
        assert cancel_url(registration) + "?next=my_meetings" in html
    assert register_url(cancelled_by_me) in html


def test_my_meetings_query_count_does_not_grow_with_registrations(
    client_for, member, meeting_factory, count_queries
):
    client = client_for(member)
    register(meeting_factory(), member)
    client.get(reverse("my_meetings"))  # the footer's network owner settles in the cache
    few, _response = count_queries(lambda: client.get(reverse("my_meetings")))
    for _ in range(4):
        register(meeting_factory(), member)
    many, response = count_queries(lambda: client.get(reverse("my_meetings")))
    assert len(response.context["upcoming"]) == 5
    assert many == few


def test_my_meetings_tells_an_unlinked_person_why(client_for, linked_contact_person_factory):
    unlinked = linked_contact_person_factory(municipality=None)
    response = client_for(unlinked).get(reverse("my_meetings"), follow=True)
    assert response.redirect_chain == [(reverse("profile_waiting"), 302)]
    assert "Waiting for the county to link your account" in response.content.decode()
