"""The profile page: a person edits their own contact details and language."""

import pytest
from django.conf import settings
from django.urls import reverse

from members.models import ContactPerson, Sector

pytestmark = pytest.mark.django_db

PROFILE = {
    "name": "Kari Nordmann-Vik",
    "phone": "+47 55 12 34 56",
    "job_title": "Rådgjevar",
    "sector": Sector.HEALTH_CARE,
    "preferred_language": "nb",
}


@pytest.fixture
def person(linked_contact_person_factory):
    return linked_contact_person_factory(
        name="Kari Nordmann", phone="", job_title="", preferred_language="nn"
    )


def test_profile_needs_login(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={reverse('profile')}"


def test_profile_shows_the_persons_details(client_for, person):
    response = client_for(person).get(reverse("profile"))
    assert response.status_code == 200
    html = response.content.decode()
    assert person.email in html
    assert person.municipality.name in html
    form = response.context["form"]
    assert form.instance == person
    assert form["name"].value() == "Kari Nordmann"


def test_profile_saves_the_details_and_sets_the_language_cookie(client_for, person):
    client = client_for(person)
    response = client.post(reverse("profile"), PROFILE)
    assert response.status_code == 302
    assert response.url == reverse("profile")
    person.refresh_from_db()
    assert (
        person.name,
        person.phone,
        person.job_title,
        person.sector,
        person.preferred_language,
    ) == tuple(PROFILE.values())
    person.user.refresh_from_db()
    assert (person.user.first_name, person.user.last_name) == ("Kari", "Nordmann-Vik")
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "nb"
    # The next page speaks the chosen language.
    page = client.get(reverse("profile"))
    assert page["Content-Language"] == "nb"
    assert '<html lang="nb">' in page.content.decode()


@pytest.mark.parametrize("language", ["nn", "nb", "en"])
def test_every_portal_language_can_be_chosen(client_for, person, language):
    response = client_for(person).post(
        reverse("profile"), {**PROFILE, "preferred_language": language}
    )
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == language
    person.refresh_from_db()
    assert person.preferred_language == language


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"preferred_language": "sv"}, "preferred_language"),
        ({"sector": "fishing"}, "sector"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"phone": "1" * 31}, "phone"),
    ],
)
def test_invalid_profile_is_a_form_error_and_saves_nothing(client_for, person, change, field):
    response = client_for(person).post(reverse("profile"), {**PROFILE, **change})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    stored = ContactPerson.objects.get(pk=person.pk)
    assert (stored.name, stored.phone, stored.preferred_language) == ("Kari Nordmann", "", "nn")


def test_profile_cannot_change_address_role_or_municipality(
    client_for, person, municipality_factory
):
    other = municipality_factory()
    client_for(person).post(
        reverse("profile"),
        {
            **PROFILE,
            "email": "ny@example.org",
            "role": ContactPerson.Role.COORDINATOR,
            "municipality": other.pk,
        },
    )
    stored = ContactPerson.objects.get(pk=person.pk)
    assert stored.email == person.email
    assert stored.role == ContactPerson.Role.MEMBER
    assert stored.municipality == person.municipality
    assert stored.name == PROFILE["name"]


def test_profile_tells_an_unlinked_person(client_for, linked_contact_person_factory):
    unlinked = linked_contact_person_factory(municipality=None)
    response = client_for(unlinked).get(reverse("profile"))
    assert "Not linked yet" in response.content.decode()


def test_profile_without_csrf_token_is_refused(client_for, person):
    response = client_for(person, enforce_csrf_checks=True).post(reverse("profile"), PROFILE)
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.name == "Kari Nordmann"
