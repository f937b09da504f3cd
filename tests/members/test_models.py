import datetime as dt

import pytest
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import translation

from members.models import ContactPerson, EmailDomain, Municipality, User
from tests.helpers import validation_errors

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    # Validation messages are compared in the source language.
    with translation.override("en"):
        yield


# --- User ------------------------------------------------------------------------------------


def test_user_str_is_full_name_or_email(user_factory):
    assert str(user_factory(first_name="Kari", last_name="Nordmann")) == "Kari Nordmann"
    assert str(user_factory(email="anon@example.org", first_name="", last_name="")) == (
        "anon@example.org"
    )


def test_create_user_needs_an_email():
    with pytest.raises(ValueError, match="e-mail"):
        User.objects.create_user(email="", password="x")


def test_create_user_normalises_the_domain_and_hashes_the_password():
    user = User.objects.create_user(email="Kari@Bergen.Kommune.NO", password="hemmeleg-passord")
    assert user.email == "Kari@bergen.kommune.no"
    assert user.check_password("hemmeleg-passord")
    assert not user.is_staff
    assert not user.is_superuser


def test_create_superuser_is_staff_and_superuser():
    user = User.objects.create_superuser(email="root@example.org", password="x")
    assert user.is_staff
    assert user.is_superuser


def test_user_natural_key_ignores_case(user_factory):
    user = user_factory(email="kari@example.org")
    assert User.objects.get_by_natural_key("KARI@Example.org") == user


def test_user_email_unique_ignoring_case_in_the_database(user_factory):
    user_factory(email="kari@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        user_factory(email="Kari@Example.org")


# --- Municipality ----------------------------------------------------------------------------


def test_municipality_str_and_membership(municipality_factory):
    member = municipality_factory(number="1201", name="Bergen")
    outsider = municipality_factory(member_since=None)
    assert str(member) == "1201 Bergen"
    assert member.is_network_member
    assert not outsider.is_network_member
    assert list(Municipality.objects.network_members()) == [member]


def test_a_valid_municipality_passes_validation(municipality_factory):
    municipality_factory(number="1201").full_clean()


@pytest.mark.parametrize("number", ["123", "12345", "12a4", "abcd", " 123", "1234\n"])
def test_kommunenummer_must_be_four_digits(municipality_factory, number):
    municipality = municipality_factory.build(number=number)
    errors = validation_errors(municipality)
    assert "number" in errors
    assert any("four digits" in message for message in errors["number"])


@pytest.mark.parametrize("number", ["123", "12a4", "abcd"])
def test_kommunenummer_four_digits_check_in_the_database(municipality_factory, number):
    with pytest.raises(IntegrityError), transaction.atomic():
        Municipality.objects.bulk_create([municipality_factory.build(number=number)])


def test_kommunenummer_with_trailing_newline_is_rejected_by_the_database(municipality_factory):
    # PostgreSQL refuses it as too long for varchar(4) (DataError); SQLite does not enforce the
    # length, so there the check constraint alone has to refuse it.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        Municipality.objects.bulk_create([municipality_factory.build(number="1234\n")])


def test_kommunenummer_four_digits_check_on_update(municipality_factory):
    municipality = municipality_factory(number="1201")
    with pytest.raises(IntegrityError), transaction.atomic():
        Municipality.objects.filter(pk=municipality.pk).update(number="12X1")


def test_duplicate_kommunenummer_is_a_field_error(municipality_factory):
    municipality_factory(number="1201")
    errors = validation_errors(municipality_factory.build(number="1201"))
    assert list(errors) == ["number"]


def test_duplicate_kommunenummer_is_rejected_by_the_database(municipality_factory):
    municipality_factory(number="1201")
    with pytest.raises(IntegrityError), transaction.atomic():
        municipality_factory(number="1201")


def test_validity_period_must_not_end_before_it_starts(municipality_factory):
    municipality = municipality_factory.build(
        valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2019, 12, 31)
    )
    errors = validation_errors(municipality)
    assert errors == {NON_FIELD_ERRORS: ["The end of the validity period is before its start."]}


def test_validity_period_of_one_day_is_allowed(municipality_factory):
    municipality_factory.build(
        valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2020, 1, 1)
    ).full_clean()


