"""Writes to meetings and registrations. Views and the admin call these; they own transactions.

Seats are scarce: every write that can change who holds a seat locks the meeting row first
(`SELECT ... FOR UPDATE` on PostgreSQL), counts, then writes, so parallel requests queue up on
the lock instead of overbooking. The partial unique constraint on registrations is the second
net against double registrations.
"""

import contextlib
import datetime as dt
import functools
import logging
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import ContactPerson
from members.services import contact_person_add_colleague
from projects.services import presentations_set

from . import emails, invitations, tasks
from .models import Mailing, MailingRecipient, Meeting, Registration

logger = logging.getLogger(__name__)


class RegistrationClosed(Exception):
    """Registration is not possible now; `message` says why, for the person."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RegistrationAnswers:
    attendance_mode: str = Registration.AttendanceMode.IN_PERSON
    dietary_needs: str = ""
    presenting_project_idea: bool = False
    comment: str = ""
    # The municipality's project ideas the registrant will present.
    presented_ideas: tuple = ()


def meeting_save(*, meeting: Meeting) -> Meeting:
    """Validate and save a meeting.

    When time, place, status or the deadline changed, the calendar sequence rises in the same
    transaction, so calendars that hold the meeting replace their copy; for time, place and
    status, everyone registered is also told by e-mail with the updated calendar entry. A
    higher capacity gives seats to the waiting list.
    """
    meeting.full_clean()
    with transaction.atomic():
        changes = []
        if meeting.pk is not None:
            stored = (
                Meeting.objects.select_for_update()
                .filter(pk=meeting.pk)
                .values("sequence", *Meeting.CALENDAR_FIELDS)
                .first()
            )
            if stored is not None:
                meeting.sequence = stored["sequence"]
                if any(stored[name] != getattr(meeting, name) for name in Meeting.CALENDAR_FIELDS):
                    meeting.sequence += 1
                changes = calendar_changes(stored, meeting)
        meeting.save()
        if changes:
            transaction.on_commit(
                functools.partial(tasks.send_meeting_change_notices.enqueue, meeting.pk, changes)
            )
        if meeting.status == Meeting.Status.SCHEDULED and not meeting.has_started():
            _promote_from_waitlist(meeting)
    return meeting


def calendar_changes(stored: dict, meeting: Meeting) -> list[str]:
    """What changed for people who hold the meeting in their calendar: any of "cancelled",
    "scheduled" (a date was fixed), "time", "place", "status"."""
    changed = {name for name in Meeting.NOTIFIED_FIELDS if stored[name] != getattr(meeting, name)}
    if not changed:
        return []
    if "status" in changed and meeting.status == Meeting.Status.CANCELLED:
        return ["cancelled"]
    result = []
    if stored["starts_at"] is None and meeting.starts_at is not None:
        result.append("scheduled")
    elif changed & {"starts_at", "ends_at"}:
        result.append("time")
    if changed & {"venue_name", "venue_address", "online_url"}:
        result.append("place")
    if "status" in changed and not result:
        result.append("status")
    return result


def can_act_for(actor: ContactPerson, person: ContactPerson) -> bool:
    """A person acts for themselves; a coordinator also for colleagues of their municipality."""
    if actor.pk == person.pk:
        return True
    return (
        actor.is_coordinator
        and actor.is_active
        and actor.municipality_id is not None
        and actor.municipality_id == person.municipality_id
    )


def _check_open(meeting: Meeting, now: dt.datetime) -> None:
    if meeting.status == Meeting.Status.CANCELLED:
        raise RegistrationClosed(_("The meeting has been cancelled."))
    if meeting.status == Meeting.Status.TENTATIVE or meeting.starts_at is None:
        raise RegistrationClosed(_("Registration opens when the meeting's date is fixed."))
    if meeting.has_started(now) or meeting.status == Meeting.Status.HELD:
        raise RegistrationClosed(_("The meeting has already started."))
    if meeting.registration_deadline is not None and now > meeting.registration_deadline:
        raise RegistrationClosed(_("The registration deadline has passed."))


def _check_person(meeting: Meeting, actor: ContactPerson, person: ContactPerson) -> None:
    if not can_act_for(actor, person):
        raise PermissionDenied("Not allowed to register this person.")
    if person.municipality_id is None:
        raise RegistrationClosed(
            _(
                "Your account is not linked to a municipality yet. The county staff will link "
                "it; until then you cannot register for meetings."
            )
        )
    if not person.is_active:
        raise RegistrationClosed(_("This contact person is no longer active."))


def _check_answers(meeting: Meeting, answers: RegistrationAnswers) -> None:
    if answers.attendance_mode == Registration.AttendanceMode.ONLINE and not meeting.online_url:
        raise RegistrationClosed(_("This meeting cannot be attended online."))


def _lock(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


def registration_create(
    *,
    meeting: Meeting,
    person: ContactPerson,
    actor: ContactPerson,
    answers: RegistrationAnswers,
    now: dt.datetime | None = None,
) -> tuple[Registration, bool]:
    """Register a person for a meeting: a seat if one is free, else the waiting list.

    Returns the registration and whether it was created; asking twice gives the existing one.
    A cancelled registration is reactivated, at the end of the queue.
    """
    _check_person(meeting, actor, person)
    with transaction.atomic():
        meeting = _lock(meeting)
        # Read the clock only once the lock is held, so queue order matches seat order.
        now = now or timezone.now()
        existing = Registration.objects.active().filter(meeting=meeting, contact_person=person)
        if registration := existing.first():
            return registration, False
        _check_open(meeting, now)
        _check_answers(meeting, answers)
        confirmed = Registration.objects.confirmed().filter(meeting=meeting).count()
        has_seat = meeting.capacity is None or confirmed < meeting.capacity
        registration = (
            Registration.objects.filter(
                meeting=meeting, contact_person=person, status=Registration.Status.CANCELLED
            )
            .order_by("-cancelled_at", "-pk")
            .first()
        ) or Registration(meeting=meeting, contact_person=person, created_at=now)
        registration.status = (
            Registration.Status.CONFIRMED if has_seat else Registration.Status.WAITLISTED
        )
        registration.queued_at = now
        registration.cancelled_at = None
        _apply_answers(registration, answers)
        try:
            with transaction.atomic():
                registration.save()
        except IntegrityError:
            # The constraint caught a double registration that slipped past the check above.
            return existing.get(), False
        presentations_set(registration=registration, ideas=answers.presented_ideas)
        kind = "confirmed" if has_seat else "waitlisted"
        _mail_after_commit(registration, kind)
    return registration, True


def registration_create_for_new_colleague(
    *,
    meeting: Meeting,
    coordinator: ContactPerson,
    name: str,
    email: str,
    answers: RegistrationAnswers,
    now: dt.datetime | None = None,
) -> tuple[Registration, bool]:
    """A coordinator registers a colleague who is not in the register yet. The colleague is
    only added if the registration can be made."""
    with transaction.atomic():
        _check_open(_lock(meeting), now or timezone.now())
        person = contact_person_add_colleague(coordinator=coordinator, name=name, email=email)
        return registration_create(
            meeting=meeting, person=person, actor=coordinator, answers=answers, now=now
        )


def registration_update(
    *,
    registration: Registration,
    actor: ContactPerson,
    answers: RegistrationAnswers,
    now: dt.datetime | None = None,
) -> Registration:
    """Change the answers of an active registration, until the deadline."""
    now = now or timezone.now()
    _check_person(registration.meeting, actor, registration.contact_person)
    with transaction.atomic():
        meeting = _lock(registration.meeting)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if not registration.is_active:
            raise RegistrationClosed(_("This registration has been cancelled."))
        _check_open(meeting, now)
        _check_answers(meeting, answers)
        _apply_answers(registration, answers)
        registration.save()
        presentations_set(registration=registration, ideas=answers.presented_ideas)
    return registration


def registration_cancel(
    *, registration: Registration, actor: ContactPerson, now: dt.datetime | None = None
) -> Registration:
    """Cancel a registration (kept, never deleted), until the meeting starts.

    A freed seat goes at once to the first person on the waiting list.
    """
    now = now or timezone.now()
    if not can_act_for(actor, registration.contact_person):
        raise PermissionDenied("Not allowed to cancel this registration.")
    with transaction.atomic():
        meeting = _lock(registration.meeting)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if not registration.is_active:
            return registration
        if meeting.has_started(now) or meeting.status == Meeting.Status.HELD:
            raise RegistrationClosed(_("The meeting has started; it is too late to cancel."))
        registration.status = Registration.Status.CANCELLED
        registration.cancelled_at = now
        registration.save(update_fields=["status", "cancelled_at", "updated_at"])
        _mail_after_commit(registration, "cancelled")
        if meeting.status == Meeting.Status.SCHEDULED:
            _promote_from_waitlist(meeting)
    return registration


def registration_staff_save(*, registration: Registration, now: dt.datetime | None = None):
    """Save a registration made or changed by county staff in the admin.

    Staff may register people after the deadline; such registrations are marked late. A seat
    freed by staff goes to the waiting list as it would for a member's cancellation.
    """
    now = now or timezone.now()
    with transaction.atomic():
        meeting = _lock(registration.meeting)
        if registration._state.adding:
            registration.is_late = bool(
                meeting.registration_deadline and now > meeting.registration_deadline
            )
        if registration.status == Registration.Status.CANCELLED and not registration.cancelled_at:
            registration.cancelled_at = now
        elif registration.status != Registration.Status.CANCELLED:
            registration.cancelled_at = None
        registration.save()
        if meeting.status == Meeting.Status.SCHEDULED and not meeting.has_started(now):
            _promote_from_waitlist(meeting)
    return registration


def _apply_answers(registration: Registration, answers: RegistrationAnswers) -> None:
    registration.attendance_mode = answers.attendance_mode
    registration.dietary_needs = answers.dietary_needs
    registration.presenting_project_idea = answers.presenting_project_idea
    registration.comment = answers.comment


def _promote_from_waitlist(meeting: Meeting) -> list[Registration]:
    """Give free seats to the waiting list in order of arrival. Call with the meeting locked."""
    if meeting.capacity is None:
        waiting = Registration.objects.waitlisted().filter(meeting=meeting).in_queue_order()
    else:
        confirmed = Registration.objects.confirmed().filter(meeting=meeting).count()
        free = meeting.capacity - confirmed
        if free <= 0:
            return []
        waiting = Registration.objects.waitlisted().filter(meeting=meeting).in_queue_order()[:free]
    promoted = list(waiting)
    for registration in promoted:
        registration.status = Registration.Status.CONFIRMED
        registration.save(update_fields=["status", "updated_at"])
        _mail_after_commit(registration, "promoted")
    return promoted


def _mail_after_commit(registration: Registration, kind: str) -> None:
    transaction.on_commit(functools.partial(emails.send_registration_email, registration.pk, kind))


# --- Mailings ----------------------------------------------------------------------------------


class MailingError(Exception):
    """A mailing that cannot be made or sent; `message` says why, for staff."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def mailing_create(
    *,
    meeting: Meeting,
    kind: str,
    subject: str,
    body: str,
    recipients: list,
    created_by=None,
) -> Mailing:
    """A draft mailing with its recipients (each address once). Refuses an empty recipient
    list and unknown placeholders."""
    if not recipients:
        raise MailingError(_("The mailing has no recipients."))
    for text in (subject, body):
        try:
            invitations.placeholders_in(text)
        except invitations.UnknownPlaceholder as error:
            raise MailingError(
                _("Unknown placeholder {%(name)s}.") % {"name": error.args[0]}
            ) from error
        except ValueError as error:
            raise MailingError(_("A { or } in the text has no partner.")) from error
    with transaction.atomic():
        mailing = Mailing.objects.create(
            meeting=meeting, kind=kind, subject=subject, body=body, created_by=created_by
        )
        seen = set()
        rows = []
        for recipient in recipients:
            if recipient.email.lower() in seen:
                continue
            seen.add(recipient.email.lower())
            rows.append(
                MailingRecipient(
                    mailing=mailing,
                    email=recipient.email.lower(),
                    name=recipient.name,
                    municipality_id=recipient.municipality_id,
                    contact_person_id=recipient.contact_person_id,
                )
            )
        MailingRecipient.objects.bulk_create(rows, batch_size=500)
    return mailing


