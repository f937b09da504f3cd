import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from meetings.models import AgendaItem, Meeting, Registration
from tests.helpers import management_form, result_pks, sign_in_with_second_factor

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
MODELS = ["meetingseries", "meeting", "registration"]


def changelist(model: str) -> str:
    return reverse(f"admin:meetings_{model}_changelist")


def change_url(obj) -> str:
    return reverse(f"admin:meetings_{obj._meta.model_name}_change", args=[obj.pk])


def split_datetime(name: str, value: dt.datetime | None) -> dict[str, str]:
    """The admin's date and time inputs, in Oslo time as staff type them."""
    if value is None:
        return {f"{name}_0": "", f"{name}_1": ""}
    local = timezone.localtime(value)
    return {f"{name}_0": local.strftime("%Y-%m-%d"), f"{name}_1": local.strftime("%H:%M:%S")}


def checkbox(value: bool) -> dict:
    return {"on": "on"} if value else {}


def meeting_form(meeting: Meeting, **overrides) -> dict:
    """The complete change form of `meeting` as the admin renders it, inlines included."""
    data = {
        "series": meeting.series_id,
        "kind": meeting.kind,
        "title": meeting.title,
        "slug": meeting.slug,
        "theme": meeting.theme,
        "description": meeting.description,
        "status": meeting.status,
        "tentative_period": meeting.tentative_period,
        "venue_name": meeting.venue_name,
        "venue_address": meeting.venue_address,
        "online_url": meeting.online_url,
        "capacity": "" if meeting.capacity is None else meeting.capacity,
        "programme_url": meeting.programme_url,
        **({"reminders_enabled": "on"} if meeting.reminders_enabled else {}),
        **split_datetime("starts_at", meeting.starts_at),
        **split_datetime("ends_at", meeting.ends_at),
        **split_datetime("registration_deadline", meeting.registration_deadline),
    }
    items = list(meeting.agenda_items.all()) if meeting.pk else []
    data.update(management_form("agenda_items", total=len(items), initial=len(items)))
    for index, item in enumerate(items):
        prefix = f"agenda_items-{index}-"
        data.update(
            {
                f"{prefix}id": item.pk,
                f"{prefix}meeting": meeting.pk,
                f"{prefix}order": item.order,
                f"{prefix}starts_at": item.starts_at.strftime("%H:%M:%S") if item.starts_at else "",
                f"{prefix}title": item.title,
                f"{prefix}description": item.description,
            }
        )
    reminders = list(meeting.reminder_schedule.all()) if meeting.pk else []
    data.update(management_form("reminder_schedule", total=len(reminders), initial=len(reminders)))
    for index, reminder in enumerate(reminders):
        prefix = f"reminder_schedule-{index}-"
        data.update(
            {
                f"{prefix}id": reminder.pk,
                f"{prefix}meeting": meeting.pk,
                f"{prefix}days_before": reminder.days_before,
            }
        )
    # The add-only inline for new registrations, empty: existing ones have no form here.
    data.update(management_form("registrations", total=0, initial=0))
    data.update(overrides)
    return data


def registration_form(registration: Registration, **overrides) -> dict:
    data = {
        "meeting": registration.meeting_id,
        "contact_person": registration.contact_person_id,
        "status": registration.status,
        "attendance_mode": registration.attendance_mode,
        "dietary_needs": registration.dietary_needs,
        "comment": registration.comment,
        **split_datetime("created_at", registration.created_at),
        **split_datetime("queued_at", registration.queued_at),
    }
    data.update(overrides)
    return data


@pytest.fixture
def meeting_with_everything(meeting_factory, agenda_item_factory, registration_factory):
    meeting = meeting_factory(
        title="Oppstartsmøte",
        starts_at=dt.datetime(2030, 3, 10, 10, tzinfo=OSLO),
        ends_at=dt.datetime(2030, 3, 10, 13, 30, tzinfo=OSLO),
        registration_deadline=dt.datetime(2030, 3, 8, 23, 59, tzinfo=OSLO),
        capacity=60,
    )
    agenda_item_factory(meeting=meeting, order=1, title="Velkomen", starts_at=dt.time(10))
    agenda_item_factory(meeting=meeting, order=2, title="Erfaringar")
    registration_factory(meeting=meeting, presenting_project_idea=True)
    registration_factory(meeting=meeting, status=Registration.Status.WAITLISTED)
    return meeting


# --- Pages open for county staff -------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_changelist(staff_client, registration_factory, model):
    registration_factory()
    response = staff_client.get(changelist(model))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 1


