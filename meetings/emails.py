"""E-mails to registrants, rendered in the recipient's language and written to the outbox in
the transaction of the change they report: a rolled-back transaction mails nobody, and an
SMTP outage only delays them (the outbox worker delivers and retries)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from outbox.services import email_queue

from . import ics
from .invitations import fill_placeholders, recipient_token
from .models import AgendaItem, Mailing, MailingRecipient, Meeting, Registration
from .permissions import online_link_visible
from .templatetags.meeting_tags import local_datetime, meeting_when

# kind -> whether the message carries the person's calendar entry for the meeting. On the
# waiting list it is TENTATIVE, as in the person's feed, so the time is held until the
# promotion's CONFIRMED entry replaces it; a cancellation carries it CANCELLED, so the entry
# the person added from an earlier e-mail is cancelled too.
REGISTRATION_EMAILS = {
    "confirmed": True,
    "waitlisted": True,
    "promoted": True,
    "cancelled": True,
    # County staff took the person off their seat and put them on the waiting list.
    "moved_to_waitlist": True,
}


def queue_registration_email(registration_id: int, kind: str) -> None:
    """Write one of the registration e-mails to the outbox; call inside the transaction that
    made the change."""
    registration = (
        Registration.objects.select_related("meeting__series", "contact_person")
        .with_waitlist_position()
        .with_calendar_sequence()
        .get(pk=registration_id)
    )
    email_queue(
        messages=[build_registration_email(registration, kind)], kind=f"registration.{kind}"
    )


def build_registration_email(registration: Registration, kind: str) -> EmailMultiAlternatives:
    return _build(
        "meetings/email/registration",
        registration,
        {"kind": kind},
        attach_calendar=REGISTRATION_EMAILS[kind],
    )


def queue_meeting_changed_emails(meeting_id: int, changes: list[str]) -> int:
    """Write to the outbox, for everyone registered, that the meeting got its date, moved,
    changed place or was cancelled, with the updated calendar entry. Returns how many."""
    meeting = (
        Meeting.objects.select_related("series")
        .prefetch_related(
            Prefetch("agenda_items", queryset=AgendaItem.objects.order_by("order", "pk"))
        )
        .get(pk=meeting_id)
    )
    registrations = (
        Registration.objects.active()
        .filter(meeting=meeting)
        .select_related("contact_person")
        .with_calendar_sequence()
        .order_by("pk")
    )
    messages = []
    for registration in registrations:
        registration.meeting = meeting
        messages.append(build_meeting_changed_email(registration, changes))
    email_queue(messages=messages, kind="meeting.changed")
    return len(messages)


def build_meeting_changed_email(
    registration: Registration, changes: list[str]
) -> EmailMultiAlternatives:
    return _build(
        "meetings/email/meeting_changed", registration, {"changes": changes}, attach_calendar=True
    )


def _build(
    template_prefix: str, registration: Registration, extra: dict, *, attach_calendar: bool
) -> EmailMultiAlternatives:
    """A message to a registrant. With `attach_calendar`, the registration must come from a
    queryset `with_calendar_sequence()`: the entry is the person's, as in their feed."""
    person = registration.contact_person
    meeting = registration.meeting
    attach_calendar = attach_calendar and meeting.starts_at is not None
    with translation.override(person.preferred_language):
        context = {
            "registration": registration,
            "meeting": meeting,
            "person": person,
            "meeting_url": settings.SITE_URL + meeting.get_absolute_url(),
            "my_meetings_url": settings.SITE_URL + reverse("my_meetings"),
            "calendar_attached": attach_calendar,
            "online_link": meeting.online_url
            if online_link_visible(registration_status=registration.status)
            else "",
            **extra,
        }
        subject = render_to_string(f"{template_prefix}_subject.txt", context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=render_to_string(f"{template_prefix}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[person.email],
            reply_to=[meeting.series.organiser_email] if meeting.series.organiser_email else None,
        )
        message.attach_alternative(
            render_to_string(f"{template_prefix}.html", context), "text/html"
        )
        if attach_calendar:
            calendar = ics.meeting_calendar(
                meeting,
                language=person.preferred_language,
                stamp=meeting.updated_at,
                registration_status=registration.status,
                sequence_offset=registration.person_calendar_sequence,
            )
            # Django adds the charset parameter itself; method must match the body's METHOD.
            message.attach(ics.meeting_filename(meeting), calendar, "text/calendar; method=PUBLISH")
    return message


# --- Mailings (invitations and reminders) -----------------------------------------------------


def default_mailing_text(meeting: Meeting, kind: str) -> tuple[str, str]:
    """The subject and body a new mailing starts from, in Nynorsk: the county's language."""
    with translation.override("nn"):
        if kind == Mailing.Kind.INVITATION:
            subject = _("Invitation: {meeting}")
            body = _(
                "Hello {name},\n\n"
                "The county council invites you to {meeting}.\n\n"
                "When: {when}\n"
                "Where: {place}\n"
                "Registration deadline: {deadline}\n\n"
                "Register with your personal link:\n{link}\n\n"
                "If nobody from your municipality can attend, please tell us:\n{decline_link}\n\n"
                "Best regards,\n"
            )
        elif kind == Mailing.Kind.REMINDER:
            subject = _("Reminder: {meeting}")
            body = _(
                "Hello {name},\n\n"
                "We have not heard from you about {meeting} ({when}, {place}). "
                "Registration closes {deadline}.\n\n"
                "Register with your personal link:\n{link}\n\n"
                "If nobody from your municipality can attend, please tell us:\n{decline_link}\n\n"
                "Best regards,\n"
            )
        else:
            subject = _("Tomorrow: {meeting}")
            body = _(
                "Hello {name},\n\n"
                "Welcome to {meeting} tomorrow.\n\n"
                "When: {when}\n"
                "Where: {place}\n\n"
                "The calendar entry is attached. If you cannot come after all, please cancel "
                "your registration so that someone on the waiting list gets your seat:\n{link}\n\n"
                "Best regards,\n"
            )
        return str(subject), str(body) + meeting.series.organiser_name


def mailing_values(recipient: MailingRecipient, *, language: str = "nn") -> dict[str, str]:
    """What each placeholder stands for, for one recipient."""
    # Imported here: the poll's services write through `services`, which imports this module.
    from .polls import poll_link

    meeting = recipient.mailing.meeting
    token = recipient_token(recipient)
    with translation.override(language):
        return {
            "name": recipient.name or recipient.email,
            "meeting": meeting.title,
            "when": meeting_when(meeting),
            "place": ics.meeting_location(meeting) or _("to be announced"),
            "deadline": local_datetime(meeting.registration_deadline)
            if meeting.registration_deadline
            else _("no deadline"),
            "link": settings.SITE_URL + reverse("invitation", kwargs={"token": token}),
            "decline_link": settings.SITE_URL
            + reverse("invitation_decline", kwargs={"token": token}),
            "poll_link": poll_link(recipient),
        }


def build_mailing_email(recipient: MailingRecipient) -> EmailMultiAlternatives:
    """The e-mail one recipient gets. Staff write the text, so it is sent as written; the HTML
    part escapes it and turns addresses into links."""
    mailing = recipient.mailing
    meeting = mailing.meeting
    language = recipient.contact_person.preferred_language if recipient.contact_person else "nn"
    values = mailing_values(recipient, language=language)
    body = fill_placeholders(mailing.body, values)
    message = EmailMultiAlternatives(
        subject=" ".join(fill_placeholders(mailing.subject, values).split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        reply_to=[meeting.series.organiser_email] if meeting.series.organiser_email else None,
    )
    with translation.override(language):
        message.attach_alternative(
            render_to_string("meetings/email/mailing.html", {"body": body}), "text/html"
        )
        if mailing.kind == Mailing.Kind.PARTICIPANT_REMINDER and meeting.starts_at is not None:
            registration = _participant_registration(recipient)
            # Someone who cancelled since the reminder was made got a CANCELLED entry; a fresh
            # entry would contradict it.
            if registration is not None:
                calendar = ics.meeting_calendar(
                    meeting,
                    language=language,
                    stamp=meeting.updated_at,
                    registration_status=registration.status,
                    sequence_offset=registration.person_calendar_sequence,
                )
                message.attach(
                    ics.meeting_filename(meeting), calendar, "text/calendar; method=PUBLISH"
                )
    return message


def _participant_registration(recipient: MailingRecipient) -> Registration | None:
    if recipient.contact_person_id is None:
        return None
    return (
        Registration.objects.active()
        .filter(
            meeting_id=recipient.mailing.meeting_id, contact_person_id=recipient.contact_person_id
        )
        .with_calendar_sequence()
        .first()
    )
