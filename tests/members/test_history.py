"""The change history of municipalities and contact persons in the admin, as staff read it:
local dates, labels instead of stored codes, names of related objects (also deleted ones), and
the e-mail domains edited on the municipality's page."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse

from members.models import ContactPerson, Sector
from tests.helpers import management_form, sign_in_with_second_factor
from tests.meetings.test_history import (
    OSLO,
    change_in_admin,
    history_rows,
    history_url,
    in_language,
)
from tests.meetings.test_registration_admin import admin_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def municipality(municipality_factory, freeze_now):
    """Bergen, entered on 1 March 2027 at noon."""
    freeze_now(dt.datetime(2027, 3, 1, 12, 0, tzinfo=OSLO))
    return municipality_factory(name="Bergen", number="4601")


@pytest.fixture
def nn_staff_client(client, staff_user, freeze_now, municipality):
    """Staff signed in with Nynorsk chosen, on 2 March 2027 at 14:30 (after Bergen was
    entered)."""
    freeze_now(dt.datetime(2027, 3, 2, 14, 30, tzinfo=OSLO))
    sign_in_with_second_factor(client, staff_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nn"
    return client


def latest_changes(client, obj) -> set[str]:
    return set(history_rows(client.get(history_url(obj)))[0]["Endringar"].split(" | "))


def test_dates_and_empty_values(nn_staff_client, municipality):
    change_in_admin(nn_staff_client, municipality, valid_to="31.12.2019", member_since="")

    empty = in_language("nn", "(empty)")
    assert latest_changes(nn_staff_client, municipality) == {
        f"Gyldig til: {empty} → 31. desember 2019",
        f"Medlem av nettverket sidan: 7. mars 2018 → {empty}",
    }


def test_choices_booleans_and_related_names(
    nn_staff_client, municipality, contact_person_factory, municipality_factory
):
    person = contact_person_factory(municipality=municipality, sector=Sector.OTHER)
    voss = municipality_factory(name="Voss", number="4621")
    change_in_admin(
        nn_staff_client,
        person,
        sector=Sector.HEALTH_CARE,
        role=ContactPerson.Role.COORDINATOR,
        is_active="",
        municipality=voss.pk,
    )

    assert latest_changes(nn_staff_client, person) == {
        "Sektor: Anna → Helse og omsorg",
        "Kommune: 4601 Bergen → 4621 Voss",
        "Rolle: Medlem → Kommunekoordinator",
        "Aktiv: Ja → Nei",
    }


def test_a_deleted_related_object_is_named_as_it_was(
    nn_staff_client, municipality, municipality_factory
):
    vik = municipality_factory(name="Vik", number="4639")
    change_in_admin(nn_staff_client, municipality, successor=vik.pk)
    vik.delete()

    empty = in_language("nn", "(empty)")
    changes = latest_changes(nn_staff_client, municipality)
    assert changes == {f"Etterfølgjar: {empty} → 4639 Vik (sletta)"}


def test_a_deleted_account_without_history_is_called_deleted(
    nn_staff_client, linked_contact_person_factory
):
    person = linked_contact_person_factory(name="Kari Nordmann")
    account = person.user
    change_in_admin(nn_staff_client, person, user="")
    account.delete()

    empty = in_language("nn", "(empty)")
    content = nn_staff_client.get(history_url(person)).content.decode()
    assert "pk=" not in content
    assert latest_changes(nn_staff_client, person) == {f"Brukarkonto: Brukar (sletta) → {empty}"}


def domain_form(response, rows: list[dict], delete: frozenset[int] = frozenset()) -> dict:
    data = admin_form_data(response)
    existing = sum(1 for row in rows if "id" in row)
    data.update(management_form("email_domains", total=len(rows), initial=existing))
    municipality_pk = response.context["original"].pk
    for index, row in enumerate(rows):
        for name, value in {"municipality": municipality_pk, **row}.items():
            data[f"email_domains-{index}-{name}"] = value
        if index in delete:
            data[f"email_domains-{index}-DELETE"] = "on"
    return data


def test_email_domains_show_on_the_municipalitys_history(
    nn_staff_client, staff_user, municipality, freeze_now
):
    url = reverse("admin:members_municipality_change", args=[municipality.pk])
    response = nn_staff_client.post(
        url, domain_form(nn_staff_client.get(url), [{"domain": "bergen.kommune.no"}])
    )
    assert response.status_code == 302
    domain = municipality.email_domains.get()

    freeze_now(dt.datetime(2027, 3, 2, 15, 10, tzinfo=OSLO))
    row = {"id": domain.pk, "domain": "bergen.no"}
    response = nn_staff_client.post(url, domain_form(nn_staff_client.get(url), [row]))
    assert response.status_code == 302

    freeze_now(dt.datetime(2027, 3, 2, 15, 45, tzinfo=OSLO))
    response = nn_staff_client.post(
        url, domain_form(nn_staff_client.get(url), [row], delete=frozenset({0}))
    )
    assert response.status_code == 302
    assert not municipality.email_domains.exists()

    rows = [
        row
        for row in history_rows(nn_staff_client.get(history_url(municipality)))
        if row["Objekt"] == "E-postdomene"
    ]
    assert [(row["Dato/tid"], row["Handling"], row["Endringar"]) for row in rows] == [
        ("2. mars 2027 kl. 15.45", "E-postdomene «bergen.no» fjerna", ""),
        (
            "2. mars 2027 kl. 15.10",
            "E-postdomene «bergen.no» endra",
            "Domene: bergen.kommune.no → bergen.no",
        ),
        (
            "2. mars 2027 kl. 14.30",
            "E-postdomene «bergen.kommune.no» lagt til",
            "Domene: bergen.kommune.no",
        ),
    ]
    assert {row["Endra av"] for row in rows} == {str(staff_user)}


def test_the_history_page_reads_a_fixed_number_of_queries(
    nn_staff_client, municipality, contact_person_factory, email_domain_factory, count_queries
):
    """Each version's name (a contact person's includes the municipality) comes with the page's
    records, not from a query per version."""
    person = contact_person_factory(municipality=municipality)
    email_domain_factory(municipality=municipality, domain="bergen.kommune.no")
    # The session's first admin page reads more than the next ones.
    nn_staff_client.get(history_url(person))

    def versions(count):
        for number in range(count):
            person.job_title = f"Rådgjevar {person.history.count()}-{number}"
            person.save()
        return count_queries(lambda: nn_staff_client.get(history_url(person)))

    few, few_response = versions(2)
    many, many_response = versions(12)
    assert len(history_rows(many_response)) == len(history_rows(few_response)) + 12
    assert many == few
