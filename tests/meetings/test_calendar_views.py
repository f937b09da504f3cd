"""The calendar addresses: the .ics download of a meeting, the network feed and the personal
feeds, with their access rules, headers, conditional requests and query counts."""

import datetime as dt
import hashlib

import pytest
from django.conf import settings
from django.core import mail
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from meetings import ics, services
from meetings.models import Meeting, Registration

pytestmark = pytest.mark.django_db

SITE_URL = "https://kommunenettverk.example.no"
NETWORK_FEED = "/calendar/network.ics"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE_URL


def download_url(meeting) -> str:
    return reverse("meetings:calendar", kwargs={"slug": meeting.slug})


def feed_url(person) -> str:
    return reverse("personal_feed", kwargs={"token": person.calendar_token})


def calendar_property(body: bytes, name: str) -> list[str]:
    """The values of a property, from the unfolded lines of the raw file."""
    prefix = name + ":"
    lines = body.decode().replace("\r\n ", "").split("\r\n")
    return [line.removeprefix(prefix) for line in lines if line.startswith(prefix)]


def test_calendar_urls():
    assert reverse("meetings:calendar", kwargs={"slug": "oppstart"}) == (
        "/meetings/oppstart/calendar.ics"
    )
    assert reverse("network_feed") == NETWORK_FEED
    assert reverse("personal_feed", kwargs={"token": "a" * 43}) == f"/calendar/{'a' * 43}.ics"


# --- The download of one meeting ------------------------------------------------------------


def test_download_is_a_named_calendar_attachment(client, meeting_factory, ics_events):
    meeting = meeting_factory(slug="oppstart-sogndal")
    response = client.get(download_url(meeting))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="oppstart-sogndal.ics"'
    assert list(ics_events(response.content)) == [ics.meeting_uid(meeting)]


def test_download_of_an_unknown_meeting_is_404(client):
    assert client.get("/meetings/finst-ikkje/calendar.ics").status_code == 404


@pytest.mark.parametrize(
    "fields",
    [
        {"tentative": True},
        # A tentative meeting may have a likely date; it is still not in anyone's calendar.
        {"status": Meeting.Status.TENTATIVE},
        {"status": Meeting.Status.CANCELLED, "starts_at": None, "ends_at": None},
    ],
    ids=["tentative", "tentative-with-date", "cancelled-without-date"],
)
def test_download_of_an_undated_or_tentative_meeting_is_404(client, meeting_factory, fields):
    meeting = meeting_factory(tentative_period="juni", **fields)
    assert client.get(download_url(meeting)).status_code == 404


def test_download_of_a_cancelled_meeting_says_cancelled(client, meeting_factory, ics_events):
    meeting = meeting_factory(status=Meeting.Status.CANCELLED)
    response = client.get(download_url(meeting))
    assert response.status_code == 200
    assert str(ics_events(response.content)[ics.meeting_uid(meeting)]["STATUS"]) == "CANCELLED"


def test_download_of_a_held_meeting_works(client, meeting_factory):
    now = timezone.now()
    meeting = meeting_factory(
        status=Meeting.Status.HELD,
        starts_at=now - dt.timedelta(days=10),
        ends_at=now - dt.timedelta(days=10) + dt.timedelta(hours=2),
    )
    assert client.get(download_url(meeting)).status_code == 200


def test_download_answers_only_safe_methods(client, meeting_factory):
    meeting = meeting_factory()
    assert client.head(download_url(meeting)).status_code == 200
    assert client.post(download_url(meeting)).status_code == 405


def test_download_is_in_nynorsk_for_a_visitor_who_chose_nothing(client, meeting_factory):
    meeting = meeting_factory(theme="Grøn omstilling", kind=Meeting.Kind.APPLICATION_WORKSHOP)
    body = client.get(download_url(meeting)).content
    assert "DESCRIPTION:Tema: Grøn omstilling" in body.decode().replace("\r\n ", "")


def test_meeting_page_links_the_download_for_dated_meetings(client, meeting_factory):
    meeting = meeting_factory()
    response = client.get(meeting.get_absolute_url())
    assert f'href="{download_url(meeting)}"' in response.content.decode()


