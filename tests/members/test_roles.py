"""Who sees whom (issue: security and privacy), over HTTP: coordinators act only within their
municipality, unlinked accounts see only public pages, the online link reaches registrants and
staff only, and staff accounts are not contact persons unless staff choose so."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client, TestCase
from django.urls import reverse

from meetings import services
from meetings.models import Registration
from members.models import ContactPerson
from members.services import colleague_email_check, contact_person_add_colleague
from outbox.models import OutboxEmail
from tests.helpers import feed_url

pytestmark = pytest.mark.django_db

PASSWORD = "Fjellstova-Kvitveis-2027"
VIDEO = "https://video.example.org/nettverk"


@pytest.fixture
def bergen(municipality_factory, email_domain_factory):
    municipality = municipality_factory(name="Bergen", number="4601")
    email_domain_factory(municipality=municipality, domain="bergen.kommune.no")
    return municipality


@pytest.fixture
def kvam(municipality_factory, email_domain_factory):
    municipality = municipality_factory(name="Kvam", number="4622")
    email_domain_factory(municipality=municipality, domain="kvam.kommune.no")
    return municipality


@pytest.fixture
def kari(linked_contact_person_factory, bergen):
    return linked_contact_person_factory(
        name="Kari Koordinator",
        email="kari@bergen.kommune.no",
        municipality=bergen,
        coordinator=True,
        phone="55 55 55 55",
    )


@pytest.fixture
def meeting(meeting_factory):
    return meeting_factory(title="Søknadsverkstad", capacity=10, online_url=VIDEO)


def register_url(meeting):
    return reverse("meetings:register", kwargs={"slug": meeting.slug})


def colleague_post(name, email):
    return {
        "participant": "",
        "new_colleague_name": name,
        "new_colleague_email": email,
        "attendance_mode": "in_person",
        "dietary_needs": "",
        "comment": "",
    }


# --- Coordinators act only within their municipality ------------------------------------------


@pytest.mark.parametrize("address", ["ny.person@kvam.kommune.no", "privat.person@gmail.com"])
def test_a_coordinator_cannot_add_a_colleague_outside_the_municipalitys_domains(
    client_for, kari, kvam, meeting, address
):
    response = client_for(kari).post(register_url(meeting), colleague_post("Ny Person", address))
    assert response.status_code == 200
    errors = response.context["form"].errors["new_colleague_email"]
    assert errors == [
        "A new colleague's address must end in one of your municipality's e-mail domains: "
        "bergen.kommune.no. County staff can add people with other addresses."
    ]
    assert not ContactPerson.objects.filter(email=address).exists()
    assert not Registration.objects.exists()


def test_the_form_names_the_accepted_domains(client_for, kari, meeting):
    page = client_for(kari).get(register_url(meeting)).content.decode()
    assert "An address at bergen.kommune.no." in page


def test_the_service_refuses_what_the_form_refuses(kari, kvam):
    """Every path keeps the rule: the service itself refuses, not only the form."""
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        contact_person_add_colleague(
            coordinator=kari, name="Ny Person", email="ny.person@kvam.kommune.no"
        )
    assert refused.value.message_dict["email"][0].startswith("A new colleague's address")
    assert not ContactPerson.objects.filter(email="ny.person@kvam.kommune.no").exists()


def test_a_coordinator_adds_a_colleague_at_the_municipalitys_domain(client_for, kari, meeting):
    response = client_for(kari).post(
        register_url(meeting), colleague_post("Nils Ny", "Nils.Ny@Bergen.Kommune.no")
    )
    assert response.status_code == 302
    nils = ContactPerson.objects.get(email__iexact="nils.ny@bergen.kommune.no")
    assert nils.municipality == kari.municipality


def test_a_coordinator_never_moves_a_contact_person_of_another_municipality(
    client_for, kari, kvam, contact_person_factory, meeting
):
    other = contact_person_factory(email="ola@bergen.kommune.no", municipality=kvam)
    response = client_for(kari).post(
        register_url(meeting), colleague_post("Ola", "ola@bergen.kommune.no")
    )
    assert response.status_code == 200
    assert (
        response.context["form"]
        .errors["new_colleague_email"][0]
        .startswith("This address belongs to a contact person of another municipality")
    )
    other.refresh_from_db()
    assert other.municipality == kvam
    assert not Registration.objects.exists()


def test_a_municipality_without_domains_says_county_staff_add_colleagues(
    kari, email_domain_factory
):
    from django.core.exceptions import ValidationError

    kari.municipality.email_domains.all().delete()
    with pytest.raises(ValidationError) as refused:
        colleague_email_check(coordinator=kari, email="nils@bergen.kommune.no")
    assert "no e-mail domain registered" in refused.value.message_dict["email"][0]


# --- Linking at login: the Kvam case -------------------------------------------------------


def sign_up_confirm_and_log_in(client, *, name, email):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {"name": name, "email": email, "password1": PASSWORD, "password2": PASSWORD},
        )
    assert response.status_code == 302
    confirmation = OutboxEmail.objects.filter(to=email, kind__startswith="account.").latest("pk")
    path = re.search(r"https?://testserver(/accounts/confirm-email/[^/\s]+/)", confirmation.body)
    cache.clear()
    assert client.post(path[1]).status_code == 302
    cache.clear()
    return client.post(reverse("account_login"), {"login": email, "password": PASSWORD})


def test_a_claimed_address_of_another_municipality_is_not_linked_and_staff_are_told(
    bergen, kvam, contact_person_factory, meeting, staff_user
):
    # A Bergen contact person with a Kvam address, as a coordinator could once make.
    claimed = contact_person_factory(
        name="Ny Person", email="ny.person@kvam.kommune.no", municipality=bergen
    )
    registration, _ = services.registration_create(
        meeting=meeting, person=claimed, actor=claimed, answers=services.RegistrationAnswers()
    )
    client = Client()
    response = sign_up_confirm_and_log_in(
        client, name="Ny Person", email="ny.person@kvam.kommune.no"
    )
    assert response.status_code == 302

    claimed.refresh_from_db()
    assert claimed.user is None
    assert claimed.municipality == bergen
    # The new account is not Bergen's contact person: it sees and controls nothing of theirs.
    assert client.get(reverse("my_meetings"))["Location"] == reverse("profile_waiting")
    cancel = reverse("meetings:registration_cancel", kwargs={"pk": registration.pk})
    assert client.post(cancel).status_code == 404
    registration.refresh_from_db()
    assert registration.is_active

    notice = OutboxEmail.objects.get(kind="members.account_waiting")
    assert notice.to == staff_user.email
    assert "ny.person@kvam.kommune.no" in notice.subject
    # Staff read it in the portal's language.
    assert "registrert under ein annan kommune" in notice.body


def test_an_address_of_no_municipality_waits_and_staff_are_told_once(bergen, staff_user):
    client = Client()
    sign_up_confirm_and_log_in(client, name="Privat Person", email="privat@gmail.com")
    person = ContactPerson.objects.get(email="privat@gmail.com")
    assert person.municipality is None
    page = client.get(reverse("profile_waiting"))
    assert page.status_code == 200
    assert [m.to for m in OutboxEmail.objects.filter(kind="members.account_waiting")] == [
        staff_user.email
    ]
    # Signing in again does not tell staff again.
    client.logout()
    cache.clear()
    client.post(reverse("account_login"), {"login": "privat@gmail.com", "password": PASSWORD})
    assert OutboxEmail.objects.filter(kind="members.account_waiting").count() == 1


def test_an_address_of_a_member_municipality_is_linked_and_nobody_is_told(bergen, staff_user):
    client = Client()
    sign_up_confirm_and_log_in(client, name="Berit", email="berit@bergen.kommune.no")
    assert ContactPerson.objects.get(email="berit@bergen.kommune.no").municipality == bergen
    assert client.get(reverse("profile_waiting"))["Location"] == reverse("profile")
    assert not OutboxEmail.objects.filter(kind="members.account_waiting").exists()


# --- Unlinked accounts see only public pages --------------------------------------------------


@pytest.fixture
def unlinked(linked_contact_person_factory):
    return linked_contact_person_factory(
        name="Gmail Person", email="someone@gmail.com", municipality=None
    )


def test_an_unlinked_account_reads_no_contact_details_or_ideas(
    client_for, unlinked, kari, bergen, project_idea_factory
):
    idea = project_idea_factory(contact_person=kari, title="Velferdsteknologi")
    client = client_for(unlinked)
    for path in (
        reverse("projects:municipality", kwargs={"number": bergen.number}),
        reverse("projects:list"),
        reverse("projects:detail", args=[idea.pk]),
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == reverse("profile_waiting")
    waiting = client.get(reverse("profile_waiting")).content.decode()
    assert "Waiting for the county to link your account" in waiting
    for page in (client.get(reverse("meetings:list")), client.get(reverse("home"))):
        body = page.content.decode()
        assert "kari@bergen.kommune.no" not in body
        assert "Velferdsteknologi" not in body


def test_a_linked_member_reads_the_directory(client_for, kari, linked_contact_person_factory):
    member = linked_contact_person_factory(
        email="per@bergen.kommune.no", municipality=kari.municipality
    )
    page = client_for(member).get(
        reverse("projects:municipality", kwargs={"number": kari.municipality.number})
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert "kari@bergen.kommune.no" in body
    assert "55 55 55 55" in body


def test_the_meeting_page_shows_presented_ideas_only_to_members(
    client_for, unlinked, kari, meeting, project_idea_factory, presentation_factory
):
    idea = project_idea_factory(contact_person=kari, title="Velferdsteknologi")
    presentation_factory(meeting=meeting, idea=idea)
    assert "Velferdsteknologi" in client_for(kari).get(meeting.get_absolute_url()).content.decode()
    body = client_for(unlinked).get(meeting.get_absolute_url()).content.decode()
    assert "Velferdsteknologi" not in body


# --- The online link --------------------------------------------------------------------------


def test_the_online_link_is_shown_to_registrants_and_staff_only(
    client_for, kari, linked_contact_person_factory, meeting, staff_client, unlinked
):
    member = linked_contact_person_factory(
        email="per@bergen.kommune.no", municipality=kari.municipality
    )
    services.registration_create(
        meeting=meeting, person=kari, actor=kari, answers=services.RegistrationAnswers()
    )
    url = meeting.get_absolute_url()
    assert VIDEO in client_for(kari).get(url).content.decode()
    assert VIDEO in staff_client.get(url).content.decode()
    for outsider in (Client(), client_for(member), client_for(unlinked)):
        assert VIDEO not in outsider.get(url).content.decode()


def test_the_online_link_is_never_in_public_calendars_but_in_the_registrants_feed(
    client, kari, linked_contact_person_factory, meeting
):
    services.registration_create(
        meeting=meeting, person=kari, actor=kari, answers=services.RegistrationAnswers()
    )
    member = linked_contact_person_factory(
        email="per@bergen.kommune.no", municipality=kari.municipality, calendar_includes_all=True
    )

    def unfolded(response):
        return response.content.decode().replace("\r\n ", "")

    assert VIDEO not in unfolded(client.get(reverse("network_feed")))
    download = reverse("meetings:calendar", kwargs={"slug": meeting.slug})
    assert VIDEO not in unfolded(client.get(download))
    assert VIDEO not in unfolded(client.get(feed_url(member)))
    assert VIDEO in unfolded(client.get(feed_url(kari)))


def test_the_confirmation_carries_the_online_link_the_waiting_list_does_not(
    kari, linked_contact_person_factory, meeting_factory
):
    full = meeting_factory(capacity=1, online_url=VIDEO)
    member = linked_contact_person_factory(
        email="per@bergen.kommune.no", municipality=kari.municipality
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.registration_create(
            meeting=full, person=kari, actor=kari, answers=services.RegistrationAnswers()
        )
        services.registration_create(
            meeting=full, person=member, actor=member, answers=services.RegistrationAnswers()
        )
    confirmed = OutboxEmail.objects.get(to=kari.email)
    waitlisted = OutboxEmail.objects.get(to=member.email)
    assert VIDEO in confirmed.body and VIDEO in confirmed.html
    assert VIDEO not in waitlisted.body and VIDEO not in waitlisted.html


# --- Staff accounts are not contact persons ---------------------------------------------------


def test_staff_do_not_become_contact_persons_by_opening_the_site(staff_client, meeting):
    for path in (
        reverse("home"),
        reverse("meetings:list"),
        meeting.get_absolute_url(),
        reverse("my_meetings"),
        reverse("profile"),
        reverse("projects:list"),
    ):
        assert staff_client.get(path).status_code == 200, path
    assert not ContactPerson.objects.exists()


def test_staff_who_choose_to_be_a_contact_person_are_one(staff_client, staff_user, bergen):
    person = ContactPerson.objects.create(
        name="Fylke Person", email=staff_user.email, municipality=bergen, user=staff_user
    )
    page = staff_client.get(reverse("profile"))
    assert page.context["person"] == person


def test_a_bare_staff_account_reads_no_directory(client, user_factory, bergen):
    from tests.helpers import sign_in_with_second_factor

    bare = user_factory(email="bare@example.org", is_staff=True)
    sign_in_with_second_factor(client, bare)
    response = client.get(reverse("projects:municipality", kwargs={"number": bergen.number}))
    assert response["Location"] == reverse("profile_waiting")
    assert not ContactPerson.objects.exists()


def test_county_staff_group_has_the_directory_permission():
    group = Group.objects.get(name="County staff")
    assert group.permissions.filter(codename="view_contactperson").exists()


def test_needs_linking_lists_people_waiting_not_staff_or_anonymised(
    staff_client, staff_user, linked_contact_person_factory, contact_person_factory, bergen
):
    waiting = linked_contact_person_factory(email="someone@gmail.com", municipality=None)
    # A contact person an earlier version made for a staff account, and an anonymised one.
    contact_person_factory(email="old@fylke.test", municipality=None, user=staff_user)
    contact_person_factory(email="gone@example.org", municipality=None, is_active=False)
    linked_contact_person_factory(email="per@bergen.kommune.no", municipality=bergen)
    response = staff_client.get(reverse("admin:members_contactperson_changelist") + "?linked=no")
    assert [p.pk for p in response.context["cl"].result_list] == [waiting.pk]
