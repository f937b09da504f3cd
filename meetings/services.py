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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from members.models import ContactPerson, Municipality, User
from members.services import contact_person_add_colleague, contact_person_find_or_add

from . import emails, invitations, tasks
from .extensions import registration_answered
from .models import Mailing, MailingRecipient, Meeting, MeetingReminder, Registration

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)


class RegistrationClosed(Exception):
    """Registration is not possible now; `message` says why, for the person."""

    def __init__(self, message: "StrOrPromise") -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RegistrationAnswers:
    attendance_mode: str = Registration.AttendanceMode.IN_PERSON
    dietary_needs: str = ""
    presenting_project_idea: bool = False
    comment: str = ""
    # The answers to the fields other apps add to the form (meetings.extensions), by name.
    extra: Mapping[str, Any] = field(default_factory=dict)


def meeting_save(*, meeting: Meeting) -> Meeting:
    """Validate and save a meeting.

    When time, place, status or the deadline changed, the calendar sequence rises in the same
    transaction, so calendars that hold the meeting replace their copy; for time, place and
    status, everyone registered is also told by e-mail with the updated calendar entry. A
    higher capacity gives seats to the waiting list; a capacity lowered below the number of
    people confirmed is refused.
    """
    meeting.full_clean()
    with transaction.atomic():
        changes = []
        if meeting.pk is not None:
            stored = (
                Meeting.objects.select_for_update()
                .filter(pk=meeting.pk)
                .values("sequence", "capacity", *Meeting.CALENDAR_FIELDS)
                .first()
            )
            if stored is not None:
                try:
                    meeting_check_capacity(
                        meeting_id=meeting.pk,
                        capacity=meeting.capacity,
                        previous=stored["capacity"],
                    )
                except ValidationError as error:
                    raise ValidationError({"capacity": error.error_list}) from error
                meeting.sequence = stored["sequence"]
                if calendar_entry_changed(stored, meeting):
                    meeting.sequence += 1
                changes = calendar_changes(stored, meeting)
        is_new = meeting.pk is None
        meeting.save()
        if is_new:
            MeetingReminder.objects.bulk_create(
                MeetingReminder(meeting=meeting, days_before=days)
                for days in Meeting.DEFAULT_REMINDER_DAYS
            )
        if changes:
            # Inside the transaction: with the database backend the job commits with the
            # change, so the notices cannot be lost between the commit and the queue.
            tasks.send_meeting_change_notices.enqueue(meeting.pk, changes)
        if meeting.status == Meeting.Status.SCHEDULED and not meeting.has_started():
            _promote_from_waitlist(meeting)
    return meeting


def meeting_check_capacity(*, meeting_id: int, capacity: int | None, previous: int | None) -> None:
    """Refuse a capacity lowered below the number of people confirmed: a seat given is not
    taken back by shrinking the room. Raising it is always allowed, even while staff have
    confirmed more people than it allows. The admin form asks first; `meeting_save` asks
    again under the lock."""
    if capacity is None or (previous is not None and capacity >= previous):
        return
    confirmed = Registration.objects.confirmed().filter(meeting_id=meeting_id).count()
    if capacity < confirmed:
        raise ValidationError(
            ngettext(
                "%(count)d person is confirmed; the capacity cannot be lower than that.",
                "%(count)d people are confirmed; the capacity cannot be lower than that.",
                confirmed,
            ),
            code="below_confirmed",
            params={"count": confirmed},
        )


def calendar_entry_changed(stored: Mapping[str, Any], meeting: Meeting) -> bool:
    """Whether the meeting's calendar entry looks different, so its SEQUENCE must rise."""
    changed = {name for name in Meeting.CALENDAR_FIELDS if stored[name] != getattr(meeting, name)}
    # A calendar shows a held meeting exactly as a scheduled one (STATUS:CONFIRMED): marking
    # a meeting held records that it took place, which no calendar needs to fetch again.
    if {stored["status"], meeting.status} == {Meeting.Status.SCHEDULED, Meeting.Status.HELD}:
        changed.discard("status")
    return bool(changed)


