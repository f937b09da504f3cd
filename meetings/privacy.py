"""Meetings' part of people's data (see members.privacy): registrations with their answers,
the invitations and reminders a person received, their answers to date polls and the files
they uploaded to meetings. Registered in MeetingsConfig.ready()."""

import contextlib
import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from members.privacy import DataSubject, PersonalDataProvider, iso, log_entries_redact

from .models import DatePollAnswer, MailingRecipient, Material, Meeting, Registration
from .services import RegistrationClosed, registration_cancel

ANSWER_FIELDS = ("dietary_needs", "comment")


def _recipients_of(subject: DataSubject) -> QuerySet[MailingRecipient]:
    match = Q()
    if subject.person is not None:
        match |= Q(contact_person=subject.person)
    for address in subject.addresses:
        match |= Q(email__iexact=address)
    if not match:
        return MailingRecipient.objects.none()
    return MailingRecipient.objects.filter(match)


def meetings_with_expired_answers(*, now: dt.datetime) -> QuerySet[Meeting]:
    """Meetings that ended (or, without an end, started) at least
    REGISTRATION_ANSWERS_RETENTION_DAYS ago: their registrations' answers are no longer kept."""
    # Calendar days: the same wall-clock time N days later, also across a change to or from
    # summer time (arithmetic on a local time keeps the wall clock).
    cutoff = timezone.localtime(now) - dt.timedelta(
        days=settings.REGISTRATION_ANSWERS_RETENTION_DAYS
    )
    return (
        Meeting.objects.annotate(ended_at=Coalesce("ends_at", "starts_at"))
        .filter(ended_at__lte=cutoff)
        .order_by("ended_at", "pk")
    )


def _with_answers(queryset: QuerySet) -> QuerySet:
    return queryset.exclude(dietary_needs="", comment="")


class MeetingsPersonalData(PersonalDataProvider):
    def export(self, subject):
        registrations = []
        if subject.person is not None:
            registrations = list(
                Registration.objects.filter(contact_person=subject.person)
                .select_related("meeting")
                .order_by("created_at", "pk")
            )
        versions = defaultdict(list)
        for version in Registration.history.filter(id__in=[r.pk for r in registrations]).order_by(
            "history_date", "history_id"
        ):
            versions[version.id].append(
                {
                    "changed_at": iso(version.history_date),
                    "change": version.get_history_type_display(),
                    "status": version.status,
                    "attendance_mode": version.attendance_mode,
                    "dietary_needs": version.dietary_needs,
                    "comment": version.comment,
                }
            )
        recipients = (
            _recipients_of(subject)
            .select_related("mailing__meeting")
            .order_by("mailing__created_at", "pk")
        )
        voter = Q(recipient__in=recipients)
        if subject.person is not None:
            voter |= Q(contact_person=subject.person)
        poll_answers = (
            DatePollAnswer.objects.filter(voter)
            .select_related("candidate__poll__meeting")
            .order_by("candidate__starts_at", "pk")
        )
        uploaded = (
            Material.objects.filter(uploaded_by=subject.user)
            .select_related("meeting")
            .order_by("uploaded_at", "pk")
            if subject.user is not None
            else []
        )
        return {
            # The files themselves are downloaded from the meeting's page.
            "materials_uploaded": [
                {
                    "meeting": material.meeting.title,
                    "title": material.title,
                    "filename": material.filename,
                    "size": material.size,
                    "visibility": material.visibility,
                    "hidden": material.hidden,
                    "uploaded_at": iso(material.uploaded_at),
                }
                for material in uploaded
            ],
            "date_poll_answers": [
                {
                    "meeting": answer.candidate.poll.meeting.title,
                    "candidate_starts_at": iso(answer.candidate.starts_at),
                    "candidate_ends_at": iso(answer.candidate.ends_at),
                    "answer": answer.answer,
                    "answered_through_link": answer.recipient_id is not None,
                    "updated_at": iso(answer.updated_at),
                }
                for answer in poll_answers
            ],
            "registrations": [
                {
                    "meeting": registration.meeting.title,
                    "meeting_starts_at": iso(registration.meeting.starts_at),
                    "status": registration.status,
                    "attendance_mode": registration.attendance_mode,
                    "dietary_needs": registration.dietary_needs,
                    "comment": registration.comment,
                    "presenting_project_idea": registration.presenting_project_idea,
                    "is_late": registration.is_late,
                    "registered_at": iso(registration.created_at),
                    "queued_at": iso(registration.queued_at),
                    "updated_at": iso(registration.updated_at),
                    "cancelled_at": iso(registration.cancelled_at),
                    "attended_at": iso(registration.attended_at),
                    "history": versions[registration.pk],
                }
                for registration in registrations
            ],
            "invitations": [
                {
                    "meeting": recipient.mailing.meeting.title,
                    "kind": recipient.mailing.kind,
                    "email": recipient.email,
                    "name": recipient.name,
                    "status": recipient.status,
                    "sent_at": iso(recipient.sent_at),
                    "declined_at": iso(recipient.declined_at),
                }
                for recipient in recipients
            ],
        }

    def anonymise(self, subject, *, now):
        person = subject.person
        if person is not None:
            registrations = Registration.objects.filter(contact_person=person)
            # A seat the person will not use goes to the waiting list, as on any cancellation.
            for registration in (
                registrations.active()
                .exclude(meeting__status=Meeting.Status.HELD)
                .filter(Q(meeting__starts_at__isnull=True) | Q(meeting__starts_at__gt=now))
                .select_related("meeting", "contact_person")
            ):
                # One that started meanwhile stays; its answers are cleared below.
                with contextlib.suppress(RegistrationClosed):
                    registration_cancel(registration=registration, actor=person, now=now)
            # Registrations stay, counted per municipality, but without the person's answers.
            _with_answers(registrations).update(dietary_needs="", comment="")
            _with_answers(Registration.history.filter(contact_person_id=person.pk)).update(
                dietary_needs="", comment=""
            )
            log_entries_redact(model=Registration, pks=registrations.values_list("pk", flat=True))
        recipients = _recipients_of(subject)
        # Not yet delivered: nothing to keep, and nothing must go out any more.
        recipients.filter(sent_at__isnull=True).delete()
        recipients.exclude(email__startswith="anonymised-").update(
            name="",
            email=Concat(
                Value("anonymised-recipient-"),
                Cast("pk", CharField()),
                Value("@anonymised.invalid"),
            ),
            last_error="",
        )

    def active_contact_persons(self, since):
        # A registration made or changed since, or for a meeting held since or still ahead;
        # an invitation declined since.
        return [
            Registration.objects.filter(
                Q(updated_at__gte=since) | Q(meeting__starts_at__gte=since)
            ).values_list("contact_person_id", flat=True),
            MailingRecipient.objects.filter(
                declined_at__gte=since, contact_person__isnull=False
            ).values_list("contact_person_id", flat=True),
        ]

    def purge(self, *, now, dry_run):
        lines = []
        for meeting in meetings_with_expired_answers(now=now):
            current = _with_answers(Registration.objects.filter(meeting=meeting))
            versions = _with_answers(Registration.history.filter(meeting_id=meeting.pk))
            count = current.count()
            if not count and not versions.exists():
                continue
            ended = meeting.ends_at or meeting.starts_at
            lines.append(
                f"Clear dietary needs and comments of {count} registration(s) for meeting "
                f"#{meeting.pk} {meeting.title!r} (ended {iso(ended)})"
            )
            if not dry_run:
                current.update(dietary_needs="", comment="")
                versions.update(dietary_needs="", comment="")
        return lines
