import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import ContactPerson, EmailDomain, Municipality
from tests.helpers import management_form, result_pks, sign_in_with_second_factor

pytestmark = pytest.mark.django_db

MODELS = ["user", "municipality", "contactperson"]


def changelist(model: str) -> str:
    return reverse(f"admin:members_{model}_changelist")


def municipality_form(**fields) -> dict:
    data = {
        "name": "Bergen",
        "number": "1201",
        "county": "Hordaland",
        "official_email": "postmottak@bergen.kommune.no",
        "website": "https://www.bergen.kommune.no/",
        "member_since": "2018-03-07",
        "valid_from": "",
        "valid_to": "",
        "successor": "",
        **management_form("email_domains"),
        **management_form("contact_persons"),
    }
    data.update(fields)
    return data


# --- Pages open for county staff -------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_changelist(staff_client, model, user_factory, contact_person_factory):
    user_factory()
    contact_person_factory()
    response = staff_client.get(changelist(model))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 1


@pytest.mark.parametrize("model", ["municipality", "contactperson"])
def test_add_form(staff_client, model):
    response = staff_client.get(reverse(f"admin:members_{model}_add"))
    assert response.status_code == 200
    assert response.context["adminform"].form.instance.pk is None


def test_user_accounts_are_read_only_for_county_staff(staff_client, user_factory):
    user = user_factory()
    assert staff_client.get(reverse("admin:members_user_add")).status_code == 403
    response = staff_client.get(reverse("admin:members_user_change", args=[user.pk]))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert user.email in response.content.decode()
    response = staff_client.post(
        reverse("admin:members_user_change", args=[user.pk]), {"email": "hijack@example.org"}
    )
    assert response.status_code == 403
    user.refresh_from_db()
    assert user.email != "hijack@example.org"


def test_municipality_change_form(staff_client, email_domain_factory, contact_person_factory):
    domain = email_domain_factory()
    person = contact_person_factory(municipality=domain.municipality, name="Kari Nordmann")
    response = staff_client.get(
        reverse("admin:members_municipality_change", args=[domain.municipality.pk])
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert domain.domain in content
    assert person.name in content


def test_contact_person_change_form(staff_client, contact_person_factory, user_factory):
    person = contact_person_factory(user=user_factory(), email="kari@bergen.kommune.no")
    response = staff_client.get(reverse("admin:members_contactperson_change", args=[person.pk]))
    assert response.status_code == 200
    assert "kari@bergen.kommune.no" in response.content.decode()


def test_autocomplete_for_municipality_and_user(staff_client, municipality_factory, user_factory):
    bergen = municipality_factory(name="Bergen")
    municipality_factory(name="Voss")
    kari = user_factory(email="kari@bergen.kommune.no")
    url = reverse("admin:autocomplete")
    response = staff_client.get(
        url,
        {
            "term": "Berg",
            "app_label": "members",
            "model_name": "contactperson",
            "field_name": "municipality",
        },
    )
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(bergen.pk)]
    response = staff_client.get(
        url,
        {
            "term": "kari",
            "app_label": "members",
            "model_name": "contactperson",
            "field_name": "user",
        },
    )
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(kari.pk)]


# --- Search and filters ----------------------------------------------------------------------


@pytest.mark.parametrize("term", ["Bergen", "1201", "bergen.kommune.no", "postmottak@bergen"])
def test_municipality_search(staff_client, municipality_factory, email_domain_factory, term):
    bergen = municipality_factory(
        name="Bergen", number="1201", official_email="postmottak@bergen.kommune.no"
    )
    email_domain_factory(municipality=bergen, domain="bergen.kommune.no")
    email_domain_factory(municipality=municipality_factory(name="Voss", number="1235"))
    response = staff_client.get(changelist("municipality"), {"q": term})
    assert result_pks(response) == {bergen.pk}