@pytest.mark.parametrize("model", MODELS)
def test_add_form(staff_client, model):
    response = staff_client.get(reverse(f"admin:meetings_{model}_add"))
    assert response.status_code == 200
    assert response.context["adminform"].form.instance.pk is None


def test_series_change_form_lists_its_meetings(staff_client, meeting_factory):
    meeting = meeting_factory(title="Oppstartsmøte")
    response = staff_client.get(change_url(meeting.series))
    assert response.status_code == 200
    assert "Oppstartsmøte" in response.content.decode()


def test_meeting_change_form_shows_agenda_and_registrations(staff_client, meeting_with_everything):
    response = staff_client.get(change_url(meeting_with_everything))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Velkomen" in content
    for registration in meeting_with_everything.registrations.all():
        assert registration.contact_person.name in content


def test_registration_change_form(staff_client, registration_factory):
    registration = registration_factory(contact_person__name="Kari Nordmann")
    response = staff_client.get(change_url(registration))
    assert response.status_code == 200
    assert "Kari Nordmann" in response.content.decode()


# --- Search and filters ----------------------------------------------------------------------


@pytest.mark.parametrize("term", ["Kommunenettverk", "FIA", "Hordaland"])
def test_series_search(staff_client, meeting_series_factory, term):
    series = meeting_series_factory(
        name="Kommunenettverket",
        description="Internasjonalt kommunenettverk i Hordaland",
        organiser_name="FIA",
    )
    meeting_series_factory(name="Anna", organiser_name="Anna seksjon")
    assert result_pks(staff_client.get(changelist("meetingseries"), {"q": term})) == {series.pk}


def test_series_year_filter(staff_client, meeting_series_factory):
    series = meeting_series_factory(year=2018)
    meeting_series_factory(year=2019)
    response = staff_client.get(changelist("meetingseries"), {"year": 2018})
    assert result_pks(response) == {series.pk}


@pytest.mark.parametrize("term", ["Oppstart", "2018-1-opp", "Mowinckel", "Rådhuset", "Hordaland"])
def test_meeting_search(staff_client, meeting_factory, term):
    meeting = meeting_factory(
        title="Oppstartsmøte",
        slug="2018-1-oppstart",
        theme="Erfaringsutveksling og Mowinckel",
        venue_name="Rådhuset",
        series__name="Kommunenettverket i Hordaland",
    )
    meeting_factory(title="Søknadsworkshop", venue_name="Fylkeshuset", theme="Søknader")
    assert result_pks(staff_client.get(changelist("meeting"), {"q": term})) == {meeting.pk}


def test_meeting_filters(staff_client, meeting_factory, meeting_series_factory):
    old_series = meeting_series_factory(year=2018)
    tentative = meeting_factory(tentative=True, kind=Meeting.Kind.APPLICATION_WORKSHOP)
    old = meeting_factory(
        series=old_series,
        starts_at=dt.datetime(2018, 3, 7, 10, tzinfo=OSLO),
        status=Meeting.Status.HELD,
    )
    url = changelist("meeting")
    assert result_pks(staff_client.get(url, {"status__exact": "tentative"})) == {tentative.pk}
    assert result_pks(staff_client.get(url, {"kind__exact": "application_workshop"})) == {
        tentative.pk
    }
    assert result_pks(staff_client.get(url, {"series__year": 2018})) == {old.pk}
    assert result_pks(staff_client.get(url, {"series__id__exact": old_series.pk})) == {old.pk}
    assert result_pks(staff_client.get(url, {"starts_at__year": 2018})) == {old.pk}


@pytest.mark.parametrize("term", ["Kari", "kari@bergen", "Bergen", "Oppstart"])
def test_registration_search(staff_client, registration_factory, term):
    registration = registration_factory(
        contact_person__name="Kari Nordmann",
        contact_person__email="kari@bergen.kommune.no",
        contact_person__municipality__name="Bergen",
        meeting__title="Oppstartsmøte",
    )
    registration_factory(
        contact_person__name="Ola Vik",
        contact_person__email="ola@voss.kommune.no",
        contact_person__municipality__name="Voss",
        meeting__title="Søknadsworkshop",
    )
    assert result_pks(staff_client.get(changelist("registration"), {"q": term})) == {
        registration.pk
    }


