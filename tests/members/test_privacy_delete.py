"""Deleting one's own account (`/profile/delete/`): what goes, what stays without a name."""

import datetime as dt
import json
from types import SimpleNamespace

import hypothesis
import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import OperationalError, connection, models
from django.urls import reverse
from django.utils.http import urlencode
from hypothesis import strategies as st

from meetings import services as meeting_services
from meetings.models import Mailing, MailingRecipient, Meeting, Registration
from meetings.selectors import participation_overview
from members.models import ContactPerson, User
from members.privacy import StaffAccountError, contact_person_anonymise, personal_data_delete
from outbox.models import OutboxEmail
from outbox.services import email_queue
from projects import services as project_services
from projects.models import Interest, ProjectIdea
from tests.factories import OSLO

pytestmark = pytest.mark.django_db

DELETE = reverse("profile_delete")
PASSWORD = "correct-horse-battery"
NOW = dt.datetime(2026, 5, 20, 10, 0, tzinfo=OSLO)

NAME = "Solveig Haugland-Testesen"
EMAIL = "solveig.haugland@example.org"
SECOND_EMAIL = "solveig.privat@example.net"
PHONE = "+47 55 00 11 22"
# Every string that would identify her; none may survive anywhere in the database.
IDENTIFYING = (NAME, "Haugland-Testesen", EMAIL, SECOND_EMAIL, PHONE, "solveig.haugland")


def text_values(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, dict | list):
        return [str(value), json.dumps(value)]
    return [str(value)]


def rows_that_mention(*texts: str) -> list[str]:
    """Every text field of every row of every model that contains one of the texts."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in model._default_manager.values_list("pk", *fields):
            for field, value in zip(fields, row[1:], strict=True):
                for text in texts:
                    if any(text.lower() in v.lower() for v in text_values(value)):
                        found.append(f"{model._meta.label} #{row[0]} {field}: {text}")
    return found


@pytest.fixture
def municipality(municipality_factory):
    return municipality_factory(name="Fjordvik")


@pytest.fixture
def person(freeze_now, linked_contact_person_factory, municipality):
    freeze_now(NOW)
    person = linked_contact_person_factory(
        name=NAME,
        email=EMAIL,
        phone=PHONE,
        job_title="Spesialrådgjevar",
        municipality=municipality,
        coordinator=True,
    )
    EmailAddress.objects.create(user=person.user, email=SECOND_EMAIL, verified=True)
    Authenticator.objects.create(
        user=person.user, type=Authenticator.Type.TOTP, data={"secret": "SECRETSECRET"}
    )
    return person


@pytest.fixture
def colleague(linked_contact_person_factory, municipality):
    return linked_contact_person_factory(
        name="Ottar Annanperson", email="ottar.annan@example.org", municipality=municipality
    )


@pytest.fixture
def world(
    person,
    colleague,
    staff_user,
    meeting_factory,
    registration_factory,
    mailing_recipient_factory,
    project_idea_factory,
    send_invitation,
):
    """Her data in every app, made as the portal makes it where it can (services, which also
    write e-mails and history), and a colleague's alongside."""
    held = meeting_factory(
        title="Haustmøtet",
        status=Meeting.Status.HELD,
        starts_at=NOW - dt.timedelta(days=60),
    )
    past = registration_factory(
        meeting=held,
        contact_person=person,
        dietary_needs="Glutenfritt",
        comment=f"Helsing {NAME}, ring {PHONE}",
        created_at=NOW - dt.timedelta(days=70),
    )
    registration_factory(meeting=held, contact_person=colleague, comment="Kjem")
    ahead = meeting_factory(title="Vårmøtet", capacity=1)
    answers = meeting_services.RegistrationAnswers(dietary_needs="Vegetar", comment="Ser fram")
    future, _ = meeting_services.registration_create(
        meeting=ahead, person=person, actor=person, answers=answers
    )
    waiting, _ = meeting_services.registration_create(
        meeting=ahead, person=colleague, actor=colleague, answers=answers
    )
    invitation = send_invitation(ahead, persons=[person, colleague])
    meeting_services.invitation_decline(recipient=invitation.recipients.get(contact_person=person))
    by_address = mailing_recipient_factory(
        email=SECOND_EMAIL,
        name=NAME,
        status=MailingRecipient.Status.SENT,
        sent_at=NOW,
        last_error=f"550 {SECOND_EMAIL} unknown",
    )
    unsent = mailing_recipient_factory(email=EMAIL, name=NAME, contact_person=person)

    own_idea = project_services.idea_create(
        author=person,
        fields={
            "title": "Velferdsteknologi i heimen",
            "local_need": f"Spør {NAME} ({EMAIL}) om bakgrunnen.",
        },
        user=person.user,
    )
    colleague_idea = project_idea_factory(
        contact_person=colleague, lead_municipality=colleague.municipality
    )
    other_municipality_idea = project_idea_factory(title="Kystkultur")
    interest = project_services.interest_mark(
        idea=other_municipality_idea, person=person, message=f"Vi er med! {NAME}"
    )

    # County staff edited her in the admin, and added her registration in a meeting's inline.
    for obj, message in [
        (person, [{"changed": {"fields": ["Phone"]}}]),
        (past, [{"changed": {"fields": ["Comment"]}}]),
        (held, [{"added": {"name": "registration", "object": str(past)}}]),
    ]:
        LogEntry.objects.create(
            user=staff_user,
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            object_repr=str(obj),
            action_flag=CHANGE if obj is not held else ADDITION,
            change_message=json.dumps(message),
        )
    person.user.last_login = NOW
    person.user.save(update_fields=["last_login"])
    return SimpleNamespace(
        held=held,
        past=past,
        ahead=ahead,
        future=future,
        waiting=waiting,
        invitation=invitation,
        by_address=by_address,
        unsent=unsent,
        own_idea=own_idea,
        colleague_idea=colleague_idea,
        interest=interest,
    )


