"""The meetings admin at national scale (500 meetings over the years, 100,000 registrations,
180,000 mailing recipients): each list counts and sorts only the rows it shows, and no filter
lists every meeting there ever was."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings.models import MailingRecipient, Registration

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
Status = Registration.Status


def changelist(model: str) -> str:
    return reverse(f"admin:meetings_{model}_changelist")


def get_with_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return response, [query["sql"] for query in context.captured_queries]


def result_query(queries, table: str) -> str:
    """The query that fetched the page's rows of `table`."""
    [sql] = [sql for sql in queries if sql.startswith(f'SELECT "{table}"."id"')]
    return sql


def filter_choices(response, parameter: str) -> list[str]:
    """The labels a list filter offers, "All" left out; [] when the filter is not shown."""
    for spec in response.context["cl"].filter_specs:
        if parameter in spec.expected_parameters():
            return [
                str(choice[1] if isinstance(choice, tuple) else choice)
                for choice in spec.lookup_choices
            ]
    return []


# --- Meetings: seats counted for the rows of the page ------------------------------------------


def test_the_meeting_list_counts_seats_without_joining_every_registration(
    staff_client, meeting_factory, registration_factory
):
    meeting = meeting_factory(capacity=10)
    registration_factory.create_batch(2, meeting=meeting)
    registration_factory(meeting=meeting, status=Status.WAITLISTED)
    registration_factory(meeting=meeting, status=Status.CANCELLED, cancelled_at=timezone.now())

    response, queries = get_with_queries(staff_client, changelist("meeting"))

    [row] = response.context["cl"].result_list
    assert (row.confirmed_count, row.waitlisted_count) == (2, 1)
    # A join aggregates every registration of every meeting before the LIMIT picks a page.
    assert not [sql for sql in queries if 'JOIN "meetings_registration"' in sql]


def test_the_meeting_list_still_sorts_by_seats(staff_client, meeting_factory, registration_factory):
    quiet = meeting_factory()
    busy = meeting_factory()
    registration_factory.create_batch(3, meeting=busy, status=Status.WAITLISTED)
    registration_factory(meeting=quiet, status=Status.WAITLISTED)
    # Column 8 (1-based) of list_display is the waiting list.
    response = staff_client.get(changelist("meeting"), {"o": "-8"})
    assert [m.pk for m in response.context["cl"].result_list] == [busy.pk, quiet.pk]


# --- Registrations: newest first by an index, filters bounded by year --------------------------


def test_the_registration_list_is_newest_first_without_sorting_through_the_meeting(
    staff_client, meeting_factory, registration_factory
):
    early_meeting = meeting_factory(starts_at=dt.datetime(2027, 8, 1, 10, tzinfo=OSLO))
    late_meeting = meeting_factory(starts_at=dt.datetime(2027, 9, 1, 10, tzinfo=OSLO))
    older = registration_factory(
        meeting=late_meeting, created_at=dt.datetime(2027, 5, 1, 9, tzinfo=OSLO)
    )
    newer = registration_factory(
        meeting=early_meeting, created_at=dt.datetime(2027, 5, 2, 9, tzinfo=OSLO)
    )

    response, queries = get_with_queries(staff_client, changelist("registration"))

    assert [r.pk for r in response.context["cl"].result_list] == [newer.pk, older.pk]
    order_by = result_query(queries, "meetings_registration").split("ORDER BY")[1]
    assert "meetings_meeting" not in order_by
    assert '"meetings_registration"."created_at" DESC' in order_by