def test_registration_filters(staff_client, registration_factory, meeting_factory):
    meeting = meeting_factory()
    confirmed = registration_factory(meeting=meeting)
    waitlisted = registration_factory(meeting=meeting, status=Registration.Status.WAITLISTED)
    elsewhere = registration_factory(is_late=True)
    url = changelist("registration")
    assert result_pks(staff_client.get(url, {"status__exact": "waitlisted"})) == {waitlisted.pk}
    assert result_pks(staff_client.get(url, {"meeting__id__exact": meeting.pk})) == {
        confirmed.pk,
        waitlisted.pk,
    }
    assert result_pks(staff_client.get(url, {"is_late__exact": "1"})) == {elsewhere.pk}
    assert result_pks(
        staff_client.get(url, {"meeting__series__id__exact": elsewhere.meeting.series_id})
    ) == {elsewhere.pk}


def test_registration_municipality_column(staff_client, registration_factory):
    registration_factory(contact_person__municipality__name="Kvinnherad")
    content = staff_client.get(changelist("registration")).content.decode()
    assert "Kvinnherad" in content


# --- Counts per meeting ----------------------------------------------------------------------


def test_meeting_changelist_shows_registration_counts(
    staff_client, meeting_factory, registration_factory
):
    meeting = meeting_factory(capacity=10)
    other = meeting_factory()
    registration_factory.create_batch(3, meeting=meeting)
    registration_factory.create_batch(2, meeting=meeting, status=Registration.Status.WAITLISTED)
    registration_factory(
        meeting=meeting, status=Registration.Status.CANCELLED, cancelled_at=timezone.now()
    )
    registration_factory(meeting=other)

    response = staff_client.get(changelist("meeting"))
    rows = {m.pk: m for m in response.context["cl"].result_list}
    assert (rows[meeting.pk].confirmed_count, rows[meeting.pk].waitlisted_count) == (3, 2)
    assert (rows[other.pk].confirmed_count, rows[other.pk].waitlisted_count) == (1, 0)
    content = response.content.decode()
    assert '<td class="field-confirmed_count">3</td>' in content
    assert '<td class="field-waitlisted_count">2</td>' in content
    assert '<td class="field-confirmed_count">1</td>' in content


def test_meeting_changelist_sorts_by_confirmed_count(
    staff_client, meeting_factory, registration_factory
):
    busy = meeting_factory()
    quiet = meeting_factory()
    registration_factory.create_batch(2, meeting=busy)
    registration_factory(meeting=quiet)
    # Column 7 (1-based) in list_display is confirmed_count; "-7" sorts descending.
    response = staff_client.get(changelist("meeting"), {"o": "-7"})
    assert [m.pk for m in response.context["cl"].result_list] == [busy.pk, quiet.pk]


def test_series_changelist_shows_meeting_counts(staff_client, meeting_factory):
    meeting = meeting_factory()
    meeting_factory(series=meeting.series)
    meeting_factory()
    response = staff_client.get(changelist("meetingseries"))
    counts = {s.pk: s.meeting_count for s in response.context["cl"].result_list}
    assert counts[meeting.series_id] == 2
    assert sorted(counts.values()) == [1, 2]


# --- Saving meetings -------------------------------------------------------------------------


def test_posting_the_unchanged_form_saves_and_keeps_the_sequence(
    staff_client, meeting_with_everything
):
    response = staff_client.post(
        change_url(meeting_with_everything), meeting_form(meeting_with_everything)
    )
    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    meeting_with_everything.refresh_from_db()
    assert meeting_with_everything.sequence == 0


def test_changing_the_start_in_the_admin_raises_the_sequence(staff_client, meeting_with_everything):
    meeting = meeting_with_everything
    new_start = meeting.starts_at - dt.timedelta(hours=1)
    data = meeting_form(meeting, **split_datetime("starts_at", new_start))
    response = staff_client.post(change_url(meeting), data)
    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    meeting.refresh_from_db()
    assert meeting.starts_at == new_start
    assert meeting.sequence == 1
    # The inlines were saved untouched.
    assert meeting.agenda_items.count() == 2
    assert meeting.registrations.count() == 2


def test_changing_the_title_in_the_admin_keeps_the_sequence(staff_client, meeting_with_everything):
    meeting = meeting_with_everything
    response = staff_client.post(change_url(meeting), meeting_form(meeting, title="Nytt namn"))
    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    meeting.refresh_from_db()
    assert meeting.title == "Nytt namn"
    assert meeting.sequence == 0


def test_end_before_start_in_the_admin_shows_the_error_and_saves_nothing(
    staff_en_client, meeting_with_everything
):
    meeting = meeting_with_everything
    before = meeting.starts_at - dt.timedelta(hours=1)
    data = meeting_form(meeting, title="Nytt namn", **split_datetime("ends_at", before))
    response = staff_en_client.post(change_url(meeting), data)
    assert response.status_code == 200
    assert "The meeting must end after it starts." in response.content.decode()
    stored = Meeting.objects.get(pk=meeting.pk)
    assert stored.title == "Oppstartsmøte"
    assert stored.ends_at == meeting.ends_at
    assert stored.sequence == 0