def reauthenticated(client):
    """allauth asks for the password again before the account can be deleted."""
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def test_the_world_mentions_her_everywhere_before(world):
    """The scenario is worth testing: her name, addresses and phone are in many tables."""
    found = {line.split(" #")[0] for line in rows_that_mention(*IDENTIFYING)}
    assert {
        "members.User",
        "members.ContactPerson",
        "members.HistoricalContactPerson",
        "account.EmailAddress",
        "meetings.Registration",
        "meetings.HistoricalRegistration",
        "meetings.MailingRecipient",
        "projects.ProjectIdea",
        "projects.Interest",
        "outbox.OutboxEmail",
        "admin.LogEntry",
    } <= found


def test_delete_needs_login(client):
    response = client.get(DELETE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_delete_asks_for_the_password_again_first(client_for, person):
    response = client_for(person).get(DELETE)

    assert response.status_code == 302
    assert response.url == f"{reverse('account_reauthenticate')}?{urlencode({'next': DELETE})}"


def test_the_confirmation_page_explains_and_asks_for_the_address(client_for, person):
    client = reauthenticated(client_for(person))
    response = client.get(DELETE)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert "<h1>Delete your account</h1>" in html
    assert "What stays, without your name" in html
    assert 'for="id_email"' in html
    assert "coordinator. Tell the county staff" in html
    assert f'href="{reverse("profile_export")}"' in html


def test_a_wrong_address_deletes_nothing(client_for, person):
    client = reauthenticated(client_for(person))
    response = client.post(DELETE, {"email": "someone.else@example.org"})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": ["This is not the address you sign in with."]
    }
    assert User.objects.filter(pk=person.user.pk).exists()