def test_municipality_search_by_domain_keeps_counts_right(
    staff_client, municipality_factory, email_domain_factory, contact_person_factory
):
    bergen = municipality_factory(name="Bergen")
    email_domain_factory(municipality=bergen, domain="bergen.kommune.no")
    email_domain_factory(municipality=bergen, domain="bergen-kommune.no")
    contact_person_factory.create_batch(3, municipality=bergen)
    response = staff_client.get(changelist("municipality"), {"q": "bergen"})
    (row,) = response.context["cl"].result_list
    assert row.contact_person_count == 3
    assert '<td class="field-contact_person_count">3</td>' in response.content.decode()


def test_municipality_member_filter(staff_client, municipality_factory):
    member = municipality_factory()
    outsider = municipality_factory(member_since=None)
    assert result_pks(staff_client.get(changelist("municipality"), {"member": "yes"})) == {
        member.pk
    }
    assert result_pks(staff_client.get(changelist("municipality"), {"member": "no"})) == {
        outsider.pk
    }
    assert result_pks(staff_client.get(changelist("municipality"))) == {member.pk, outsider.pk}


def test_municipality_county_filter(staff_client, municipality_factory):
    hordaland = municipality_factory(county="Hordaland")
    municipality_factory(county="Sogn og Fjordane")
    response = staff_client.get(changelist("municipality"), {"county": "Hordaland"})
    assert result_pks(response) == {hordaland.pk}


@pytest.mark.parametrize("term", ["Kari", "kari@bergen", "Bergen", "Rådgjevar"])
def test_contact_person_search(staff_client, contact_person_factory, term):
    kari = contact_person_factory(
        name="Kari Nordmann",
        email="kari@bergen.kommune.no",
        job_title="Rådgjevar",
        municipality__name="Bergen",
    )
    contact_person_factory(name="Ola Vik", email="ola@voss.kommune.no", municipality__name="Voss")
    response = staff_client.get(changelist("contactperson"), {"q": term})
    assert result_pks(response) == {kari.pk}


def test_contact_person_filters(staff_client, contact_person_factory):
    coordinator = contact_person_factory(role=ContactPerson.Role.COORDINATOR)
    member = contact_person_factory(municipality=coordinator.municipality)
    inactive = contact_person_factory(is_active=False)
    url = changelist("contactperson")
    assert result_pks(staff_client.get(url, {"role__exact": "coordinator"})) == {coordinator.pk}
    assert result_pks(staff_client.get(url, {"is_active__exact": "0"})) == {inactive.pk}
    by_municipality = staff_client.get(
        url, {"municipality__id__exact": coordinator.municipality_id}
    )
    assert result_pks(by_municipality) == {coordinator.pk, member.pk}


def test_user_search_and_filter(staff_client, staff_user, user_factory):
    kari = user_factory(email="kari@bergen.kommune.no", first_name="Kari")
    user_factory(email="ola@voss.kommune.no", first_name="Ola")
    assert result_pks(staff_client.get(changelist("user"), {"q": "kari"})) == {kari.pk}
    staff_only = staff_client.get(changelist("user"), {"is_staff__exact": "1"})
    assert result_pks(staff_only) == {staff_user.pk}


# --- Saving municipalities -------------------------------------------------------------------


def test_add_municipality_with_email_domain(staff_client):
    data = municipality_form(
        **management_form("email_domains", total=1),
        **{"email_domains-0-domain": "bergen.kommune.no"},
    )
    response = staff_client.post(reverse("admin:members_municipality_add"), data)
    assert response.status_code == 302
    bergen = Municipality.objects.get(number="1201")
    assert [d.domain for d in bergen.email_domains.all()] == ["bergen.kommune.no"]


def test_add_municipality_normalises_a_pasted_email_domain(staff_client):
    data = municipality_form(
        **management_form("email_domains", total=1),
        **{"email_domains-0-domain": "Bergen.Kommune.no"},
    )
    response = staff_client.post(reverse("admin:members_municipality_add"), data)
    assert response.status_code == 302
    assert list(EmailDomain.objects.values_list("domain", flat=True)) == ["bergen.kommune.no"]


def test_add_municipality_with_bad_number_shows_the_error(staff_en_client):
    response = staff_en_client.post(
        reverse("admin:members_municipality_add"), municipality_form(number="120")
    )
    assert response.status_code == 200
    assert "A municipality number has exactly four digits" in response.content.decode()
    assert not Municipality.objects.exists()