def calendar_changes(stored: Mapping[str, Any], meeting: Meeting) -> list[str]:
    """What changed for people who hold the meeting in their calendar: any of "cancelled",
    "scheduled" (a date was fixed), "time", "place", "status". Nothing for a held meeting:
    it is over, and telling its participants that it took place, or where it did, would only
    be noise in their inboxes and calendars."""
    if meeting.status == Meeting.Status.HELD:
        return []
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
        registration.set_status(
            Registration.Status.CONFIRMED if has_seat else Registration.Status.WAITLISTED, now=now
        )
        registration.queued_at = now
        registration.over_capacity = False
        # A registration made again counts where the person belongs now.
        registration.municipality_id = person.municipality_id
        _apply_answers(registration, answers)
        try:
            with transaction.atomic():
                registration.save()
        except IntegrityError:
            # The constraint caught a double registration that slipped past the check above.
            return existing.get(), False
        registration_answered.send(Registration, registration=registration, answers=answers)
        kind = "confirmed" if has_seat else "waitlisted"
        _mail(registration, kind)
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
        registration_answered.send(Registration, registration=registration, answers=answers)
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
        registration.set_status(Registration.Status.CANCELLED, now=now)
        registration.save(
            update_fields=[
                "status",
                "cancelled_at",
                "calendar_sequence",
                "over_capacity",
                "attended_at",
                "attended_by",
                "updated_at",
            ]
        )
        _mail(registration, "cancelled")
        if meeting.status == Meeting.Status.SCHEDULED:
            _promote_from_waitlist(meeting)
    return registration


@dataclass(frozen=True)
class StaffChange:
    """What a change by county staff did, for the admin to report."""

    registration: Registration
    # The status before the change; None for a new registration.
    status_before: str | None
    # The e-mail the person gets (a kind in `emails.REGISTRATION_EMAILS`); None when the
    # status did not change, or the meeting is over.
    notice: str | None = None
    # People on the waiting list who got a seat the change freed.
    promoted: tuple[Registration, ...] = ()

    @property
    def status_changed(self) -> bool:
        return self.registration.status != self.status_before


# (status before, status after) -> the e-mail the person gets. None stands for "no
# registration yet".
_STAFF_NOTICES: dict[tuple[str | None, str], str] = {
    (None, Registration.Status.CONFIRMED): "confirmed",
    (None, Registration.Status.WAITLISTED): "waitlisted",
    (Registration.Status.CANCELLED, Registration.Status.CONFIRMED): "confirmed",
    (Registration.Status.CANCELLED, Registration.Status.WAITLISTED): "waitlisted",
    (Registration.Status.WAITLISTED, Registration.Status.CONFIRMED): "promoted",
    (Registration.Status.CONFIRMED, Registration.Status.WAITLISTED): "moved_to_waitlist",
    (Registration.Status.CONFIRMED, Registration.Status.CANCELLED): "cancelled",
    (Registration.Status.WAITLISTED, Registration.Status.CANCELLED): "cancelled",
}


def registration_staff_save(
    *,
    registration: Registration,
    status: str | None = None,
    over_capacity: bool = False,
    now: dt.datetime | None = None,
) -> StaffChange:
    """Save a registration county staff made or changed in the admin, by the rules members
    follow except the deadline.

    `status` is the status staff chose; None when they left it alone, and then the stored one
    stands, so a page loaded before someone was promoted cannot undo the promotion. A person
    confirmed (new, waiting or cancelled before) takes a free seat; in a full meeting they go
    on the waiting list, unless staff give `over_capacity`, which confirms them anyway and
    records it. A person moved to the waiting list goes to its end, and their seat to the
    first in line. Registrations staff add after the deadline are marked late.

    Each change of status mails the person once, after the commit; changed answers mail
    nobody. Once the meeting has started, changes only correct the record and mail nobody.
    Raises ValidationError, by field, for what staff must fix first.
    """
    with transaction.atomic():
        meeting = _lock(registration.meeting)
        now = now or timezone.now()
        stored = _stored(registration, lock=True)
        return _staff_save_locked(
            meeting,
            registration,
            stored,
            _requested(registration, stored, status),
            over_capacity,
            now,
        )


def registration_staff_check(
    *, registration: Registration, status: str | None = None, over_capacity: bool = False
) -> None:
    """Raise the ValidationError `registration_staff_save` would, without saving, so a form
    can show it on its fields. The service checks again under the lock."""
    meeting = Meeting.objects.get(pk=registration.meeting_id)
    stored = _stored(registration, lock=False)
    _staff_decide(
        meeting, registration, stored, _requested(registration, stored, status), over_capacity
    )