def test_deleting_removes_the_account_signs_out_and_confirms(client_for, person, world):
    client = reauthenticated(client_for(person))
    response = client.post(DELETE, {"email": EMAIL.upper()})

    assert response.status_code == 302
    assert response.url == reverse("profile_deleted")
    assert not User.objects.filter(pk=person.user.pk).exists()
    assert not EmailAddress.objects.filter(email__in=[EMAIL, SECOND_EMAIL]).exists()
    assert not Authenticator.objects.exists()
    done = client.get(response.url)
    assert done.status_code == 200
    assert "<h1>Your account has been deleted</h1>" in done.content.decode()
    assert not done.wsgi_request.user.is_authenticated
    assert client.get(reverse("profile")).status_code == 302


def test_nothing_personal_survives_in_any_text_field_of_any_row(client_for, person, world):
    client = reauthenticated(client_for(person))
    client.post(DELETE, {"email": EMAIL})

    assert rows_that_mention(*IDENTIFYING) == []


def test_the_colleague_keeps_everything(client_for, person, colleague, world):
    before = rows_that_mention(colleague.name, colleague.email)

    personal_data_delete(user=person.user)

    # Nothing of the colleague's is gone (the freed seat adds an e-mail to the colleague).
    assert set(before) <= set(rows_that_mention(colleague.name, colleague.email))
    assert Registration.objects.filter(contact_person=colleague, comment="Kjem").exists()


def test_statistics_still_count_her_past_registration(person, colleague, world):
    before = participation_overview(world.held.series, now=NOW)

    personal_data_delete(user=person.user)

    after = participation_overview(world.held.series, now=NOW)
    held_before = before.count(person.municipality, world.held)
    assert held_before.confirmed == 2
    assert after.count(person.municipality, world.held) == held_before
    world.past.refresh_from_db()
    assert world.past.status == Registration.Status.CONFIRMED
    assert (world.past.dietary_needs, world.past.comment) == ("", "")
    assert world.past.contact_person.municipality == person.municipality


def test_her_future_registration_is_cancelled_and_the_seat_goes_on(person, world):
    assert world.waiting.status == Registration.Status.WAITLISTED

    personal_data_delete(user=person.user)

    world.future.refresh_from_db()
    world.waiting.refresh_from_db()
    assert world.future.status == Registration.Status.CANCELLED
    assert world.waiting.status == Registration.Status.CONFIRMED
    # The promoted colleague is told; she is not.
    assert OutboxEmail.objects.filter(to=world.waiting.contact_person.email).exists()
    assert not OutboxEmail.objects.filter(to__iexact=EMAIL).exists()


def test_the_contact_person_stays_anonymous_with_its_municipality(person, world):
    token = person.calendar_token

    assert personal_data_delete(user=person.user, now=NOW) is True

    anonymous = ContactPerson.objects.get(pk=person.pk)
    assert anonymous.anonymised_at == NOW
    assert anonymous.user is None
    assert (anonymous.name, anonymous.phone, anonymous.job_title) == ("", "", "")
    assert anonymous.email == f"anonymised-person-{person.pk}@anonymised.invalid"
    assert anonymous.role == ContactPerson.Role.MEMBER
    assert not anonymous.is_active
    assert anonymous.calendar_token != token
    assert anonymous.municipality == person.municipality
    assert str(anonymous) == "Anonymised person (Fjordvik)"


def test_ideas_stay_with_the_municipality_without_her_name(client_for, person, colleague, world):
    personal_data_delete(user=person.user)

    idea = ProjectIdea.objects.get(pk=world.own_idea.pk)
    assert idea.lead_municipality == person.municipality
    assert idea.local_need == "Spør […] ([…]) om bakgrunnen."
    page = client_for(colleague).get(idea.get_absolute_url())
    assert page.status_code == 200
    assert "Anonymised person" in page.content.decode()
    interest = Interest.objects.get(pk=world.interest.pk)
    assert interest.message == ""
    assert interest.municipality == person.municipality


