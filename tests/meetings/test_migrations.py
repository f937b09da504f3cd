"""Migration 0004: every existing meeting keeps exactly the calendar UID it had before the UID
was stored, whatever SITE_URL says later; registrations start with calendar sequence 0."""

import datetime as dt
import importlib
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from meetings import ics
from meetings.models import Meeting

BEFORE = ("meetings", "0003_county_staff_mailing_permissions")
AFTER = ("meetings", "0004_calendar_uid_and_registration_sequence")
MIGRATION = importlib.import_module("meetings.migrations." + AFTER[1])
LATEST = ("meetings", None)
MOMENT = dt.datetime(2030, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("site_url", "uid"),
    [
        ("http://127.0.0.1:8000", "meeting-7@127.0.0.1"),
        ("https://kommunenettverk.example.no", "meeting-7@kommunenettverk.example.no"),
        # The host alone, lower case, as urlsplit gives it: the UID the portal always made.
        ("https://Portal.Example.no:8443/nettverk", "meeting-7@portal.example.no"),
        ("", "meeting-7@localhost"),
    ],
)
def test_the_legacy_uid_is_the_one_meetings_had_before(settings, site_url, uid):
    settings.SITE_URL = site_url
    assert MIGRATION.legacy_uid(7) == uid


@pytest.fixture
def migrate():
    """Migrate the meetings app to a migration and return the models of that state; the
    database is back at the latest state afterwards."""

    def run(target):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        if target[1] is None:
            targets = executor.loader.graph.leaf_nodes()
            executor.migrate(targets)
            return None
        executor.migrate([target])
        return executor.loader.project_state([target]).apps

    yield run
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


# The schema changes back and forth, which SQLite allows only outside a transaction.
@pytest.mark.django_db(transaction=True)
def test_existing_meetings_keep_their_uid_and_a_new_site_url_changes_none(settings, migrate):
    settings.SITE_URL = "https://kommunenettverk.example.no"
    old = migrate(BEFORE)
    series = old.get_model("meetings", "MeetingSeries").objects.create(
        name="Kommunenettverket", year=2030, organiser_name="Fylket"
    )
    OldMeeting = old.get_model("meetings", "Meeting")
    meetings = [
        OldMeeting.objects.create(
            series=series,
            title=f"Møte {n}",
            slug=f"mote-{n}",
            status="scheduled",
            starts_at=MOMENT + dt.timedelta(days=n),
        )
        for n in range(3)
    ]
    old.get_model("meetings", "HistoricalMeeting").objects.create(
        id=meetings[0].pk,
        series_id=series.pk,
        title="Møte 0",
        slug="mote-0",
        created_at=MOMENT,
        updated_at=MOMENT,
        history_date=MOMENT,
        history_type="+",
    )
    person = old.get_model("members", "ContactPerson").objects.create(
        name="Kari Nordmann", email="kari@example.org"
    )
    old.get_model("meetings", "Registration").objects.create(
        meeting=meetings[0], contact_person=person
    )
    # What meeting_uid() gave these meetings before: the formula of the old meetings/ics.py.
    before = {m.pk: f"meeting-{m.pk}@kommunenettverk.example.no" for m in meetings}

    after = migrate(AFTER)

    stored = dict(after.get_model("meetings", "Meeting").objects.values_list("pk", "calendar_uid"))
    assert stored == before
    history = after.get_model("meetings", "HistoricalMeeting").objects.get(id=meetings[0].pk)
    assert history.calendar_uid == before[meetings[0].pk]
    assert after.get_model("meetings", "Registration").objects.get().calendar_sequence == 0

    # Later migrations add more; the stored UIDs stay what they were.
    migrate(LATEST)
    assert dict(Meeting.objects.values_list("pk", "calendar_uid")) == before

    # The portal moves: nothing changes for the meetings calendars already hold.
    settings.SITE_URL = "https://portal.vestland.example.no"
    for meeting in Meeting.objects.all():
        assert ics.meeting_uid(meeting) == before[meeting.pk]
        assert ics.deadline_uid(meeting) == before[meeting.pk].replace("@", "-deadline@")
    # A meeting made from now on gets a UID of its own, with no host name in it.
    new = Meeting.objects.create(
        series_id=series.pk, title="Nytt møte", slug="nytt", tentative_period="juni"
    )
    assert uuid.UUID(new.calendar_uid).version == 4
    assert new.calendar_uid not in before.values()


@pytest.mark.django_db(transaction=True)
def test_each_meeting_keeps_its_reminder_day_as_its_schedule(migrate):
    """Migration 0012: the single "days before the deadline" becomes the meeting's schedule,
    and a reminder already sent is that reminder, so it does not go out again."""
    from meetings.models import Mailing, MeetingReminder

    old = migrate(("meetings", "0011_registration_municipality"))
    series = old.get_model("meetings", "MeetingSeries").objects.create(
        name="Kommunenettverket", year=2030, organiser_name="Fylket"
    )
    OldMeeting = old.get_model("meetings", "Meeting")
    reminded = OldMeeting.objects.create(
        series=series,
        title="Møte",
        slug="mote",
        tentative_period="juni",
        reminder_days_before_deadline=5,
    )
    quiet = OldMeeting.objects.create(
        series=series, title="Anna møte", slug="anna", tentative_period="juni"
    )
    OldMailing = old.get_model("meetings", "Mailing")
    OldMailing.objects.create(meeting=reminded, kind="reminder", subject="P", body="B")
    OldMailing.objects.create(meeting=reminded, kind="invitation", subject="I", body="B")

    migrate(LATEST)

    schedule = set(MeetingReminder.objects.values_list("meeting_id", "days_before"))
    assert schedule == {(reminded.pk, 5), (quiet.pk, 3)}
    assert dict(Mailing.objects.values_list("kind", "reminder_days")) == {
        "reminder": 5,
        "invitation": None,
    }

    # Back again: the fewest days of each schedule is the single value.
    MeetingReminder.objects.create(meeting_id=reminded.pk, days_before=2)
    back = migrate(("meetings", "0011_registration_municipality"))
    days = back.get_model("meetings", "Meeting").objects.values_list(
        "pk", "reminder_days_before_deadline"
    )
    assert dict(days) == {reminded.pk: 2, quiet.pk: 3}
