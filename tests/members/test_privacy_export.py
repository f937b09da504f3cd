"""A person's copy of their data (`/profile/export/`): every part, and nobody else's."""

import datetime as dt
import json
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.mail import EmailMessage
from django.urls import reverse

from meetings.models import MailingRecipient, Registration
from members.privacy import iso, personal_data_export
from outbox.services import email_queue
from tests.factories import OSLO

pytestmark = pytest.mark.django_db

EXPORT = reverse("profile_export")
NOW = dt.datetime(2026, 3, 10, 14, 30, tzinfo=OSLO)
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


@pytest.fixture
def person(freeze_now, linked_contact_person_factory):
    freeze_now(NOW)
    person = linked_contact_person_factory(
        name="Solveig Haugland",
        email="solveig.haugland@example.org",
        phone="+47 55 00 11 22",
        job_title="Spesialrådgjevar",
        sector="health_care",
        preferred_language="nb",
        calendar_includes_all=True,
        user__date_joined=NOW,
    )
    EmailAddress.objects.create(
        user=person.user, email="solveig.privat@example.net", verified=False, primary=False
    )
    return person


@pytest.fixture
def other(linked_contact_person_factory):
    return linked_contact_person_factory(
        name="Ottar Annanperson", email="ottar.annan@example.org", phone="+47 99 88 77 66"
    )


def give_data(
    person,
    *,
    meeting_factory,
    registration_factory,
    mailing_recipient_factory,
    project_idea_factory,
    interest_factory,
    tag,
):
    """Registrations, an invitation, an idea, an interest and an e-mail for the person."""
    meeting = meeting_factory(title=f"Møte {tag}")
    registration = registration_factory(
        meeting=meeting,
        contact_person=person,
        dietary_needs=f"Glutenfritt {tag}",
        comment=f"Kjem litt seinare {tag}",
        created_at=NOW - dt.timedelta(days=3),
    )
    recipient = mailing_recipient_factory(
        mailing__meeting=meeting,
        contact_person=person,
        email=person.email,
        name=person.name,
        status=MailingRecipient.Status.SENT,
        sent_at=NOW - dt.timedelta(days=5),
        declined_at=NOW - dt.timedelta(days=4),
    )
    idea = project_idea_factory(contact_person=person, title=f"Idé {tag}")
    interest = interest_factory(contact_person=person, message=f"Vi vil vere med {tag}")
    email_queue(
        messages=[EmailMessage(f"Stadfesting {tag}", "Hei", "fia@example.org", [person.email])],
        kind="registration.confirmed",
    )
    return registration, recipient, idea, interest


@pytest.fixture
def data_for(
    meeting_factory,
    registration_factory,
    mailing_recipient_factory,
    project_idea_factory,
    interest_factory,
):
    def make(person, tag):
        return give_data(
            person,
            meeting_factory=meeting_factory,
            registration_factory=registration_factory,
            mailing_recipient_factory=mailing_recipient_factory,
            project_idea_factory=project_idea_factory,
            interest_factory=interest_factory,
            tag=tag,
        )

    return make


def download(client):
    response = client.get(EXPORT)
    assert response.status_code == 200
    return response, json.loads(response.content)


def test_export_needs_login(client):
    response = client.get(EXPORT)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_export_is_a_json_attachment_that_is_not_cached(client_for, person):
    response, data = download(client_for(person))

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="personal-data-2026-03-10.json"'
    )
    assert "no-store" in response["Cache-Control"]
    assert data["exported_at"] == "2026-03-10T14:30:00+01:00"


def test_export_only_answers_get(client_for, person):
    assert client_for(person).post(EXPORT).status_code == 405


