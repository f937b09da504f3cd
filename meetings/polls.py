"""Date polls for tentative meetings: the reads and writes, the personal poll links and the
e-mail that tells everyone who answered which date was picked.

Who may answer: contact persons of member municipalities, signed in, and invited addresses
through their personal poll link (an official mailbox has no account). Each voice answers
every candidate date yes, if need be or no, and may change its answers until the poll closes.
What matters in the network is coverage, so staff see, per candidate, how many municipalities
have at least one yes.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from members.models import ContactPerson
from members.permissions import is_linked_member
from outbox.services import email_queue

from . import ics, invitations, services
from .models import (
    DatePoll,
    DatePollAnswer,
    DatePollCandidate,
    MailingRecipient,
    Meeting,
    Registration,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

POLL_TOKEN_SALT = "meetings.poll"  # noqa: S105 - a signing namespace, not a secret

Answer = DatePollAnswer.Answer


class PollClosed(Exception):
    """The poll takes no answers or choices now; `message` says why, for the person."""

    def __init__(self, message: "StrOrPromise") -> None:
        super().__init__(message)
        self.message = message


# --- Personal links ----------------------------------------------------------------------------


def poll_token(recipient: MailingRecipient) -> str:
    """A signed token naming one invited address, for its poll link. Salted apart from the
    invitation's token, so neither link can stand for the other."""
    return signing.Signer(salt=POLL_TOKEN_SALT).sign_object(
        [recipient.pk, invitations._address_digest(recipient.email)]
    )


def poll_link(recipient: MailingRecipient) -> str:
    return settings.SITE_URL + reverse("poll_link", kwargs={"token": poll_token(recipient)})


