"""The minutes (referat) of a meeting: written by county staff in Markdown in the admin,
shown on the meeting page once published, and mailed about to the participants once.

Markdown lets raw HTML through, so what Python-Markdown makes is sanitised with nh3 (the
Rust sanitiser ammonia) to a short list of tags and attributes: no scripts, no event
handlers, no styles, links only to http, https and mailto addresses, each marked
rel="nofollow noopener". A staff account is a way in for whoever takes it over; its text
must not become script on every member's page.
"""

import datetime as dt
from typing import TYPE_CHECKING

import markdown
import nh3
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from members.models import ContactPerson
from outbox.services import email_queue

from .models import Meeting, Registration

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "b",
    "i",
    "del",
    "sub",
    "sup",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "a",
    "blockquote",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"scope"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener"


class MinutesError(Exception):
    def __init__(self, message: "StrOrPromise") -> None:
        super().__init__(message)
        self.message = message


def render_minutes(text: str) -> SafeString:
    """The minutes as safe HTML. Headings start at level 3: the page has its title (h1) and
    the minutes' own heading (h2) above them."""
    html = markdown.markdown(
        text,
        extensions=["sane_lists", "tables", "toc"],
        extension_configs={"toc": {"baselevel": 3}},
        output_format="html",
    )
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
    )
    # Sanitised by nh3 to the tags and attributes above.
    return mark_safe(cleaned)  # noqa: S308


def minutes_publish(*, meeting: Meeting, now: dt.datetime | None = None) -> int:
    """Show the minutes on the meeting page and, the first time, write to the outbox an
    e-mail to each participant (confirmed registrations), in their language, with a link to
    the page. Returns how many were mailed: 0 when the participants were told before, so
    publishing again, or twice at once, mails nobody twice."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().select_related("series").get(pk=meeting.pk)
        if not locked.minutes_markdown.strip():
            raise MinutesError(_("Write the minutes before publishing them."))
        updates = {}
        if locked.minutes_published_at is None:
            updates["minutes_published_at"] = now
        messages = []
        if locked.minutes_mailed_at is None:
            updates["minutes_mailed_at"] = now
            messages = [_minutes_email(locked, person) for person in _participants(locked)]
            email_queue(messages=messages, kind="meeting.minutes")
        if updates:
            # Not through save(): the meeting's calendar SEQUENCE and history are not about
            # the minutes being published.
            Meeting.objects.filter(pk=locked.pk).update(**updates)
    for name, value in updates.items():
        setattr(meeting, name, value)
    return len(messages)


def minutes_unpublish(*, meeting: Meeting) -> bool:
    """Take the minutes off the meeting page. Returns whether they were published."""
    changed = Meeting.objects.filter(pk=meeting.pk, minutes_published_at__isnull=False).update(
        minutes_published_at=None
    )
    meeting.minutes_published_at = None
    return bool(changed)


def _participants(meeting: Meeting) -> list[ContactPerson]:
    """The people with a seat at the meeting, each address once."""
    people = (
        ContactPerson.objects.filter(
            registrations__meeting=meeting,
            registrations__status=Registration.Status.CONFIRMED,
            anonymised_at__isnull=True,
        )
        .exclude(email="")
        .annotate(address=Lower("email"))
        .order_by("address", "pk")
        .distinct()
    )
    seen: set[str] = set()
    unique: list[ContactPerson] = []
    for person in people:
        if person.address not in seen:
            seen.add(person.address)
            unique.append(person)
    return unique


def _minutes_email(meeting: Meeting, person: ContactPerson) -> EmailMultiAlternatives:
    with translation.override(person.preferred_language or settings.LANGUAGE_CODE):
        context = {
            "meeting": meeting,
            "name": person.name or person.email,
            "meeting_url": settings.SITE_URL + meeting.get_absolute_url() + "#minutes-heading",
        }
        message = EmailMultiAlternatives(
            subject=" ".join(
                render_to_string("meetings/email/minutes_subject.txt", context).split()
            ),
            body=render_to_string("meetings/email/minutes.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[person.email],
            reply_to=[meeting.series.organiser_email] if meeting.series.organiser_email else None,
        )
        message.attach_alternative(
            render_to_string("meetings/email/minutes.html", context), "text/html"
        )
    return message
