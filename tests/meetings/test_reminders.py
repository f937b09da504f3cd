"""Reminders: to invitees who have not answered, N days before the deadline, and to
participants the day before the meeting, each once, by `manage.py send_reminders`."""

import datetime as dt
import io
import logging
import re
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command

from meetings import services
from meetings.invitations import recipient_from_token
from meetings.models import Mailing, MailingRecipient, Registration

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
DEADLINE = dt.datetime(2031, 5, 5, 23, 59, tzinfo=OSLO)
STARTS = dt.datetime(2031, 5, 12, 10, 0, tzinfo=OSLO)
TOKEN = re.compile(r"/invitations/([^/\s]+)/")


@pytest.fixture
def meeting(meeting_factory):
    return meeting_factory(
        title="Søknadsverkstad",
        starts_at=STARTS,
        ends_at=STARTS + dt.timedelta(hours=4),
        registration_deadline=DEADLINE,
        capacity=2,
        # One reminder, three days before; several are tested with their own schedule.
        reminder_days=(3,),
    )


@pytest.fixture
def network(municipality_factory, contact_person_factory):
    voss = municipality_factory(name="Voss", official_email="postmottak@voss.kommune.no")
    stord = municipality_factory(name="Stord", official_email="post@stord.kommune.no")
    odda = municipality_factory(name="Odda", official_email="post@odda.kommune.no")
    people = {
        name: contact_person_factory(
            name=name.title(), email=f"{name}@{town}.kommune.no", municipality=m
        )
        for name, town, m in [
            ("kari", "voss", voss),
            ("per", "voss", voss),
            ("siri", "stord", stord),
            ("ola", "odda", odda),
            ("liv", "odda", odda),
        ]
    }
    people["free"] = contact_person_factory(
        name="Free", email="free@example.org", municipality=None
    )
    return {"voss": voss, "stord": stord, "odda": odda, **people}


@pytest.fixture
def invited(meeting, network, send_invitation, freeze_now):
    """Everyone invited, a month before the deadline; the outbox emptied afterwards."""
    freeze_now(DEADLINE - dt.timedelta(days=30))
    people = [network[n] for n in ("kari", "per", "siri", "ola", "liv", "free")]
    mailing = send_invitation(
        meeting, persons=people, mailboxes=[network["voss"], network["stord"], network["odda"]]
    )
    mail.outbox.clear()
    return mailing


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    """Run `reminders_send` at `now`; return what it made. The queue runs at the commit."""

    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return services.reminders_send(now=now)

    return run


@pytest.fixture
def command(django_capture_on_commit_callbacks, freeze_now):
    """Run `manage.py send_reminders` with the clock at `now`; return its output."""

    def run(now):
        freeze_now(now)
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_reminders", stdout=out)
        return out.getvalue()

    return run


def mailed() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def reminders(meeting, kind=Mailing.Kind.REMINDER):
    return Mailing.objects.filter(meeting=meeting, kind=kind)


def confirmed(registration_factory, meeting, person, **kwargs):
    return registration_factory(meeting=meeting, contact_person=person, **kwargs)


# --- (a) Invitees who have not answered --------------------------------------------------------


def test_no_reminder_before_n_days_before_the_deadline(meeting, invited, remind):
    made = remind(DEADLINE - dt.timedelta(days=3, minutes=1))

    assert made == {"reminder": 0, "participant_reminder": 0, "failed": 0}
    assert mail.outbox == []
    assert not reminders(meeting).exists()


def test_the_reminder_goes_to_everyone_who_has_not_answered(meeting, invited, remind):
    made = remind(DEADLINE - dt.timedelta(days=3))

    assert made == {"reminder": 1, "participant_reminder": 0, "failed": 0}
    assert mailed() == sorted(invited.recipients.values_list("email", flat=True))
    [mailing] = reminders(meeting)
    assert not mailing.is_draft
    assert set(mailing.recipients.values_list("status", flat=True)) == {"sent"}


