"""People's rights over their data: a copy of everything the portal holds about a person, and
deleting it.

A person's data is spread over the apps (accounts and contact persons here, registrations and
invitations in meetings, project ideas in projects, e-mail in the outbox), and members must not
import the apps above it. So each app contributes its own part: meetings and projects register
a `PersonalDataProvider` in their AppConfig.ready(), and the services here run members' own
part together with every registered one.

Deleting keeps what the network's statistics need: the contact person's row stays, with its
municipality and sector but without name, address or phone, so registrations are still counted
per municipality; the account itself is deleted.
"""

import calendar
import datetime as dt
import html
import json
from collections.abc import Iterable
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Replace
from django.utils import timezone

from outbox.services import email_forget, emails_to

from .models import ContactPerson, User, new_calendar_token

# What replaces a deleted person's name or address where it appears inside a longer text.
REDACTED = "[…]"
# Shorter strings (a first name alone, initials) would replace too much in other people's text.
MIN_REDACTED_LENGTH = 5


def iso(value: dt.datetime | dt.date | None) -> str | None:
    """ISO 8601; times in the portal's time zone, with their UTC offset."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def anonymised_address(kind: str, pk: int) -> str:
    """A unique stand-in for a deleted address (e-mail fields may not be empty, and some are
    unique). `.invalid` is reserved: nothing is ever delivered there."""
    return f"anonymised-{kind}-{pk}@anonymised.invalid"


@dataclass(frozen=True)
class DataSubject:
    """The person whose data is exported or deleted: an account, a contact person, or both."""

    user: User | None
    person: ContactPerson | None
    # Every address of the person, in lower case: the account's, its verified allauth
    # addresses and the contact person's.
    addresses: frozenset[str]

    @property
    def identifying_texts(self) -> list[str]:
        """Strings that name the person inside free text (log entries, other people's
        e-mails), longest first so that a full name goes before a part of it."""
        texts = set(self.addresses)
        if self.person is not None:
            texts |= {self.person.name, self.person.email, self.person.phone}
        if self.user is not None:
            texts |= {self.user.get_full_name(), self.user.email}
        return sorted(
            (text for text in texts if len(text.strip()) >= MIN_REDACTED_LENGTH),
            key=lambda text: (-len(text), text),
        )


def data_subject(*, user: User | None = None, person: ContactPerson | None = None) -> DataSubject:
    if person is None and user is not None:
        person = ContactPerson.objects.select_related("municipality").filter(user=user).first()
    addresses = set()
    if user is not None:
        addresses.add(user.email)
        # Only proven addresses: anyone can add someone else's address to their account
        # unverified, and must not see or erase that person's invitations and e-mails.
        addresses.update(
            EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
        )
    if person is not None:
        addresses.add(person.email)
    return DataSubject(user, person, frozenset(a.lower() for a in addresses if a))


class PersonalDataProvider:
    """One app's part of people's data. Subclasses override what applies to them."""

    def export(self, subject: DataSubject) -> dict[str, object]:
        """Sections of the person's copy of their data: name -> JSON-serialisable value."""
        return {}

    def anonymise(self, subject: DataSubject, *, now: dt.datetime) -> None:
        """Delete or anonymise the person's data. Runs inside the deleting transaction,
        before members anonymises the contact person and deletes the account; must be
        harmless when run again."""

    def active_contact_persons(self, since: dt.datetime) -> list[models.QuerySet]:
        """Querysets of the ids (values_list) of contact persons who did something at or
        after `since`."""
        return []

    def purge(self, *, now: dt.datetime, dry_run: bool) -> list[str]:
        """Apply the app's own retention rules; return a line for each thing done (or that
        would be done, on a dry run). Must be idempotent."""
        return []


_providers: list[PersonalDataProvider] = []


def register(provider: PersonalDataProvider) -> None:
    if not any(type(p) is type(provider) for p in _providers):
        _providers.append(provider)


def providers() -> tuple[PersonalDataProvider, ...]:
    return tuple(_providers)


