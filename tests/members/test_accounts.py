"""Sign-up, e-mail verification and login through allauth's real views, and how an account
finds its contact person and municipality."""

import datetime as dt
import logging
import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client, TestCase
from django.urls import reverse

from meetings.models import Registration
from members.models import ContactPerson
from members.services import contact_person_link_for_user, municipality_for_email

pytestmark = pytest.mark.django_db

PASSWORD = "Fjellstova-Kvitveis-2027"


@pytest.fixture
def voss(municipality_factory, email_domain_factory):
    municipality = municipality_factory(name="Voss", number="4621")
    email_domain_factory(municipality=municipality, domain="voss.kommune.no")
    return municipality


def sign_up(client, *, name, email):
    # The confirmation e-mail leaves the outbox when the sign-up's transaction commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {"name": name, "email": email, "password1": PASSWORD, "password2": PASSWORD},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == reverse("account_email_verification_sent")


def confirm_email(client, address):
    [message] = [m for m in mail.outbox if m.to == [address]]
    path = re.search(r"https?://testserver(/accounts/confirm-email/[^/\s]+/)", message.body)[1]
    assert client.get(path).status_code == 200
    cache.clear()
    response = client.post(path)
    assert response.status_code == 302


def log_in(client, email):
    cache.clear()
    return client.post(reverse("account_login"), {"login": email, "password": PASSWORD})


def sign_up_and_log_in(client, *, name, email):
    sign_up(client, name=name, email=email)
    confirm_email(client, email.lower())
    response = log_in(client, email)
    assert response.status_code == 302
    assert response.url == reverse("my_meetings")
    return response


def test_sign_up_verify_and_log_in_links_the_municipality_of_the_domain(voss, meeting_factory):
    client = Client()
    response = sign_up_and_log_in(client, name="Kari Nordmann", email="kari@voss.kommune.no")
    person = ContactPerson.objects.get()
    assert person.user.email == "kari@voss.kommune.no"
    assert person.email == "kari@voss.kommune.no"
    assert person.name == "Kari Nordmann"
    assert person.municipality == voss
    # The login applies the person's language.
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == person.preferred_language
    meeting = meeting_factory()
    page = client.get(reverse("meetings:register", kwargs={"slug": meeting.slug}))
    assert page.status_code == 200
    assert page.context["form"] is not None


def test_domain_is_matched_whatever_the_case(voss):
    sign_up_and_log_in(Client(), name="Kari Nordmann", email="Kari.Nordmann@VOSS.Kommune.NO")
    assert ContactPerson.objects.get().municipality == voss


def test_login_is_refused_until_the_address_is_verified(voss):
    client = Client()
    sign_up(client, name="Kari Nordmann", email="kari@voss.kommune.no")
    response = log_in(client, "kari@voss.kommune.no")
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    # Nobody claims a contact person with an address they have not proven.
    assert not ContactPerson.objects.filter(user__isnull=False).exists()


def test_existing_contact_person_is_linked_not_duplicated(voss, contact_person_factory):
    known = contact_person_factory(
        name="Kari Nordmann (koordinator)",
        email="Kari.Nordmann@Voss.Kommune.no",
        municipality=voss,
        role=ContactPerson.Role.COORDINATOR,
        preferred_language="nb",
    )
    response = sign_up_and_log_in(
        Client(), name="Kari Nordmann", email="kari.nordmann@voss.kommune.no"
    )
    assert ContactPerson.objects.count() == 1
    known.refresh_from_db()
    assert known.user is not None
    assert known.user.email == "kari.nordmann@voss.kommune.no"
    assert known.role == ContactPerson.Role.COORDINATOR
    assert known.name == "Kari Nordmann (koordinator)"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nb"


def test_known_person_without_municipality_gets_it_at_login(voss, contact_person_factory):
    known = contact_person_factory(email="kari@voss.kommune.no", municipality=None)
    sign_up_and_log_in(Client(), name="Kari Nordmann", email="kari@voss.kommune.no")
    known.refresh_from_db()
    assert known.municipality == voss


def test_logging_in_again_creates_nothing_new(voss):
    client = Client()
    sign_up_and_log_in(client, name="Kari Nordmann", email="kari@voss.kommune.no")
    client.post(reverse("account_logout"))
    assert log_in(client, "KARI@voss.kommune.no").status_code == 302
    assert ContactPerson.objects.count() == 1


def test_unknown_domain_signs_up_but_cannot_register_until_linked(
    voss, meeting_factory, staff_client
):
    meeting = meeting_factory()
    member = Client()
    sign_up_and_log_in(member, name="Per Privat", email="per@gmail.example")
    person = ContactPerson.objects.get(email="per@gmail.example")
    assert person.user is not None
    assert person.municipality is None

    member.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = member.get(meeting.get_absolute_url())
    assert "Your account is not linked to a municipality yet" in page.content.decode()
    response = member.post(
        reverse("meetings:register", kwargs={"slug": meeting.slug}),
        {"attendance_mode": "in_person"},
    )
    assert response.status_code == 302
    assert not Registration.objects.exists()

    # The county staff find the account in the admin...
    changelist = staff_client.get(
        reverse("admin:members_contactperson_changelist"), {"linked": "no"}
    )
    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == [person]
    linked = staff_client.get(reverse("admin:members_contactperson_changelist"), {"linked": "yes"})
    assert person not in list(linked.context["cl"].result_list)

    # ...link it, and the person can register.
    person.municipality = voss
    person.save()
    response = member.post(
        reverse("meetings:register", kwargs={"slug": meeting.slug}),
        {"attendance_mode": "in_person"},
    )
    assert Registration.objects.get().contact_person == person


def test_needs_linking_filter_lists_only_unlinked_people(staff_client, contact_person_factory):
    unlinked = contact_person_factory(municipality=None)
    linked = contact_person_factory()
    url = reverse("admin:members_contactperson_changelist")
    assert list(staff_client.get(url, {"linked": "no"}).context["cl"].result_list) == [unlinked]
    assert list(staff_client.get(url, {"linked": "yes"}).context["cl"].result_list) == [linked]


# --- The services behind it -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "found"),
    [
        ("kari@voss.kommune.no", True),
        ("KARI@VOSS.KOMMUNE.NO", True),
        ("kari@voss.kommune.no ", True),
        ("kari@skule.voss.kommune.no", False),
        ("kari@voss.kommune.no.example", False),
        ("kari@gmail.example", False),
        ("utan-krøllalfa", False),
        ("", False),
    ],
)
def test_municipality_for_email(voss, address, found):
    assert municipality_for_email(address) == (voss if found else None)


def test_a_merged_municipality_no_longer_claims_its_domain(voss):
    voss.valid_to = dt.date(2019, 12, 31)
    voss.save()
    assert municipality_for_email("kari@voss.kommune.no") is None


def test_address_already_linked_to_another_account_is_left_for_staff(
    voss, contact_person_factory, user_factory, caplog
):
    owner = user_factory(email="eigar@example.org")
    person = contact_person_factory(email="kari@voss.kommune.no", user=owner)
    other = user_factory(email="kari@voss.kommune.no")
    with caplog.at_level(logging.WARNING, logger="members.services"):
        assert contact_person_link_for_user(user=other) is None
    person.refresh_from_db()
    assert person.user == owner
    assert ContactPerson.objects.count() == 1
    assert any(str(person.pk) in r.getMessage() for r in caplog.records)