def test_municipality_with_validity_ending_before_start_is_not_saved(staff_en_client):
    response = staff_en_client.post(
        reverse("admin:members_municipality_add"),
        municipality_form(valid_from="2020-01-01", valid_to="2019-12-31"),
    )
    assert response.status_code == 200
    assert "The end of the validity period is before its start." in response.content.decode()
    assert not Municipality.objects.exists()


# --- The County staff group ------------------------------------------------------------------

COUNTY_STAFF_PERMISSIONS = (
    {
        ("members", f"{action}_{model}")
        for model in ("municipality", "emaildomain", "contactperson")
        for action in ("add", "change", "delete", "view")
    }
    | {
        ("meetings", f"{action}_{model}")
        for model in ("meetingseries", "meeting", "agendaitem", "meetingreminder")
        for action in ("add", "change", "delete", "view")
    }
    # Registrations are cancelled, never deleted.
    | {("meetings", f"{action}_registration") for action in ("add", "change", "view")}
    | {("members", "view_user")}
    # The network owner is one row: changed, never added or deleted.
    | {("members", f"{action}_networkowner") for action in ("change", "view")}
    | {("meetings", f"{action}_mailing") for action in ("add", "change", "delete", "view")}
    | {("meetings", f"{action}_mailingrecipient") for action in ("change", "view")}
    # Date polls are closed, never deleted: the answers are the record of how a date was agreed.
    | {("meetings", f"{action}_datepoll") for action in ("add", "change", "view")}
    | {
        ("meetings", f"{action}_datepollcandidate")
        for action in ("add", "change", "delete", "view")
    }
    | {("meetings", "view_datepollanswer")}
    # Files are uploaded on the meeting's page; staff change, hide and remove them.
    | {("meetings", f"{action}_material") for action in ("change", "delete", "view")}
    # Checking participants in at the door of a meeting.
    | {("meetings", "check_in_participants")}
    # Outgoing e-mail: read, and "change" for sending failed ones again.
    | {("outbox", f"{action}_outboxemail") for action in ("change", "view")}
    | {
        ("projects", f"{action}_{model}")
        for model in (
            "euprogramme",
            "projectidea",
            "ideasector",
            "europeanpartner",
            "stagechange",
            "interest",
            "presentation",
        )
        for action in ("add", "change", "delete", "view")
    }
    | {("projects", f"{action}_call") for action in ("add", "change", "delete", "view")}
    # Members choose what they follow; the reminder job records what it sent.
    | {("projects", "view_programmefollow"), ("projects", "view_callreminder")}
)


def test_county_staff_group_has_exactly_the_expected_permissions():
    group = Group.objects.get(name="County staff")
    granted = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert granted == COUNTY_STAFF_PERMISSIONS


def test_staff_user_fixture_is_county_staff_not_superuser(staff_user):
    assert staff_user.is_staff
    assert not staff_user.is_superuser
    assert staff_user.has_perm("meetings.change_meeting")
    assert not staff_user.has_perm("members.change_user")
    assert not staff_user.has_perm("auth.change_group")


def test_county_staff_cannot_manage_groups(staff_client):
    assert staff_client.get(reverse("admin:auth_group_changelist")).status_code == 403


@pytest.mark.parametrize("model", ["municipality", "contactperson", "user"])
def test_staff_without_the_group_is_refused(client, user_factory, model):
    sign_in_with_second_factor(client, user_factory(is_staff=True))
    assert client.get(changelist(model)).status_code == 403