def test_adding_a_meeting_in_the_admin(staff_client, meeting_series_factory, meeting_factory):
    unsaved = meeting_factory.build(series=meeting_series_factory(), slug="ny-mote")
    data = meeting_form(
        unsaved,
        **management_form("agenda_items", total=1),
        **{"agenda_items-0-order": 1, "agenda_items-0-title": "Velkomen"},
    )
    response = staff_client.post(reverse("admin:meetings_meeting_add"), data)
    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    meeting = Meeting.objects.get(slug="ny-mote")
    assert meeting.sequence == 0
    assert [item.title for item in meeting.agenda_items.all()] == ["Velkomen"]


def test_registering_the_same_person_twice_in_the_admin_is_refused(
    staff_en_client, registration_factory
):
    registration = registration_factory()
    data = registration_form(registration)
    response = staff_en_client.post(reverse("admin:meetings_registration_add"), data)
    assert response.status_code == 200
    assert "This person is already registered for the meeting." in response.content.decode()
    assert Registration.objects.count() == 1


def test_cancelling_in_the_admin_records_when(staff_client, registration_factory):
    registration = registration_factory()
    data = registration_form(registration, status=Registration.Status.CANCELLED)
    response = staff_client.post(change_url(registration), data)
    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    assert registration.cancelled_at is not None


# --- Permissions -----------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_staff_without_the_group_gets_403(client, user_factory, model):
    sign_in_with_second_factor(client, user_factory(is_staff=True))
    assert client.get(changelist(model)).status_code == 403


