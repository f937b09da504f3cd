"""Reads about invitations: whom a mailing goes to, who answered, and the personal links.

An invitation goes to municipalities (their official mailbox and/or their contact persons) and
to hand-picked people. Answers are tracked per address and per municipality: registered (an
active registration for the meeting), declined (the "cannot attend" link), or no answer.
"""

import hashlib
import string
from dataclasses import dataclass, field

from django.core import signing
from django.db.models import Count, Q
from django.db.models.functions import Lower

from members.models import ContactPerson, Municipality

from .models import Mailing, MailingRecipient, Meeting, Registration

TOKEN_SALT = "meetings.invitation"  # noqa: S105 - a signing namespace, not a secret


# --- Personal links ----------------------------------------------------------------------------


def _address_digest(email: str) -> str:
    # Binds the token to the address without putting the address in the URL.
    return hashlib.sha256(email.lower().encode()).hexdigest()[:16]


def recipient_token(recipient: MailingRecipient) -> str:
    """A signed, URL-safe token naming one recipient. It cannot be guessed or altered, and it
    only ever acts for the address it was sent to."""
    # No timestamp: the link stays the same however often it is made, and never expires.
    return signing.Signer(salt=TOKEN_SALT).sign_object(
        [recipient.pk, _address_digest(recipient.email)]
    )


