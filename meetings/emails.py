"""E-mails to registrants. Rendered in the recipient's language and sent after commit, so a
rolled-back transaction never mails anyone; a mail that cannot be sent is logged and never
undoes the registration or the change behind it."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from . import ics
from .models import AgendaItem, Meeting, Registration

logger = logging.getLogger(__name__)

# kind -> whether the message carries the meeting's calendar entry
REGISTRATION_EMAILS = {
    "confirmed": True,
    "waitlisted": False,
    "promoted": True,
    "cancelled": False,
}


def send_registration_email(registration_id: int, kind: str) -> bool:
    """Send one of the registration e-mails; True when it went out."""
    try:
        registration = (
            Registration.objects.select_related("meeting__series", "contact_person")
            .with_waitlist_position()
            .get(pk=registration_id)
        )
        build_registration_email(registration, kind).send()
    except Exception:  # any SMTP, network or rendering failure: log, never propagate
        logger.exception("Could not send the %s e-mail for registration %s", kind, registration_id)
        return False
    return True


def build_registration_email(registration: Registration, kind: str) -> EmailMultiAlternatives:
    return _build(
        "meetings/email/registration",
        registration,
        {"kind": kind},
        attach_calendar=REGISTRATION_EMAILS[kind],
    )


def send_meeting_changed_emails(meeting_id: int, changes: list[str]) -> int:
    """Tell everyone registered that the meeting got its date, moved, changed place or was
    cancelled, with the updated calendar entry. Returns how many were sent."""
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
        .order_by("pk")
    )
    sent = 0
    # One SMTP connection for the whole batch.
    with get_connection() as connection:
        for registration in registrations:
            registration.meeting = meeting
            try:
                message = build_meeting_changed_email(registration, changes)
                message.connection = connection
                message.send()
            except Exception:  # one failed recipient must not stop the rest
                logger.exception(
                    "Could not send the change notice for meeting %s to registration %s",
                    meeting_id,
                    registration.pk,
                )
            else:
                sent += 1
    return sent


def build_meeting_changed_email(
    registration: Registration, changes: list[str]
) -> EmailMultiAlternatives:
    return _build(
        "meetings/email/meeting_changed", registration, {"changes": changes}, attach_calendar=True
    )


def _build(
    template_prefix: str, registration: Registration, extra: dict, *, attach_calendar: bool
) -> EmailMultiAlternatives:
    person = registration.contact_person
    meeting = registration.meeting
    with translation.override(person.preferred_language):
        context = {
            "registration": registration,
            "meeting": meeting,
            "person": person,
            "meeting_url": settings.SITE_URL + meeting.get_absolute_url(),
            "my_meetings_url": settings.SITE_URL + reverse("my_meetings"),
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
        if attach_calendar and meeting.starts_at is not None:
            calendar = ics.meeting_calendar(
                meeting, language=person.preferred_language, stamp=meeting.updated_at
            )
            # Django adds the charset parameter itself; method must match the body's METHOD.
            message.attach(ics.meeting_filename(meeting), calendar, "text/calendar; method=PUBLISH")
    return message
