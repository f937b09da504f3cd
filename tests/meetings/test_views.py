"""The public meeting pages: list and detail, in Nynorsk (the default) and English."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting, Registration
from tests import factories

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
LIST_URL = "/meetings/"


def html(response) -> str:
    return response.content.decode()


def title_of(response) -> str:
    return re.search(r"<title>(.*?)</title>", html(response), re.S).group(1).strip()


def seats_cells(response) -> list[str]:
    """The text of the "seats left" cells of the first table, in row order."""
    rows = re.findall(r"<tr\b[^>]*>(.*?)</tr>", html(response), re.S)[1:]
    return [re.findall(r"<td\b[^>]*>(.*?)</td>", row, re.S)[-1] for row in rows]


# --- Meeting list ----------------------------------------------------------------------------


def test_list_url():
    assert reverse("meetings:list") == LIST_URL


def test_list_in_nynorsk_by_default(client, meeting_factory):
    meeting_factory(title="Oppstartsmøte")
    response = client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert '<html lang="nn">' in html(response)
    assert response["Content-Language"] == "nn"
    assert "Oppstartsmøte" in html(response)


def test_list_in_english(en_client, meeting_factory):
    meeting_factory(title="Oppstartsmøte")
    response = en_client.get(LIST_URL)
    assert response.status_code == 200
    assert '<html lang="en">' in html(response)
    assert "<h1>Meetings</h1>" in html(response)
    assert "Upcoming meetings" in html(response)
    assert title_of(response) == "Meetings · International municipality network"


def test_list_splits_upcoming_and_past(client, meeting_factory, meeting_series_factory):
    this_year = meeting_series_factory(year=timezone.localdate().year)
    old_series = meeting_series_factory(year=2018)
    soon = meeting_factory(series=this_year, title="Snart")
    tentative = meeting_factory(series=this_year, tentative=True, tentative_period="haust")
    held = meeting_factory(
        series=old_series,
        status=Meeting.Status.HELD,
        starts_at=dt.datetime(2018, 3, 7, 10, tzinfo=OSLO),
        ends_at=dt.datetime(2018, 3, 7, 13, 30, tzinfo=OSLO),
        registration_deadline=None,
    )
    stale_tentative = meeting_factory(series=old_series, tentative=True)
    response = client.get(LIST_URL)
    assert list(response.context["upcoming_meetings"]) == [soon, tentative]
    assert list(response.context["past_meetings"]) == [held, stale_tentative]
    assert "haust" in html(response)


def test_list_newest_past_meeting_first(client, meeting_factory):
    now = timezone.now()
    older = meeting_factory(
        starts_at=now - dt.timedelta(days=60), ends_at=None, registration_deadline=None
    )
    newer = meeting_factory(
        starts_at=now - dt.timedelta(days=30), ends_at=None, registration_deadline=None
    )
    response = client.get(LIST_URL)
    assert list(response.context["past_meetings"]) == [newer, older]


def test_list_shows_seats_left(en_client, meeting_factory, registration_factory):
    limited = meeting_factory(capacity=10)
    registration_factory.create_batch(3, meeting=limited)
    registration_factory(meeting=limited, status=Registration.Status.WAITLISTED)
    meeting_factory(starts_at=limited.starts_at + dt.timedelta(days=1))
    response = en_client.get(LIST_URL)
    assert seats_cells(response) == ["7", "No limit"]


def test_list_when_nothing_is_planned(en_client):
    response = en_client.get(LIST_URL)
    assert "No meetings are planned right now." in html(response)
    assert "No meetings have been held yet." in html(response)


def make_meetings(count, meeting_factory, registration_factory, meeting_series_factory):
    series = meeting_series_factory()
    old_series = meeting_series_factory(year=2018)
    for index in range(count):
        upcoming = meeting_factory(series=series, capacity=20)
        registration_factory(meeting=upcoming)
        registration_factory(meeting=upcoming, status=Registration.Status.WAITLISTED)
        if index % 3 == 0:
            meeting_factory(series=series, tentative=True)
        meeting_factory(
            series=old_series,
            status=Meeting.Status.HELD,
            starts_at=dt.datetime(2018, 3, 7, 10, tzinfo=OSLO),
            ends_at=dt.datetime(2018, 3, 7, 13, tzinfo=OSLO),
            registration_deadline=None,
        )


def test_list_query_count_is_constant(
    client,
    count_queries,
    django_assert_num_queries,
    meeting_factory,
    registration_factory,
    meeting_series_factory,
):
    make_meetings(5, meeting_factory, registration_factory, meeting_series_factory)
    client.get(LIST_URL)  # the footer's network owner settles in the cache
    few, _ = count_queries(lambda: client.get(LIST_URL))
    make_meetings(95, meeting_factory, registration_factory, meeting_series_factory)
    many, response = count_queries(lambda: client.get(LIST_URL))
    # A page of the past meetings; the others are a ?page= away.
    assert len(response.context["past_meetings"]) == 20
    assert response.context["past_page"].paginator.count == 100
    assert many == few
    # Upcoming meetings, the number of past meetings, a page of them.
    with django_assert_num_queries(3):
        client.get(LIST_URL)


# --- Meeting detail --------------------------------------------------------------------------


@pytest.fixture
def first_meeting(meeting_factory, agenda_item_factory):
    meeting = meeting_factory(
        title="Første møte i nettverket",
        slug="2030-1-oppstart",
        theme="Erfaringsutveksling",
        description="Velkomen til oppstart.",
        starts_at=dt.datetime(2030, 3, 7, 10, tzinfo=OSLO),
        ends_at=dt.datetime(2030, 3, 7, 13, 30, tzinfo=OSLO),
        registration_deadline=dt.datetime(2030, 3, 5, 23, 59, tzinfo=OSLO),
        capacity=60,
        venue_name="Fylkeshuset",
        venue_address="Agnes Mowinckels gate 5, Bergen",
        series__organiser_name="Seksjon for internasjonalisering",
        series__organiser_email="fia@example.org",
    )
    agenda_item_factory(meeting=meeting, order=2, title="Kva fylkeskommunen kan bistå med")
    agenda_item_factory(
        meeting=meeting, order=1, title="Erfaringar og god praksis", starts_at=dt.time(10, 15)
    )
    return meeting


def test_detail_in_nynorsk(client, first_meeting):
    response = client.get(first_meeting.get_absolute_url())
    assert response.status_code == 200
    assert '<html lang="nn">' in html(response)
    assert title_of(response).startswith("Første møte i nettverket · ")
    assert "<h1>Første møte i nettverket</h1>" in html(response)
    assert "7. mars 2030" in html(response)
    assert "10.00" in html(response)


def test_detail_in_english(en_client, first_meeting):
    response = en_client.get(first_meeting.get_absolute_url())
    content = html(response)
    assert '<html lang="en">' in content
    assert title_of(response) == "Første møte i nettverket · International municipality network"
    assert "7 March 2030 at 10:00–13:30" in content
    assert "Fylkeshuset, Agnes Mowinckels gate 5, Bergen" in content
    assert "5 March 2030 at 23:59" in content
    assert "Seksjon for internasjonalisering" in content
    assert "Velkomen til oppstart." in content
    assert ">Meetings</a>" in content


def test_detail_agenda_in_order(client, first_meeting):
    content = html(client.get(first_meeting.get_absolute_url()))
    assert content.index("Erfaringar og god praksis") < content.index(
        "Kva fylkeskommunen kan bistå med"
    )
    assert '<span class="agenda-time">10.15</span>' in content


def test_detail_agenda_time_in_english(en_client, first_meeting):
    content = html(en_client.get(first_meeting.get_absolute_url()))
    assert '<span class="agenda-time">10:15</span>' in content


def test_detail_without_agenda(en_client, meeting_factory):
    response = en_client.get(meeting_factory().get_absolute_url())
    assert "The agenda will be published later." in html(response)


def test_detail_tentative_meeting_shows_its_period(en_client, meeting_factory):
    meeting = meeting_factory(tentative=True, tentative_period="haust/vinter")
    content = html(en_client.get(meeting.get_absolute_url()))
    assert "haust/vinter" in content
    assert "The exact date will be announced." in content
    assert "Registration opens when the date is fixed." in content


def test_detail_open_registration(en_client, first_meeting, freeze_now):
    freeze_now(dt.datetime(2030, 3, 1, 12, tzinfo=OSLO))
    content = html(en_client.get(first_meeting.get_absolute_url()))
    assert "Registration is open until 5 March 2030 at 23:59." in content


def test_detail_registration_open_exactly_at_the_deadline(en_client, first_meeting, freeze_now):
    freeze_now(first_meeting.registration_deadline)
    content = html(en_client.get(first_meeting.get_absolute_url()))
    assert "Registration is open until" in content
    assert "Registration is closed" not in content


def test_detail_registration_closed_after_the_deadline(en_client, first_meeting, freeze_now):
    freeze_now(first_meeting.registration_deadline + dt.timedelta(seconds=1))
    content = html(en_client.get(first_meeting.get_absolute_url()))
    assert "Registration is closed: the deadline has passed." in content
    assert "Registration is open" not in content


def test_detail_cancelled_meeting(en_client, meeting_factory):
    meeting = meeting_factory(status=Meeting.Status.CANCELLED)
    content = html(en_client.get(meeting.get_absolute_url()))
    assert "This meeting has been cancelled." in content
    assert "Registration is closed: the meeting has been cancelled." in content


@pytest.mark.parametrize(
    ("capacity", "confirmed", "text"),
    [
        (10, 3, "7 seats left"),
        (4, 3, "1 seat left"),
        (3, 3, "New registrations go on the waiting list."),
        (None, 3, "No limit"),
    ],
)
def test_detail_seats_left(
    en_client, meeting_factory, registration_factory, capacity, confirmed, text
):
    meeting = meeting_factory(capacity=capacity)
    registration_factory.create_batch(confirmed, meeting=meeting)
    registration_factory(meeting=meeting, status=Registration.Status.WAITLISTED)
    registration_factory(
        meeting=meeting, status=Registration.Status.CANCELLED, cancelled_at=timezone.now()
    )
    assert text in html(en_client.get(meeting.get_absolute_url()))


def test_unknown_meeting_is_the_sites_404(en_client):
    response = en_client.get("/meetings/finst-ikkje/")
    assert response.status_code == 404
    content = html(response)
    assert "<h1>Page not found</h1>" in content
    assert "We could not find the page you asked for." in content
    assert '<html lang="en">' in content


def test_detail_query_count_is_constant(
    client,
    count_queries,
    django_assert_num_queries,
    meeting_factory,
    agenda_item_factory,
    registration_factory,
):
    meeting = meeting_factory(capacity=500)
    url = meeting.get_absolute_url()

    def fill(count):
        agenda_item_factory.create_batch(count, meeting=meeting)
        registration_factory.create_batch(count, meeting=meeting)

    fill(5)
    client.get(url)  # the footer's network owner settles in the cache
    few, _ = count_queries(lambda: client.get(url))
    fill(95)
    many, response = count_queries(lambda: client.get(url))
    assert len(response.context["meeting"].agenda_items.all()) == 100
    assert response.context["meeting"].seats_left == 400
    assert many == few
    # The meeting with its seat counts, its agenda and its materials.
    with django_assert_num_queries(3):
        client.get(url)


@pytest.mark.django_db
def test_the_coordinator_sees_each_colleague_registered_with_a_way_to_cancel(
    client_for, meeting_factory, registration_factory, municipality_factory
):
    municipality = municipality_factory()
    coordinator = factories.LinkedContactPersonFactory(municipality=municipality, coordinator=True)
    meeting = meeting_factory(capacity=1)
    seated = registration_factory(
        meeting=meeting,
        contact_person=factories.ContactPersonFactory(
            municipality=municipality, name="Ola <Nordmann>"
        ),
    )
    waiting = registration_factory(
        meeting=meeting,
        contact_person=factories.ContactPersonFactory(municipality=municipality, name="Kari"),
        status=Registration.Status.WAITLISTED,
    )
    page = client_for(coordinator, language="nn").get(meeting.get_absolute_url())
    content = page.content.decode()
    cancel = reverse("meetings:registration_cancel", args=[seated.pk])
    assert (
        f'<li>Ola &lt;Nordmann&gt;: Stadfesta\n            <a href="{cancel}">'
        "Meld av Ola &lt;Nordmann&gt;</a></li>"
    ) in content
    cancel = reverse("meetings:registration_cancel", args=[waiting.pk])
    assert (
        f'<li>Kari: På venteliste (nummer 1 på ventelista)\n            <a href="{cancel}">'
        "Meld av Kari</a></li>"
    ) in content


def tables(page: str) -> list[str]:
    return re.findall(r"<tbody>.*?</tbody>", page, re.S)


def test_list_rows_come_from_the_cache_until_what_they_show_changes(
    client, meeting_factory, registration_factory, monkeypatch
):
    """The rows of the meeting tables are cached, keyed by all they show: a change by any
    road (here a queryset update, which leaves `updated_at` alone) shows at once, and each
    language has its own rows."""
    from django.core.cache import cache

    meeting = meeting_factory(title="Oppstartsmøte", capacity=2)
    first = html(client.get(LIST_URL))
    assert "Oppstartsmøte" in first
    assert any(key.startswith(":1:meeting-row:") for key in cache._cache)

    # Served from the cache: the row template is not rendered again.
    from meetings.templatetags import meeting_tags

    rendered = []
    real_get_template = meeting_tags.get_template
    # A real Django template whose render() is counted: the tag reads the template's source.
    row_template = real_get_template(meeting_tags.MEETING_ROW_TEMPLATE)
    real_render = row_template.render
    row_template.render = lambda *args, **kwargs: rendered.append(1) or real_render(*args, **kwargs)

    def spy(name):
        return (
            row_template if name == meeting_tags.MEETING_ROW_TEMPLATE else real_get_template(name)
        )

    monkeypatch.setattr(meeting_tags, "get_template", spy)
    assert tables(html(client.get(LIST_URL))) == tables(first)
    assert rendered == []

    Meeting.objects.filter(pk=meeting.pk).update(title="Kick-off")
    second = html(client.get(LIST_URL))
    assert "Kick-off" in second and "Oppstartsmøte" not in second
    assert rendered == [1]

    registration_factory(meeting=meeting)
    assert re.search(r"<td\b[^>]*>1</td>", html(client.get(LIST_URL)))
    registration_factory(meeting=meeting)
    assert re.search(r"<td\b[^>]*>Fullt</td>", html(client.get(LIST_URL)))

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert re.search(r"<td\b[^>]*>Full</td>", html(client.get(LIST_URL)))