def recipient_from_token(token: str) -> MailingRecipient | None:
    """The recipient a token names, or None for a forged, altered or stale token."""
    try:
        pk, digest = signing.Signer(salt=TOKEN_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    recipient = (
        MailingRecipient.objects.select_related("mailing__meeting", "municipality")
        .filter(pk=pk)
        .first()
    )
    if recipient is None or _address_digest(recipient.email) != digest:
        return None
    return recipient


# --- Placeholders ------------------------------------------------------------------------------


class UnknownPlaceholder(ValueError):
    pass


def placeholders_in(text: str) -> set[str]:
    """The {placeholders} a text uses. Raises UnknownPlaceholder for anything but a plain name
    from Mailing.PLACEHOLDERS (attribute or index look-ups such as {name.upper} included),
    and ValueError for unbalanced braces."""
    names = set()
    for _literal, name, spec, conversion in string.Formatter().parse(text):
        if name is None:
            continue
        # A format spec or conversion ({name:d}, {name!r}) could fail when filled in.
        if name not in Mailing.PLACEHOLDERS or spec or conversion:
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise UnknownPlaceholder(shown)
        names.add(name)
    return names


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    placeholders_in(text)  # refuses anything that is not a known plain name
    return text.format_map(values)


# --- Recipients --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecipientSpec:
    """The choice staff make: which municipalities, which of their addresses, which people."""

    municipalities: tuple[int, ...] = ()  # empty: every current municipality
    membership: str = "members"  # "members", "non_members" or "all"
    official_mailbox: bool = True
    contact_persons: bool = True
    sectors: tuple[str, ...] = ()  # empty: every sector
    persons: tuple[int, ...] = ()  # hand-picked contact persons, whatever the rest says


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    municipality_id: int | None
    contact_person_id: int | None


def recipients_for(spec: RecipientSpec) -> list[Recipient]:
    """Every address the spec covers, each once (compared case-insensitively)."""
    municipalities = Municipality.objects.current()
    if spec.municipalities:
        municipalities = municipalities.filter(pk__in=spec.municipalities)
    if spec.membership == "members":
        municipalities = municipalities.network_members()
    elif spec.membership == "non_members":
        municipalities = municipalities.filter(member_since__isnull=True)
    result: dict[str, Recipient] = {}

    def add(email, name, municipality_id, person_id):
        # A person listed under the mailbox's address gets the personal link, not the shared one.
        existing = result.get(email.lower()) if email else None
        if email and (existing is None or (existing.contact_person_id is None and person_id)):
            result[email.lower()] = Recipient(email.lower(), name, municipality_id, person_id)

    chosen = list(municipalities.order_by("name"))
    if spec.official_mailbox:
        for municipality in chosen:
            add(municipality.official_email, municipality.name, municipality.pk, None)
    people = ContactPerson.objects.none()
    if spec.contact_persons:
        people = ContactPerson.objects.active().filter(municipality__in=chosen)
        if spec.sectors:
            people = people.filter(sector__in=spec.sectors)
    if spec.persons:
        people = people | ContactPerson.objects.active().filter(pk__in=spec.persons)
    for person in people.order_by("municipality__name", "name"):
        add(person.email, person.name, person.municipality_id, person.pk)
    return list(result.values())


# --- Answers -----------------------------------------------------------------------------------


class Answer:
    REGISTERED = "registered"
    DECLINED = "declined"
    NONE = "none"


@dataclass
class InvitationSummary:
    """Delivery and answers for a meeting's invitations, per address and per municipality."""

    delivery: dict[str, int] = field(default_factory=dict)
    recipients: int = 0
    answers: dict[str, int] = field(default_factory=dict)
    municipality_answers: dict[str, list[Municipality]] = field(default_factory=dict)

    @property
    def waiting(self) -> int:
        return self.delivery.get(MailingRecipient.Status.QUEUED, 0) + self.delivery.get(
            MailingRecipient.Status.SENDING, 0
        )


@dataclass(frozen=True)
class Answered:
    """Who has answered a meeting's invitations: registered (an active registration) or
    declined (the "cannot attend" link), by address and by municipality."""

    registered_emails: set
    registered_municipalities: set
    declined_emails: set
    declined_municipalities: set

    @property
    def emails(self) -> set:
        return self.registered_emails | self.declined_emails

    @property
    def municipalities(self) -> set:
        return (self.registered_municipalities | self.declined_municipalities) - {None}


def _sent_recipients(meeting: Meeting):
    return MailingRecipient.objects.filter(
        mailing__meeting=meeting, mailing__queued_at__isnull=False
    )


def answered(meeting: Meeting) -> Answered:
    """Two queries, however many recipients and registrations: a big meeting's thousands of
    registrations are joined to their people once, for both the addresses and the
    municipalities."""
    registered = list(
        Registration.objects.active()
        .filter(meeting=meeting)
        # Sets: the model's order would join the meeting and sort thousands of rows.
        .order_by()
        .values_list(Lower("contact_person__email"), "contact_person__municipality")
    )
    declined = list(
        _sent_recipients(meeting)
        .filter(declined_at__isnull=False)
        .order_by()
        .values_list(Lower("email"), "municipality")
    )
    return Answered(
        registered_emails={email for email, _municipality in registered},
        registered_municipalities={municipality for _email, municipality in registered},
        declined_emails={email for email, _municipality in declined},
        declined_municipalities={municipality for _email, municipality in declined},
    )


def invitation_summary(meeting: Meeting) -> InvitationSummary:
    """Counts for the meeting's admin page. A constant number of queries."""
    every_mailing = _sent_recipients(meeting)
    invitations = every_mailing.filter(mailing__kind=Mailing.Kind.INVITATION)
    summary = InvitationSummary()
    summary.delivery = dict(
        every_mailing.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    known = answered(meeting)

    # Each address counts once, whatever the order (a registration outranks the rest).
    rows = list(
        invitations.order_by().values_list(Lower("email"), "municipality", "contact_person")
    )
    addresses = {}
    for email, municipality_id, person_id in rows:
        if email in known.registered_emails or (
            person_id is None and municipality_id in known.registered_municipalities
        ):
            addresses[email] = Answer.REGISTERED
        elif email in known.declined_emails:
            addresses.setdefault(email, Answer.DECLINED)
        else:
            addresses.setdefault(email, Answer.NONE)
    summary.recipients = len(addresses)
    summary.answers = {
        answer: sum(1 for value in addresses.values() if value == answer)
        for answer in (Answer.REGISTERED, Answer.DECLINED, Answer.NONE)
    }
    # The names are all the page shows; the ids are chosen in the database, not sent back
    # to it as hundreds of parameters.
    invited = (
        Municipality.objects.filter(pk__in=invitations.values("municipality"))
        .only("pk", "name")
        .order_by("name")
    )
    summary.municipality_answers = {Answer.REGISTERED: [], Answer.DECLINED: [], Answer.NONE: []}
    for municipality in invited:
        if municipality.pk in known.registered_municipalities:
            answer = Answer.REGISTERED
        elif municipality.pk in known.declined_municipalities:
            answer = Answer.DECLINED
        else:
            answer = Answer.NONE
        summary.municipality_answers[answer].append(municipality)
    return summary


def unanswered_recipients(meeting: Meeting) -> list[MailingRecipient]:
    """Invitation recipients to remind: neither they nor their municipality have answered."""
    known = answered(meeting)
    result = {}
    for recipient in (
        _sent_recipients(meeting)
        .filter(mailing__kind=Mailing.Kind.INVITATION)
        .exclude(status=MailingRecipient.Status.FAILED)
        .filter(~Q(municipality__in=known.municipalities))
        .order_by("pk")
    ):
        email = recipient.email.lower()
        if email not in known.emails and email not in result:
            result[email] = recipient
    return list(result.values())


@dataclass(frozen=True)
class Skipped:
    """Recipients left out of an invitation sent again, and how many of each reason."""

    recipients: list
    answered: int = 0
    already_invited: int = 0


def skip_for_invitation(
    meeting: Meeting, recipients: list, *, skip_answered: bool, skip_invited: bool
) -> Skipped:
    """The recipients an invitation goes to once those who answered (themselves or their
    municipality, as for reminders) and those a sent invitation already reached are left
    out. Drafts reach nobody, so they do not count."""
    if not (skip_answered or skip_invited):
        return Skipped(list(recipients))
    known = answered(meeting) if skip_answered else None
    invited = (
        set(
            _sent_recipients(meeting)
            .filter(mailing__kind=Mailing.Kind.INVITATION)
            .order_by()
            .values_list(Lower("email"), flat=True)
        )
        if skip_invited
        else set()
    )
    kept, answered_count, invited_count = [], 0, 0
    for recipient in recipients:
        email = recipient.email.lower()
        if known is not None and (
            email in known.emails or recipient.municipality_id in known.municipalities
        ):
            answered_count += 1
        elif email in invited:
            invited_count += 1
        else:
            kept.append(recipient)
    return Skipped(kept, answered=answered_count, already_invited=invited_count)
