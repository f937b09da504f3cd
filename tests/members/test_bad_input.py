"""Bad input to sign-up, the e-mail addresses page, the profile and the contact import gives
errors, never a 500, and nothing is stored cut short."""

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from members.models import ContactPerson, User
from tests.helpers import email_address_of_length as address
from tests.helpers import sign_in_with_second_factor, validation_errors
from tests.members.test_import import confirm, invalid_rows, preview

pytestmark = pytest.mark.django_db

PASSWORD = "Fjellstova-Kvitveis-2027"


@pytest.mark.parametrize("length", [255, 268, 318])
def test_sign_up_with_an_address_over_254_characters_is_a_form_error(en_client, length):
    email = address(length)
    response = en_client.post(
        reverse("account_signup"),
        {"name": "Kari Nordmann", "email": email, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert "254" in " ".join(response.context["form"].errors["email"])
    assert not User.objects.exists()
    assert not EmailAddress.objects.exists()


def test_sign_up_with_a_254_character_address_keeps_it_whole(client):
    email = address(254)
    response = client.post(
        reverse("account_signup"),
        {"name": "Kari Nordmann", "email": email, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert User.objects.get().email == email
    assert EmailAddress.objects.get().email == email


def test_a_long_name_without_spaces_at_sign_up_is_kept_whole(client):
    name = "N" * 200
    response = client.post(
        reverse("account_signup"),
        {"name": name, "email": "kari@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.get_full_name() == name
    user.full_clean()


@pytest.mark.parametrize("character", ["\n", "\t", "\x00", "\x1b"])
def test_control_characters_in_the_sign_up_name_are_a_form_error(client, character):
    response = client.post(
        reverse("account_signup"),
        {
            "name": f"Kari{character}Nordmann",
            "email": "kari@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not User.objects.exists()


@pytest.mark.parametrize("length", [255, 318])
def test_adding_an_address_over_254_characters_is_a_form_error(
    client_for, linked_contact_person_factory, length
):
    person = linked_contact_person_factory(email="kari@example.org")
    response = client_for(person).post(
        reverse("account_email"), {"action_add": "", "email": address(length)}
    )
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert EmailAddress.objects.count() == 1


def test_adding_an_address_with_control_characters_is_a_form_error(
    client_for, linked_contact_person_factory
):
    person = linked_contact_person_factory(email="kari@example.org")
    response = client_for(person).post(
        reverse("account_email"), {"action_add": "", "email": '"ka\x01ri"@example.org'}
    )
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert EmailAddress.objects.count() == 1


# --- Profile ---------------------------------------------------------------------------------


def test_the_longest_profile_name_fits_the_account_too(client_for, linked_contact_person_factory):
    person = linked_contact_person_factory()
    name = "N" * 200
    response = client_for(person).post(
        reverse("profile"),
        {"name": name, "phone": "", "job_title": "", "sector": "other", "preferred_language": "en"},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.name == name
    assert person.user.get_full_name() == name
    person.user.full_clean()


@pytest.mark.parametrize("field", ["name", "phone", "job_title"])
def test_line_breaks_in_profile_fields_are_form_errors(
    client_for, linked_contact_person_factory, field
):
    person = linked_contact_person_factory(name="Kari Nordmann")
    data = {"name": "Kari", "phone": "", "job_title": "", "sector": "other"}
    data["preferred_language"] = "en"
    data[field] = "Linje 1\nLinje 2"
    response = client_for(person).post(reverse("profile"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    person.refresh_from_db()
    assert person.name == "Kari Nordmann"


# --- Models ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Kari\x00"),
        ("name", "Kari\nNordmann"),
        ("phone", "55\t56"),
        ("job_title", "Rådgjevar\x1b[31m"),
        ("email", '"ka\x01ri"@example.org'),
    ],
)
def test_contact_person_refuses_control_characters(contact_person_factory, field, value):
    person = contact_person_factory()
    setattr(person, field, value)
    assert field in validation_errors(person)


# --- The contact import ----------------------------------------------------------------------


@pytest.fixture
def bergen(municipality_factory):
    return municipality_factory(name="Bergen", number="1201")


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (["Kari\x00Nordmann", "kari@bergen.kommune.no", "", "", "", "1201", ""], "name"),
        (["Kari Nordmann", "kari@bergen.kommune.no", "55\x0056", "", "", "1201", ""], "phone"),
        (["Kari Nordmann", "kari@bergen.kommune.no", "", "Råd\x07", "", "1201", ""], "job_title"),
        (["Kari Nordmann", "kari\x00@bergen.kommune.no", "", "", "", "1201", ""], "email"),
        (["Kari", "kari@bergen.kommune.no", "", "Linje 1\nLinje 2", "", "1201", ""], "job_title"),
        (["Kari Nordmann", "kari@bergen.kommune.no", "", "", "", "12\x0001", ""], "municipality"),
        (["Kari Nordmann", address(255), "", "", "", "1201", ""], "email"),
    ],
)
def test_control_characters_and_long_addresses_in_the_import_are_row_errors(
    staff_en_client, bergen, row, column
):
    response = preview(staff_en_client, [row])
    assert response.status_code == 200
    assert not response.context["result"].has_errors()
    assert column in invalid_rows(response)[1]
    assert "confirm_form" not in response.context
    assert not ContactPerson.objects.exists()


def test_a_nul_byte_in_an_existing_persons_row_changes_nothing(
    staff_en_client, bergen, contact_person_factory
):
    kari = contact_person_factory(name="Kari", email="kari@bergen.kommune.no", municipality=bergen)
    response = preview(
        staff_en_client, [["Kari\x00", "kari@bergen.kommune.no", "", "", "", "1201", ""]]
    )
    assert "name" in invalid_rows(response)[1]
    kari.refresh_from_db()
    assert kari.name == "Kari"


def test_the_longest_address_is_imported_whole(staff_en_client, bergen):
    email = address(254)
    response = confirm(
        staff_en_client, preview(staff_en_client, [["Kari", email, "", "", "", "1201", ""]])
    )
    assert response.status_code == 302
    assert ContactPerson.objects.get().email == email


def test_the_whole_sign_up_is_refused_not_truncated_on_a_fresh_client():
    """The finding as reported: 268 characters were cut to 254 without a word."""
    response = Client().post(
        reverse("account_signup"),
        {"name": "Kari", "email": address(268), "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert not User.objects.exists()


# --- Second factors in the admin -------------------------------------------------------------


@pytest.fixture
def authenticator(user_factory):
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.create(
        user=user_factory(), type="totp", data={"secret": "JBSWY3DPEHPK3PXP"}
    )


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin client, past the admin's second factor."""
    sign_in_with_second_factor(client, admin_user)
    return client


@pytest.mark.parametrize(
    ("data", "day"), [('{"secret": "x"}', "0001-01-01"), ('{"a": "\\u0000"}', "2031-01-01")]
)
def test_second_factors_cannot_be_written_in_the_admin(admin_client, authenticator, data, day):
    from allauth.mfa.models import Authenticator

    form = {
        "user": authenticator.user_id,
        "type": "totp",
        "data": data,
        "created_at_0": day,
        "created_at_1": "00:00:00",
        "last_used_at_0": day,
        "last_used_at_1": "00:00:00",
    }
    assert admin_client.post(reverse("admin:mfa_authenticator_add"), form).status_code == 403
    change = reverse("admin:mfa_authenticator_change", args=[authenticator.pk])
    assert admin_client.post(change, form).status_code == 403
    assert Authenticator.objects.get(pk=authenticator.pk).data == {"secret": "JBSWY3DPEHPK3PXP"}


def test_a_second_factor_can_still_be_seen_and_deleted(admin_client, authenticator):
    from allauth.mfa.models import Authenticator

    change = reverse("admin:mfa_authenticator_change", args=[authenticator.pk])
    assert admin_client.get(change).status_code == 200
    delete = reverse("admin:mfa_authenticator_delete", args=[authenticator.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not Authenticator.objects.filter(pk=authenticator.pk).exists()
