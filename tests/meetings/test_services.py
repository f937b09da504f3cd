import datetime as dt

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import translation

from meetings import services
from meetings.models import Meeting

pytestmark = pytest.mark.django_db


def saved_sequence(meeting) -> int:
    return Meeting.objects.values_list("sequence", flat=True).get(pk=meeting.pk)


def test_new_meeting_starts_at_sequence_zero(meeting_factory, meeting_series_factory):
    meeting = meeting_factory.build(series=meeting_series_factory())
    result = services.meeting_save(meeting=meeting)
    assert result is meeting
    assert meeting.pk is not None
    assert saved_sequence(meeting) == 0


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("starts_at", lambda m: m.starts_at - dt.timedelta(hours=1)),
        ("ends_at", lambda m: m.ends_at + dt.timedelta(hours=1)),
        ("venue_name", lambda m: "Bergen rådhus"),
        ("venue_address", lambda m: "Rådhusgaten 10, Bergen"),
        ("online_url", lambda m: "https://video.example.org/nytt-rom"),
        ("status", lambda m: Meeting.Status.CANCELLED),
    ],
)
def test_sequence_rises_when_time_place_or_status_changes(meeting_factory, field, change):
    meeting = meeting_factory()
    setattr(meeting, field, change(meeting))
    services.meeting_save(meeting=meeting)
    assert meeting.sequence == 1
    assert saved_sequence(meeting) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Nytt namn på møtet"),
        ("description", "Ny skildring."),
        ("theme", "Nytt tema"),
        ("capacity", 40),
    ],
)
def test_sequence_stays_when_other_fields_change(meeting_factory, field, value):
    meeting = meeting_factory()
    setattr(meeting, field, value)
    services.meeting_save(meeting=meeting)
    meeting.refresh_from_db()
    assert getattr(meeting, field) == value
    assert meeting.sequence == 0


def test_sequence_stays_when_saved_unchanged(meeting_factory):
    meeting = meeting_factory()
    services.meeting_save(meeting=meeting)
    services.meeting_save(meeting=Meeting.objects.get(pk=meeting.pk))
    assert saved_sequence(meeting) == 0


def test_sequence_rises_once_per_save(meeting_factory):
    meeting = meeting_factory()
    meeting.starts_at -= dt.timedelta(days=1)
    meeting.ends_at -= dt.timedelta(days=1)
    meeting.venue_name = "Bergen rådhus"
    services.meeting_save(meeting=meeting)
    assert saved_sequence(meeting) == 1
    meeting.status = Meeting.Status.CANCELLED
    services.meeting_save(meeting=meeting)
    assert saved_sequence(meeting) == 2


def test_sequence_is_taken_from_the_database_not_the_instance(meeting_factory):
    # A stale copy (as an admin form would hold) must not lower or skip the sequence.
    meeting = meeting_factory()
    stale = Meeting.objects.get(pk=meeting.pk)
    meeting.venue_name = "Bergen rådhus"
    services.meeting_save(meeting=meeting)
    stale.starts_at -= dt.timedelta(hours=1)
    services.meeting_save(meeting=stale)
    assert saved_sequence(meeting) == 2


def test_fixing_the_date_of_a_tentative_meeting_raises_the_sequence(meeting_factory):
    meeting = meeting_factory(tentative=True)
    meeting.status = Meeting.Status.SCHEDULED
    meeting.starts_at = dt.datetime(2030, 6, 9, 8, tzinfo=dt.UTC)
    services.meeting_save(meeting=meeting)
    assert saved_sequence(meeting) == 1


def test_same_moment_in_another_time_zone_is_no_change(meeting_factory):
    meeting = meeting_factory()
    meeting.starts_at = meeting.starts_at.astimezone(dt.timezone(dt.timedelta(hours=5)))
    services.meeting_save(meeting=meeting)
    assert saved_sequence(meeting) == 0


def test_invalid_meeting_raises_validation_error_and_saves_nothing(meeting_factory):
    meeting = meeting_factory()
    original_end = meeting.ends_at
    meeting.ends_at = meeting.starts_at - dt.timedelta(hours=1)
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        services.meeting_save(meeting=meeting)
    assert excinfo.value.message_dict == {
        NON_FIELD_ERRORS: ["The meeting must end after it starts."]
    }
    stored = Meeting.objects.get(pk=meeting.pk)
    assert stored.ends_at == original_end
    assert stored.sequence == 0


def test_invalid_new_meeting_is_not_created(meeting_factory, meeting_series_factory):
    meeting = meeting_factory.build(series=meeting_series_factory(), title="")
    with pytest.raises(ValidationError) as excinfo:
        services.meeting_save(meeting=meeting)
    assert "title" in excinfo.value.message_dict
    assert not Meeting.objects.exists()