def recipient_from_poll_token(token: str) -> MailingRecipient | None:
    """The recipient a poll token names, or None for a forged, altered or stale token."""
    try:
        pk, digest = signing.Signer(salt=POLL_TOKEN_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(pk, int) or not isinstance(digest, str):
        return None
    recipient = (
        MailingRecipient.objects.select_related("mailing__meeting", "contact_person")
        .filter(pk=pk, mailing__queued_at__isnull=False)
        .first()
    )
    if recipient is None or invitations._address_digest(recipient.email) != digest:
        return None
    return recipient


def voting_recipient(recipient: MailingRecipient) -> MailingRecipient:
    """The recipient an address's answers are kept under: its first one among the meeting's
    mailings, so an address that got the invitation and a reminder has one voice. A member's
    personal address answers as the member (see _voice)."""
    first = (
        MailingRecipient.objects.select_related("contact_person__municipality")
        .filter(
            mailing__meeting_id=recipient.mailing.meeting_id,
            mailing__queued_at__isnull=False,
        )
        .annotate(address=Lower("email"))
        .filter(address=recipient.email.lower())
        .order_by("pk")
        .first()
    )
    return first or recipient


# --- Reads -------------------------------------------------------------------------------------


def with_open_poll(meetings, now: dt.datetime | None = None):
    """Annotate `has_open_poll` on meetings, in the same query."""
    now = now or timezone.now()
    return meetings.annotate(
        has_open_poll=Exists(
            DatePoll.objects.filter(
                meeting=OuterRef("pk"), closed_at__isnull=True, closes_at__gt=now
            )
        )
    )


def can_answer_as_member(person: ContactPerson | None) -> bool:
    """Contact persons of the network's member municipalities answer signed in."""
    return bool(
        is_linked_member(person)
        and person.municipality is not None
        and person.municipality.member_since is not None
    )


@dataclass
class CandidateRow:
    candidate: DatePollCandidate
    counts: dict = field(default_factory=lambda: dict.fromkeys(Answer.values, 0))
    # Names by answer; filled only for viewers who may see them.
    names: dict = field(default_factory=lambda: {a: [] for a in Answer.values})
    municipalities_with_yes: set = field(default_factory=set)

    @property
    def yes(self) -> int:
        return self.counts[Answer.YES]

    @property
    def if_need_be(self) -> int:
        return self.counts[Answer.IF_NEED_BE]

    @property
    def no(self) -> int:
        return self.counts[Answer.NO]

    @property
    def coverage(self) -> int:
        return len(self.municipalities_with_yes)

    @property
    def named(self) -> list[tuple["StrOrPromise", list[str]]]:
        labels = dict(Answer.choices)
        return [(labels[a], self.names[a]) for a in Answer.values]


def poll_grid(poll: DatePoll, *, with_names: bool) -> list[CandidateRow]:
    """Every candidate with its answers counted, in date order. Two queries, however many
    candidates and answers; names only `with_names` (linked members and staff)."""
    rows = {c.pk: CandidateRow(c) for c in poll.candidates.order_by("starts_at", "pk")}
    answers = DatePollAnswer.objects.filter(candidate__poll=poll).order_by("pk")
    if with_names:
        answers = answers.select_related("contact_person", "recipient").only(
            "candidate_id",
            "answer",
            "contact_person__name",
            "contact_person__municipality_id",
            "recipient__name",
            "recipient__email",
            "recipient__municipality_id",
        )
        for answer in answers:
            row = rows[answer.candidate_id]
            row.counts[answer.answer] += 1
            voter = answer.contact_person or answer.recipient
            # datepollanswer_one_voter: every answer has exactly one of the two.
            assert voter is not None
            row.names[answer.answer].append(voter.name or getattr(voter, "email", ""))
            if answer.answer == Answer.YES and voter.municipality_id is not None:
                row.municipalities_with_yes.add(voter.municipality_id)
    else:
        counted = answers.order_by().values("candidate_id", "answer").annotate(n=Count("pk"))
        for item in counted:
            rows[item["candidate_id"]].counts[item["answer"]] = item["n"]
    for row in rows.values():
        for names in row.names.values():
            names.sort(key=str.casefold)
    return list(rows.values())


def poll_results(poll: DatePoll) -> list[CandidateRow]:
    """The candidates for staff, best first: most municipalities with a yes, then most yes,
    then most if need be, then the earliest."""
    return sorted(
        poll_grid(poll, with_names=True),
        key=lambda row: (-row.coverage, -row.yes, -row.if_need_be, row.candidate.starts_at),
    )


def _voice(person: ContactPerson | None, recipient: MailingRecipient | None) -> dict[str, Any]:
    """Whose voice answers are kept as. A personal link of a contact person who may answer
    signed in is that person's voice: one person who answers by both roads counts once."""
    if recipient is not None and can_answer_as_member(recipient.contact_person):
        return {"contact_person": recipient.contact_person}
    return {"contact_person": person} if person is not None else {"recipient": recipient}


def answers_of(poll: DatePoll, *, person=None, recipient=None) -> dict[int, str]:
    """A voter's answers, by candidate id."""
    return dict(
        DatePollAnswer.objects.filter(
            candidate__poll=poll, **_voice(person, recipient)
        ).values_list("candidate_id", "answer")
    )


# --- Writes ------------------------------------------------------------------------------------


def poll_save(*, poll: DatePoll, now: dt.datetime | None = None) -> DatePoll:
    """Open a poll on a tentative meeting, or change its closing time while it is open."""
    now = now or timezone.now()
    poll.full_clean()
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=poll.meeting_id)
        if poll.pk is not None:
            stored = DatePoll.objects.select_for_update().get(pk=poll.pk)
            if stored.closed_at is not None:
                raise ValidationError(_("The poll is closed; it cannot be changed."))
            if stored.meeting_id != poll.meeting_id:
                raise ValidationError({"meeting": _("A poll cannot move to another meeting.")})
        elif meeting.status != Meeting.Status.TENTATIVE:
            raise ValidationError(
                {"meeting": _("Only a tentative meeting, without a fixed date, gets a date poll.")}
            )
        if poll.closes_at <= now:
            raise ValidationError({"closes_at": _("The poll must close in the future.")})
        poll.save()
    return poll


def poll_check_candidates_changeable(*, poll: DatePoll) -> None:
    """Candidates are added and changed while the poll is open, never after."""
    if poll.pk is not None and poll.closed_at is not None:
        raise ValidationError(_("The poll is closed; its dates cannot be changed."))