def test_invitations_lose_name_and_address_but_keep_the_answer(person, world):
    declined = world.invitation.recipients.get(contact_person=person)

    personal_data_delete(user=person.user)

    declined.refresh_from_db()
    assert declined.name == ""
    assert declined.email == f"anonymised-recipient-{declined.pk}@anonymised.invalid"
    assert declined.declined_at is not None
    world.by_address.refresh_from_db()
    assert (world.by_address.name, world.by_address.last_error) == ("", "")
    # Never sent: gone, so that nothing goes out to her any more.
    assert not MailingRecipient.objects.filter(pk=world.unsent.pk).exists()
    assert Mailing.objects.filter(pk=world.unsent.mailing_id).exists()


def test_what_was_sent_to_an_unverified_address_of_hers_is_left_alone(
    person, mailing_recipient_factory
):
    """Anyone can add another person's address to their account, unverified: deleting the
    account must not erase that person's invitations or e-mails."""
    EmailAddress.objects.create(user=person.user, email="victim@example.org", verified=False)
    invited = mailing_recipient_factory(
        email="victim@example.org", name="Vera Victim", sent_at=NOW, status="sent"
    )
    email_queue(
        messages=[EmailMessage("Til Vera", "Hei Vera", "fia@example.org", ["victim@example.org"])],
        kind="registration.confirmed",
    )

    personal_data_delete(user=person.user)

    invited.refresh_from_db()
    assert (invited.email, invited.name) == ("victim@example.org", "Vera Victim")
    assert OutboxEmail.objects.filter(to="victim@example.org").exists()


def test_deleting_twice_is_harmless(person, world):
    user = person.user
    assert personal_data_delete(user=user) is True
    first = rows_that_mention("anonymised")

    assert personal_data_delete(user=user) is False
    assert contact_person_anonymise(person=ContactPerson.objects.get(pk=person.pk)) is False
    assert rows_that_mention("anonymised") == first


def test_an_only_contact_and_coordinator_may_delete(person, world):
    assert ProjectIdea.objects.filter(contact_person=person).count() == 1
    assert person.is_coordinator

    personal_data_delete(user=person.user)

    assert ProjectIdea.objects.filter(pk=world.own_idea.pk).exists()


def test_staff_are_sent_back_with_a_message(staff_en_client, staff_user):
    response = staff_en_client.get(DELETE, follow=True)

    assert response.redirect_chain == [(reverse("profile"), 302)]
    assert "Staff accounts are removed by an administrator" in response.content.decode()
    assert staff_en_client.post(DELETE, {"email": staff_user.email}).status_code == 302
    assert User.objects.filter(pk=staff_user.pk).exists()


def test_the_service_refuses_staff_too(staff_user):
    with pytest.raises(StaffAccountError):
        personal_data_delete(user=staff_user)
    assert User.objects.filter(pk=staff_user.pk).exists()


def test_the_profile_offers_export_and_delete(client_for, person):
    html = client_for(person).get(reverse("profile")).content.decode()

    assert f'href="{reverse("profile_export")}"' in html
    assert f'href="{DELETE}"' in html


def test_the_profile_of_staff_offers_no_delete(staff_en_client):
    html = staff_en_client.get(reverse("profile")).content.decode()

    assert f'href="{DELETE}"' not in html
    assert "Staff accounts are removed by an administrator" in html


def test_the_confirmation_page_is_public_and_plain(client):
    def refuse(execute, sql, params, many, context):
        raise OperationalError("no query expected")

    # Nothing of the deleted account is looked up; the footer's owner alone may be, and the
    # page does without it.
    with connection.execute_wrapper(refuse):
        response = client.get(reverse("profile_deleted"))
    assert response.status_code == 200


@pytest.fixture
def confirming_client(client_for, person):
    """Signed in as her and past the password check, on the confirmation page."""
    return reauthenticated(client_for(person))


@hypothesis.settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
@hypothesis.given(typed=st.text(max_size=300))
def test_whatever_is_typed_no_error_and_nothing_deleted_unless_it_is_the_address(
    confirming_client, person, typed
):
    hypothesis.assume(typed.strip().casefold() != EMAIL)

    response = confirming_client.post(DELETE, {"email": typed})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert User.objects.filter(pk=person.user.pk).exists()