@pytest.mark.parametrize(
    ("model", "table"),
    [("registration", "meetings_registration"), ("mailingrecipient", "meetings_mailingrecipient")],
)
def test_the_largest_lists_read_no_dates_from_every_row(
    staff_client, registration_factory, mailing_recipient_factory, model, table
):
    """A date hierarchy asks for the distinct years (or months) of every row, 100,000 of them
    here; a date filter's choices are fixed and filter by the index."""
    registration_factory()
    mailing_recipient_factory(sent_at=timezone.now())

    response, queries = get_with_queries(staff_client, changelist(model))

    assert not [sql for sql in queries if "DISTINCT" in sql and f'FROM "{table}"' in sql]
    # The date filter's second choice, "Today", still finds the row.
    field = "created_at" if model == "registration" else "sent_at"
    cl = response.context["cl"]
    [spec] = [spec for spec in cl.filter_specs if f"{field}__gte" in spec.expected_parameters()]
    today = list(spec.choices(cl))[1]["query_string"]
    assert len(staff_client.get(changelist(model) + today).context["cl"].result_list) == 1


@pytest.fixture
def meetings_over_the_years(meeting_series_factory, meeting_factory):
    """30 meetings of a 2020 series and two of this year's (2027)."""
    old = meeting_series_factory(name="Nettverket", year=2020)
    past = [
        meeting_factory(
            series=old,
            title=f"Gamalt møte {day}",
            starts_at=dt.datetime(2020, 3, day, 10, tzinfo=OSLO),
            status="held",
        )
        for day in range(1, 31)
    ]
    current = meeting_series_factory(name="Nettverket", year=2027)
    upcoming = [meeting_factory(series=current, title=f"Nytt møte {n}") for n in (1, 2)]
    return past, upcoming


def test_the_registration_list_offers_this_years_meetings_until_a_year_is_chosen(
    staff_client, meetings_over_the_years
):
    past, _upcoming = meetings_over_the_years
    url = changelist("registration")

    response = staff_client.get(url)
    assert sorted(filter_choices(response, "meeting__id__exact")) == ["Nytt møte 1", "Nytt møte 2"]
    assert filter_choices(response, "meeting__series__id__exact") == []
    assert filter_choices(response, "meeting__series__year") == ["2020", "2027"]

    response = staff_client.get(url, {"meeting__series__year": "2020"})
    assert len(filter_choices(response, "meeting__id__exact")) == 30
    assert filter_choices(response, "meeting__series__id__exact") == []

    # A meeting chosen by a link, such as the one on the meeting's page, shows as chosen.
    response = staff_client.get(url, {"meeting__id__exact": past[4].pk})
    assert "Gamalt møte 5" in filter_choices(response, "meeting__id__exact")
    assert len(filter_choices(response, "meeting__id__exact")) == 3


@pytest.mark.parametrize("year", ["abc", "99999999999999999999", "٢٠٢٠"])
def test_a_bad_year_is_not_a_server_error(staff_client, meetings_over_the_years, year):
    response = staff_client.get(changelist("registration"), {"meeting__series__year": year})
    assert response.status_code in (200, 302)


def test_the_registration_list_names_people_and_meetings_without_a_query_each(
    staff_client, count_queries, meeting_factory, registration_factory, contact_person_factory
):
    meetings = [meeting_factory() for _ in range(3)]

    def fill(count):
        for index in range(count):
            registration_factory(
                meeting=meetings[index % 3], contact_person=contact_person_factory()
            )

    def load():
        return get_with_queries(staff_client, changelist("registration"))[1]

    fill(5)
    few, _ = count_queries(load)
    fill(45)
    many, _ = count_queries(load)
    assert few == many == REGISTRATION_LIST_QUERIES


# Session, user, second factor, two for permissions; the series and meeting filters; the count,
# the page; the year filter.
REGISTRATION_LIST_QUERIES = 10


# --- Mailings: delivery counted for the rows of the page ---------------------------------------