@pytest.mark.parametrize(
    "fields",
    [{"tentative": True}, {"status": Meeting.Status.TENTATIVE}],
    ids=["undated", "dated"],
)
def test_meeting_page_of_a_tentative_meeting_has_no_download(client, meeting_factory, fields):
    meeting = meeting_factory(**fields)
    response = client.get(meeting.get_absolute_url())
    assert response.status_code == 200
    assert "calendar.ics" not in response.content.decode()


# --- The network feed -----------------------------------------------------------------------


def test_network_feed_holds_every_dated_meeting_but_no_tentative_one(
    client, meeting_factory, ics_events
):
    now = timezone.now()
    scheduled = meeting_factory()
    held = meeting_factory(
        status=Meeting.Status.HELD,
        starts_at=now - dt.timedelta(days=60),
        ends_at=None,
        registration_deadline=None,
    )
    cancelled = meeting_factory(status=Meeting.Status.CANCELLED)
    meeting_factory(tentative=True)
    meeting_factory(status=Meeting.Status.TENTATIVE)

    response = client.get(NETWORK_FEED)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = ics_events(response.content)
    assert set(events) == {ics.meeting_uid(m) for m in (scheduled, held, cancelled)}
    assert str(events[ics.meeting_uid(cancelled)]["STATUS"]) == "CANCELLED"
    assert str(events[ics.meeting_uid(held)]["STATUS"]) == "CONFIRMED"


def test_network_feed_shows_public_information_only(
    client, meeting_factory, registration_factory, contact_person_factory
):
    meeting = meeting_factory()
    person = contact_person_factory(name="Solveig Haugland", email="solveig@k4640.kommune.no")
    registration_factory(
        meeting=meeting, contact_person=person, dietary_needs="Glutenfri", comment="Hemmeleg"
    )
    body = client.get(NETWORK_FEED).content.decode()
    for private in ("Solveig", "Haugland", "solveig@", "Glutenfri", "Hemmeleg"):
        assert private not in body
    # Deadlines are reminders for the personal feeds, not for the public one.
    assert "-deadline@" not in body


def test_network_feed_is_a_subscribable_calendar(client, meeting_factory):
    meeting_factory()
    body = client.get(NETWORK_FEED).content
    assert calendar_property(body, "METHOD") == ["PUBLISH"]
    assert calendar_property(body, "X-WR-CALNAME") == ["Internasjonalt kommunenettverk"]
    assert calendar_property(body, "X-WR-TIMEZONE") == ["Europe/Oslo"]
    assert calendar_property(body, "REFRESH-INTERVAL;VALUE=DURATION") == ["PT1H"]
    assert len(calendar_property(body, "X-PUBLISHED-TTL")) == 1


def test_network_feed_is_in_nynorsk_whatever_the_visitor_chose(en_client, meeting_factory):
    meeting_factory(theme="Grøn omstilling")
    body = en_client.get(NETWORK_FEED).content
    assert any(
        line.startswith("Tema: Grøn omstilling") for line in calendar_property(body, "DESCRIPTION")
    )
    # The feed's name is part of the feed: a visitor's language cookie must not change it
    # (nor the bytes, and with them the ETag of a public, cacheable response).
    assert calendar_property(body, "X-WR-CALNAME") == ["Internasjonalt kommunenettverk"]


def test_an_empty_network_feed_is_still_a_calendar(client):
    response = client.get(NETWORK_FEED)
    assert response.status_code == 200
    assert response.content.startswith(b"BEGIN:VCALENDAR\r\n")
    assert response.content.endswith(b"END:VCALENDAR\r\n")