def mailing_send(*, mailing: Mailing, now: dt.datetime | None = None) -> Mailing:
    """Queue a draft mailing; the background task sends it after the commit. Sending again is
    a no-op: nobody is mailed twice by the same mailing."""
    with transaction.atomic():
        mailing = Mailing.objects.select_for_update().get(pk=mailing.pk)
        if mailing.queued_at is not None:
            return mailing
        if not mailing.recipients.exists():
            raise MailingError(_("The mailing has no recipients."))
        mailing.queued_at = now or timezone.now()
        mailing.save(update_fields=["queued_at"])
        transaction.on_commit(functools.partial(tasks.send_mailing.enqueue, mailing.pk))
    return mailing


def invitation_decline(*, recipient: MailingRecipient, now: dt.datetime | None = None):
    """Record "cannot attend" for an invited address. Idempotent."""
    MailingRecipient.objects.filter(pk=recipient.pk, declined_at__isnull=True).update(
        declined_at=now or timezone.now()
    )
    recipient.refresh_from_db(fields=["declined_at"])
    return recipient


def reminders_send(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Make and queue the reminders that are due. Safe to run every hour: each meeting gets
    each kind of reminder once (a unique constraint makes sure of it). A meeting whose
    reminder fails is logged and counted as "failed"; the other meetings are still reminded."""
    now = now or timezone.now()
    made = {"reminder": 0, "participant_reminder": 0, "failed": 0}
    scheduled = Meeting.objects.filter(
        status=Meeting.Status.SCHEDULED, reminders_enabled=True, starts_at__gt=now
    ).select_related("series")
    for meeting in scheduled.filter(
        registration_deadline__gt=now,
        mailings__kind=Mailing.Kind.INVITATION,
        mailings__queued_at__isnull=False,
    ).distinct():
        with _one_meeting(meeting, made):
            due_at = meeting.registration_deadline - dt.timedelta(
                days=meeting.reminder_days_before_deadline
            )
            if now >= due_at and _reminder(meeting, Mailing.Kind.REMINDER, now):
                made["reminder"] += 1
    # "The day before": from 36 hours ahead, so an hourly job never misses it.
    for meeting in scheduled.filter(starts_at__lte=now + dt.timedelta(hours=36)):
        with _one_meeting(meeting, made):
            if _reminder(meeting, Mailing.Kind.PARTICIPANT_REMINDER, now):
                made["participant_reminder"] += 1
    return made


@contextlib.contextmanager
def _one_meeting(meeting: Meeting, made: dict[str, int]):
    """One meeting's reminder in a savepoint of its own: should it fail, it is undone,
    logged and counted, and the job goes on with the other meetings."""
    try:
        with transaction.atomic():
            yield
    except Exception:  # any failure: one meeting must not stop the reminders of all others
        logger.exception("Reminder for meeting %s failed", meeting.pk)
        made["failed"] += 1


def _reminder(meeting: Meeting, kind: str, now: dt.datetime) -> bool:
    if Mailing.objects.filter(meeting=meeting, kind=kind).exists():
        return False
    if kind == Mailing.Kind.REMINDER:
        recipients = [
            invitations.Recipient(r.email, r.name, r.municipality_id, r.contact_person_id)
            for r in invitations.unanswered_recipients(meeting)
        ]
    else:
        recipients = [
            invitations.Recipient(p.email, p.name, p.municipality_id, p.pk)
            for p in ContactPerson.objects.filter(
                registrations__meeting=meeting,
                registrations__status=Registration.Status.CONFIRMED,
            ).order_by("pk")
        ]
    if not recipients:
        return False
    subject, body = emails.default_mailing_text(meeting, kind)
    try:
        with transaction.atomic():
            mailing = mailing_create(
                meeting=meeting, kind=kind, subject=subject, body=body, recipients=recipients
            )
            mailing_send(mailing=mailing, now=now)
    except IntegrityError:
        # Another run made it at the same moment.
        return False
    return True


def mailing_retry_failed(*, mailings) -> int:
    """Queue the failed deliveries of sent mailings again, with a fresh count of attempts."""
    ids = [m.pk for m in mailings if m.queued_at is not None]
    count = MailingRecipient.objects.filter(
        mailing_id__in=ids, status=MailingRecipient.Status.FAILED
    ).update(status=MailingRecipient.Status.QUEUED, attempts=0, next_attempt_at=None)
    for mailing_id in ids:
        transaction.on_commit(functools.partial(tasks.send_mailing.enqueue, mailing_id))
    return count
