"""One rule for the language of every e-mail: the person's stored preference, which the
header's language buttons set when they are signed in (and say so)."""

import pytest
from django.conf import settings
from django.test import Client, TestCase
from django.urls import reverse

from meetings import services
from members.models import ContactPerson
from outbox.models import OutboxEmail

pytestmark = pytest.mark.django_db


def test_a_password_reset_follows_the_stored_preference_not_the_page(
    linked_contact_person_factory,
):
    person = linked_contact_person_factory(preferred_language="en")
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nn"
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": person.email})
    assert response.status_code == 302
    reset = OutboxEmail.objects.get(to=person.email)
    assert "Password Reset" in reset.subject or "password" in reset.body.lower()
    assert "passord" not in reset.body.lower()


def test_sign_up_mail_is_in_the_language_of_the_page_before_there_is_a_preference():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    password = "Fjellstova-Kvitveis-2027"
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(
            reverse("account_signup"),
            {
                "name": "Berit Bokmål",
                "email": "berit@example.org",
                "password1": password,
                "password2": password,
            },
        )
    confirmation = OutboxEmail.objects.get(to="berit@example.org")
    assert "e-postadresse" in confirmation.body.lower()


def test_switching_language_signed_in_stores_it_and_says_so(
    client_for, linked_contact_person_factory, meeting_factory
):
    person = linked_contact_person_factory(preferred_language="nn")
    client = client_for(person, language="nn")
    response = client.post(reverse("set_language"), {"language": "nb", "next": "/"}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    person.refresh_from_db()
    assert person.preferred_language == "nb"
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["E-poster til deg vil være på norsk (bokmål) fra nå av."]

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.registration_create(
            meeting=meeting_factory(),
            person=person,
            actor=person,
            answers=services.RegistrationAnswers(),
        )
    confirmation = OutboxEmail.objects.get(to=person.email, kind="registration.confirmed")
    assert "Hei" in confirmation.body
    assert "Kalenderoppføringen ligger vedlagt" in confirmation.body  # Nynorsk: "… ligg ved"


def test_switching_to_the_stored_language_says_nothing(client_for, linked_contact_person_factory):
    person = linked_contact_person_factory(preferred_language="nb")
    response = client_for(person, language="nb").post(
        reverse("set_language"), {"language": "nb", "next": "/"}, follow=True
    )
    assert list(response.context["messages"]) == []


def test_switching_language_anonymously_only_sets_the_cookie():
    client = Client()
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert not ContactPerson.objects.exists()


@pytest.mark.parametrize("language", ["xx", "", "nn\n"])
def test_an_unknown_language_changes_nothing(client_for, linked_contact_person_factory, language):
    person = linked_contact_person_factory(preferred_language="nn")
    response = client_for(person).post(reverse("set_language"), {"language": language, "next": "/"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.preferred_language == "nn"


def test_the_switcher_answers_get_with_405(client):
    assert client.get(reverse("set_language")).status_code == 405