def test_member_without_staff_status_is_sent_to_the_admin_login(client, user_factory):
    client.force_login(user_factory())
    response = client.get(changelist("municipality"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- Query counts ----------------------------------------------------------------------------


def make_municipalities(count, municipality_factory, email_domain_factory, contact_person_factory):
    successor = municipality_factory(name="Alver")
    for _ in range(count - 1):
        municipality = municipality_factory(successor=successor)
        email_domain_factory(municipality=municipality)
        contact_person_factory.create_batch(2, municipality=municipality)


def make_contact_persons(count, contact_person_factory, user_factory):
    for index in range(count):
        contact_person_factory(user=user_factory() if index % 2 else None)


@pytest.mark.parametrize("model", MODELS)
def test_changelist_query_count_does_not_grow(
    staff_client,
    count_queries,
    model,
    user_factory,
    municipality_factory,
    email_domain_factory,
    contact_person_factory,
):
    def fill(count):
        if model == "user":
            user_factory.create_batch(count)
        elif model == "municipality":
            make_municipalities(
                count, municipality_factory, email_domain_factory, contact_person_factory
            )
        else:
            make_contact_persons(count, contact_person_factory, user_factory)

    def load():
        response = staff_client.get(changelist(model))
        assert response.status_code == 200
        return len(response.context["cl"].result_list)

    fill(5)
    few, shown_few = count_queries(load)
    fill(95)
    many, shown_many = count_queries(load)
    assert shown_few >= 5
    assert shown_many >= 100
    assert few == many == CHANGELIST_QUERIES[model]


# Session, user, second factor, permissions (2), the count (twice), the page, the date
# hierarchy's range and dates, and the choices of one list filter (groups, counties,
# municipalities).
CHANGELIST_QUERIES = {"user": 11, "municipality": 11, "contactperson": 11}


def test_municipality_autocomplete_is_in_alphabetical_order(staff_client, municipality_factory):
    # Created out of order, so an unordered query would give them back in the wrong order.
    for name in ["Voss", "Askøy", "Odda", "Bergen"]:
        municipality_factory(name=name)
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "",
            "app_label": "members",
            "model_name": "contactperson",
            "field_name": "municipality",
        },
    )
    assert response.status_code == 200
    names = [row["text"].split(" ", 1)[1] for row in response.json()["results"]]
    assert names == ["Askøy", "Bergen", "Odda", "Voss"]


# --- People's data is not deleted --------------------------------------------------------------


@pytest.fixture(params=["county staff", "superuser"])
def admin_client(request, client, staff_user, user_factory):
    if request.param == "superuser":
        sign_in_with_second_factor(client, user_factory(is_staff=True, is_superuser=True))
    else:
        sign_in_with_second_factor(client, staff_user)
    return client