def test_county_staff_may_delete_a_meeting(staff_client, meeting_factory):
    meeting = meeting_factory()
    response = staff_client.post(
        reverse("admin:meetings_meeting_delete", args=[meeting.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Meeting.objects.exists()


# --- Autocomplete ----------------------------------------------------------------------------


def autocomplete(client, model_name: str, field_name: str) -> list[str]:
    response = client.get(
        reverse("admin:autocomplete"),
        {"term": "", "app_label": "meetings", "model_name": model_name, "field_name": field_name},
    )
    assert response.status_code == 200
    return [row["text"] for row in response.json()["results"]]


def test_series_autocomplete_follows_the_series_ordering(staff_client, meeting_series_factory):
    for name, year in [("B", 2018), ("A", 2019), ("C", 2019), ("A", 2018)]:
        meeting_series_factory(name=name, year=year)
    assert autocomplete(staff_client, "meeting", "series") == [
        "A 2019",
        "C 2019",
        "A 2018",
        "B 2018",
    ]


def test_meeting_autocomplete_follows_the_admin_ordering_newest_first(
    staff_client, meeting_factory
):
    for title, day in [("Second", 20), ("Third", 30), ("First", 10)]:
        meeting_factory(title=title, starts_at=dt.datetime(2030, 3, day, 10, tzinfo=OSLO))
    assert autocomplete(staff_client, "registration", "meeting") == ["Third", "Second", "First"]


def test_meeting_changelist_newest_first(staff_client, meeting_factory):
    older = meeting_factory(starts_at=dt.datetime(2030, 3, 10, 10, tzinfo=OSLO))
    newer = meeting_factory(starts_at=dt.datetime(2030, 6, 10, 10, tzinfo=OSLO))
    response = staff_client.get(changelist("meeting"))
    assert [m.pk for m in response.context["cl"].result_list] == [newer.pk, older.pk]


# --- Query counts ----------------------------------------------------------------------------


def fill(model, count, meeting_factory, registration_factory, contact_person_factory):
    if model == "meetingseries":
        for _ in range(count):
            meeting = meeting_factory()
            meeting_factory(series=meeting.series, tentative=True)
    elif model == "meeting":
        for _ in range(count):
            meeting = meeting_factory(capacity=10)
            registration_factory.create_batch(2, meeting=meeting)
            registration_factory(meeting=meeting, status=Registration.Status.WAITLISTED)
    else:
        meetings = [meeting_factory() for _ in range(3)]
        for index in range(count):
            registration_factory(
                meeting=meetings[index % 3],
                contact_person=contact_person_factory(),
                status=Registration.Status.WAITLISTED if index % 4 == 0 else "confirmed",
            )


# Session, user, second factor and two for permissions, then each list's own: the series list
# counts twice and pages; the meeting list loads the series filter, counts twice, pages, and
# reads the date hierarchy and the year filter; the registration list loads the series and
# meeting filters, counts once, pages, and reads the year filter.
CHANGELIST_QUERIES = {"meetingseries": 9, "meeting": 12, "registration": 10}


@pytest.mark.parametrize("model", MODELS)
def test_changelist_query_count_does_not_grow(
    staff_client,
    count_queries,
    model,
    meeting_factory,
    registration_factory,
    contact_person_factory,
):
    def load():
        response = staff_client.get(changelist(model))
        assert response.status_code == 200
        return len(response.context["cl"].result_list)

    fill(model, 5, meeting_factory, registration_factory, contact_person_factory)
    few, shown_few = count_queries(load)
    fill(model, 95, meeting_factory, registration_factory, contact_person_factory)
    many, shown_many = count_queries(load)
    assert shown_few == 5
    # A full page: the meeting and registration lists show 50 rows a page (LightRowsAdmin).
    assert shown_many == min(
        100, admin.site._registry[apps.get_model("meetings", model)].list_per_page
    )
    assert few == many == CHANGELIST_QUERIES[model]


# --- Capacity --------------------------------------------------------------------------------


def test_capacity_below_the_confirmed_count_is_a_form_error(
    staff_en_client, meeting_factory, registration_factory
):
    meeting = meeting_factory(capacity=10)
    registration_factory.create_batch(5, meeting=meeting)
    registration_factory(meeting=meeting, status=Registration.Status.WAITLISTED)
    response = staff_en_client.post(change_url(meeting), meeting_form(meeting, capacity=4))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["capacity"] == [
        "5 people are confirmed; the capacity cannot be lower than that."
    ]
    assert Meeting.objects.get(pk=meeting.pk).capacity == 10


def test_capacity_below_the_confirmed_count_in_the_singular(
    staff_en_client, meeting_factory, registration_factory
):
    meeting = meeting_factory(capacity=3)
    registration_factory(meeting=meeting)
    response = staff_en_client.post(change_url(meeting), meeting_form(meeting, capacity=0))
    assert response.context["adminform"].form.errors["capacity"] == [
        "1 person is confirmed; the capacity cannot be lower than that."
    ]


def test_a_limit_on_a_meeting_without_one_counts_the_confirmed(
    staff_en_client, meeting_factory, registration_factory
):
    meeting = meeting_factory(capacity=None)
    registration_factory.create_batch(3, meeting=meeting)
    response = staff_en_client.post(change_url(meeting), meeting_form(meeting, capacity=2))
    assert response.status_code == 200
    assert "3 people are confirmed" in response.context["adminform"].form.errors["capacity"][0]
    assert Meeting.objects.get(pk=meeting.pk).capacity is None


@pytest.mark.parametrize("capacity", [3, 4])
def test_capacity_down_to_the_confirmed_count_is_accepted(
    staff_client, meeting_factory, registration_factory, capacity
):
    meeting = meeting_factory(capacity=10)
    registration_factory.create_batch(3, meeting=meeting)
    response = staff_client.post(change_url(meeting), meeting_form(meeting, capacity=capacity))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Meeting.objects.get(pk=meeting.pk).capacity == capacity


@pytest.mark.parametrize(("capacity", "saved"), [(2, 2), (3, 3)], ids=["unchanged", "raised"])
def test_a_meeting_confirmed_over_capacity_can_still_be_saved(
    staff_client, meeting_factory, registration_factory, capacity, saved
):
    # Staff confirmed a fourth person over the capacity of two.
    meeting = meeting_factory(capacity=2)
    registration_factory.create_batch(2, meeting=meeting)
    registration_factory.create_batch(2, meeting=meeting, over_capacity=True)
    data = meeting_form(meeting, title="Nytt namn", capacity=capacity)
    response = staff_client.post(change_url(meeting), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    stored = Meeting.objects.get(pk=meeting.pk)
    assert (stored.title, stored.capacity) == ("Nytt namn", saved)


def test_meeting_add_page_takes_no_registrations(staff_client):
    response = staff_client.get(reverse("admin:meetings_meeting_add"))
    models = [i.formset.model for i in response.context["inline_admin_formsets"]]
    assert models == [AgendaItem]


def test_a_meeting_with_registrations_cannot_be_deleted(
    staff_client, client, user_factory, registration_factory
):
    registration = registration_factory(
        status=Registration.Status.CANCELLED, cancelled_at=timezone.now()
    )
    url = reverse("admin:meetings_meeting_delete", args=[registration.meeting_id])
    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    page = staff_client.get(change_url(registration.meeting)).content.decode()
    assert url not in page
    sign_in_with_second_factor(client, user_factory(is_staff=True, is_superuser=True))
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Meeting.objects.filter(pk=registration.meeting_id).exists()