def redact(queryset: models.QuerySet, *, fields: Iterable[str], texts: Iterable[str]) -> None:
    """Replace each text where it occurs inside the given text fields of the queryset's
    rows, also in its JSON-escaped form (Django's admin log keeps change messages as JSON
    with non-ASCII escaped) and HTML-escaped form (e-mails' HTML part)."""
    needles = set()
    for text in texts:
        needles |= {text, json.dumps(text)[1:-1], html.escape(text)}
    for field in fields:
        for needle in sorted(needles, key=len, reverse=True):
            queryset.filter(**{f"{field}__contains": needle}).update(
                **{field: Replace(field, Value(needle), Value(REDACTED))}
            )


def log_entries_redact(*, model: type[models.Model], pks: Iterable) -> None:
    """The admin's change log names each object it lists; entries about these objects get a
    neutral name instead."""
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model, for_concrete_model=False),
        object_id__in=[str(pk) for pk in pks],
    ).update(object_repr=REDACTED)


# --- Export -----------------------------------------------------------------------------------


def personal_data_export(*, user: User, now: dt.datetime | None = None) -> dict[str, object]:
    """Everything the portal holds about the account's person, as JSON-serialisable data.
    Secrets (password hash, two-factor keys, the calendar feed key) are left out."""
    now = now or timezone.now()
    subject = data_subject(user=user)
    data: dict[str, object] = {
        "exported_at": iso(now),
        "portal": settings.SITE_URL,
        "account": _account(user),
        "contact_person": _contact_person(subject.person),
        "contact_person_history": _contact_person_history(subject.person),
        "emails": [
            {
                "to": email.to,
                "kind": email.kind,
                "subject": email.subject,
                "status": email.status,
                "queued_at": iso(email.created_at),
                "sent_at": iso(email.sent_at),
            }
            for email in emails_to(addresses=subject.addresses)
        ],
    }
    for provider in providers():
        for section, value in provider.export(subject).items():
            if section in data:
                raise ValueError(f"Two providers export the section {section!r}.")
            data[section] = value
    return data


def _account(user: User) -> dict[str, object]:
    authenticators = list(
        Authenticator.objects.filter(user=user)
        .order_by("created_at", "pk")
        .values("type", "created_at", "last_used_at")
    )
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": iso(user.date_joined),
        "last_login": iso(user.last_login),
        "is_staff": user.is_staff,
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("email")
        ],
        "two_factor_authentication": bool(authenticators),
        "authenticators": [
            {
                "type": row["type"],
                "created_at": iso(row["created_at"]),
                "last_used_at": iso(row["last_used_at"]),
            }
            for row in authenticators
        ],
    }


PERSON_FIELDS = ("name", "email", "phone", "job_title", "sector", "role", "preferred_language")


def _contact_person(person: ContactPerson | None) -> dict[str, object] | None:
    if person is None:
        return None
    municipality = person.municipality
    return {
        **{field: getattr(person, field) for field in PERSON_FIELDS},
        "municipality": (
            {"name": municipality.name, "number": municipality.number} if municipality else None
        ),
        "is_active": person.is_active,
        # The feed's address is a secret key: only whether and what it shows.
        "calendar_feed": {"all_network_meetings": person.calendar_includes_all},
        "created_at": iso(person.created_at),
        "updated_at": iso(person.updated_at),
    }


def _contact_person_history(person: ContactPerson | None) -> list[dict[str, object]]:
    if person is None:
        return []
    return [
        {
            "changed_at": iso(version.history_date),
            "change": version.get_history_type_display(),
            **{field: getattr(version, field) for field in PERSON_FIELDS},
        }
        for version in person.history.order_by("history_date", "history_id")
    ]


# --- Deletion and anonymisation ----------------------------------------------------------------


class StaffAccountError(Exception):
    """Staff accounts are removed by an administrator, who hands their work over first."""


def personal_data_delete(*, user: User, now: dt.datetime | None = None) -> bool:
    """Delete the account and anonymise the person's data, in one transaction.

    Every app anonymises its own part (see PersonalDataProvider.anonymise); then the contact
    person keeps only what statistics need and the account is deleted with its addresses and
    two-factor keys. Returns False if the account was already gone (a second click).
    """
    if user.is_staff or user.is_superuser:
        raise StaffAccountError("Staff accounts are removed by an administrator.")
    now = now or timezone.now()
    with transaction.atomic():
        # Locks the account, so two requests cannot delete it at the same time.
        locked = User.objects.select_for_update().filter(pk=user.pk).first()
        if locked is None:
            return False
        subject = data_subject(user=locked)
        _anonymise(subject, now=now)
        locked.delete()
    return True