def test_feed_stamp_is_the_newest_change_of_any_meeting(client, meeting_factory, ics_events):
    first, second = meeting_factory(), meeting_factory()
    newest = dt.datetime(2031, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    Meeting.objects.filter(pk=first.pk).update(updated_at=newest - dt.timedelta(days=3))
    Meeting.objects.filter(pk=second.pk).update(updated_at=newest)
    events = ics_events(client.get(NETWORK_FEED).content)
    assert {event.decoded("DTSTAMP") for event in events.values()} == {newest}
    assert events[ics.meeting_uid(first)].decoded("LAST-MODIFIED") == newest - dt.timedelta(days=3)


# --- Personal feeds -------------------------------------------------------------------------


@pytest.fixture
def network(meeting_factory, contact_person_factory, registration_factory):
    """Four dated meetings and a tentative one; Kari is registered for some of them."""
    now = timezone.now()
    kari = contact_person_factory(name="Kari Nordmann", email="kari@k4601.kommune.no")
    meetings = {
        "confirmed": meeting_factory(),
        "waitlisted": meeting_factory(),
        "cancelled_registration": meeting_factory(),
        "not_registered": meeting_factory(),
        "past": meeting_factory(
            status=Meeting.Status.HELD,
            starts_at=now - dt.timedelta(days=30),
            ends_at=now - dt.timedelta(days=30) + dt.timedelta(hours=3),
            registration_deadline=now - dt.timedelta(days=32),
        ),
        "tentative": meeting_factory(tentative=True),
    }
    registration_factory(meeting=meetings["confirmed"], contact_person=kari)
    registration_factory(meeting=meetings["past"], contact_person=kari)
    registration_factory(
        meeting=meetings["waitlisted"],
        contact_person=kari,
        status=Registration.Status.WAITLISTED,
    )
    registration_factory(
        meeting=meetings["cancelled_registration"],
        contact_person=kari,
        status=Registration.Status.CANCELLED,
        cancelled_at=now,
    )
    registration_factory(meeting=meetings["tentative"], contact_person=kari)
    return kari, meetings


def test_personal_feed_holds_the_meetings_the_person_is_registered_for(client, network, ics_events):
    kari, meetings = network
    response = client.get(feed_url(kari))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert set(ics_events(response.content)) == {
        ics.meeting_uid(meetings["confirmed"]),
        ics.meeting_uid(meetings["waitlisted"]),
        ics.meeting_uid(meetings["past"]),
        ics.deadline_uid(meetings["confirmed"]),
        ics.deadline_uid(meetings["waitlisted"]),
    }


@pytest.mark.parametrize(
    ("language", "waiting_list"),
    [("en", "(waiting list)"), ("nn", "(venteliste)"), ("nb", "(venteliste)")],
)
def test_a_meeting_on_the_waiting_list_is_tentative_in_the_personal_feed(
    client, network, ics_events, language, waiting_list
):
    kari, meetings = network
    kari.preferred_language = language
    kari.save()
    events = ics_events(client.get(feed_url(kari)).content)
    waiting = events[ics.meeting_uid(meetings["waitlisted"])]
    assert str(waiting["STATUS"]) == "TENTATIVE"
    assert str(waiting["SUMMARY"]) == f"{meetings['waitlisted'].title} {waiting_list}"
    confirmed = events[ics.meeting_uid(meetings["confirmed"])]
    assert str(confirmed["STATUS"]) == "CONFIRMED"
    assert str(confirmed["SUMMARY"]) == meetings["confirmed"].title


def test_a_meeting_on_the_waiting_list_in_the_all_meetings_feed(client, network, ics_events):
    kari, meetings = network
    kari.calendar_includes_all = True
    kari.save()
    events = ics_events(client.get(feed_url(kari)).content)
    assert str(events[ics.meeting_uid(meetings["waitlisted"])]["STATUS"]) == "TENTATIVE"
    # A cancelled registration leaves an ordinary meeting, like one never registered for.
    for key in ("cancelled_registration", "not_registered", "confirmed"):
        event = events[ics.meeting_uid(meetings[key])]
        assert str(event["STATUS"]) == "CONFIRMED"
        assert str(event["SUMMARY"]) == meetings[key].title


def test_personal_feed_with_all_meetings(client, network, ics_events):
    kari, meetings = network
    kari.calendar_includes_all = True
    kari.save()
    events = ics_events(client.get(feed_url(kari)).content)
    dated = [m for key, m in meetings.items() if key != "tentative"]
    upcoming = [m for key, m in meetings.items() if key not in {"tentative", "past"}]
    assert set(events) == {ics.meeting_uid(m) for m in dated} | {
        ics.deadline_uid(m) for m in upcoming
    }


def test_personal_entries_carry_the_persons_sequence(client, network, ics_events):
    kari, meetings = network
    Meeting.objects.filter(pk__in=[m.pk for m in meetings.values()]).update(sequence=3)
    Registration.objects.filter(contact_person=kari).update(calendar_sequence=2)
    kari.calendar_includes_all = True
    kari.save()
    events = ics_events(client.get(feed_url(kari)).content)
    sequences = {
        key: events[ics.meeting_uid(m)].decoded("SEQUENCE")
        for key, m in meetings.items()
        if key != "tentative"
    }
    # The cancelled registration still counts: its e-mail carried 3 + 2, and the entry may
    # only rise from there. Deadline entries belong to the meeting alone.
    assert sequences == {
        "confirmed": 5,
        "waitlisted": 5,
        "cancelled_registration": 5,
        "past": 5,
        "not_registered": 3,
    }
    assert events[ics.deadline_uid(meetings["confirmed"])].decoded("SEQUENCE") == 3
    # The network feed keeps the meeting's own.
    network_feed = ics_events(client.get(NETWORK_FEED).content)
    assert network_feed[ics.meeting_uid(meetings["confirmed"])].decoded("SEQUENCE") == 3


def test_cancelling_takes_the_meeting_out_of_the_personal_feed(
    client, linked_contact_person_factory, meeting_factory, ics_events
):
    meeting = meeting_factory()
    person = linked_contact_person_factory()
    registration, _created = services.registration_create(
        meeting=meeting, person=person, actor=person, answers=services.RegistrationAnswers()
    )
    assert ics.meeting_uid(meeting) in ics_events(client.get(feed_url(person)).content)
    services.registration_cancel(registration=registration, actor=person)
    events = ics_events(client.get(feed_url(person)).content)
    assert ics.meeting_uid(meeting) not in events
    assert ics.deadline_uid(meeting) not in events


def test_deadline_entry_in_the_personal_feed(client, network, ics_events):
    kari, meetings = network
    meeting = meetings["confirmed"]
    entry = ics_events(client.get(feed_url(kari)).content)[ics.deadline_uid(meeting)]
    assert entry.decoded("DTEND") == meeting.registration_deadline
    assert entry.decoded("DTSTART") == meeting.registration_deadline - ics.DEADLINE_DURATION
    assert entry["DTEND"].params["TZID"] == "Europe/Oslo"
    assert meeting.title in str(entry["SUMMARY"])
    assert str(entry["URL"]) == SITE_URL + meeting.get_absolute_url()


def test_a_cancelled_meeting_stays_in_the_personal_feed(client, network, ics_events):
    kari, meetings = network
    meeting = meetings["confirmed"]
    meeting.status = Meeting.Status.CANCELLED
    services.meeting_save(meeting=meeting)
    events = ics_events(client.get(feed_url(kari)).content)
    assert str(events[ics.meeting_uid(meeting)]["STATUS"]) == "CANCELLED"
    assert events[ics.meeting_uid(meeting)].decoded("SEQUENCE") == 1
    # Nobody needs a reminder to register for a cancelled meeting.
    assert ics.deadline_uid(meeting) not in events


def test_personal_feed_reveals_nothing_about_anybody_else(
    client, network, contact_person_factory, registration_factory
):
    kari, meetings = network
    colleague = contact_person_factory(name="Ola Fjellheim", email="ola@k4601.kommune.no")
    registration_factory(
        meeting=meetings["confirmed"], contact_person=colleague, comment="Kjem seint"
    )
    kari.calendar_includes_all = True
    kari.save()
    response = client.get(feed_url(kari))
    body = response.content.decode()
    for private in ("Ola", "Fjellheim", "ola@", "Kjem seint"):
        assert private not in body
    assert response["Cache-Control"] == "private, max-age=300"


def test_personal_feed_follows_the_persons_language(client, meeting_factory, registration_factory):
    meeting = meeting_factory(theme="Grøn omstilling")
    registration = registration_factory(meeting=meeting, contact_person__preferred_language="en")
    body = client.get(feed_url(registration.contact_person)).content
    descriptions = calendar_property(body, "DESCRIPTION")
    assert any(d.startswith("Theme: Grøn omstilling") for d in descriptions)
    summaries = calendar_property(body, "SUMMARY")
    assert f"Registration deadline: {meeting.title}" in summaries


@pytest.mark.parametrize("language", ["nn", "nb"])
def test_deadline_entries_are_translated(client, meeting_factory, registration_factory, language):
    meeting = meeting_factory(title="Oppstartsmøte")
    registration = registration_factory(
        meeting=meeting, contact_person__preferred_language=language
    )
    body = client.get(feed_url(registration.contact_person)).content
    (summary,) = (s for s in calendar_property(body, "SUMMARY") if s != "Oppstartsmøte")
    assert "Oppstartsmøte" in summary
    assert summary != "Registration deadline: Oppstartsmøte"


def test_personal_feed_name_follows_the_persons_language(
    client, meeting_factory, registration_factory
):
    # A calendar program sends no language cookie; a browser may send another language's.
    registration = registration_factory(contact_person__preferred_language="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    body = client.get(feed_url(registration.contact_person)).content
    assert calendar_property(body, "X-WR-CALNAME") == ["My network meetings"]


def test_unknown_token_is_404(client, contact_person_factory):
    contact_person_factory()
    assert client.get(f"/calendar/{'x' * 43}.ics").status_code == 404


@pytest.mark.parametrize(
    "token",
    [
        "x" * 42,
        "x" * 44,
        "x" * 42 + ".",
        "x" * 42 + "+",
        "x" * 42 + "=",
        "ø" * 43,
        "x" * 42 + "%00",
        "x" * 43 + "/",
        "",
    ],
)
def test_token_of_wrong_shape_is_404_without_a_lookup(
    client, contact_person_factory, django_assert_max_num_queries, token
):
    contact_person_factory()
    path = f"/calendar/{token}.ics"
    with django_assert_max_num_queries(2) as queries:
        response = client.get(path)
    assert response.status_code == 404
    # The one query besides the session's is the footer's owner, on the 404 page.
    assert not [q for q in queries.captured_queries if "contactperson" in q["sql"]]
    with pytest.raises(Resolver404):
        resolve(path)


def test_profile_shows_the_feed_address(linked_contact_person_factory, client_for):
    person = linked_contact_person_factory()
    response = client_for(person).get(reverse("profile"))
    assert response.status_code == 200
    assert f'value="{SITE_URL}/calendar/{person.calendar_token}.ics"' in response.content.decode()


def test_reset_gives_a_new_address_and_the_old_one_stops_working(
    linked_contact_person_factory, client_for, registration_factory, client
):
    person = linked_contact_person_factory()
    registration_factory(contact_person=person)
    old_url = feed_url(person)
    assert client.get(old_url).status_code == 200

    response = client_for(person).post(reverse("profile_reset_feed"))

    assert response.status_code == 302
    assert response["Location"] == reverse("profile")
    person.refresh_from_db()
    assert feed_url(person) != old_url
    assert len(person.calendar_token) == 43
    assert client.get(old_url).status_code == 404
    assert client.get(feed_url(person)).status_code == 200


def test_reset_needs_a_post_from_the_signed_in_person(
    linked_contact_person_factory, client_for, client
):
    person = linked_contact_person_factory()
    token = person.calendar_token
    assert client_for(person).get(reverse("profile_reset_feed")).status_code == 405
    anonymous = client.post(reverse("profile_reset_feed"))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login"))
    person.refresh_from_db()
    assert person.calendar_token == token


def test_reset_changes_only_the_signed_in_persons_address(
    linked_contact_person_factory, client_for
):
    person, other = linked_contact_person_factory(), linked_contact_person_factory()
    token = other.calendar_token
    client_for(person).post(reverse("profile_reset_feed"))
    other.refresh_from_db()
    assert other.calendar_token == token


# --- One UID everywhere ---------------------------------------------------------------------


def test_uid_is_the_same_in_download_feeds_and_e_mail(
    client,
    meeting_factory,
    contact_person_factory,
    django_capture_on_commit_callbacks,
    ics_events,
    ics_attachment,
):
    meeting = meeting_factory()
    person = contact_person_factory()
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(
            meeting=meeting,
            person=person,
            actor=person,
            answers=services.RegistrationAnswers(),
        )
    uid = ics.meeting_uid(meeting)
    download = ics_events(client.get(download_url(meeting)).content)
    network_feed = ics_events(client.get(NETWORK_FEED).content)
    personal_feed = ics_events(client.get(feed_url(person)).content)
    (message,) = mail.outbox
    attachment = ics_events(ics_attachment(message))
    for events in (download, network_feed, personal_feed, attachment):
        assert uid in events
    # The public entry has the meeting's SEQUENCE; the person's is one higher since they
    # registered, so their entry replaces a download they may have added before.
    assert download[uid].decoded("SEQUENCE") == network_feed[uid].decoded("SEQUENCE") == 0
    assert personal_feed[uid].decoded("SEQUENCE") == attachment[uid].decoded("SEQUENCE") == 1
    assert set(download) == set(attachment) == {uid}


@pytest.mark.parametrize(
    ("language", "theme_line"),
    [("en", "Theme: Grøn omstilling"), ("nn", "Tema: Grøn omstilling")],
)
def test_confirmation_attachment_follows_the_persons_language(
    meeting_factory,
    contact_person_factory,
    django_capture_on_commit_callbacks,
    ics_attachment,
    language,
    theme_line,
):
    meeting = meeting_factory(slug="oppstart-bergen", theme="Grøn omstilling")
    person = contact_person_factory(preferred_language=language)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(
            meeting=meeting, person=person, actor=person, answers=services.RegistrationAnswers()
        )
    (message,) = mail.outbox
    body = ics_attachment(message)
    assert any(d.startswith(theme_line) for d in calendar_property(body, "DESCRIPTION"))
    (part,) = (p for p in message.message().walk() if p.get_content_type() == "text/calendar")
    assert part.get_filename() == "oppstart-bergen.ics"
    assert part.get_param("method") == "PUBLISH"
    assert part.get_content_charset() == "utf-8"
    assert part.get_payload(decode=True) == body


# --- Conditional requests -------------------------------------------------------------------


@pytest.fixture
def calendar_urls(meeting_factory, registration_factory):
    registration = registration_factory()
    return {
        "download": download_url(registration.meeting),
        "network": NETWORK_FEED,
        "personal": feed_url(registration.contact_person),
    }


def test_download_etag_is_a_hash_of_the_body(client, calendar_urls):
    first = client.get(calendar_urls["download"])
    second = client.get(calendar_urls["download"])
    assert first.content == second.content
    assert first["ETag"] == second["ETag"]
    assert first["ETag"] == f'"{hashlib.sha256(first.content).hexdigest()[:32]}"'


@pytest.mark.parametrize("kind", ["network", "personal"])
def test_feed_etag_is_known_before_the_body_is_built(client, calendar_urls, kind):
    # The feeds' ETag is their validator (test_calendar_feed_cache.py), not a hash of the body,
    # so a 304 needs no body; the same data gives the same ETag and the same bytes.
    first = client.get(calendar_urls[kind])
    second = client.get(calendar_urls[kind])
    assert first.content == second.content
    assert first["ETag"] == second["ETag"]
    assert first["ETag"] != f'"{hashlib.sha256(first.content).hexdigest()[:32]}"'


@pytest.mark.parametrize("kind", ["download", "network", "personal"])
def test_repeated_request_with_the_etag_is_304(client, calendar_urls, kind):
    full = client.get(calendar_urls[kind])
    etag = full["ETag"]
    response = client.get(calendar_urls[kind], headers={"if-none-match": etag})
    assert response.status_code == 304
    assert response.content == b""
    # RFC 9110 15.4.5: a 304 carries the ETag and Cache-Control a 200 would have carried.
    assert response.get("ETag") == etag
    assert response.get("Cache-Control") == full["Cache-Control"]


@pytest.mark.parametrize("kind", ["download", "network", "personal"])
def test_another_etag_gets_the_whole_calendar(client, calendar_urls, kind):
    response = client.get(calendar_urls[kind], headers={"if-none-match": '"stale"'})
    assert response.status_code == 200
    assert response.content.startswith(b"BEGIN:VCALENDAR")


def test_a_change_to_the_meeting_changes_the_etag(client, meeting_factory):
    meeting = meeting_factory()
    etag = client.get(NETWORK_FEED)["ETag"]
    meeting.venue_name = "Bergen rådhus"
    services.meeting_save(meeting=meeting)
    response = client.get(NETWORK_FEED, headers={"if-none-match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert b"Bergen r\xc3\xa5dhus" in response.content


def test_public_calendars_may_be_cached_by_anyone(client, calendar_urls):
    assert client.get(calendar_urls["download"])["Cache-Control"] == "public, max-age=300"
    assert client.get(calendar_urls["network"])["Cache-Control"] == "public, max-age=300"
    assert client.get(calendar_urls["personal"])["Cache-Control"] == "private, max-age=300"


# --- Query counts ---------------------------------------------------------------------------


def meetings_with_agenda(
    count, *, meeting_factory, agenda_item_factory, registration_factory, person
):
    meetings = meeting_factory.create_batch(count)
    for meeting in meetings:
        agenda_item_factory.create_batch(2, meeting=meeting)
        registration_factory(meeting=meeting, contact_person=person)
        registration_factory(meeting=meeting)
    return meetings


@pytest.mark.parametrize("feed", ["network", "personal", "personal-all"])
def test_feeds_run_a_fixed_number_of_queries(
    client,
    count_queries,
    contact_person_factory,
    meeting_factory,
    agenda_item_factory,
    registration_factory,
    feed,
):
    person = contact_person_factory(calendar_includes_all=feed == "personal-all")
    url = NETWORK_FEED if feed == "network" else feed_url(person)
    factories = {
        "meeting_factory": meeting_factory,
        "agenda_item_factory": agenda_item_factory,
        "registration_factory": registration_factory,
        "person": person,
    }

    # The personal feeds add a deadline entry to each meeting.
    events_per_meeting = 1 if feed == "network" else 2

    meetings_with_agenda(3, **factories)
    few, response = count_queries(lambda: client.get(url))
    assert response.content.count(b"BEGIN:VEVENT") == 3 * events_per_meeting

    meetings_with_agenda(27, **factories)
    many, response = count_queries(lambda: client.get(url))
    assert response.content.count(b"BEGIN:VEVENT") == 30 * events_per_meeting

    assert few == many
    # The validator, the meetings and their agenda items; a personal feed first reads the person
    # and at last the calls of the programmes it follows (settings.CALENDAR_FEED_EXTRA_EVENTS).
    assert many <= (3 if feed == "network" else 5)


def test_download_runs_a_fixed_number_of_queries(
    client, count_queries, meeting_factory, agenda_item_factory, registration_factory
):
    small = meeting_factory()
    agenda_item_factory.create_batch(3, meeting=small)
    registration_factory.create_batch(3, meeting=small)
    large = meeting_factory()
    agenda_item_factory.create_batch(30, meeting=large)
    registration_factory.create_batch(30, meeting=large)

    few, response = count_queries(lambda: client.get(download_url(small)))
    assert response.status_code == 200
    many, response = count_queries(lambda: client.get(download_url(large)))
    assert response.status_code == 200
    assert response.content.decode().replace("\r\n ", "").count("\\n- ") == 30

    assert few == many
    assert many <= 2