def test_export_holds_the_account_without_secrets(client_for, person):
    Authenticator.objects.create(
        user=person.user,
        type=Authenticator.Type.TOTP,
        data={"secret": "JBSWY3DPEHPK3PXPSECRETVALUE"},
    )
    response, data = download(client_for(person))

    account = data["account"]
    assert account["email"] == "solveig.haugland@example.org"
    assert account["date_joined"] == "2026-03-10T14:30:00+01:00"
    assert account["two_factor_authentication"] is True
    assert [a["type"] for a in account["authenticators"]] == ["totp"]
    assert account["email_addresses"] == [
        {"email": "solveig.haugland@example.org", "verified": True, "primary": True},
        {"email": "solveig.privat@example.net", "verified": False, "primary": False},
    ]
    body = response.content.decode()
    assert "JBSWY3DPEHPK3PXPSECRETVALUE" not in body
    assert person.user.password not in body
    assert person.calendar_token not in body


def test_export_holds_the_contact_person(client_for, person):
    _response, data = download(client_for(person))

    details = data["contact_person"]
    assert details["name"] == "Solveig Haugland"
    assert details["phone"] == "+47 55 00 11 22"
    assert details["job_title"] == "Spesialrådgjevar"
    assert details["sector"] == "health_care"
    assert details["role"] == "member"
    assert details["preferred_language"] == "nb"
    assert details["municipality"] == {
        "name": person.municipality.name,
        "number": person.municipality.number,
    }
    assert details["calendar_feed"] == {"all_network_meetings": True}
    assert [version["name"] for version in data["contact_person_history"]] == ["Solveig Haugland"]


def test_export_holds_registrations_invitations_ideas_interests_and_emails(
    client_for, person, data_for
):
    registration, _recipient, _idea, interest = data_for(person, "A")
    Registration.objects.filter(pk=registration.pk).update(status="cancelled", cancelled_at=NOW)

    _response, data = download(client_for(person))

    [exported] = data["registrations"]
    assert exported["meeting"] == "Møte A"
    assert exported["meeting_starts_at"] == iso(registration.meeting.starts_at)
    assert exported["status"] == "cancelled"
    assert exported["cancelled_at"] == "2026-03-10T14:30:00+01:00"
    assert exported["registered_at"] == "2026-03-07T14:30:00+01:00"
    assert exported["dietary_needs"] == "Glutenfritt A"
    assert exported["comment"] == "Kjem litt seinare A"
    assert [v["comment"] for v in exported["history"]] == ["Kjem litt seinare A"]

    [invitation] = data["invitations"]
    assert invitation["meeting"] == "Møte A"
    assert invitation["email"] == person.email
    assert invitation["sent_at"] == "2026-03-05T14:30:00+01:00"
    assert invitation["declined_at"] == "2026-03-06T14:30:00+01:00"

    assert [i["title"] for i in data["project_ideas"]] == ["Idé A"]
    assert data["project_ideas"][0]["lead_municipality"] == person.municipality.name
    [marked] = data["interests"]
    assert marked["idea"] == interest.idea.title
    assert marked["message"] == "Vi vil vere med A"
    assert marked["withdrawn_at"] is None

    [email] = data["emails"]
    assert email["subject"] == "Stadfesting A"
    assert email["kind"] == "registration.confirmed"
    assert email["status"] == "queued"
    assert ISO_WITH_OFFSET.match(email["queued_at"])


def test_invitations_to_a_verified_address_without_a_person_link_are_included(
    client_for, person, mailing_recipient_factory
):
    EmailAddress.objects.filter(email="solveig.privat@example.net").update(verified=True)
    mailing_recipient_factory(email="Solveig.Privat@example.net", name="Solveig H.")

    _response, data = download(client_for(person))

    assert [i["email"] for i in data["invitations"]] == ["Solveig.Privat@example.net"]


def test_an_unverified_address_shows_nothing_sent_to_it(
    client_for, person, mailing_recipient_factory
):
    """Anyone can add another person's address to their account, unverified."""
    mailing_recipient_factory(email="solveig.privat@example.net", name="Someone Else")
    email_queue(
        messages=[
            EmailMessage("Til ein annan", "Hei", "fia@example.org", ["solveig.privat@example.net"])
        ],
        kind="registration.confirmed",
    )

    response, data = download(client_for(person))

    assert data["invitations"] == data["emails"] == []
    assert "Someone Else" not in response.content.decode()


