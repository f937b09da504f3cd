"""Words that say what happens: a full meeting, cancelling oneself, keeping an idea, who runs
the network and who sends the mail."""

import re

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from meetings import services
from meetings.models import Registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_meeting(meeting_factory, linked_contact_person_factory):
    meeting = meeting_factory(capacity=1)
    taken = linked_contact_person_factory()
    services.registration_create(
        meeting=meeting, person=taken, actor=taken, answers=services.RegistrationAnswers()
    )
    return meeting


def test_a_full_meeting_says_so_and_offers_the_waiting_list(
    client_for, full_meeting, linked_contact_person_factory
):
    client = client_for(linked_contact_person_factory())
    page = client.get(full_meeting.get_absolute_url()).content.decode()
    assert "Join the waiting list" in page
    assert ">Register<" not in page
    assert "Full" in page
    listing = client.get(reverse("meetings:list")).content.decode()
    assert re.search(r"<td\b[^>]*>Full</td>", listing)


def test_a_meeting_with_seats_offers_to_register(
    client_for, meeting_factory, linked_contact_person_factory
):
    page = (
        client_for(linked_contact_person_factory())
        .get(meeting_factory(capacity=5).get_absolute_url())
        .content.decode()
    )
    assert ">Register<" in page
    assert "Join the waiting list" not in page


def test_cancelling_oneself_is_not_worded_as_cancelling_someone(
    client_for, meeting_factory, linked_contact_person_factory
):
    coordinator = linked_contact_person_factory(coordinator=True)
    colleague = linked_contact_person_factory(
        municipality=coordinator.municipality, name="Nils Brekke"
    )
    meeting = meeting_factory(title="Søknadsverkstad")
    own = services.registration_create(
        meeting=meeting,
        person=coordinator,
        actor=coordinator,
        answers=services.RegistrationAnswers(),
    )[0]
    theirs = services.registration_create(
        meeting=meeting, person=colleague, actor=coordinator, answers=services.RegistrationAnswers()
    )[0]
    client = client_for(coordinator)
    own_page = client.get(reverse("meetings:registration_cancel", args=[own.pk])).content.decode()
    assert "Cancel your registration for Søknadsverkstad" in own_page
    assert "No, keep the registration" in own_page
    their_page = client.get(
        reverse("meetings:registration_cancel", args=[theirs.pk])
    ).content.decode()
    assert "Cancel the registration of Nils Brekke for Søknadsverkstad" in their_page
    nn_page = (
        client_for(colleague, language="nn")
        .get(reverse("meetings:registration_cancel", args=[theirs.pk]))
        .content.decode()
    )
    assert "Vil du melde deg av Søknadsverkstad" in nn_page
    assert Registration.objects.active().count() == 2


def test_the_idea_delete_page_keeps_the_idea_not_a_registration(
    client_for, project_idea_factory, linked_contact_person_factory
):
    author = linked_contact_person_factory()
    idea = project_idea_factory(contact_person=author)
    page = client_for(author, language="nn").get(reverse("projects:delete", args=[idea.pk]))
    body = page.content.decode()
    assert "Nei, behald ideen" in body
    assert "påmeldinga" not in body


def test_mail_comes_from_a_name_not_a_bare_address(
    meeting_factory, linked_contact_person_factory, settings
):
    from django.conf import settings as django_settings

    assert django_settings.DEFAULT_FROM_EMAIL.startswith("Kommunenettverket <")
    person = linked_contact_person_factory()
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.registration_create(
            meeting=meeting_factory(),
            person=person,
            actor=person,
            answers=services.RegistrationAnswers(),
        )
    (message,) = mail.outbox
    assert message.from_email.startswith("Kommunenettverket <")
    assert message.message()["From"].startswith("Kommunenettverket <")