def test_the_reminder_skips_those_who_answered_and_their_municipalities(
    client, meeting, network, invited, remind, registration_factory
):
    # Kari registered: Voss has answered (Per and the mailbox too).
    confirmed(registration_factory, meeting, network["kari"])
    # Stord's mailbox says nobody can come: Stord has answered (Siri too).
    stord = invited.recipients.get(email="post@stord.kommune.no")
    services.invitation_decline(recipient=stord)
    # Liv cannot come herself: her municipality Odda counts as answered too.
    services.invitation_decline(recipient=invited.recipients.get(email="liv@odda.kommune.no"))

    remind(DEADLINE - dt.timedelta(days=2))

    # Only the person with no municipality, who has not answered, is left.
    assert mailed() == ["free@example.org"]


def test_a_waitlisted_registration_is_an_answer(
    meeting, network, invited, remind, registration_factory
):
    confirmed(registration_factory, meeting, network["free"], status=Registration.Status.WAITLISTED)

    remind(DEADLINE - dt.timedelta(days=2))

    assert "free@example.org" not in mailed()
    assert "kari@voss.kommune.no" in mailed()


def test_a_cancelled_registration_is_no_answer(
    meeting, network, invited, remind, registration_factory
):
    confirmed(
        registration_factory,
        meeting,
        network["free"],
        status=Registration.Status.CANCELLED,
        cancelled_at=DEADLINE - dt.timedelta(days=10),
    )

    remind(DEADLINE - dt.timedelta(days=2))

    assert "free@example.org" in mailed()


def test_failed_addresses_are_not_reminded(meeting, invited, remind):
    MailingRecipient.objects.filter(email="kari@voss.kommune.no").update(
        status=MailingRecipient.Status.FAILED
    )

    remind(DEADLINE - dt.timedelta(days=2))

    assert "kari@voss.kommune.no" not in mailed()
    assert len(mailed()) == invited.recipients.count() - 1


def test_the_reminder_carries_its_own_working_links(client, meeting, network, invited, remind):
    remind(DEADLINE - dt.timedelta(days=2))
    [message] = [m for m in mail.outbox if m.to == ["ola@odda.kommune.no"]]
    [mailing] = reminders(meeting)

    token = TOKEN.search(message.body)[1]
    recipient = recipient_from_token(token)

    assert recipient.mailing == mailing
    assert recipient.email == "ola@odda.kommune.no"
    assert f"/invitations/{token}/decline/" in message.body
    # Declining from the reminder counts as an answer for Odda.
    client.post(f"/invitations/{token}/decline/")
    from meetings.invitations import unanswered_recipients

    assert not [
        r for r in unanswered_recipients(meeting) if r.municipality_id == network["odda"].pk
    ]


def test_the_number_of_days_is_per_meeting(meeting, invited, remind):
    meeting.reminder_schedule.update(days_before=7)

    assert remind(DEADLINE - dt.timedelta(days=7, minutes=1))["reminder"] == 0
    assert remind(DEADLINE - dt.timedelta(days=7))["reminder"] == 1


def test_no_reminder_after_the_deadline(meeting, invited, remind):
    made = remind(DEADLINE + dt.timedelta(minutes=1))

    assert made["reminder"] == 0
    assert mail.outbox == []


def test_no_reminder_when_reminders_are_off(meeting, invited, remind):
    meeting.reminders_enabled = False
    meeting.save()

    made = remind(DEADLINE - dt.timedelta(days=1))

    assert made == {"reminder": 0, "participant_reminder": 0, "failed": 0}
    assert mail.outbox == []


def test_no_reminder_for_a_cancelled_meeting(meeting, invited, remind):
    meeting.status = meeting.Status.CANCELLED
    meeting.save()

    assert remind(DEADLINE - dt.timedelta(days=1))["reminder"] == 0


def test_no_reminder_without_a_sent_invitation(meeting, network, remind, mailing_factory):
    draft = mailing_factory(meeting=meeting)
    draft.recipients.create(email="kari@voss.kommune.no", municipality=network["voss"])

    assert remind(DEADLINE - dt.timedelta(days=1))["reminder"] == 0
    assert mail.outbox == []