def test_every_date_carries_its_offset(client_for, person, data_for):
    data_for(person, "A")
    _response, data = download(client_for(person))

    found = []

    def walk(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and key.endswith(("_at", "date_joined", "last_login")):
            found.append((key, value))

    walk(data)
    assert len(found) > 10
    for key, value in found:
        assert ISO_WITH_OFFSET.match(value), (key, value)


def test_another_persons_data_never_appears(client_for, person, other, data_for):
    data_for(person, "A")
    data_for(other, "B")

    response, data = download(client_for(person))

    body = response.content.decode()
    for secret in (
        other.name,
        other.email,
        other.phone,
        "Glutenfritt B",
        "Kjem litt seinare B",
        "Møte B",
        "Idé B",
        "Vi vil vere med B",
        "Stadfesting B",
    ):
        assert secret not in body, secret
    assert len(data["registrations"]) == len(data["invitations"]) == 1


def test_a_user_without_contact_person_gets_the_account_part(client, verified_user_factory):
    user = verified_user_factory(email="utan.kontakt@example.org")
    client.force_login(user)

    data = personal_data_export(user=user)

    assert data["account"]["email"] == "utan.kontakt@example.org"
    assert data["contact_person"] is None
    assert data["registrations"] == data["project_ideas"] == data["interests"] == []


def test_the_export_reads_a_fixed_number_of_queries(client_for, person, data_for, count_queries):
    client = client_for(person)
    data_for(person, "A")
    few, _ = count_queries(lambda: client.get(EXPORT))
    for tag in "BCDE":
        data_for(person, tag)
    many, response = count_queries(lambda: client.get(EXPORT))

    assert len(json.loads(response.content)["registrations"]) == 5
    assert few == many


def test_export_holds_the_persons_date_poll_answers(
    client_for, person, other, meeting_factory, mailing_recipient_factory
):
    from meetings.models import DatePoll, DatePollAnswer, DatePollCandidate

    meeting = meeting_factory(title="Junimøte", tentative=True)
    poll = DatePoll.objects.create(meeting=meeting, closes_at=NOW + dt.timedelta(days=10))
    starts = dt.datetime(2026, 6, 9, 10, 0, tzinfo=OSLO)
    first, second = (
        DatePollCandidate.objects.create(
            poll=poll,
            starts_at=starts + dt.timedelta(days=day),
            ends_at=starts + dt.timedelta(days=day, hours=4),
        )
        for day in (0, 1)
    )
    DatePollAnswer.objects.create(candidate=first, contact_person=person, answer="yes")
    link = mailing_recipient_factory(mailing__meeting=meeting, email=person.email)
    DatePollAnswer.objects.create(candidate=second, recipient=link, answer="if_need_be")
    DatePollAnswer.objects.create(candidate=first, contact_person=other, answer="no")

    _response, data = download(client_for(person))

    assert [
        (a["meeting"], a["candidate_starts_at"], a["answer"], a["answered_through_link"])
        for a in data["date_poll_answers"]
    ] == [
        ("Junimøte", "2026-06-09T10:00:00+02:00", "yes", False),
        ("Junimøte", "2026-06-10T10:00:00+02:00", "if_need_be", True),
    ]


def test_export_lists_the_materials_the_person_uploaded(
    client_for, person, other, material_storage, material_factory
):
    material_factory(
        meeting__title="Oppstartsmøte", title="Lysark", uploaded_by=person.user, filename="a.pdf"
    )
    material_factory(uploaded_by=other.user)

    _response, data = download(client_for(person))

    assert [(m["meeting"], m["title"], m["filename"]) for m in data["materials_uploaded"]] == [
        ("Oppstartsmøte", "Lysark", "a.pdf")
    ]