def poll_answer(
    *,
    poll: DatePoll,
    answers: dict[int, str],
    person: ContactPerson | None = None,
    recipient: MailingRecipient | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Record a voice's answers (candidate id -> answer), replacing the ones it gave before.
    Exactly one of `person` (signed in) and `recipient` (personal link) answers. Returns how
    many answers were stored."""
    if (person is None) == (recipient is None):
        raise ValueError("Answer as a person or as a recipient.")
    if person is not None and not can_answer_as_member(person):
        raise PollClosed(_("Only contact persons of the network's member municipalities answer."))
    if recipient is not None and recipient.mailing.meeting_id != poll.meeting_id:
        raise PollClosed(_("This link is not for this poll."))
    with transaction.atomic():
        poll = DatePoll.objects.select_for_update().get(pk=poll.pk)
        if not poll.is_open(now or timezone.now()):
            raise PollClosed(_("The poll is closed."))
        candidates = set(poll.candidates.values_list("pk", flat=True))
        if set(answers) - candidates or not set(answers.values()) <= set(Answer.values):
            raise PollClosed(_("The poll has changed; load it again and answer once more."))
        voter = _voice(person, recipient)
        for candidate_id, answer in answers.items():
            DatePollAnswer.objects.update_or_create(
                candidate_id=candidate_id, **voter, defaults={"answer": answer}
            )
    return len(answers)


def poll_close(*, poll: DatePoll, now: dt.datetime | None = None) -> DatePoll:
    """Stop taking answers. Closing a closed poll changes nothing."""
    DatePoll.objects.filter(pk=poll.pk, closed_at__isnull=True).update(
        closed_at=now or timezone.now()
    )
    poll.refresh_from_db(fields=["closed_at"])
    return poll


def poll_pick(
    *, poll: DatePoll, candidate: DatePollCandidate, now: dt.datetime | None = None
) -> int:
    """Schedule the meeting at the chosen candidate's times, through `services.meeting_save`
    (SEQUENCE rises, registration opens, anyone registered gets the change notice), close the
    poll, and write to the outbox, in the same transaction, an e-mail to everyone who
    answered, in their language, with the calendar entry and a registration link. Returns
    how many were mailed. A poll's date is picked once."""
    now = now or timezone.now()
    with transaction.atomic():
        poll = DatePoll.objects.select_for_update().get(pk=poll.pk)
        if poll.chosen_id is not None:
            raise PollClosed(_("A date has already been picked for this poll."))
        if candidate.poll_id != poll.pk:
            raise PollClosed(_("This date is not a candidate of this poll."))
        meeting = Meeting.objects.select_for_update().get(pk=poll.meeting_id)
        if meeting.status != Meeting.Status.TENTATIVE:
            raise PollClosed(_("The meeting is no longer tentative."))
        meeting.status = Meeting.Status.SCHEDULED
        meeting.starts_at = candidate.starts_at
        meeting.ends_at = candidate.ends_at
        services.meeting_save(meeting=meeting)
        poll.chosen = candidate
        poll.closed_at = poll.closed_at or now
        poll.save(update_fields=["chosen", "closed_at"])
        messages = [_picked_email(meeting, **voter) for voter in _voters_to_tell(poll, meeting)]
        email_queue(messages=messages, kind="poll.picked")
    return len(messages)


def _voters_to_tell(poll: DatePoll, meeting: Meeting) -> list[dict]:
    """Everyone who answered, each address once. People already registered get the meeting's
    change notice instead, with their own calendar entry."""
    registered = set(
        Registration.objects.active()
        .filter(meeting=meeting)
        .values_list(Lower("contact_person__email"), flat=True)
    )
    people = ContactPerson.objects.filter(
        Exists(DatePollAnswer.objects.filter(candidate__poll=poll, contact_person=OuterRef("pk")))
    ).order_by("pk")
    recipients = (
        MailingRecipient.objects.filter(
            Exists(DatePollAnswer.objects.filter(candidate__poll=poll, recipient=OuterRef("pk")))
        )
        .select_related("contact_person", "mailing")
        .order_by("pk")
    )
    seen = set(registered)
    voters = []
    for person in people:
        if person.email.lower() not in seen:
            seen.add(person.email.lower())
            voters.append({"email": person.email, "name": person.name, "person": person})
    for recipient in recipients:
        if recipient.email.lower() not in seen:
            seen.add(recipient.email.lower())
            voters.append(
                {
                    "email": recipient.email,
                    "name": recipient.name,
                    "person": recipient.contact_person,
                    "recipient": recipient,
                }
            )
    return voters


def _picked_email(
    meeting: Meeting, *, email: str, name: str, person=None, recipient=None
) -> EmailMultiAlternatives:
    language = person.preferred_language if person is not None else settings.LANGUAGE_CODE
    if recipient is not None:
        register_url = settings.SITE_URL + reverse(
            "invitation", kwargs={"token": invitations.recipient_token(recipient)}
        )
    else:
        register_url = settings.SITE_URL + reverse(
            "meetings:register", kwargs={"slug": meeting.slug}
        )
    with translation.override(language):
        context = {
            "meeting": meeting,
            "name": name or email,
            "register_url": register_url,
            "meeting_url": settings.SITE_URL + meeting.get_absolute_url(),
        }
        message = EmailMultiAlternatives(
            subject=" ".join(
                render_to_string("meetings/email/poll_picked_subject.txt", context).split()
            ),
            body=render_to_string("meetings/email/poll_picked.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email],
            reply_to=[meeting.series.organiser_email] if meeting.series.organiser_email else None,
        )
        message.attach_alternative(
            render_to_string("meetings/email/poll_picked.html", context), "text/html"
        )
        calendar = ics.meeting_calendar(meeting, language=language, stamp=meeting.updated_at)
        message.attach(ics.meeting_filename(meeting), calendar, "text/calendar; method=PUBLISH")
    return message
