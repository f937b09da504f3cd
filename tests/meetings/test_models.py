import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from meetings.models import Meeting, MeetingSeries, Registration
from tests.helpers import validation_errors

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
NOW = dt.datetime(2030, 6, 15, 12, 0, tzinfo=OSLO)


@pytest.fixture(autouse=True)
def english():
    # Validation messages are compared in the source language.
    with translation.override("en"):
        yield


@pytest.fixture
def build_meeting(meeting_factory, meeting_series_factory):
    """An unsaved meeting in a saved series, so validation only reports what the test sets."""

    def build(**kwargs):
        kwargs.setdefault("series", meeting_series_factory())
        return meeting_factory.build(**kwargs)

    return build


def at(year, month, day, hour=10, minute=0, second=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=OSLO)


# --- MeetingSeries ---------------------------------------------------------------------------


def test_series_str(meeting_series_factory):
    assert str(meeting_series_factory(name="Kommunenettverket", year=2018)) == (
        "Kommunenettverket 2018"
    )


def test_series_name_unique_per_year(meeting_series_factory):
    meeting_series_factory(name="Kommunenettverket", year=2018)
    meeting_series_factory(name="Kommunenettverket", year=2019).full_clean()
    errors = validation_errors(meeting_series_factory.build(name="Kommunenettverket", year=2018))
    assert errors == {NON_FIELD_ERRORS: ["A series with this name already exists for the year."]}
    with pytest.raises(IntegrityError), transaction.atomic():
        meeting_series_factory(name="Kommunenettverket", year=2018)


@pytest.mark.parametrize("year", [1999, 2201])
def test_series_year_must_be_plausible(meeting_series_factory, year):
    errors = validation_errors(meeting_series_factory.build(year=year))
    assert errors == {NON_FIELD_ERRORS: ["Enter a year between 2000 and 2200."]}
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingSeries.objects.bulk_create([meeting_series_factory.build(year=year)])


# --- Meeting validation and constraints ------------------------------------------------------


def test_factory_meeting_is_valid(meeting_factory):
    meeting_factory().full_clean()
    meeting_factory(tentative=True).full_clean()


def test_meeting_end_before_start(build_meeting):
    meeting = build_meeting(starts_at=at(2030, 3, 7, 10), ends_at=at(2030, 3, 7, 9))
    assert validation_errors(meeting) == {
        NON_FIELD_ERRORS: ["The meeting must end after it starts."]
    }


def test_meeting_end_equal_to_start(build_meeting):
    meeting = build_meeting(starts_at=at(2030, 3, 7, 10), ends_at=at(2030, 3, 7, 10))
    assert validation_errors(meeting) == {
        NON_FIELD_ERRORS: ["The meeting must end after it starts."]
    }


def test_meeting_end_before_start_in_the_database(meeting_factory):
    meeting = meeting_factory(starts_at=at(2030, 3, 7, 10), ends_at=at(2030, 3, 7, 13))
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(ends_at=at(2030, 3, 7, 9))


def test_meeting_end_before_start_with_save(build_meeting):
    meeting = build_meeting(starts_at=at(2030, 3, 7, 10), ends_at=at(2030, 3, 7, 9))
    with pytest.raises(IntegrityError), transaction.atomic():
        meeting.save()


def test_meeting_end_without_start(build_meeting):
    meeting = build_meeting(tentative=True, ends_at=at(2030, 3, 7, 13), tentative_period="mars")
    errors = validation_errors(meeting)
    assert errors == {NON_FIELD_ERRORS: ["A meeting with an end time needs a start time."]}