def test_the_mailing_list_counts_deliveries_without_joining_every_recipient(
    staff_client, mailing_factory, mailing_recipient_factory
):
    mailing = mailing_factory(queued_at=timezone.now())
    mailing_recipient_factory(mailing=mailing, status=MailingRecipient.Status.SENT)
    mailing_recipient_factory(mailing=mailing, status=MailingRecipient.Status.FAILED)
    mailing_recipient_factory(mailing=mailing, status=MailingRecipient.Status.SENDING)
    mailing_recipient_factory(mailing=mailing)

    response, queries = get_with_queries(staff_client, changelist("mailing"))

    [row] = response.context["cl"].result_list
    assert (row.recipient_count, row.sent_count, row.waiting_count, row.failed_count) == (
        4,
        1,
        2,
        1,
    )
    assert not [sql for sql in queries if 'JOIN "meetings_mailingrecipient"' in sql]


def test_the_mailing_list_still_sorts_by_recipients(
    staff_client, mailing_factory, mailing_recipient_factory
):
    small = mailing_factory()
    large = mailing_factory()
    mailing_recipient_factory.create_batch(3, mailing=large)
    mailing_recipient_factory(mailing=small)
    # Column 6 (1-based) of list_display is the recipient count.
    response = staff_client.get(changelist("mailing"), {"o": "-6"})
    assert [m.pk for m in response.context["cl"].result_list] == [large.pk, small.pk]


def test_the_recipient_list_is_newest_first_without_sorting_through_the_mailing(
    staff_client, mailing_factory, mailing_recipient_factory
):
    first = mailing_recipient_factory(mailing=mailing_factory())
    second = mailing_recipient_factory(mailing=mailing_factory())

    response, queries = get_with_queries(staff_client, changelist("mailingrecipient"))

    assert [r.pk for r in response.context["cl"].result_list] == [second.pk, first.pk]
    order_by = result_query(queries, "meetings_mailingrecipient").split("ORDER BY")[1]
    assert "meetings_mailing" + '"' not in order_by


def test_the_recipient_list_offers_this_years_meetings_and_mailings_until_a_year_is_chosen(
    staff_client, meetings_over_the_years, mailing_factory
):
    past, upcoming = meetings_over_the_years
    for meeting in past:
        mailing_factory(meeting=meeting, subject=f"Invitasjon {meeting.title}")
    mailing_factory(meeting=upcoming[0], subject="Invitasjon nytt")
    url = changelist("mailingrecipient")

    response = staff_client.get(url)
    assert sorted(filter_choices(response, "mailing__meeting__id__exact")) == [
        "Nytt møte 1",
        "Nytt møte 2",
    ]
    assert filter_choices(response, "mailing__id__exact") == []

    response = staff_client.get(url, {"mailing__meeting__series__year": "2020"})
    assert len(filter_choices(response, "mailing__meeting__id__exact")) == 30
    assert len(filter_choices(response, "mailing__id__exact")) == 30


# --- A meeting's page: its registrations summed up, not one form row each --------------------


def meeting_page(client, meeting):
    # The history link looks up the content type once per process: count it every time.
    ContentType.objects.clear_cache()
    return get_with_queries(client, reverse("admin:meetings_meeting_change", args=[meeting.pk]))


def test_the_meeting_page_sums_up_registrations_and_links_to_the_list(
    staff_en_client, meeting_factory, registration_factory, contact_person_factory
):
    meeting = meeting_factory(capacity=3)
    for index in range(25):
        registration_factory(
            meeting=meeting,
            contact_person=contact_person_factory(name=f"Person {index:02}"),
            queued_at=timezone.now() - dt.timedelta(minutes=100 - index),
            status=Status.CONFIRMED if index < 4 else Status.WAITLISTED,
            over_capacity=index == 3,
        )
    registration_factory(meeting=meeting, status=Status.CANCELLED, cancelled_at=timezone.now())

    response, _queries = meeting_page(staff_en_client, meeting)

    # No form row per registration: they are changed on their own pages.
    assert not [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is Registration and inline.formset.initial_form_count()
    ]
    page = " ".join(response.content.decode().split())
    listed = reverse("admin:meetings_registration_changelist") + f"?meeting__id__exact={meeting.pk}"
    assert f'href="{listed}"' in page
    assert f'href="{listed}&amp;status__exact=confirmed">Confirmed: 4</a>' in page
    assert f'href="{listed}&amp;status__exact=waitlisted">On the waiting list: 21</a>' in page
    assert f'href="{listed}&amp;status__exact=cancelled">Cancelled: 1</a>' in page
    assert f'href="{listed}&amp;over_capacity__exact=1">Over capacity: 1</a>' in page
    # The first in the queue, each linked to the page where it is changed.
    assert "The first 20 of 26 are shown." in page
    assert "Person 19" in page
    assert "Person 20" not in page
    first = Registration.objects.get(contact_person__name="Person 00")
    assert reverse("admin:meetings_registration_change", args=[first.pk]) in page