def test_municipalities_cannot_be_deleted(admin_client, municipality_factory):
    municipality = municipality_factory()
    url = reverse("admin:members_municipality_delete", args=[municipality.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Municipality.objects.filter(pk=municipality.pk).exists()


def test_contact_persons_cannot_be_deleted(admin_client, contact_person_factory):
    person = contact_person_factory()
    url = reverse("admin:members_contactperson_delete", args=[person.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    changelist_page = admin_client.get(changelist("contactperson")).content.decode()
    assert 'value="delete_selected"' not in changelist_page
    assert ContactPerson.objects.filter(pk=person.pk).exists()


def test_contact_persons_cannot_be_deleted_from_their_municipality(
    staff_client, contact_person_factory
):
    person = contact_person_factory()
    url = reverse("admin:members_municipality_change", args=[person.municipality_id])
    response = staff_client.get(url)
    # The page lists its people read-only: it has no form for them, nor a DELETE box.
    assert not [
        i for i in response.context["inline_admin_formsets"] if i.formset.model is ContactPerson
    ]
    # A forged row with a DELETE box is ignored.
    data = municipality_form(
        name=person.municipality.name,
        number=person.municipality.number,
        **management_form("contact_persons", total=1, initial=1),
        **{
            "contact_persons-0-id": person.pk,
            "contact_persons-0-municipality": person.municipality_id,
            "contact_persons-0-name": person.name,
            "contact_persons-0-email": person.email,
            "contact_persons-0-sector": person.sector,
            "contact_persons-0-role": person.role,
            "contact_persons-0-is_active": "on",
            "contact_persons-0-DELETE": "on",
        },
    )
    assert staff_client.post(url, data).status_code == 302
    assert ContactPerson.objects.filter(pk=person.pk).exists()


# --- A municipality's page: its contact persons summed up, not one form row each ------------


def municipality_page(client, municipality):
    # The history link looks up the content type once per process: count it every time.
    ContentType.objects.clear_cache()
    url = reverse("admin:members_municipality_change", args=[municipality.pk])
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(context.captured_queries)


def test_the_municipality_page_sums_up_contact_persons_and_links_to_the_list(
    staff_en_client, municipality_factory, contact_person_factory
):
    bergen = municipality_factory(name="Bergen")
    for index in range(24):
        contact_person_factory(municipality=bergen, name=f"Person {index:02}")
    contact_person_factory(municipality=bergen, name="Aase Sluttar", is_active=False)
    contact_person_factory(name="Elsewhere")

    response, _queries = municipality_page(staff_en_client, bergen)

    assert not [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is ContactPerson
    ]
    page = " ".join(response.content.decode().split())
    listed = changelist("contactperson") + f"?municipality__id__exact={bergen.pk}"
    assert f'href="{listed}"' in page
    assert f'href="{listed}&amp;is_active__exact=1">Active: 24</a>' in page
    assert f'href="{listed}&amp;is_active__exact=0">Inactive: 1</a>' in page
    assert "The first 20 of 25 are shown." in page
    # Active people first, by name, each linked to the page where they are changed.
    assert "Person 19" in page
    assert "Person 20" not in page
    assert "Aase Sluttar" not in page
    first = ContactPerson.objects.get(name="Person 00")
    assert reverse("admin:members_contactperson_change", args=[first.pk]) in page
    # A new person is added on their own page, with the municipality filled in.
    add_url = reverse("admin:members_contactperson_add") + f"?municipality={bergen.pk}"
    assert f'href="{add_url}"' in page
    form = staff_en_client.get(add_url).context["adminform"].form
    assert form.initial["municipality"] == str(bergen.pk)


def test_the_municipality_page_keeps_its_size_and_queries_with_many_contact_persons(
    staff_client, email_domain_factory, contact_person_factory
):
    municipality = email_domain_factory().municipality

    contact_person_factory.create_batch(5, municipality=municipality)
    few, few_queries = municipality_page(staff_client, municipality)
    contact_person_factory.create_batch(45, municipality=municipality)
    many, many_queries = municipality_page(staff_client, municipality)

    # Session, user, second factor, permissions (2), the municipality, its e-mail domains,
    # the history link's content type, the contact person counts and the first of them.
    assert few_queries == many_queries == 10
    # 15 more rows of the summary, and nothing per person beyond them.
    assert len(many.content) - len(few.content) < 15 * 1_000


def test_the_municipality_list_counts_people_without_joining_every_contact_person(
    staff_client, email_domain_factory, contact_person_factory
):
    municipality = email_domain_factory(domain="bergen.kommune.no").municipality
    email_domain_factory(municipality=municipality, domain="bergen.no")
    contact_person_factory.create_batch(3, municipality=municipality)
    contact_person_factory(municipality=municipality, is_active=False)

    with CaptureQueriesContext(connection) as context:
        response = staff_client.get(changelist("municipality"), {"q": "bergen"})

    [row] = response.context["cl"].result_list
    assert row.contact_person_count == 4
    # A join counts every contact person of every municipality before the LIMIT picks a page.
    assert not [
        query
        for query in context.captured_queries
        if 'JOIN "members_contactperson"' in query["sql"]
    ]


def test_the_summary_is_for_those_who_may_see_contact_persons(
    client, user_factory, contact_person_factory
):
    from django.contrib.auth.models import Permission

    person = contact_person_factory(name="Kari Nordmann")
    user = user_factory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_municipality"))
    sign_in_with_second_factor(client, user)
    url = reverse("admin:members_municipality_change", args=[person.municipality_id])
    response = client.get(url)
    assert response.status_code == 200
    assert "Kari Nordmann" not in response.content.decode()
    user.user_permissions.add(Permission.objects.get(codename="view_contactperson"))
    assert "Kari Nordmann" in client.get(url).content.decode()