def test_no_reminder_when_everyone_answered(
    meeting, network, send_invitation, remind, registration_factory, freeze_now
):
    freeze_now(DEADLINE - dt.timedelta(days=30))
    send_invitation(meeting, persons=[network["kari"]])
    mail.outbox.clear()
    confirmed(registration_factory, meeting, network["kari"])

    assert remind(DEADLINE - dt.timedelta(days=1))["reminder"] == 0
    assert mail.outbox == []
    assert not reminders(meeting).exists()


def test_the_reminder_is_sent_once(meeting, invited, remind):
    remind(DEADLINE - dt.timedelta(days=3))
    count = len(mail.outbox)

    assert remind(DEADLINE - dt.timedelta(days=2))["reminder"] == 0
    assert remind(DEADLINE - dt.timedelta(days=1))["reminder"] == 0
    assert len(mail.outbox) == count
    assert reminders(meeting).count() == 1


# --- (b) Participants, the day before ----------------------------------------------------------


@pytest.fixture
def participants(meeting, network, registration_factory):
    """Kari and Siri have seats, Ola is on the waiting list, Per cancelled."""
    confirmed(registration_factory, meeting, network["kari"])
    confirmed(registration_factory, meeting, network["siri"])
    confirmed(registration_factory, meeting, network["ola"], status=Registration.Status.WAITLISTED)
    confirmed(
        registration_factory,
        meeting,
        network["per"],
        status=Registration.Status.CANCELLED,
        cancelled_at=DEADLINE - dt.timedelta(days=9),
    )


def test_participants_are_not_reminded_too_early(meeting, participants, remind):
    made = remind(STARTS - dt.timedelta(hours=36, minutes=1))

    assert made["participant_reminder"] == 0
    assert mail.outbox == []


def test_confirmed_participants_get_the_calendar_entry_the_day_before(
    meeting, participants, remind, ics_attachment, ics_events
):
    made = remind(STARTS - dt.timedelta(hours=36))

    assert made == {"reminder": 0, "participant_reminder": 1, "failed": 0}
    assert mailed() == ["kari@voss.kommune.no", "siri@stord.kommune.no"]
    for message in mail.outbox:
        events = ics_events(ics_attachment(message))
        [event] = events.values()
        assert event["DTSTART"].dt == STARTS
        assert str(event["SUMMARY"]) == "Søknadsverkstad"
        assert str(event["STATUS"]) == "CONFIRMED"
    [mailing] = reminders(meeting, Mailing.Kind.PARTICIPANT_REMINDER)
    assert sorted(mailing.recipients.values_list("contact_person__email", flat=True)) == mailed()


def test_the_participant_reminder_carries_each_persons_entry(
    meeting, network, participants, django_capture_on_commit_callbacks, ics_attachment, ics_events
):
    # Kari's registration changed status before; Siri cancels after the reminder was made.
    Registration.objects.filter(contact_person=network["kari"]).update(calendar_sequence=3)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        services.reminders_send(now=STARTS - dt.timedelta(hours=30))
    siri = Registration.objects.get(contact_person=network["siri"])
    siri.set_status(Registration.Status.CANCELLED, now=STARTS - dt.timedelta(hours=29))
    siri.save()
    for callback in queued:
        callback()

    by_recipient = {message.to[0]: message for message in mail.outbox}
    [event] = ics_events(ics_attachment(by_recipient["kari@voss.kommune.no"])).values()
    assert event.decoded("SEQUENCE") == meeting.sequence + 3
    # Her cancellation's entry said CANCELLED; a fresh entry must not bring it back.
    assert by_recipient["siri@stord.kommune.no"].attachments == []


def test_participants_are_reminded_once(meeting, participants, remind):
    remind(STARTS - dt.timedelta(hours=30))
    remind(STARTS - dt.timedelta(hours=20))
    remind(STARTS - dt.timedelta(hours=1))

    assert len(mail.outbox) == 2
    assert reminders(meeting, Mailing.Kind.PARTICIPANT_REMINDER).count() == 1


def test_no_participant_reminder_once_the_meeting_has_started(meeting, participants, remind):
    assert remind(STARTS + dt.timedelta(minutes=1))["participant_reminder"] == 0
    assert mail.outbox == []