def registration_staff_cancel(
    *, registration: Registration, now: dt.datetime | None = None
) -> StaffChange:
    """Cancel a registration for county staff: like a member's cancellation (the seat goes to
    the first in line, the people affected are mailed), also after the deadline. Once the
    meeting has started it corrects the record of who took part, and mails nobody."""
    with transaction.atomic():
        meeting = _lock(registration.meeting)
        now = now or timezone.now()
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if not registration.is_active:
            return StaffChange(registration, registration.status)
        stored = _stored(registration, lock=False)
        return _staff_save_locked(
            meeting, registration, stored, Registration.Status.CANCELLED, False, now
        )


def _requested(
    registration: Registration, stored: Mapping[str, Any] | None, status: str | None
) -> str:
    if status is not None:
        return status
    return stored["status"] if stored else registration.status


def _stored(registration: Registration, *, lock: bool) -> Mapping[str, Any] | None:
    if registration.pk is None:
        return None
    rows = Registration.objects.filter(pk=registration.pk)
    if lock:
        rows = rows.select_for_update()
    return rows.values(
        "status", "attendance_mode", "over_capacity", "attended_at", "attended_by"
    ).first()


def _staff_save_locked(
    meeting: Meeting,
    registration: Registration,
    stored: Mapping[str, Any] | None,
    requested: str,
    over_capacity: bool,
    now: dt.datetime,
) -> StaffChange:
    before = stored["status"] if stored else None
    status, over_capacity = _staff_decide(meeting, registration, stored, requested, over_capacity)
    if stored is not None:
        # The form already holds the requested status; set_status compares with the stored.
        registration.status = stored["status"]
        # A check-in made at the door while the admin's page was open is not in its form.
        registration.attended_at = stored["attended_at"]
        registration.attended_by_id = stored["attended_by"]
    registration.set_status(status, now=now)
    registration.over_capacity = over_capacity
    if before in (None, Registration.Status.CANCELLED) and status != before:
        registration.queued_at = now
        registration.municipality_id = registration.contact_person.municipality_id
        registration.is_late = bool(
            meeting.registration_deadline and now > meeting.registration_deadline
        )
    elif before == Registration.Status.CONFIRMED and status == Registration.Status.WAITLISTED:
        # Taken off a seat, the person queues behind those who were already waiting.
        registration.queued_at = now
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError as error:
        # Someone registered the person at the same moment.
        raise ValidationError(
            {"contact_person": _("This person is already registered for the meeting.")}
        ) from error
    # Once the meeting has started, a change corrects the record of who took part: telling
    # people about seats and waiting lists then would only confuse them.
    over = meeting.has_started(now) or meeting.status == Meeting.Status.HELD
    promoted = []
    if meeting.status == Meeting.Status.SCHEDULED and not over:
        promoted = _promote_from_waitlist(meeting)
    notice = None
    if status != before and not over:
        # After the promotions, so a waiting-list place in the e-mail is the final one.
        notice = _STAFF_NOTICES[(before, status)]
        _mail(registration, notice)
    return StaffChange(registration, before, notice, tuple(promoted))


def _staff_decide(
    meeting: Meeting,
    registration: Registration,
    stored: Mapping[str, Any] | None,
    requested: str,
    over_capacity: bool,
) -> tuple[str, bool]:
    """The status staff's change leads to, and whether it is a seat over capacity. Raises
    ValidationError for a change that cannot be made."""
    Status = Registration.Status
    before = stored["status"] if stored else None
    if requested == Status.CANCELLED:
        if before is None:
            raise ValidationError({"status": _("A new registration cannot be cancelled.")})
        return Status.CANCELLED, False
    if before in (None, Status.CANCELLED):
        _staff_check_new(meeting, registration.contact_person)
    if (
        registration.attendance_mode == Registration.AttendanceMode.ONLINE
        and not meeting.online_url
        and (stored is None or stored["attendance_mode"] != registration.attendance_mode)
    ):
        raise ValidationError({"attendance_mode": _("This meeting cannot be attended online.")})
    if stored is not None and requested == before:
        return requested, bool(stored["over_capacity"])
    others = Registration.objects.filter(meeting=meeting).exclude(pk=registration.pk)
    confirmed = others.confirmed().count()
    free = None if meeting.capacity is None else meeting.capacity - confirmed
    if requested == Status.CONFIRMED:
        if free is None or free > 0:
            return Status.CONFIRMED, False
        if over_capacity:
            return Status.CONFIRMED, True
        return Status.WAITLISTED, False
    # The waiting list: only if the person would not get a seat at once.
    if free is None or free > others.waitlisted().count():
        raise ValidationError(
            {
                "status": _(
                    "There is a free seat for this person, so they cannot wait for one: "
                    "confirm the registration or cancel it."
                )
            }
        )
    return Status.WAITLISTED, False