def contact_person_anonymise(*, person: ContactPerson, now: dt.datetime | None = None) -> bool:
    """Anonymise a contact person without an account (the retention rule). Returns False if
    there is nothing to do: already anonymised, or linked to an account since."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            ContactPerson.objects.select_for_update(of=("self",))
            .select_related("municipality")
            .filter(pk=person.pk, anonymised_at__isnull=True, user__isnull=True)
            .first()
        )
        if locked is None:
            return False
        _anonymise(data_subject(person=locked), now=now)
    return True


def _anonymise(subject: DataSubject, *, now: dt.datetime) -> None:
    # The apps above members first: they may still need the person's name and address
    # (a registration's name in the admin log, the recipient rows found by address).
    for provider in providers():
        provider.anonymise(subject, now=now)
    texts = subject.identifying_texts
    email_forget(addresses=subject.addresses, texts=texts, replacement=REDACTED)
    person = subject.person
    if person is not None:
        log_entries_redact(model=ContactPerson, pks=[person.pk])
        texts = [str(person), *texts]
        # Earlier versions hold the name, address and phone.
        person.history.all().delete()
        if person.anonymised_at is None:
            person.name = ""
            person.email = anonymised_address("person", person.pk)
            person.phone = ""
            person.job_title = ""
            person.role = ContactPerson.Role.MEMBER
            person.user = None
            person.is_active = False
            person.preferred_language = settings.LANGUAGE_CODE
            person.calendar_token = new_calendar_token()
            person.calendar_includes_all = False
            person.anonymised_at = now
            person._change_reason = "anonymised"
            person.save()
    if subject.user is not None:
        log_entries_redact(model=User, pks=[subject.user.pk])
    # What the log says of other objects, e.g. a registration added in a meeting's inline.
    redact(LogEntry.objects.all(), fields=["object_repr", "change_message"], texts=texts)


# --- Retention ---------------------------------------------------------------------------------


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same wall-clock time `months` calendar months earlier, in the portal's time zone
    (31 March less one month is 28 or 29 February)."""
    local = timezone.localtime(moment)
    month_index = local.year * 12 + local.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    naive = local.replace(tzinfo=None, year=year, month=month, day=day)
    return timezone.make_aware(naive)


def inactive_since(now: dt.datetime) -> dt.datetime:
    return months_before(now, settings.PERSONAL_DATA_RETENTION_MONTHS)


def contact_persons_to_purge(*, now: dt.datetime) -> models.QuerySet:
    """Contact persons without an account who have done nothing since the retention period
    began: not created or changed, and nothing in any app (registrations, answers to
    invitations, interest in ideas ...). Activity exactly at the start still counts."""
    since = inactive_since(now)
    people = ContactPerson.objects.filter(
        user__isnull=True,
        anonymised_at__isnull=True,
        created_at__lt=since,
        updated_at__lt=since,
    )
    for provider in providers():
        for active in provider.active_contact_persons(since):
            people = people.exclude(pk__in=active)
    return people.select_related("municipality").order_by("pk")


def personal_data_purge(*, now: dt.datetime | None = None, dry_run: bool = False) -> list[str]:
    """Apply the retention rules: anonymise inactive contact persons without an account, and
    let every app apply its own (e.g. registrations' answers after the meeting). Returns a
    line per thing done, or that a dry run would do; the lines name no person. Idempotent."""
    now = now or timezone.now()
    lines = []
    since = inactive_since(now)
    for person in contact_persons_to_purge(now=now):
        municipality = person.municipality.name if person.municipality else "no municipality"
        lines.append(
            f"Anonymise contact person #{person.pk} ({municipality}): "
            f"no activity since {iso(since)}"
        )
        if not dry_run:
            contact_person_anonymise(person=person, now=now)
    for provider in providers():
        lines.extend(provider.purge(now=now, dry_run=dry_run))
    return lines