def test_no_participant_reminder_when_reminders_are_off(meeting, participants, remind):
    meeting.reminders_enabled = False
    meeting.save()

    assert remind(STARTS - dt.timedelta(hours=12))["participant_reminder"] == 0
    assert mail.outbox == []


def test_no_participant_reminder_without_participants(meeting, remind):
    assert remind(STARTS - dt.timedelta(hours=12))["participant_reminder"] == 0
    assert not Mailing.objects.exists()


# --- The command -------------------------------------------------------------------------------


def test_running_the_command_twice_sends_nothing_twice(
    meeting, network, invited, participants, command
):
    # Two days before the deadline, five before the meeting: the invitees' reminder is due.
    first = command(DEADLINE - dt.timedelta(days=2))

    assert "Reminders queued: 1 to invitees, 0 to participants" in first
    sent = len(mail.outbox)
    # Kari and Siri have seats and Ola waits for one: Voss, Stord and Odda have answered.
    assert mailed() == ["free@example.org"]

    second = command(DEADLINE - dt.timedelta(days=2) + dt.timedelta(hours=1))

    assert "Reminders queued: 0 to invitees, 0 to participants" in second
    assert len(mail.outbox) == sent
    assert Mailing.objects.filter(meeting=meeting).count() == 2


def test_the_command_on_the_day_before(meeting, participants, command):
    command(STARTS - dt.timedelta(hours=20))
    command(STARTS - dt.timedelta(hours=19))

    assert mailed() == ["kari@voss.kommune.no", "siri@stord.kommune.no"]
    assert Mailing.objects.filter(kind=Mailing.Kind.PARTICIPANT_REMINDER).count() == 1


def test_a_second_reminder_of_the_same_kind_cannot_be_made(meeting, invited, remind):
    from django.db import IntegrityError, transaction

    remind(DEADLINE - dt.timedelta(days=2))

    with pytest.raises(IntegrityError), transaction.atomic():
        Mailing.objects.create(
            meeting=meeting, kind=Mailing.Kind.REMINDER, reminder_days=3, subject="x", body="y"
        )


# --- One bad meeting ---------------------------------------------------------------------------


@pytest.fixture
def broken_meeting(meeting_factory, network, send_invitation, freeze_now, monkeypatch):
    """A second meeting, invited like the first, whose reminder text cannot be made."""
    from meetings import emails

    broken = meeting_factory(
        title="Øydelagt",
        starts_at=STARTS,
        ends_at=STARTS + dt.timedelta(hours=2),
        registration_deadline=DEADLINE,
    )
    freeze_now(DEADLINE - dt.timedelta(days=30))
    send_invitation(broken, persons=[network["kari"]])
    mail.outbox.clear()
    real_text = emails.default_mailing_text

    def text(meeting, kind, **kwargs):
        if meeting.pk == broken.pk:
            raise OverflowError("date value out of range")
        return real_text(meeting, kind, **kwargs)

    monkeypatch.setattr(emails, "default_mailing_text", text)
    return broken


def test_a_meeting_whose_reminder_fails_does_not_stop_the_others(
    meeting, invited, broken_meeting, remind, caplog
):
    with caplog.at_level(logging.ERROR, logger="meetings.services"):
        made = remind(DEADLINE - dt.timedelta(days=2))

    assert made == {"reminder": 1, "participant_reminder": 0, "failed": 1}
    assert reminders(meeting).count() == 1
    assert not reminders(broken_meeting).exists()
    assert mailed() == sorted(invited.recipients.values_list("email", flat=True))
    [record] = [r for r in caplog.records if r.name == "meetings.services"]
    assert f"meeting {broken_meeting.pk}" in record.getMessage()
    assert record.exc_info is not None


def test_the_command_reports_failed_meetings(meeting, invited, broken_meeting, command):
    out = command(DEADLINE - dt.timedelta(days=2))

    assert "Reminders queued: 1 to invitees, 0 to participants" in out
    assert "Meetings whose reminders failed: 1 (see the log)." in out
