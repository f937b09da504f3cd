"""Recording a municipality merger: the service and the admin's form."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from meetings.models import Registration
from members.models import ContactPerson, EmailDomain, Municipality
from members.services import municipalities_merge, municipality_for_email

pytestmark = pytest.mark.django_db

NEW_YEAR_2020 = dt.date(2020, 1, 1)


@pytest.fixture
def three(municipality_factory, email_domain_factory, contact_person_factory):
    """Fjell, Sund and Øygarden of 2018, each with a domain and a person."""
    made = []
    for number, name, member in [
        ("1246", "Fjell", True),
        ("1245", "Sund", False),
        ("1259", "Øygarden", False),
    ]:
        municipality = municipality_factory(
            number=number,
            name=name,
            member_since=dt.date(2018, 3, 7) if member else None,
            valid_from=dt.date(1964, 1, 1),
        )
        email_domain_factory(municipality=municipality, domain=f"{name.lower()}.kommune.no")
        contact_person_factory(municipality=municipality, email=f"a@{name.lower()}.kommune.no")
        made.append(municipality)
    return made


def merge(municipalities, **overrides):
    arguments = {
        "municipalities": municipalities,
        "number": "4626",
        "name": "Øygarden",
        "county": "Vestland",
        "on": NEW_YEAR_2020,
    }
    return municipalities_merge(**{**arguments, **overrides})


def errors_of(municipalities, **overrides) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        merge(municipalities, **overrides)
    with translation.override("en"):
        return excinfo.value.message_dict


def test_a_merger_ends_the_old_ones_and_moves_domains_and_people(three, registration_factory):
    fjell = three[0]
    earlier = registration_factory(contact_person=fjell.contact_persons.get())
    new = merge(three)
    assert (new.number, new.name, new.county) == ("4626", "Øygarden", "Vestland")
    assert new.valid_from == NEW_YEAR_2020
    # Fjell was a member, so the new municipality is one from the merger on.
    assert new.member_since == NEW_YEAR_2020
    for old in Municipality.objects.filter(pk__in=[m.pk for m in three]):
        assert old.valid_to == dt.date(2019, 12, 31)
        assert old.successor == new
    assert set(new.predecessors.all()) == set(three)
    assert set(EmailDomain.objects.values_list("municipality", flat=True)) == {new.pk}
    assert set(ContactPerson.objects.values_list("municipality", flat=True)) == {new.pk}
    # The earlier registration stays with the municipality of its time.
    earlier.refresh_from_db()
    assert earlier.municipality == fjell
    # New sign-ups at an old domain find the new municipality.
    assert municipality_for_email("ny@fjell.kommune.no") == new


def test_each_move_is_in_the_history_with_its_reason(three):
    new = merge(three)
    person = ContactPerson.objects.get(email="a@fjell.kommune.no")
    latest = person.history.latest()
    assert latest.municipality_id == new.pk
    assert "4626 Øygarden" in latest.history_change_reason
    domain = EmailDomain.objects.get(domain="sund.kommune.no")
    assert domain.history.latest().history_change_reason == latest.history_change_reason
    fjell = three[0]
    assert fjell.history.latest().successor_id == new.pk
    assert "1246 Fjell" in new.history.latest().history_change_reason


def test_no_member_among_the_old_ones_makes_no_member(three):
    new = merge(three[1:])
    assert new.member_since is None


def test_a_registration_made_after_the_merger_counts_for_the_new_one(three, registration_factory):
    new = merge(three)
    registration = registration_factory(contact_person=ContactPerson.objects.first())
    assert registration.municipality == new


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"number": "462"}, "number"),
        ({"number": "46a6"}, "number"),
        ({"number": "1246"}, "number"),
        ({"name": ""}, "name"),
        ({"name": "Øy\ngarden"}, "name"),
        ({"county": ""}, "county"),
        ({"official_email": "not an address"}, "official_email"),
        # Tomorrow, whatever the suite's clock: a merger is recorded once it has happened.
        ({"on": "tomorrow"}, "on"),
        ({"on": dt.date(1700, 1, 1)}, "on"),
    ],
)
def test_bad_input_is_refused_by_field(three, overrides, field):
    if overrides.get("on") == "tomorrow":
        overrides = {"on": timezone.localdate() + dt.timedelta(days=1)}
    assert field in errors_of(three, **overrides)
    assert not Municipality.objects.filter(number="4626").exists()
    assert not Municipality.objects.filter(successor__isnull=False).exists()


def test_at_least_two_municipalities(three):
    assert errors_of(three[:1])["municipalities"] == ["Choose at least two municipalities."]
    assert errors_of([three[0], three[0]])["municipalities"]


def test_a_merged_municipality_cannot_merge_again(three, municipality_factory):
    merge(three[:2])
    other = municipality_factory(number="1247", name="Askøy")
    messages = errors_of([three[0], other], number="4627", on=dt.date(2021, 1, 1))
    assert messages["municipalities"] == [
        "1246 Fjell has already merged into another municipality."
    ]


def test_all_must_exist_on_the_day_before(three, municipality_factory):
    ended = municipality_factory(number="1111", name="Borte", valid_to=dt.date(2010, 1, 1))
    assert "no longer existed" in errors_of([three[0], ended])["municipalities"][0]
    young = municipality_factory(number="1112", name="Ny", valid_from=NEW_YEAR_2020)
    assert "exists from" in errors_of([three[0], young])["municipalities"][0]


# --- The admin --------------------------------------------------------------------------------


def merge_url(municipalities) -> str:
    return (
        reverse("admin:members_municipality_merge")
        + "?ids="
        + ",".join(str(m.pk) for m in municipalities)
    )


def test_the_list_action_opens_the_form(staff_en_client, three):
    response = staff_en_client.post(
        reverse("admin:members_municipality_changelist"),
        {"action": "merge_selected", "_selected_action": [m.pk for m in three]},
    )
    assert response.status_code == 302
    assert response["Location"] == merge_url(sorted(three, key=lambda m: m.pk))
    page = staff_en_client.get(response["Location"])
    assert page.status_code == 200
    content = page.content.decode()
    assert "Record a merger" in content
    assert '<legend class="required">Municipalities that merge</legend>' in content
    # The chosen ones are ticked, and their common county is proposed.
    assert content.count("checked") == 3
    assert page.context["form"].initial["county"] == "Hordaland"


def test_the_action_needs_two(staff_en_client, three):
    response = staff_en_client.post(
        reverse("admin:members_municipality_changelist"),
        {"action": "merge_selected", "_selected_action": [three[0].pk]},
        follow=True,
    )
    assert "Choose at least two municipalities." in response.content.decode()
    assert not Municipality.objects.filter(successor__isnull=False).exists()


def test_the_form_without_a_choice_goes_back_to_the_list(staff_en_client, three):
    for query in ["", "?ids=x", f"?ids={three[0].pk}"]:
        response = staff_en_client.get(reverse("admin:members_municipality_merge") + query)
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:members_municipality_changelist")


def form_data(municipalities, **fields):
    return {
        "municipalities": [m.pk for m in municipalities],
        "number": "4626",
        "name": "Øygarden",
        "county": "Vestland",
        "on": "2020-01-01",
        "official_email": "",
        "website": "",
        **fields,
    }


def test_recording_a_merger_in_the_admin(staff_en_client, three):
    response = staff_en_client.post(merge_url(three), form_data(three), follow=True)
    new = Municipality.objects.get(number="4626")
    assert response.redirect_chain[-1][0] == reverse(
        "admin:members_municipality_change", args=[new.pk]
    )
    content = response.content.decode()
    assert "4626 Øygarden was made. 3 e-mail domains moved to it." in content
    assert "3 contact persons moved to it." in content
    assert set(new.predecessors.all()) == set(three)
    # The history names the staff member who did it.
    assert new.history.latest().history_user.email == "fylke@example.org"


def test_only_the_ticked_ones_merge(staff_en_client, three):
    staff_en_client.post(merge_url(three), form_data(three[:2]))
    assert set(Municipality.objects.get(number="4626").predecessors.all()) == set(three[:2])
    assert Municipality.objects.get(pk=three[2].pk).successor is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"number": "1246"}, "Municipality with this Municipality number already exists."),
        ({"number": "46"}, "A municipality number has exactly four digits"),
        ({"on": "2028-01-01"}, "Record the merger on or after the day it takes effect"),
        ({"on": "1. januar"}, "Enter a valid date."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_errors_are_shown_on_the_form(staff_en_client, three, fields, message):
    response = staff_en_client.post(merge_url(three), form_data(three, **fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Municipality.objects.filter(successor__isnull=False).exists()


def test_one_ticked_is_an_error_on_the_form(staff_en_client, three):
    response = staff_en_client.post(merge_url(three), form_data(three[:1]))
    assert response.status_code == 200
    assert "Choose at least two municipalities." in response.content.decode()


def test_a_municipality_from_outside_the_choice_is_refused(
    staff_en_client, three, municipality_factory
):
    other = municipality_factory(number="1247", name="Askøy")
    response = staff_en_client.post(merge_url(three), form_data([three[0], other]))
    assert response.status_code == 200
    assert response.context["form"].errors["municipalities"]
    assert not Municipality.objects.filter(successor__isnull=False).exists()


def test_staff_without_the_permissions_cannot_merge(client, user_factory, three):
    from django.contrib.auth.models import Permission

    from tests.helpers import sign_in_with_second_factor

    user = user_factory(email="les@example.org", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_municipality", "change_municipality", "add_municipality"]
        )
    )
    sign_in_with_second_factor(client, user)
    assert client.get(merge_url(three)).status_code == 403
    assert client.post(merge_url(three), form_data(three)).status_code == 403
    response = client.get(reverse("admin:members_municipality_changelist"))
    assert b"merge_selected" not in response.content


def test_registration_keeps_no_municipality_when_the_person_has_none(registration_factory):
    registration = registration_factory(contact_person__municipality=None)
    assert registration.municipality is None
    assert Registration.objects.get(pk=registration.pk).municipality_id is None


# --- The municipality page ------------------------------------------------------------------


def test_the_municipality_pages_link_predecessors_and_successor(
    three, client_for, linked_contact_person_factory
):
    new = merge(three)
    member = linked_contact_person_factory(municipality=new)
    client = client_for(member)
    page = client.get(reverse("projects:municipality", args=["4626"])).content.decode()
    assert "Made on 1 January 2020 by the merger of:" in page
    for number, name in [("1246", "Fjell"), ("1245", "Sund"), ("1259", "Øygarden")]:
        assert f'<a href="/projects/municipalities/{number}/">{name}</a>' in page
    old = client.get(reverse("projects:municipality", args=["1246"])).content.decode()
    assert "Merged on 1 January 2020 into" in old
    assert '<a href="/projects/municipalities/4626/">Øygarden</a>.' in old


def test_a_municipality_without_mergers_has_no_such_section(
    three, client_for, linked_contact_person_factory
):
    member = linked_contact_person_factory(municipality=three[0])
    page = client_for(member).get(reverse("projects:municipality", args=["1246"]))
    assert 'id="mergers-heading"' not in page.content.decode()


# --- Deleting ---------------------------------------------------------------------------------


def test_a_municipality_added_by_mistake_can_be_deleted(
    staff_client, municipality_factory, email_domain_factory
):
    typo = municipality_factory(number="9999", name="Feilskriven", member_since=None)
    email_domain_factory(municipality=typo)
    url = reverse("admin:members_municipality_delete", args=[typo.pk])
    assert staff_client.get(url).status_code == 200
    assert staff_client.post(url, {"post": "yes"}).status_code == 302
    assert not Municipality.objects.filter(pk=typo.pk).exists()


@pytest.mark.parametrize(
    "history",
    ["member", "ended", "merged", "predecessor", "person", "registration", "idea"],
)
def test_county_staff_cannot_delete_a_municipality_with_history(
    staff_en_client,
    municipality_factory,
    contact_person_factory,
    registration_factory,
    history,
):
    municipality = municipality_factory(number="9999", name="Gamal", member_since=None)
    other = municipality_factory(number="9998", name="Annan", member_since=None)
    if history == "member":
        municipality.member_since = dt.date(2018, 3, 7)
    elif history == "ended":
        municipality.valid_to = dt.date(2019, 12, 31)
    elif history == "merged":
        municipality.successor = other
    elif history == "predecessor":
        Municipality.objects.filter(pk=other.pk).update(successor=municipality)
    elif history == "person":
        contact_person_factory(municipality=municipality)
    elif history == "registration":
        registration = registration_factory(contact_person__municipality=other)
        Registration.objects.filter(pk=registration.pk).update(municipality=municipality)
    elif history == "idea":
        from tests.factories import ProjectIdeaFactory

        ProjectIdeaFactory(contact_person__municipality=other, lead_municipality=municipality)
    municipality.save()
    url = reverse("admin:members_municipality_delete", args=[municipality.pk])
    assert staff_en_client.post(url, {"post": "yes"}).status_code == 403
    # Nor through the list's action: the confirmation names it and deletes nothing.
    response = staff_en_client.post(
        reverse("admin:members_municipality_changelist"),
        {"action": "delete_selected", "_selected_action": [municipality.pk], "post": "yes"},
    )
    assert "9999 Gamal has history: end its validity instead." in response.content.decode()
    assert Municipality.objects.filter(pk=municipality.pk).exists()


def test_the_registration_list_shows_the_municipality_of_the_time(
    staff_en_client, three, registration_factory
):
    fjell = three[0]
    registration = registration_factory(contact_person=fjell.contact_persons.get())
    merge(three)
    response = staff_en_client.get(reverse("admin:meetings_registration_changelist"))
    assert '<td class="field-municipality nowrap">1246 Fjell</td>' in response.content.decode()
    page = staff_en_client.get(
        reverse("admin:meetings_registration_change", args=[registration.pk])
    )
    # Recorded, not edited by hand.
    assert "municipality" not in page.context["adminform"].form.fields


def test_a_number_taken_at_the_same_moment_is_an_error_not_a_crash(three, monkeypatch):
    # Another merger saves the number between the check and the save.
    monkeypatch.setattr(Municipality, "validate_unique", lambda self, exclude=None: None)
    Municipality.objects.create(number="4626", name="Først", county="Vestland")
    with translation.override("en"):
        assert errors_of(three)["number"] == [
            "Municipality with this Municipality number already exists."
        ]
    assert not Municipality.objects.filter(successor__isnull=False).exists()