def _staff_check_new(meeting: Meeting, person: ContactPerson) -> None:
    if meeting.status == Meeting.Status.CANCELLED:
        raise ValidationError(_("The meeting has been cancelled."))
    if person.municipality_id is None:
        raise ValidationError(
            {
                "contact_person": _(
                    "This person is not linked to a municipality yet; link them first."
                )
            }
        )
    if not person.is_active:
        raise ValidationError({"contact_person": _("This contact person is no longer active.")})


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
        registration.set_status(Registration.Status.CONFIRMED, now=timezone.now())
        registration.save(update_fields=["status", "calendar_sequence", "updated_at"])
        _mail(registration, "promoted")
    return promoted


def _mail(registration: Registration, kind: str) -> None:
    """Write the registration e-mail to the outbox, in the caller's transaction."""
    emails.queue_registration_email(registration.pk, kind)


# --- Attendance ------------------------------------------------------------------------------

# Check-in stays open this long after a meeting ends, so staff can record from their notes who
# came, also when the meeting ran late or the list was filled in back at the office.
ATTENDANCE_DAYS_AFTER = 7


class AttendanceError(Exception):
    """A check-in that cannot be made or undone; `message` says why, for staff."""

    def __init__(self, message: "StrOrPromise") -> None:
        super().__init__(message)
        self.message = message


def attendance_window(meeting: Meeting) -> tuple[dt.datetime, dt.datetime] | None:
    """When people can be checked in: from midnight (Oslo) of the meeting's first day, so
    staff can open the list at the door before it starts, until `ATTENDANCE_DAYS_AFTER`
    days after it ends. None for a meeting without a date."""
    if meeting.starts_at is None:
        return None
    first_day = timezone.localdate(meeting.starts_at)
    opens = timezone.make_aware(dt.datetime.combine(first_day, dt.time.min))
    closes = (meeting.ends_at or meeting.starts_at) + dt.timedelta(days=ATTENDANCE_DAYS_AFTER)
    return opens, closes


def attendance_check_open(meeting: Meeting, now: dt.datetime | None = None) -> None:
    """Raise AttendanceError unless people can be checked in to the meeting now."""
    now = now or timezone.now()
    if meeting.status == Meeting.Status.CANCELLED:
        raise AttendanceError(_("The meeting has been cancelled."))
    window = attendance_window(meeting)
    if meeting.status == Meeting.Status.TENTATIVE or window is None:
        raise AttendanceError(_("The meeting has no fixed date yet, so nobody can be checked in."))
    opens, closes = window
    if now < opens:
        raise AttendanceError(
            _("Check-in opens on the day of the meeting, %(day)s.")
            % {"day": date_format(timezone.localdate(meeting.starts_at), "DATE_FORMAT")}
        )
    if now > closes:
        raise AttendanceError(
            ngettext(
                "Check-in closed %(days)d day after the meeting ended.",
                "Check-in closed %(days)d days after the meeting ended.",
                ATTENDANCE_DAYS_AFTER,
            )
            % {"days": ATTENDANCE_DAYS_AFTER}
        )