def test_meeting_end_without_start_in_the_database(meeting_factory):
    meeting = meeting_factory(tentative=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(ends_at=at(2030, 3, 7, 13))


def test_meeting_deadline_after_start(build_meeting):
    meeting = build_meeting(
        starts_at=at(2030, 3, 7, 10), registration_deadline=at(2030, 3, 7, 10, 1)
    )
    errors = validation_errors(meeting)
    assert errors == {
        NON_FIELD_ERRORS: ["The registration deadline cannot be after the meeting starts."]
    }


def test_meeting_deadline_at_start_is_allowed(build_meeting):
    build_meeting(
        starts_at=at(2030, 3, 7, 10),
        registration_deadline=at(2030, 3, 7, 10),
    ).full_clean()


def test_meeting_deadline_after_start_in_the_database(meeting_factory):
    meeting = meeting_factory(starts_at=at(2030, 3, 7, 10))
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(registration_deadline=at(2030, 3, 8))


@pytest.mark.parametrize("status", [Meeting.Status.SCHEDULED, Meeting.Status.HELD])
def test_scheduled_or_held_meeting_needs_a_start(build_meeting, status):
    meeting = build_meeting(tentative=True, status=status)
    errors = validation_errors(meeting)
    assert errors == {NON_FIELD_ERRORS: ["A scheduled or held meeting needs a start time."]}


@pytest.mark.parametrize("status", [Meeting.Status.SCHEDULED, Meeting.Status.HELD])
def test_scheduled_or_held_meeting_needs_a_start_in_the_database(meeting_factory, status):
    meeting = meeting_factory(tentative=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(status=status)


def test_cancelled_meeting_may_lack_a_start(build_meeting):
    build_meeting(tentative=True, status=Meeting.Status.CANCELLED).full_clean()


def test_negative_capacity_fails_validation(build_meeting):
    errors = validation_errors(build_meeting(capacity=-1))
    assert errors == {"capacity": ["Ensure this value is greater than or equal to 0."]}


def test_negative_capacity_is_rejected_by_the_database(meeting_factory):
    meeting = meeting_factory(capacity=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(capacity=-1)


def test_zero_capacity_is_allowed(meeting_factory):
    meeting_factory(capacity=0).full_clean()


def test_unknown_status_is_rejected_by_the_database(meeting_factory):
    meeting = meeting_factory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(status="postponed")


def test_tentative_meeting_needs_a_period(build_meeting):
    meeting = build_meeting(tentative=True, tentative_period="")
    errors = validation_errors(meeting)
    assert errors == {
        "tentative_period": ["Give a period such as \u201cjuni\u201d while no date is fixed."]
    }


def test_duplicate_slug(meeting_factory, build_meeting):
    meeting_factory(slug="oppstart")
    assert "slug" in validation_errors(build_meeting(slug="oppstart"))


# --- Meeting properties ----------------------------------------------------------------------


def test_meeting_url_and_str(meeting_factory):
    meeting = meeting_factory(slug="2018-1-oppstart", title="Oppstart")
    assert meeting.get_absolute_url() == "/meetings/2018-1-oppstart/"
    assert str(meeting) == "Oppstart"


def test_is_tentative_and_is_cancelled(meeting_factory):
    assert meeting_factory(tentative=True).is_tentative
    assert not meeting_factory().is_tentative
    assert meeting_factory(status=Meeting.Status.CANCELLED).is_cancelled
    assert not meeting_factory().is_cancelled


def test_has_started(build_meeting):
    meeting = build_meeting(starts_at=at(2030, 6, 15, 12))
    assert meeting.has_started(NOW)
    assert not meeting.has_started(NOW - dt.timedelta(seconds=1))
    assert not build_meeting(tentative=True).has_started(NOW)


# --- registration_is_open --------------------------------------------------------------------


@pytest.fixture
def open_meeting(build_meeting):
    return build_meeting(
        starts_at=at(2030, 3, 10, 10), registration_deadline=at(2030, 3, 8, 23, 59)
    )


def test_registration_open_before_the_deadline(open_meeting):
    assert open_meeting.registration_is_open(at(2030, 3, 1))


def test_registration_open_exactly_at_the_deadline(open_meeting):
    assert open_meeting.registration_is_open(at(2030, 3, 8, 23, 59))


def test_registration_closed_one_second_after_the_deadline(open_meeting):
    assert not open_meeting.registration_is_open(at(2030, 3, 8, 23, 59, 1))


def test_registration_without_deadline_open_until_the_start(open_meeting):
    open_meeting.registration_deadline = None
    assert open_meeting.registration_is_open(at(2030, 3, 10, 9, 59, 59))
    assert not open_meeting.registration_is_open(at(2030, 3, 10, 10))


@pytest.mark.parametrize(
    "status", [Meeting.Status.CANCELLED, Meeting.Status.HELD, Meeting.Status.TENTATIVE]
)
def test_registration_closed_unless_scheduled(open_meeting, status):
    open_meeting.status = status
    assert not open_meeting.registration_is_open(at(2030, 3, 1))


def test_registration_closed_for_tentative_meeting_without_date(build_meeting):
    assert not build_meeting(tentative=True).registration_is_open(NOW)


def test_registration_is_open_defaults_to_now(build_meeting):
    assert build_meeting().registration_is_open()
    started = build_meeting(
        starts_at=timezone.now() - dt.timedelta(minutes=1), registration_deadline=None
    )
    assert not started.registration_is_open()


# --- MeetingQuerySet: upcoming / past / chronological ----------------------------------------


@pytest.fixture
def calendar(meeting_factory, meeting_series_factory):
    """Meetings around NOW (15 June 2030, noon), keyed by what they are."""
    this_year = meeting_series_factory(year=2030)
    old = meeting_series_factory(year=2029)
    next_year = meeting_series_factory(year=2031)

    def dated(starts_at, ends_at=None, **kwargs):
        return meeting_factory(
            series=kwargs.pop("series", this_year),
            starts_at=starts_at,
            ends_at=ends_at,
            registration_deadline=None,
            **kwargs,
        )

    return {
        "future": dated(at(2030, 9, 1, 10), at(2030, 9, 1, 13)),
        "future_without_end": dated(at(2030, 6, 15, 12, 0, 1)),
        "running": dated(at(2030, 6, 15, 10), at(2030, 6, 15, 14)),
        "ended": dated(at(2030, 6, 15, 8), at(2030, 6, 15, 11, 59, 59)),
        "started_without_end": dated(at(2030, 6, 15, 11)),
        "held_early": dated(at(2030, 6, 15, 11), at(2030, 6, 15, 13), status=Meeting.Status.HELD),
        "cancelled_future": dated(
            at(2030, 10, 1, 10), at(2030, 10, 1, 12), status=Meeting.Status.CANCELLED
        ),
        "tentative_this_year": meeting_factory(series=this_year, tentative=True),
        "tentative_next_year": meeting_factory(series=next_year, tentative=True),
        "tentative_old": meeting_factory(series=old, tentative=True),
        "old_held": dated(at(2029, 3, 7, 10), at(2029, 3, 7, 13), series=old, status="held"),
    }


UPCOMING = {
    "future",
    "future_without_end",
    "running",
    "cancelled_future",
    "tentative_this_year",
    "tentative_next_year",
}


def keys(calendar, queryset) -> set[str]:
    names = {meeting.pk: name for name, meeting in calendar.items()}
    return {names[meeting.pk] for meeting in queryset}


def test_upcoming(calendar):
    assert keys(calendar, Meeting.objects.upcoming(NOW)) == UPCOMING


def test_past(calendar):
    assert keys(calendar, Meeting.objects.past(NOW)) == set(calendar) - UPCOMING


def test_upcoming_and_past_split_every_meeting_once(calendar):
    upcoming = set(Meeting.objects.upcoming(NOW).values_list("pk", flat=True))
    past = set(Meeting.objects.past(NOW).values_list("pk", flat=True))
    assert not upcoming & past
    assert upcoming | past == set(Meeting.objects.values_list("pk", flat=True))


def test_tentative_meeting_of_the_current_series_is_upcoming_by_default(
    meeting_factory, meeting_series_factory
):
    this_year = meeting_series_factory(year=timezone.localdate().year)
    last_year = meeting_series_factory(year=timezone.localdate().year - 1)
    current = meeting_factory(series=this_year, tentative=True)
    stale = meeting_factory(series=last_year, tentative=True)
    assert list(Meeting.objects.upcoming()) == [current]
    assert list(Meeting.objects.past()) == [stale]


def test_upcoming_uses_the_year_in_oslo(meeting_factory, meeting_series_factory):
    # 31 December 2030 23:30 UTC is already 2031 in Oslo.
    new_year = dt.datetime(2030, 12, 31, 23, 30, tzinfo=dt.UTC)
    meeting = meeting_factory(series=meeting_series_factory(year=2031), tentative=True)
    old = meeting_factory(series=meeting_series_factory(year=2030), tentative=True)
    assert list(Meeting.objects.upcoming(new_year)) == [meeting]
    assert list(Meeting.objects.past(new_year)) == [old]


def test_chronological(meeting_factory, meeting_series_factory):
    series_2030 = meeting_series_factory(year=2030)
    series_2031 = meeting_series_factory(year=2031)
    tentative_2031 = meeting_factory(series=series_2031, tentative=True)
    tentative_2030_b = meeting_factory(series=series_2030, tentative=True)
    late = meeting_factory(series=series_2030, starts_at=at(2030, 9, 1))
    tentative_2030_a = meeting_factory(series=series_2030, tentative=True)
    early = meeting_factory(series=series_2031, starts_at=at(2030, 3, 1))
    assert list(Meeting.objects.chronological()) == [
        early,
        late,
        tentative_2030_b,
        tentative_2030_a,
        tentative_2031,
    ]


def test_default_ordering_puts_tentative_meetings_last(meeting_factory):
    tentative = meeting_factory(tentative=True)
    later = meeting_factory(starts_at=at(2030, 9, 1))
    earlier = meeting_factory(starts_at=at(2030, 3, 1))
    assert list(Meeting.objects.all()) == [earlier, later, tentative]


# --- Seat counts -----------------------------------------------------------------------------


def test_with_seat_counts(meeting_factory, registration_factory):
    meeting = meeting_factory(capacity=10)
    other = meeting_factory(capacity=3)
    empty = meeting_factory()
    registration_factory.create_batch(3, meeting=meeting)
    registration_factory.create_batch(2, meeting=meeting, status=Registration.Status.WAITLISTED)
    registration_factory(
        meeting=meeting, status=Registration.Status.CANCELLED, cancelled_at=timezone.now()
    )
    registration_factory(meeting=other)

    counts = {m.pk: m for m in Meeting.objects.with_seat_counts()}
    assert (counts[meeting.pk].confirmed_count, counts[meeting.pk].waitlisted_count) == (3, 2)
    assert (counts[other.pk].confirmed_count, counts[other.pk].waitlisted_count) == (1, 0)
    assert (counts[empty.pk].confirmed_count, counts[empty.pk].waitlisted_count) == (0, 0)
    assert counts[meeting.pk].seats_left == 7
    assert counts[other.pk].seats_left == 2
    assert counts[empty.pk].seats_left is None


def test_seats_left_never_negative(meeting_factory, registration_factory):
    meeting = meeting_factory(capacity=5)
    registration_factory.create_batch(5, meeting=meeting)
    assert Meeting.objects.with_seat_counts().get().seats_left == 0
    # Staff may add late registrations beyond the capacity.
    Meeting.objects.filter(pk=meeting.pk).update(capacity=3)
    assert Meeting.objects.with_seat_counts().get().seats_left == 0


def test_seat_counts_combine_with_upcoming(meeting_factory, registration_factory):
    meeting = meeting_factory(capacity=4)
    registration_factory.create_batch(2, meeting=meeting)
    (upcoming,) = Meeting.objects.upcoming().with_seat_counts().chronological()
    assert upcoming.confirmed_count == 2
    assert upcoming.seats_left == 2


# --- AgendaItem ------------------------------------------------------------------------------


def test_agenda_items_ordered_by_order(meeting_factory, agenda_item_factory):
    meeting = meeting_factory()
    second = agenda_item_factory(meeting=meeting, order=2, title="Two")
    first = agenda_item_factory(meeting=meeting, order=1, title="One")
    assert list(meeting.agenda_items.all()) == [first, second]
    assert str(first) == "One"


def test_agenda_items_are_deleted_with_their_meeting(meeting_factory, agenda_item_factory):
    meeting = meeting_factory()
    agenda_item_factory(meeting=meeting)
    meeting.delete()
    assert not meeting.agenda_items.model.objects.exists()


# --- Registration ----------------------------------------------------------------------------


def cancelled(registration_factory, **kwargs):
    return registration_factory(
        status=Registration.Status.CANCELLED, cancelled_at=timezone.now(), **kwargs
    )


def test_registration_str(registration_factory):
    registration = registration_factory(contact_person__name="Kari", meeting__title="Oppstart")
    assert str(registration) == "Kari – Oppstart"


def test_one_active_registration_per_person_and_meeting(registration_factory):
    first = registration_factory()
    second = registration_factory.build(
        meeting=first.meeting,
        contact_person=first.contact_person,
        status=Registration.Status.WAITLISTED,
    )
    errors = validation_errors(second)
    assert errors == {NON_FIELD_ERRORS: ["This person is already registered for the meeting."]}


def test_two_active_registrations_rejected_by_the_database(registration_factory):
    first = registration_factory()
    with pytest.raises(IntegrityError), transaction.atomic():
        registration_factory(meeting=first.meeting, contact_person=first.contact_person)


def test_reactivating_a_second_registration_rejected_by_the_database(registration_factory):
    active = registration_factory()
    old = cancelled(
        registration_factory, meeting=active.meeting, contact_person=active.contact_person
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.filter(pk=old.pk).update(status=Registration.Status.CONFIRMED)


def test_cancelled_plus_new_active_registration_allowed(registration_factory):
    old = cancelled(registration_factory)
    new = registration_factory.build(meeting=old.meeting, contact_person=old.contact_person)
    new.full_clean()
    new.save()
    another_cancelled = cancelled(
        registration_factory, meeting=old.meeting, contact_person=old.contact_person
    )
    assert another_cancelled.pk
    assert Registration.objects.filter(meeting=old.meeting).count() == 3


def test_same_person_may_register_for_other_meetings(registration_factory, meeting_factory):
    first = registration_factory()
    other = registration_factory.build(
        meeting=meeting_factory(), contact_person=first.contact_person
    )
    other.full_clean()
    other.save()


def test_cancelled_registration_without_timestamp_rejected_by_the_database(
    registration_factory,
):
    with pytest.raises(IntegrityError), transaction.atomic():
        registration_factory(status=Registration.Status.CANCELLED, cancelled_at=None)


def test_cancelling_with_update_without_timestamp_rejected_by_the_database(
    registration_factory,
):
    registration = registration_factory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.filter(pk=registration.pk).update(status=Registration.Status.CANCELLED)


def test_registration_clean_fills_in_cancelled_at(registration_factory):
    registration = registration_factory()
    registration.status = Registration.Status.CANCELLED
    before = timezone.now()
    registration.full_clean()
    assert registration.cancelled_at is not None
    assert before <= registration.cancelled_at <= timezone.now()
    registration.save()
    registration.refresh_from_db()
    assert not registration.is_active


def test_registration_clean_keeps_an_existing_cancelled_at(registration_factory):
    when = dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC)
    registration = registration_factory.build(
        status=Registration.Status.CANCELLED, cancelled_at=when
    )
    registration.clean()
    assert registration.cancelled_at == when


def test_active_registration_has_no_cancelled_at(registration_factory):
    registration = registration_factory.build()
    registration.clean()
    assert registration.cancelled_at is None
    assert registration.is_active


def test_unknown_registration_status_rejected_by_the_database(registration_factory):
    registration = registration_factory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.filter(pk=registration.pk).update(status="maybe")


# --- Registration.set_status: the calendar sequence -------------------------------------------


def test_a_new_registration_counts_as_a_change_of_status(registration_factory):
    registration = registration_factory.build()
    registration.set_status(Registration.Status.CONFIRMED, now=NOW)
    assert registration.calendar_sequence == 1
    assert registration.cancelled_at is None


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (Registration.Status.CONFIRMED, Registration.Status.CANCELLED),
        (Registration.Status.WAITLISTED, Registration.Status.CANCELLED),
        (Registration.Status.WAITLISTED, Registration.Status.CONFIRMED),
        (Registration.Status.CANCELLED, Registration.Status.WAITLISTED),
        (Registration.Status.CANCELLED, Registration.Status.CONFIRMED),
    ],
)
def test_every_change_of_status_raises_the_calendar_sequence(registration_factory, before, after):
    registration = registration_factory(
        status=before,
        cancelled_at=NOW - dt.timedelta(days=1) if before == "cancelled" else None,
        calendar_sequence=4,
    )
    registration.set_status(after, now=NOW)
    registration.save()
    registration.refresh_from_db()
    assert registration.status == after
    assert registration.calendar_sequence == 5
    assert registration.cancelled_at == (NOW if after == "cancelled" else None)


@pytest.mark.parametrize("status", Registration.Status.values)
def test_the_same_status_again_changes_nothing(registration_factory, status):
    earlier = NOW - dt.timedelta(days=1)
    registration = registration_factory(
        status=status,
        cancelled_at=earlier if status == "cancelled" else None,
        calendar_sequence=4,
    )
    registration.set_status(status, now=NOW)
    assert registration.calendar_sequence == 4
    assert registration.cancelled_at == (earlier if status == "cancelled" else None)


def test_the_calendar_sequence_of_a_person_sums_all_their_rows(
    registration_factory, meeting_factory, contact_person_factory
):
    meeting, person = meeting_factory(), contact_person_factory()
    registration_factory(
        meeting=meeting,
        contact_person=person,
        status=Registration.Status.CANCELLED,
        cancelled_at=NOW,
        calendar_sequence=2,
    )
    active = registration_factory(meeting=meeting, contact_person=person, calendar_sequence=1)
    # Somebody else's registration for the meeting, and the person's for another, don't count.
    registration_factory(meeting=meeting, calendar_sequence=7)
    registration_factory(contact_person=person, calendar_sequence=5)
    annotated = Registration.objects.with_calendar_sequence().get(pk=active.pk)
    assert annotated.person_calendar_sequence == 3
