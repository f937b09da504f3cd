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


MAILING_LANGUAGES = ("nn", "nb", "en")
# The placeholders that are the same for every recipient of a mailing.
MEETING_PLACEHOLDERS = ("meeting", "when", "place", "deadline")


def default_mailing_text(meeting: Meeting, kind: str, *, language: str = "nn") -> tuple[str, str]:
    """The subject and body a mailing starts from, in the given language (Nynorsk, the
    county's language, unless told otherwise)."""
    with translation.override(language):
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
        return str(subject), str(body) + meeting.series.signature


def default_mailing_texts(meeting: Meeting, kind: str) -> dict[str, str]:
    """The default texts in every language, as Mailing field values (subject, subject_nb...)."""
    fields = {}
    for language in MAILING_LANGUAGES:
        suffix = "" if language == "nn" else f"_{language}"
        fields[f"subject{suffix}"], fields[f"body{suffix}"] = default_mailing_text(
            meeting, kind, language=language
        )
    return fields


def recipient_language(recipient: MailingRecipient) -> str:
    """A contact person's preferred language; an official mailbox has none: Nynorsk."""
    person = recipient.contact_person
    if person is not None and person.preferred_language in MAILING_LANGUAGES:
        return person.preferred_language
    return "nn"


def meeting_values(meeting: Meeting, *, language: str = "nn") -> dict[str, str]:
    """What the placeholders that are the same for every recipient stand for."""
    with translation.override(language):
        return {
            "meeting": meeting.title,
            "when": meeting_when(meeting),
            "place": ics.meeting_location(meeting) or _("to be announced"),
            "deadline": local_datetime(meeting.registration_deadline)
            if meeting.registration_deadline
            else _("no deadline"),
        }


def mailing_values(recipient: MailingRecipient, *, language: str = "nn") -> dict[str, str]:
    """What each placeholder stands for, for one recipient."""
    # Imported here: the poll's services write through `services`, which imports this module.
    from .polls import poll_link

    meeting = recipient.mailing.meeting
    token = recipient_token(recipient)
    return {
        **meeting_values(meeting, language=language),
        "name": recipient.name or recipient.email,
        "link": settings.SITE_URL + reverse("invitation", kwargs={"token": token}),
        "decline_link": settings.SITE_URL + reverse("invitation_decline", kwargs={"token": token}),
        "poll_link": poll_link(recipient),
    }


class _KeepUnknown(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def mailing_display_subject(mailing: Mailing) -> str:
    """The subject with the meeting's details filled in, in Nynorsk; personal placeholders
    such as {name} stay as written."""
    values = _KeepUnknown(
        (name, value)
        for name, value in meeting_values(mailing.meeting).items()
        if name in MEETING_PLACEHOLDERS
    )
    try:
        return " ".join(mailing.subject.format_map(values).split())
    except (ValueError, KeyError, IndexError, AttributeError):
        # A subject the form would refuse; shown as written rather than failing the page.
        return mailing.subject


def render_mailing(recipient: MailingRecipient, *, language: str | None = None) -> tuple[str, str]:
    """The subject and body one recipient gets, in their language unless one is given."""
    language = language or recipient_language(recipient)
    subject, body = recipient.mailing.texts(language)
    values = mailing_values(recipient, language=language)
    body = fill_placeholders(body, values)
    extra = _participant_extra(recipient, language)
    if extra:
        body = body.rstrip("\n") + "\n\n" + extra + "\n"
    return " ".join(fill_placeholders(subject, values).split()), body


def _participant_extra(recipient: MailingRecipient, language: str) -> str:
    """The day-before reminder tells those attending online where to join: the link is
    theirs as registered participants (permissions.online_link_visible)."""
    mailing = recipient.mailing
    meeting = mailing.meeting
    if mailing.kind != Mailing.Kind.PARTICIPANT_REMINDER or not meeting.online_url:
        return ""
    registration = _participant_registration(recipient)
    if (
        registration is None
        or registration.attendance_mode != Registration.AttendanceMode.ONLINE
        or not online_link_visible(registration_status=registration.status)
    ):
        return ""
    with translation.override(language):
        return _("Join the meeting online:\n%(link)s") % {"link": meeting.online_url}


def build_mailing_email(
    recipient: MailingRecipient, *, language: str | None = None
) -> EmailMultiAlternatives:
    """The e-mail one recipient gets. Staff write the text, so it is sent as written; the HTML
    part escapes it and turns addresses into links."""
    mailing = recipient.mailing
    meeting = mailing.meeting
    language = language or recipient_language(recipient)
    subject, body = render_mailing(recipient, language=language)
    message = EmailMultiAlternatives(
        subject=subject,
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


def queue_mailing_test(*, mailing: Mailing, email: str, name: str) -> int:
    """Write the mailing, in each of its languages, to the outbox for one address: staff see
    what recipients will get. The personal links in it lead nowhere. Returns how many."""
    messages = []
    for language in MAILING_LANGUAGES:
        if language != "nn" and mailing.texts(language) == (mailing.subject, mailing.body):
            continue
        sample = MailingRecipient(mailing=mailing, email=email, name=name)
        message = build_mailing_email(sample, language=language)
        with translation.override(language):
            message.subject = _("[Test] %(subject)s") % {"subject": message.subject}
        messages.append(message)
    email_queue(messages=messages, kind="mailing.test")
    return len(messages)


def _participant_registration(recipient: MailingRecipient) -> Registration | None:
    # Kept on the recipient: the body and the calendar entry both need it.
    if not hasattr(recipient, "_participant_registration"):
        recipient._participant_registration = (
            None
            if recipient.contact_person_id is None
            else Registration.objects.active()
            .filter(
                meeting_id=recipient.mailing.meeting_id,
                contact_person_id=recipient.contact_person_id,
            )
            .with_calendar_sequence()
            .first()
        )
    return recipient._participant_registration