def _lock_for_attendance(
    registration: Registration, meeting: Meeting | None, now: dt.datetime
) -> Registration:
    """The registration locked, after the checks both marking and undoing make. Two staff
    members at two doors tapping the same person queue on the row lock."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if meeting is not None and registration.meeting_id != meeting.pk:
        raise AttendanceError(_("This registration is for another meeting."))
    registration.meeting = Meeting.objects.get(pk=registration.meeting_id)
    attendance_check_open(registration.meeting, now)
    return registration


def attendance_mark(
    *,
    registration: Registration,
    by: User | None,
    meeting: Meeting | None = None,
    now: dt.datetime | None = None,
) -> tuple[Registration, bool]:
    """Mark a confirmed participant present, as `by` (the staff user at the door). Returns the
    registration and whether it changed: marking again keeps the first check-in. `meeting`,
    when given, is the meeting the check-in list is for; a registration of another one is
    refused. Mails nobody."""
    with transaction.atomic():
        now = now or timezone.now()
        registration = _lock_for_attendance(registration, meeting, now)
        if registration.status != Registration.Status.CONFIRMED:
            raise AttendanceError(
                _(
                    "Only people with a confirmed seat can be checked in; this registration "
                    "is: %(status)s."
                )
                % {"status": registration.get_status_display()}
            )
        if registration.attended_at is not None:
            return registration, False
        registration.attended_at = now
        registration.attended_by = by
        if by is not None:
            # The history names who checked the person in, also outside a request.
            registration._history_user = by
        registration.save(update_fields=["attended_at", "attended_by", "updated_at"])
    return registration, True


def attendance_undo(
    *,
    registration: Registration,
    by: User | None,
    meeting: Meeting | None = None,
    now: dt.datetime | None = None,
) -> tuple[Registration, bool]:
    """Take back a check-in made by mistake (the wrong person tapped), within the same window
    as checking in. Returns the registration and whether it changed."""
    with transaction.atomic():
        now = now or timezone.now()
        registration = _lock_for_attendance(registration, meeting, now)
        if registration.attended_at is None:
            return registration, False
        registration.attended_at = None
        registration.attended_by = None
        if by is not None:
            registration._history_user = by
        registration.save(update_fields=["attended_at", "attended_by", "updated_at"])
    return registration, True


@dataclass(frozen=True)
class WalkIn:
    """What checking in someone who came without a seat did, for the page to report."""

    registration: Registration
    # A contact person was added for the address.
    person_created: bool
    # What the registration's status was before; None for a new registration.
    status_before: str | None
    # The check-in is new (False: the person was already checked in).
    checked_in: bool


def attendance_walk_in(
    *,
    meeting: Meeting,
    name: str,
    email: str,
    municipality: Municipality,
    by: User | None,
    now: dt.datetime | None = None,
) -> WalkIn:
    """Check in someone who came to the door without a seat: find the contact person by the
    address, or add them, register them the way staff register people in the admin
    (`registration_staff_save`: late after the deadline, and confirmed over capacity in a full
    meeting, both recorded on the registration), and mark them present, all or nothing.

    Someone already confirmed is only checked in; someone on the waiting list is confirmed
    first. Raises AttendanceError when nobody can be checked in now, and ValidationError (by
    field) for a person who cannot be registered."""
    with transaction.atomic():
        locked = _lock(meeting)
        now = now or timezone.now()
        attendance_check_open(locked, now)
        person, person_created = contact_person_find_or_add(
            name=name, email=email, municipality=municipality
        )
        registration = (
            Registration.objects.active().filter(meeting=locked, contact_person=person).first()
        )
        status_before = registration.status if registration else None
        if registration is None:
            registration = Registration(meeting=locked, contact_person=person, created_at=now)
        if registration.status != Registration.Status.CONFIRMED or status_before is None:
            registration.meeting = locked
            registration_staff_save(
                registration=registration,
                status=Registration.Status.CONFIRMED,
                over_capacity=True,
                now=now,
            )
        registration, checked_in = attendance_mark(
            registration=registration, by=by, meeting=locked, now=now
        )
    return WalkIn(registration, person_created, status_before, checked_in)


# --- Mailings ----------------------------------------------------------------------------------


class MailingError(Exception):
    """A mailing that cannot be made or sent; `message` says why, for staff."""

    def __init__(self, message: "StrOrPromise") -> None:
        super().__init__(message)
        self.message = message


TRANSLATED_TEXT_FIELDS = ("subject_nb", "body_nb", "subject_en", "body_en")


def _check_texts(texts: dict[str, str]) -> None:
    for language in ("nb", "en"):
        if bool(texts.get(f"subject_{language}")) != bool(texts.get(f"body_{language}")):
            raise MailingError(_("Give both the subject and the text in a language, or neither."))
    for text in texts.values():
        try:
            invitations.placeholders_in(text)
        except invitations.UnknownPlaceholder as error:
            raise MailingError(
                _("Unknown placeholder {%(name)s}.") % {"name": error.args[0]}
            ) from error
        except ValueError as error:
            raise MailingError(_("A { or } in the text has no partner.")) from error


def mailing_create(
    *,
    meeting: Meeting,
    kind: str,
    subject: str,
    body: str,
    recipients: Sequence[invitations.Recipient],
    created_by: User | None = None,
    translations: dict[str, str] | None = None,
    reminder_days: int | None = None,
) -> Mailing:
    """A draft mailing with its recipients (each address once). Refuses an empty recipient
    list, unknown placeholders, and a subject without its text in Bokmål or English
    (`translations`: subject_nb, body_nb, subject_en, body_en)."""
    if not recipients:
        raise MailingError(_("The mailing has no recipients."))
    translations = {
        name: value
        for name, value in (translations or {}).items()
        if name in TRANSLATED_TEXT_FIELDS
    }
    _check_texts({"subject": subject, "body": body, **translations})
    with transaction.atomic():
        mailing = Mailing.objects.create(
            meeting=meeting,
            kind=kind,
            subject=subject,
            body=body,
            created_by=created_by,
            reminder_days=reminder_days,
            **translations,
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


def mailing_update_draft(*, mailing: Mailing, texts: dict[str, str]) -> Mailing:
    """Change a draft's texts (subject, body and the Bokmål and English ones). A mailing that
    was queued meanwhile is not changed: its recipients may already have it."""
    texts = {
        name: value
        for name, value in texts.items()
        if name in ("subject", "body", *TRANSLATED_TEXT_FIELDS)
    }
    stored = Mailing.objects.filter(pk=mailing.pk).values(*TRANSLATED_TEXT_FIELDS).first() or {}
    _check_texts({**stored, **texts})
    with transaction.atomic():
        locked = Mailing.objects.select_for_update().filter(pk=mailing.pk).first()
        if locked is None or not locked.is_draft:
            raise MailingError(_("This mailing has been sent and can no longer be changed."))
        for name, value in texts.items():
            setattr(locked, name, value)
        locked.full_clean(exclude=["meeting", "created_by"])
        locked.save(update_fields=list(texts))
    return locked


def mailing_delete_draft(*, mailing: Mailing) -> None:
    """Delete a draft and its recipients. A queued mailing is kept: it is the record of who
    was mailed, and its links must keep working."""
    with transaction.atomic():
        locked = Mailing.objects.select_for_update().filter(pk=mailing.pk).first()
        if locked is None:
            return
        if not locked.is_draft:
            raise MailingError(_("A mailing that has been sent cannot be deleted."))
        locked.delete()


def mailing_recipient_delete(*, recipient: MailingRecipient) -> None:
    """Take an address off a draft. A queued mailing keeps its recipients."""
    with transaction.atomic():
        mailing = Mailing.objects.select_for_update().filter(pk=recipient.mailing_id).first()
        if mailing is None or not mailing.is_draft:
            raise MailingError(_("A mailing that has been sent cannot be changed."))
        MailingRecipient.objects.filter(pk=recipient.pk).delete()


def mailing_send_test(*, mailing: Mailing, email: str, name: str = "") -> int:
    """Mail the mailing, in each of its languages, to one address (the staff member's own)
    through the outbox. Not part of the mailing: nobody is recorded as invited."""
    if not email:
        raise MailingError(_("Your user account has no e-mail address to send the test to."))
    mailing = Mailing.objects.select_related("meeting__series").get(pk=mailing.pk)
    with transaction.atomic():
        return emails.queue_mailing_test(mailing=mailing, email=email, name=name or email)


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


def invitation_decline(
    *, recipient: MailingRecipient, now: dt.datetime | None = None
) -> MailingRecipient:
    """Record "cannot attend" for an invited address. Idempotent."""
    MailingRecipient.objects.filter(pk=recipient.pk, declined_at__isnull=True).update(
        declined_at=now or timezone.now()
    )
    recipient.refresh_from_db(fields=["declined_at"])
    return recipient


def reminders_send(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Make and queue the reminders that are due. Safe to run every hour and in parallel:
    each reminder of a meeting's schedule is made once (a unique constraint makes sure of it),
    and so is the day-before reminder to participants. A meeting whose reminder fails is
    logged and counted as "failed"; the other meetings are still reminded."""
    now = now or timezone.now()
    made = {"reminder": 0, "participant_reminder": 0, "failed": 0}
    scheduled = Meeting.objects.filter(
        status=Meeting.Status.SCHEDULED, reminders_enabled=True, starts_at__gt=now
    ).select_related("series")
    invited = scheduled.filter(
        registration_deadline__gt=now,
        mailings__kind=Mailing.Kind.INVITATION,
        mailings__queued_at__isnull=False,
    ).distinct()
    schedules: dict[int, list[int]] = {}
    for meeting_id, days in MeetingReminder.objects.filter(meeting__in=invited).values_list(
        "meeting_id", "days_before"
    ):
        schedules.setdefault(meeting_id, []).append(days)
    for meeting in invited.filter(pk__in=list(schedules)):
        with _one_meeting(meeting, made):
            due = due_reminder_days(meeting, schedules[meeting.pk], now)
            if due is not None and _reminder(meeting, Mailing.Kind.REMINDER, now, days=due):
                made["reminder"] += 1
    # "The day before": from 36 hours ahead, so an hourly job never misses it.
    for meeting in scheduled.filter(starts_at__lte=now + dt.timedelta(hours=36)):
        with _one_meeting(meeting, made):
            if _reminder(meeting, Mailing.Kind.PARTICIPANT_REMINDER, now):
                made["participant_reminder"] += 1
    return made


def due_reminder_days(meeting: Meeting, schedule: list[int], now: dt.datetime) -> int | None:
    """The reminder of the schedule to send now, or None. Only the latest one that is due: a
    job that was down for a week sends one reminder, not three in a row; and a reminder is
    not due once a later one (fewer days before) went out."""
    sent = Mailing.objects.filter(meeting=meeting, kind=Mailing.Kind.REMINDER).values_list(
        "reminder_days", flat=True
    )
    deadline = meeting.registration_deadline
    if deadline is None:
        return None
    latest_sent = min((days for days in sent if days is not None), default=None)
    due = [
        days
        for days in schedule
        if now >= deadline - dt.timedelta(days=days) and (latest_sent is None or days < latest_sent)
    ]
    return min(due, default=None)


@contextlib.contextmanager
def _one_meeting(meeting: Meeting, made: dict[str, int]) -> Iterator[None]:
    """One meeting's reminder in a savepoint of its own: should it fail, it is undone,
    logged and counted, and the job goes on with the other meetings."""
    try:
        with transaction.atomic():
            yield
    except Exception:  # any failure: one meeting must not stop the reminders of all others
        logger.exception("Reminder for meeting %s failed", meeting.pk)
        made["failed"] += 1


def _reminder(meeting: Meeting, kind: str, now: dt.datetime, *, days: int | None = None) -> bool:
    """Make and queue one reminder. Those who have not answered are counted when it is made,
    so people invited after an earlier reminder went out are in the next one."""
    if Mailing.objects.filter(meeting=meeting, kind=kind, reminder_days=days).exists():
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
    texts = emails.default_mailing_texts(meeting, kind)
    try:
        with transaction.atomic():
            mailing = mailing_create(
                meeting=meeting,
                kind=kind,
                subject=texts.pop("subject"),
                body=texts.pop("body"),
                recipients=recipients,
                translations=texts,
                reminder_days=days,
            )
            mailing_send(mailing=mailing, now=now)
    except IntegrityError:
        # Another run made it at the same moment.
        return False
    return True


def mailing_retry_failed(*, mailings: Iterable[Mailing]) -> int:
    """Queue the failed deliveries of sent mailings again, with a fresh count of attempts."""
    ids = [m.pk for m in mailings if m.queued_at is not None]
    count = MailingRecipient.objects.filter(
        mailing_id__in=ids, status=MailingRecipient.Status.FAILED
    ).update(status=MailingRecipient.Status.QUEUED, attempts=0, next_attempt_at=None)
    for mailing_id in ids:
        transaction.on_commit(functools.partial(tasks.send_mailing.enqueue, mailing_id))
    return count
