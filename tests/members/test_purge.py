"""`purge_personal_data`: the retention rules, with the clock frozen at stated instants."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from meetings.models import Meeting, Registration
from members.models import ContactPerson
from members.privacy import months_before, personal_data_purge
from tests.factories import OSLO

pytestmark = pytest.mark.django_db

# Contact persons are kept for 24 months of inactivity, registrations' answers for 30 days
# after the meeting (the defaults).
LAST_ACTIVE = dt.datetime(2024, 1, 15, 10, 0, tzinfo=OSLO)
PERIOD_OVER = dt.datetime(2026, 1, 15, 10, 0, tzinfo=OSLO)
SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def quiet_person(freeze_now, contact_person_factory):
    """Without an account, created (and last touched) at LAST_ACTIVE."""
    freeze_now(LAST_ACTIVE)
    return contact_person_factory(name="Stille Person", email="stille@example.org", phone="123456")


def anonymised(person) -> bool:
    return ContactPerson.objects.get(pk=person.pk).anonymised_at is not None


# --- Contact persons without an account -------------------------------------------------------


def test_a_person_active_exactly_24_months_ago_is_kept(freeze_now, quiet_person):
    freeze_now(PERIOD_OVER)

    assert personal_data_purge() == []
    assert not anonymised(quiet_person)


def test_a_second_later_the_person_is_anonymised(freeze_now, quiet_person):
    freeze_now(PERIOD_OVER + SECOND)

    lines = personal_data_purge()

    assert lines == [
        f"Anonymise contact person #{quiet_person.pk} ({quiet_person.municipality.name}): "
        "no activity since 2024-01-15T10:00:01+01:00"
    ]
    person = ContactPerson.objects.get(pk=quiet_person.pk)
    assert person.anonymised_at == PERIOD_OVER + SECOND
    assert (person.name, person.phone) == ("", "")
    assert "stille" not in person.email


def test_running_again_does_nothing(freeze_now, quiet_person):
    freeze_now(PERIOD_OVER + SECOND)
    personal_data_purge()

    freeze_now(PERIOD_OVER + dt.timedelta(days=1))
    assert personal_data_purge() == []


def test_a_dry_run_changes_nothing(freeze_now, quiet_person):
    freeze_now(PERIOD_OVER + SECOND)

    lines = personal_data_purge(dry_run=True)

    assert len(lines) == 1
    assert not anonymised(quiet_person)
    assert ContactPerson.objects.get(pk=quiet_person.pk).name == "Stille Person"


def test_people_with_an_account_are_never_purged(freeze_now, linked_contact_person_factory):
    freeze_now(LAST_ACTIVE)
    person = linked_contact_person_factory()

    freeze_now(PERIOD_OVER + dt.timedelta(days=400))

    assert personal_data_purge() == []
    assert not anonymised(person)


def test_an_update_within_the_period_keeps_the_person(freeze_now, quiet_person):
    freeze_now(PERIOD_OVER - dt.timedelta(days=10))
    quiet_person.job_title = "Rådgjevar"
    quiet_person.save()

    freeze_now(PERIOD_OVER + SECOND)
    assert personal_data_purge() == []


def test_a_registration_made_within_the_period_keeps_the_person(
    freeze_now, quiet_person, registration_factory, meeting_factory
):
    freeze_now(LAST_ACTIVE)
    meeting = meeting_factory(starts_at=LAST_ACTIVE + dt.timedelta(days=1))
    registration = registration_factory(meeting=meeting, contact_person=quiet_person)
    freeze_now(PERIOD_OVER)  # changed (cancelled) exactly at the start of the period
    registration.status = Registration.Status.CANCELLED
    registration.cancelled_at = PERIOD_OVER
    registration.save()

    freeze_now(PERIOD_OVER + SECOND)
    assert personal_data_purge() == []

    freeze_now(PERIOD_OVER + dt.timedelta(days=800))
    assert [line.split(":")[0] for line in personal_data_purge()] == [
        f"Anonymise contact person #{quiet_person.pk} ({quiet_person.municipality.name})"
    ]


def test_a_registration_for_a_meeting_still_ahead_keeps_the_person(
    freeze_now, quiet_person, registration_factory, meeting_factory
):
    freeze_now(LAST_ACTIVE)
    ahead = meeting_factory(starts_at=PERIOD_OVER + dt.timedelta(days=3))
    registration_factory(meeting=ahead, contact_person=quiet_person)

    freeze_now(PERIOD_OVER + SECOND)
    assert personal_data_purge() == []


def test_a_declined_invitation_within_the_period_keeps_the_person(
    freeze_now, quiet_person, mailing_recipient_factory
):
    mailing_recipient_factory(
        contact_person=quiet_person,
        email=quiet_person.email,
        mailing__meeting__starts_at=LAST_ACTIVE,
        declined_at=PERIOD_OVER - dt.timedelta(days=1),
    )

    freeze_now(PERIOD_OVER + SECOND)
    assert personal_data_purge() == []


def test_interest_in_an_idea_within_the_period_keeps_the_person(
    freeze_now, quiet_person, interest_factory
):
    interest = interest_factory(
        contact_person=quiet_person, created_at=PERIOD_OVER - dt.timedelta(days=1)
    )

    freeze_now(PERIOD_OVER + SECOND)
    personal_data_purge()
    assert not anonymised(quiet_person)
    # The contact of the idea, quiet since LAST_ACTIVE, is not kept by the interest in it.
    assert anonymised(interest.idea.contact_person)


def test_an_idea_updated_within_the_period_keeps_its_contact(
    freeze_now, quiet_person, project_idea_factory
):
    idea = project_idea_factory(contact_person=quiet_person)
    freeze_now(PERIOD_OVER - dt.timedelta(days=1))
    idea.stage = "seeking_partners"
    idea.save()

    freeze_now(PERIOD_OVER + SECOND)
    assert personal_data_purge() == []


def test_the_period_comes_from_the_settings(freeze_now, quiet_person, settings):
    settings.PERSONAL_DATA_RETENTION_MONTHS = 6

    freeze_now(dt.datetime(2024, 7, 15, 10, 0, tzinfo=OSLO))
    assert personal_data_purge() == []
    freeze_now(dt.datetime(2024, 7, 15, 10, 0, tzinfo=OSLO) + SECOND)
    assert len(personal_data_purge()) == 1


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        # The end of a longer month goes to the end of the shorter one.
        (dt.datetime(2026, 3, 31, 8, 0), 1, dt.datetime(2026, 2, 28, 8, 0)),
        (dt.datetime(2026, 2, 28, 8, 0), 24, dt.datetime(2024, 2, 28, 8, 0)),
        (dt.datetime(2026, 2, 28, 8, 0), 2, dt.datetime(2025, 12, 28, 8, 0)),
        # New Year's Eve, across the year.
        (dt.datetime(2025, 12, 31, 23, 30), 12, dt.datetime(2024, 12, 31, 23, 30)),
        # Summer time to winter time: the same wall-clock time, another offset.
        (dt.datetime(2026, 7, 1, 12, 0), 6, dt.datetime(2026, 1, 1, 12, 0)),
    ],
)
def test_months_before(moment, months, expected):
    result = months_before(moment.replace(tzinfo=OSLO), months)

    assert result == expected.replace(tzinfo=OSLO)
    assert result.utcoffset() == expected.replace(tzinfo=OSLO).utcoffset()


# --- Registrations' answers -------------------------------------------------------------------

MEETING_ENDS = dt.datetime(2026, 5, 6, 15, 30, tzinfo=OSLO)
ANSWERS_GONE = MEETING_ENDS + dt.timedelta(days=30)


@pytest.fixture
def held_meeting(freeze_now, meeting_factory, registration_factory):
    freeze_now(MEETING_ENDS - dt.timedelta(days=20))
    meeting = meeting_factory(
        title="Vårmøtet",
        starts_at=MEETING_ENDS - dt.timedelta(hours=4),
        ends_at=MEETING_ENDS,
    )
    registration_factory(meeting=meeting, dietary_needs="Nøtteallergi", comment="Seint")
    registration_factory(meeting=meeting, comment="Tek med kollega")
    registration_factory(meeting=meeting)
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.HELD)
    return meeting


def answers(meeting) -> list[tuple[str, str]]:
    return sorted(
        Registration.objects.filter(meeting=meeting).values_list("dietary_needs", "comment")
    )


def history_answers(meeting) -> set[tuple[str, str]]:
    return set(
        Registration.history.filter(meeting_id=meeting.pk).values_list("dietary_needs", "comment")
    )


def test_answers_are_kept_until_30_days_after_the_meeting(freeze_now, held_meeting):
    freeze_now(ANSWERS_GONE - SECOND)

    assert personal_data_purge() == []
    assert answers(held_meeting) == [("", ""), ("", "Tek med kollega"), ("Nøtteallergi", "Seint")]


def test_answers_are_cleared_30_days_after_the_meeting_with_their_history(freeze_now, held_meeting):
    freeze_now(ANSWERS_GONE)

    lines = personal_data_purge()

    assert lines == [
        f"Clear dietary needs and comments of 2 registration(s) for meeting #{held_meeting.pk} "
        "'Vårmøtet' (ended 2026-05-06T15:30:00+02:00)"
    ]
    assert answers(held_meeting) == [("", "")] * 3
    assert history_answers(held_meeting) == {("", "")}
    # Registrations stay, with their status, for the statistics.
    assert Registration.objects.filter(meeting=held_meeting).count() == 3
    assert personal_data_purge() == []


def test_a_meeting_without_an_end_counts_from_its_start_in_calendar_days(
    freeze_now, meeting_factory, registration_factory
):
    # Summer time ends on 25 October: 30 calendar days are 30 days and an hour.
    starts = dt.datetime(2026, 10, 1, 9, 0, tzinfo=OSLO)
    freeze_now(starts - dt.timedelta(days=5))
    meeting = meeting_factory(starts_at=starts, ends_at=None)
    registration_factory(meeting=meeting, dietary_needs="Vegan")

    freeze_now(starts + dt.timedelta(days=30) - SECOND)
    assert personal_data_purge() == []
    freeze_now(starts + dt.timedelta(days=30))
    assert len(personal_data_purge()) == 1
    assert answers(meeting) == [("", "")]


def test_a_tentative_meeting_keeps_its_answers(freeze_now, meeting_factory, registration_factory):
    freeze_now(LAST_ACTIVE)
    meeting = meeting_factory(tentative=True)
    registration_factory(meeting=meeting, comment="Gjerne i juni")

    freeze_now(PERIOD_OVER)
    assert personal_data_purge() == []
    assert answers(meeting) == [("", "Gjerne i juni")]


def test_the_answer_period_comes_from_the_settings(freeze_now, held_meeting, settings):
    settings.REGISTRATION_ANSWERS_RETENTION_DAYS = 7

    freeze_now(MEETING_ENDS + dt.timedelta(days=7))

    assert len(personal_data_purge()) == 1


# --- The command --------------------------------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command("purge_personal_data", *args, stdout=out)
    return out.getvalue()


def test_the_command_dry_run_prints_and_changes_nothing(freeze_now, quiet_person, held_meeting):
    freeze_now(PERIOD_OVER + dt.timedelta(days=365))

    output = run("--dry-run")

    assert f"Would anonymise contact person #{quiet_person.pk}" in output
    assert "Would clear dietary needs and comments of 2 registration(s)" in output
    assert "Dry run: 2 step(s) to do" in output
    assert "Stille Person" not in output
    assert not anonymised(quiet_person)
    assert ("Nøtteallergi", "Seint") in answers(held_meeting)


def test_the_command_applies_the_rules_and_is_idempotent(freeze_now, quiet_person, held_meeting):
    freeze_now(PERIOD_OVER + dt.timedelta(days=365))

    first = run()
    second = run()

    assert f"Anonymise contact person #{quiet_person.pk}" in first
    assert "2 step(s) done (contact persons: 24 months, registration answers: 30 days)." in first
    assert anonymised(quiet_person)
    assert answers(held_meeting) == [("", "")] * 3
    assert second.startswith("0 step(s) done")