def test_the_meeting_page_keeps_its_size_and_queries_with_many_registrations(
    staff_client, meeting_factory, agenda_item_factory, registration_factory
):
    meeting = meeting_factory(capacity=None)
    agenda_item_factory.create_batch(3, meeting=meeting)

    registration_factory.create_batch(5, meeting=meeting)
    few, few_queries = meeting_page(staff_client, meeting)
    registration_factory.create_batch(45, meeting=meeting)
    many, many_queries = meeting_page(staff_client, meeting)

    assert len(few_queries) == len(many_queries) == MEETING_PAGE_QUERIES
    # 15 more rows of the summary, and nothing per registration beyond them.
    assert len(many.content) - len(few.content) < 15 * 2_000


# Session, user, second factor, the people to be told about a change, permissions (2), the
# meeting, its agenda items, the history link's content type, the deletion check, the series,
# the invitations (5: delivery, the answers of registrations and of declines, the recipients,
# the invited municipalities' names), the registration counts, the first registrations, the
# reminder schedule, the date poll and the meeting's files.
# Was 19: the registrations' addresses and municipalities came in two queries each; 18 before
# the reminder schedule's inline, 19 before the date poll's link, 20 before the files.
MEETING_PAGE_QUERIES = 21


def test_the_meeting_page_posts_without_registration_rows(
    staff_client, meeting_factory, registration_factory
):
    from tests.meetings.test_admin import meeting_form

    meeting = meeting_factory()
    registration = registration_factory(meeting=meeting, dietary_needs="Vegan")
    response = staff_client.post(
        reverse("admin:meetings_meeting_change", args=[meeting.pk]),
        meeting_form(meeting, title="Nytt namn"),
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert (registration.status, registration.dietary_needs) == (Status.CONFIRMED, "Vegan")


@pytest.mark.parametrize(
    ("language", "shown"),
    [("nn", "Her er dei første 20 av 21."), ("nb", "Her er de første 20 av 21.")],
)
def test_the_summary_speaks_the_staff_members_language(
    staff_client, meeting_factory, registration_factory, settings, language, shown
):
    meeting = meeting_factory(capacity=None)
    registration_factory.create_batch(21, meeting=meeting)
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response, _queries = meeting_page(staff_client, meeting)
    page = " ".join(response.content.decode().split())
    assert shown in page
    assert "Over kapasitet: 0" in page


def test_the_summary_is_for_those_who_may_see_registrations(
    client, user_factory, registration_factory
):
    from django.contrib.auth.models import Permission

    from tests.helpers import sign_in_with_second_factor

    registration = registration_factory(contact_person__name="Kari Nordmann")
    user = user_factory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_meeting"))
    sign_in_with_second_factor(client, user)
    url = reverse("admin:meetings_meeting_change", args=[registration.meeting_id])
    response = client.get(url)
    assert response.status_code == 200
    assert "Kari Nordmann" not in response.content.decode()
    user.user_permissions.add(Permission.objects.get(codename="view_registration"))
    assert "Kari Nordmann" in client.get(url).content.decode()