def test_validity_period_check_in_the_database(municipality_factory):
    municipality = municipality_factory(valid_from=dt.date(2020, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Municipality.objects.filter(pk=municipality.pk).update(valid_to=dt.date(2019, 12, 31))


def test_current_follows_the_validity_period(municipality_factory):
    always = municipality_factory()
    merged = municipality_factory(valid_from=dt.date(1964, 1, 1), valid_to=dt.date(2019, 12, 31))
    new = municipality_factory(valid_from=dt.date(2020, 1, 1))
    on_2018 = set(Municipality.objects.current(on=dt.date(2018, 3, 7)))
    on_2020 = set(Municipality.objects.current(on=dt.date(2020, 1, 1)))
    assert on_2018 == {always, merged}
    assert on_2020 == {always, new}


def test_municipality_cannot_be_its_own_successor(municipality_factory):
    municipality = municipality_factory()
    municipality.successor = municipality
    errors = validation_errors(municipality)
    assert errors == {NON_FIELD_ERRORS: ["A municipality cannot be its own successor."]}


def test_another_municipality_may_be_the_successor(municipality_factory):
    successor = municipality_factory(name="Alver")
    merged = municipality_factory(name="Lindås", successor=successor)
    merged.full_clean()
    assert list(successor.predecessors.all()) == [merged]


def test_own_successor_check_in_the_database(municipality_factory):
    municipality = municipality_factory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Municipality.objects.filter(pk=municipality.pk).update(successor=municipality)


# --- EmailDomain -----------------------------------------------------------------------------


def test_email_domain_clean_fields_normalises_what_people_paste(municipality_factory):
    domain = EmailDomain(municipality=municipality_factory(), domain="  Bergen.Kommune.NO ")
    domain.clean_fields()
    assert domain.domain == "bergen.kommune.no"


def test_email_domain_full_clean_accepts_and_normalises_pasted_domain(municipality_factory):
    # EmailDomain.clean() promises to accept "Bergen.Kommune.no " and store the canonical form;
    # full_clean() is what the admin runs, so the promise has to hold there.
    domain = EmailDomain(municipality=municipality_factory(), domain="Bergen.Kommune.no ")
    domain.full_clean()
    assert domain.domain == "bergen.kommune.no"


@pytest.mark.parametrize("value", ["bergen", "bergen..kommune.no", "-bergen.no", "bergen.k"])
def test_email_domain_must_look_like_a_domain(municipality_factory, value):
    errors = validation_errors(EmailDomain(municipality=municipality_factory(), domain=value))
    assert "domain" in errors


def test_duplicate_email_domain_is_a_field_error(email_domain_factory, municipality_factory):
    email_domain_factory(domain="bergen.kommune.no")
    duplicate = EmailDomain(municipality=municipality_factory(), domain="bergen.kommune.no")
    errors = validation_errors(duplicate)
    assert errors == {"domain": ["This e-mail domain already belongs to a municipality."]}


def test_duplicate_email_domain_is_rejected_by_the_database(
    email_domain_factory, municipality_factory
):
    email_domain_factory(domain="bergen.kommune.no")
    with pytest.raises(IntegrityError), transaction.atomic():
        EmailDomain.objects.create(municipality=municipality_factory(), domain="bergen.kommune.no")


def test_email_domain_is_stored_in_lower_case_whichever_way_it_is_saved(municipality_factory):
    municipality = municipality_factory()
    created = EmailDomain.objects.create(municipality=municipality, domain="Bergen.Kommune.no")
    EmailDomain.objects.bulk_create([EmailDomain(municipality=municipality, domain="VOSS.no")])
    EmailDomain.objects.filter(pk=created.pk).update(domain="Bjorgvin.Kommune.no")
    assert set(EmailDomain.objects.values_list("domain", flat=True)) == {
        "bjorgvin.kommune.no",
        "voss.no",
    }


def test_email_domain_lookup_ignores_case(email_domain_factory):
    domain = email_domain_factory(domain="bergen.kommune.no")
    assert EmailDomain.objects.get(domain="Bergen.Kommune.NO") == domain


def test_upper_case_email_domain_is_rejected_by_the_database(email_domain_factory):
    # The ORM lower-cases on the way in, so only raw SQL can reach the check constraint.
    domain = email_domain_factory(domain="bergen.kommune.no")
    table = EmailDomain._meta.db_table
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET domain = %s WHERE id = %s",  # noqa: S608 - our own table name
            ["Bergen.kommune.no", domain.pk],
        )
    domain.refresh_from_db()
    assert domain.domain == "bergen.kommune.no"


def test_email_domains_are_deleted_with_their_municipality(email_domain_factory):
    domain = email_domain_factory()
    domain.municipality.delete()
    assert not EmailDomain.objects.exists()


# --- ContactPerson ---------------------------------------------------------------------------


def test_contact_person_str_names_the_municipality(contact_person_factory, municipality_factory):
    person = contact_person_factory(name="Kari Nordmann", municipality__name="Bergen")
    homeless = contact_person_factory(name="Ola Nordmann", municipality=None)
    assert str(person) == "Kari Nordmann (Bergen)"
    assert str(homeless) == "Ola Nordmann"


def test_contact_person_querysets(contact_person_factory):
    coordinator = contact_person_factory(role=ContactPerson.Role.COORDINATOR)
    member = contact_person_factory()
    gone = contact_person_factory(is_active=False)
    assert set(ContactPerson.objects.active()) == {coordinator, member}
    assert list(ContactPerson.objects.coordinators()) == [coordinator]
    assert coordinator.is_coordinator
    assert not member.is_coordinator
    assert gone not in ContactPerson.objects.active()


def test_contact_person_defaults(contact_person_factory):
    person = contact_person_factory()
    assert person.preferred_language == "nn"
    assert person.role == ContactPerson.Role.MEMBER
    assert person.is_active


def test_duplicate_contact_person_email_differing_in_case_fails_validation(
    contact_person_factory,
):
    contact_person_factory(email="kari.nordmann@bergen.kommune.no")
    duplicate = contact_person_factory.build(
        email="Kari.Nordmann@Bergen.Kommune.no", municipality=None
    )
    errors = validation_errors(duplicate)
    assert errors == {
        NON_FIELD_ERRORS: ["A contact person with this e-mail address already exists."]
    }


def test_duplicate_contact_person_email_exact_is_a_field_error(contact_person_factory):
    contact_person_factory(email="kari.nordmann@bergen.kommune.no")
    duplicate = contact_person_factory.build(
        email="kari.nordmann@bergen.kommune.no", municipality=None
    )
    errors = validation_errors(duplicate)
    assert errors["email"] == ["A contact person with this e-mail address already exists."]


def test_duplicate_contact_person_email_differing_in_case_is_rejected_by_the_database(
    contact_person_factory,
):
    contact_person_factory(email="kari.nordmann@bergen.kommune.no")
    with pytest.raises(IntegrityError), transaction.atomic():
        contact_person_factory(email="KARI.NORDMANN@bergen.kommune.no")


def test_a_municipality_with_contact_persons_cannot_be_deleted(contact_person_factory):
    from django.db.models import ProtectedError

    person = contact_person_factory()
    with pytest.raises(ProtectedError):
        person.municipality.delete()
