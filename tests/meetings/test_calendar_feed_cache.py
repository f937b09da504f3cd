"""The network feed and the personal feeds at scale: bounded to the past year and everything
ahead, answered with 304 from a validator read before anything is built, and their bodies
kept in the cache under that validator."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import ics, services, views
from meetings.models import Meeting, Registration

pytestmark = pytest.mark.django_db

NETWORK_FEED = "/calendar/network.ics"


def feed_url(person) -> str:
    return reverse("personal_feed", kwargs={"token": person.calendar_token})


@pytest.fixture
def builds(monkeypatch):
    """Count the feeds built: every call of `ics.feed_calendar`."""
    calls = []
    build = ics.feed_calendar

    def counting(*args, **kwargs):
        calls.append(kwargs.get("name"))
        return build(*args, **kwargs)

    monkeypatch.setattr(ics, "feed_calendar", counting)
    return calls


def held_meeting(meeting_factory, *, days_ago: int, **kwargs):
    starts_at = timezone.now() - dt.timedelta(days=days_ago)
    return meeting_factory(
        status=Meeting.Status.HELD,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=3),
        registration_deadline=starts_at - dt.timedelta(days=2),
        **kwargs,
    )


# --- Bounded ---------------------------------------------------------------------------------


def test_network_feed_holds_the_past_year_and_everything_ahead(client, meeting_factory, ics_events):
    old = held_meeting(meeting_factory, days_ago=400)
    last_year = held_meeting(meeting_factory, days_ago=300)
    ahead = meeting_factory(starts_at=timezone.now() + dt.timedelta(days=900))
    events = ics_events(client.get(NETWORK_FEED).content)
    assert set(events) == {ics.meeting_uid(last_year), ics.meeting_uid(ahead)}
    assert ics.meeting_uid(old) not in events


def test_all_meetings_feed_holds_the_past_year_and_the_persons_own_meetings(
    client, meeting_factory, registration_factory, contact_person_factory, ics_events
):
    person = contact_person_factory(calendar_includes_all=True)
    old_own = held_meeting(meeting_factory, days_ago=800)
    registration_factory(meeting=old_own, contact_person=person)
    old_other = held_meeting(meeting_factory, days_ago=400)
    last_year = held_meeting(meeting_factory, days_ago=300)
    events = ics_events(client.get(feed_url(person)).content)
    assert set(events) == {ics.meeting_uid(old_own), ics.meeting_uid(last_year)}
    assert ics.meeting_uid(old_other) not in events


def test_own_meetings_feed_keeps_every_meeting_the_person_went_to(
    client, meeting_factory, registration_factory, contact_person_factory, ics_events
):
    person = contact_person_factory()
    old = held_meeting(meeting_factory, days_ago=2000)
    registration_factory(meeting=old, contact_person=person)
    assert set(ics_events(client.get(feed_url(person)).content)) == {ics.meeting_uid(old)}


# --- 304 before anything is built ----------------------------------------------------------


@pytest.fixture
def feeds(meeting_factory, agenda_item_factory, registration_factory, contact_person_factory):
    """Some meetings with agenda items; the person is registered for two."""
    person = contact_person_factory()
    everyone = contact_person_factory(calendar_includes_all=True)
    meetings = meeting_factory.create_batch(4)
    for meeting in meetings:
        agenda_item_factory.create_batch(2, meeting=meeting)
    for meeting in meetings[:2]:
        registration_factory(meeting=meeting, contact_person=person)
        registration_factory(meeting=meeting, contact_person=everyone)
    return {
        "network": NETWORK_FEED,
        "personal": feed_url(person),
        "personal-all": feed_url(everyone),
    }


@pytest.mark.parametrize(
    ("feed", "queries"), [("network", 1), ("personal", 2), ("personal-all", 2)]
)
def test_a_304_builds_nothing(client, feeds, builds, django_assert_num_queries, feed, queries):
    etag = client.get(feeds[feed])["ETag"]
    assert len(builds) == 1

    # Only the validator is read: the person (for a personal feed) and the meetings' versions.
    with django_assert_num_queries(queries):
        response = client.get(feeds[feed], headers={"if-none-match": etag})

    assert response.status_code == 304
    assert response["ETag"] == etag
    assert len(builds) == 1


@pytest.mark.parametrize("feed", ["network", "personal", "personal-all"])
def test_a_304_costs_the_same_however_many_meetings(
    client, feeds, meeting_factory, count_queries, feed
):
    etag = client.get(feeds[feed])["ETag"]
    few, response = count_queries(lambda: client.get(feeds[feed], headers={"if-none-match": etag}))
    assert response.status_code == 304
    meeting_factory.create_batch(20)
    etag = client.get(feeds[feed])["ETag"]
    many, response = count_queries(lambda: client.get(feeds[feed], headers={"if-none-match": etag}))
    assert response.status_code == 304
    assert few == many


@pytest.mark.parametrize("feed", ["network", "personal", "personal-all"])
def test_the_body_is_built_once_and_then_taken_from_the_cache(client, feeds, builds, feed):
    # Some calendar programs (Google's among them) never send If-None-Match.
    first = client.get(feeds[feed])
    second = client.get(feeds[feed])
    assert len(builds) == 1
    assert second.status_code == 200
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]


def test_the_etag_stays_while_nothing_changes(client, feeds):
    first = client.get(NETWORK_FEED)["ETag"]
    # Time passes; nobody changes anything.
    assert client.get(NETWORK_FEED)["ETag"] == first


# --- Never another person's feed --------------------------------------------------------------


def test_two_people_with_the_same_registrations_each_get_their_own_feed(
    client, meeting_factory, registration_factory, contact_person_factory, builds, freeze_now
):
    # Everything the two feeds are made of is alike, up to the timestamps; still each feed is
    # built for its person, never taken from the other's cache entry.
    freeze_now(timezone.now())
    meeting = meeting_factory()
    ola, kari = contact_person_factory(), contact_person_factory()
    registration_factory(meeting=meeting, contact_person=ola)
    registration_factory(meeting=meeting, contact_person=kari)
    ola_response = client.get(feed_url(ola))
    kari_response = client.get(feed_url(kari))
    assert len(builds) == 2
    assert ola_response["ETag"] != kari_response["ETag"]
    # Nor does one person's ETag answer for the other's feed.
    assert (
        client.get(feed_url(kari), headers={"if-none-match": ola_response["ETag"]}).status_code
        == 200
    )


def test_a_persons_feed_never_shows_another_persons_registrations(
    client, meeting_factory, registration_factory, contact_person_factory, ics_events
):
    mine, theirs = meeting_factory(), meeting_factory()
    ola, kari = contact_person_factory(), contact_person_factory()
    registration_factory(meeting=mine, contact_person=ola)
    registration_factory(meeting=theirs, contact_person=kari)
    assert set(ics_events(client.get(feed_url(ola)).content)) == {
        ics.meeting_uid(mine),
        ics.deadline_uid(mine),
    }
    assert set(ics_events(client.get(feed_url(kari)).content)) == {
        ics.meeting_uid(theirs),
        ics.deadline_uid(theirs),
    }


# --- Every change that changes the feed changes the validator --------------------------------


def refetch(client, url, etag):
    """A calendar program polling with the ETag it holds: the response must be a new feed."""
    response = client.get(url, headers={"if-none-match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag
    return response


def test_a_registration_cancelled_changes_the_personal_feed(
    client, linked_contact_person_factory, meeting_factory, ics_events, freeze_now
):
    # With a stopped clock nothing's `updated_at` moves: the registration itself must count.
    freeze_now(timezone.now())
    meeting = meeting_factory()
    person = linked_contact_person_factory()
    registration, _created = services.registration_create(
        meeting=meeting, person=person, actor=person, answers=services.RegistrationAnswers()
    )
    etag = client.get(feed_url(person))["ETag"]
    services.registration_cancel(registration=registration, actor=person)
    events = ics_events(refetch(client, feed_url(person), etag).content)
    assert ics.meeting_uid(meeting) not in events


def test_a_seat_from_the_waiting_list_changes_the_personal_feed(
    client, meeting_factory, registration_factory, ics_events, freeze_now
):
    freeze_now(timezone.now())
    meeting = meeting_factory(capacity=1)
    taken = registration_factory(meeting=meeting)
    waiting = registration_factory(
        meeting=meeting, status=Registration.Status.WAITLISTED, contact_person__name="Kari"
    )
    url = feed_url(waiting.contact_person)
    etag = client.get(url)["ETag"]
    services.registration_cancel(registration=taken, actor=taken.contact_person)
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.CONFIRMED
    event = ics_events(refetch(client, url, etag).content)[ics.meeting_uid(meeting)]
    assert str(event["STATUS"]) == "CONFIRMED"


def test_a_change_of_the_persons_language_changes_the_personal_feed(client, feeds, freeze_now):
    from members.models import ContactPerson

    freeze_now(timezone.now())
    person = ContactPerson.objects.get(calendar_token=feeds["personal"].split("/")[-1][:-4])
    etag = client.get(feeds["personal"])["ETag"]
    person.preferred_language = "en"
    person.save()
    assert b"My network meetings" in refetch(client, feeds["personal"], etag).content


def test_choosing_all_meetings_changes_the_personal_feed(client, feeds, freeze_now):
    from members.models import ContactPerson

    freeze_now(timezone.now())
    person = ContactPerson.objects.get(calendar_token=feeds["personal"].split("/")[-1][:-4])
    before = client.get(feeds["personal"])
    person.calendar_includes_all = True
    person.save()
    after = refetch(client, feeds["personal"], before["ETag"])
    assert after.content.count(b"BEGIN:VEVENT") > before.content.count(b"BEGIN:VEVENT")


def test_a_meeting_that_starts_loses_its_deadline_entry(
    client, meeting_factory, registration_factory, ics_events, freeze_now
):
    meeting = meeting_factory()
    registration = registration_factory(meeting=meeting)
    url = feed_url(registration.contact_person)
    freeze_now(meeting.starts_at - dt.timedelta(minutes=1))
    response = client.get(url)
    assert ics.deadline_uid(meeting) in ics_events(response.content)
    freeze_now(meeting.starts_at + dt.timedelta(minutes=1))
    events = ics_events(refetch(client, url, response["ETag"]).content)
    assert ics.deadline_uid(meeting) not in events


def test_a_meeting_leaving_the_year_leaves_the_network_feed(
    client, meeting_factory, ics_events, freeze_now
):
    meeting = held_meeting(meeting_factory, days_ago=300)
    response = client.get(NETWORK_FEED)
    assert ics.meeting_uid(meeting) in ics_events(response.content)
    freeze_now(timezone.now() + dt.timedelta(days=100))
    events = ics_events(refetch(client, NETWORK_FEED, response["ETag"]).content)
    assert ics.meeting_uid(meeting) not in events


def test_a_change_to_a_meeting_changes_every_feed(client, feeds):
    meeting = Meeting.objects.order_by("pk").first()
    etags = {feed: client.get(url)["ETag"] for feed, url in feeds.items()}
    meeting.title = "Nytt namn"
    services.meeting_save(meeting=meeting)
    for feed, url in feeds.items():
        assert b"Nytt namn" in refetch(client, url, etags[feed]).content


def test_a_new_meeting_changes_the_network_feed(client, meeting_factory, freeze_now):
    freeze_now(timezone.now())
    meeting_factory()
    etag = client.get(NETWORK_FEED)["ETag"]
    meeting_factory(title="Haustmøte")
    assert "Haustmøte".encode() in refetch(client, NETWORK_FEED, etag).content


def test_a_changed_agenda_in_the_admin_changes_the_network_feed(
    client, staff_client, meeting_factory, agenda_item_factory
):
    from tests.meetings.test_admin import change_url, meeting_form

    meeting = meeting_factory()
    agenda_item_factory(meeting=meeting, title="Velkomen")
    etag = client.get(NETWORK_FEED)["ETag"]
    data = meeting_form(meeting, **{"agenda_items-0-title": "Velkomen til Bergen"})
    response = staff_client.post(change_url(meeting), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert b"Velkomen til Bergen" in refetch(client, NETWORK_FEED, etag).content


def test_a_changed_calendar_format_changes_the_validator(client, feeds, monkeypatch, builds):
    etag = client.get(NETWORK_FEED)["ETag"]
    # A deploy with another ics.py or other translations: new bodies, not the cached ones.
    monkeypatch.setattr(views, "feed_format", lambda: "another release")
    refetch(client, NETWORK_FEED, etag)
    assert len(builds) == 2


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "meetings of the past year and all those ahead"),
        ("nn", "det siste året og alle som kjem"),
        ("nb", "det siste året og alle som kommer"),
    ],
)
def test_the_profile_says_how_far_back_all_meetings_reach(
    linked_contact_person_factory, client_for, language, text
):
    person = linked_contact_person_factory()
    response = client_for(person, language=language).get(reverse("profile"))
    assert text in response.content.decode()
