"""Writes to members' data: linking accounts to contact persons, profile updates."""

import datetime as dt
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from outbox.services import email_queue

from .models import (
    ContactPerson,
    EmailDomain,
    Municipality,
    NetworkOwner,
    User,
    new_calendar_token,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

# Staff who may link accounts to municipalities get the notice of a waiting account.
STAFF_LINKING_PERMISSION = "members.change_contactperson"


def municipality_for_email(email: str) -> Municipality | None:
    """The municipality whose registered e-mail domain matches the address, if any."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    match = (
        EmailDomain.objects.select_related("municipality")
        .filter(domain=domain, municipality__in=Municipality.objects.current())
        .first()
    )
    return match.municipality if match else None


def contact_person_link_for_user(*, user: User) -> ContactPerson | None:
    """Link a signed-in account to its contact person, creating one if needed.

    Returns None when the account gets no contact person: staff accounts (they are contact
    persons only when staff link one to them in the admin), and addresses that need a human:
    one whose contact person is linked to another account, or one that a municipality's
    register has under another municipality than the one owning the address's domain (a
    coordinator may once have claimed it). A new contact person gets the municipality that
    owns the address's domain, or none until county staff link it.
    """
    with transaction.atomic():
        person = ContactPerson.objects.select_for_update().filter(user=user).first()
        if person is not None:
            return person
        if user.is_staff:
            return None
        person = ContactPerson.objects.select_for_update().filter(email__iexact=user.email).first()
        owner = municipality_for_email(user.email)
        if person is not None:
            if person.user_id is not None:
                logger.warning(
                    "Contact person %s is linked to another account than user %s",
                    person.pk,
                    user.pk,
                )
                return None
            if owner is not None and person.municipality_id not in (None, owner.pk):
                logger.warning(
                    "Contact person %s is registered under another municipality than the one "
                    "owning the address of user %s; not linked",
                    person.pk,
                    user.pk,
                )
                return None
            person.user = user
            changed = ["user"]
            if person.municipality_id is None and owner is not None:
                person.municipality = owner
                changed.append("municipality")
            person.save(update_fields=[*changed, "updated_at"])
            return person
        try:
            with transaction.atomic():
                return ContactPerson.objects.create(
                    name=user.get_full_name() or user.email.partition("@")[0],
                    email=user.email,
                    user=user,
                    municipality=owner,
                    preferred_language=translation.get_language() or "nn",
                )
        except IntegrityError:
            # A parallel sign-in of the same account created it first.
            return ContactPerson.objects.filter(user=user).first()


def account_waiting_notify(*, user: User, person: ContactPerson | None) -> int:
    """Tell county staff by e-mail that a verified account waits to be linked to a
    municipality. Returns the number of staff notified."""
    staff = list(
        User.objects.with_perm(
            STAFF_LINKING_PERMISSION,
            include_superusers=True,
            backend="django.contrib.auth.backends.ModelBackend",
        )
        .filter(is_active=True, is_staff=True)
        .order_by("pk")
    )
    if not staff:
        logger.warning("No staff account can link user %s to a municipality", user.pk)
        return 0
    if person is not None:
        admin_path = reverse("admin:members_contactperson_change", args=[person.pk])
    else:
        admin_path = (
            reverse("admin:members_contactperson_changelist") + "?" + urlencode({"q": user.email})
        )
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "account": user,
            "person": person,
            "admin_url": settings.SITE_URL + admin_path,
            "conflict": person is None,
        }
        subject = render_to_string("members/email/account_waiting_subject.txt", context)
        body = render_to_string("members/email/account_waiting.txt", context)
    messages = [
        EmailMessage(
            subject=" ".join(subject.split()),
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[member.email],
        )
        for member in staff
    ]
    email_queue(messages=messages, kind="members.account_waiting")
    return len(messages)


def contact_person_update_profile(*, person: ContactPerson, **fields: Any) -> ContactPerson:
    allowed = {
        "name",
        "phone",
        "job_title",
        "sector",
        "preferred_language",
        "calendar_includes_all",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Not profile fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(person, name, value)
    person.full_clean()
    person.save(update_fields=[*fields, "updated_at"])
    if "name" in fields and person.user is not None:
        first, _, last = person.name.rpartition(" ")
        person.user.first_name, person.user.last_name = (first, last) if first else (last, "")
        person.user.save(update_fields=["first_name", "last_name"])
    return person


def municipality_domains(municipality_id: int) -> list[str]:
    return list(
        EmailDomain.objects.filter(municipality_id=municipality_id)
        .order_by("domain")
        .values_list("domain", flat=True)
    )


def colleague_email_check(*, coordinator: ContactPerson, email: str) -> None:
    """Raise a ValidationError (for the e-mail field) unless a coordinator may name this address
    as a colleague's: a contact person who has it must belong to the coordinator's
    municipality, and a new one must be at one of the municipality's e-mail domains."""
    existing = ContactPerson.objects.filter(email__iexact=email).only("municipality_id").first()
    if existing is not None:
        if existing.municipality_id == coordinator.municipality_id:
            return
        raise ValidationError(
            {
                "email": ValidationError(
                    _(
                        "This address belongs to a contact person of another municipality, or "
                        "one not linked to a municipality yet. County staff can sort it out."
                    ),
                    code="other_municipality",
                )
            }
        )
    domains = (
        municipality_domains(coordinator.municipality_id)
        if coordinator.municipality_id is not None
        else []
    )
    if email.rpartition("@")[2].strip().lower() in domains:
        return
    if domains:
        message = _(
            "A new colleague's address must end in one of your municipality's e-mail "
            "domains: %(domains)s. County staff can add people with other addresses."
        )
    else:
        message = _(
            "Your municipality has no e-mail domain registered yet, so you cannot add new "
            "colleagues here. County staff can add them."
        )
    raise ValidationError(
        {"email": ValidationError(message, code="domain", params={"domains": ", ".join(domains)})}
    )


def contact_person_add_colleague(
    *, coordinator: ContactPerson, name: str, email: str
) -> ContactPerson:
    """A coordinator adds a colleague of their own municipality, or finds them if known.

    Only at the municipality's own e-mail domains, and never someone of another municipality:
    a coordinator cannot claim an address that is not their municipality's to give."""
    if not coordinator.is_coordinator or coordinator.municipality_id is None:
        raise PermissionDenied("Only municipal coordinators add colleagues.")
    with transaction.atomic():
        colleague_email_check(coordinator=coordinator, email=email)
        existing = ContactPerson.objects.select_for_update().filter(email__iexact=email).first()
        if existing is not None:
            return existing
        person = ContactPerson(
            name=name,
            email=email,
            municipality_id=coordinator.municipality_id,
            preferred_language=coordinator.preferred_language,
        )
        person.full_clean()
        person.save()
        return person


def contact_person_find_or_add(
    *, name: str, email: str, municipality: Municipality
) -> tuple[ContactPerson, bool]:
    """County staff name someone of a municipality by address (someone who came to a meeting
    without registering): the contact person with that address, or a new one. Returns the
    person and whether they were added. An address known under another municipality, or
    under none, is refused: which one the person belongs to is settled in the admin, not at
    the door. Raises ValidationError by field."""
    with transaction.atomic():
        existing = (
            # Only the person's row: PostgreSQL locks no row of an outer join's nullable side.
            ContactPerson.objects.select_for_update(of=("self",))
            .select_related("municipality")
            .filter(email__iexact=email.strip())
            .first()
        )
        if existing is not None:
            if existing.municipality_id == municipality.pk:
                return existing, False
            if existing.municipality is None:
                message = _(
                    "This address belongs to a contact person who is not linked to a "
                    "municipality yet. Link them in the administration first."
                )
                params = {}
            else:
                message = _(
                    "This address belongs to a contact person of %(municipality)s. Choose that "
                    "municipality, or correct the person in the administration first."
                )
                params = {"municipality": existing.municipality.name}
            raise ValidationError(
                {"email": ValidationError(message, code="other_municipality", params=params)}
            )
        person = ContactPerson(name=name, email=email.strip(), municipality=municipality)
        person.full_clean()
        person.save()
        return person, True


def contact_person_reset_calendar_token(*, person: ContactPerson) -> ContactPerson:
    """Give the person a new feed address; the old one stops working at once."""
    person.calendar_token = new_calendar_token()
    person.save(update_fields=["calendar_token", "updated_at"])
    return person


def user_sessions_end(*, user: User) -> None:
    """End every session of the account, on every device: the sessions' stored hash no longer
    matches (see User.get_session_auth_hash)."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])


# Mergers before the first municipalities (1838) or after the meetings' last year are typing
# errors; the bounds also keep "the day before" inside the calendar.
FIRST_MERGER_DATE = dt.date(1838, 1, 1)


def _history_reason(text: str) -> str:
    # simple_history keeps at most 100 characters of a change reason.
    limit = 100
    return text if len(text) <= limit else text[: limit - 1] + "…"


def municipalities_merge(
    *,
    municipalities: Iterable[Municipality],
    number: str,
    name: str,
    county: str,
    on: dt.date,
    official_email: str = "",
    website: str = "",
    today: dt.date | None = None,
) -> Municipality:
    """Merge municipalities into a new one that exists from `on`.

    The old ones end their validity the day before and name the new one as successor; their
    e-mail domains and contact persons move to it, each move in the history with its reason.
    Registrations stay with the municipality their person had when registering. The new one
    is a network member from `on` if any of the old ones was. Only mergers that have taken
    effect are recorded (`on` no later than today), so that sign-ups at the old domains and
    new registrations find a municipality that exists. Raises ValidationError by field
    ("municipalities", "on", and the new municipality's fields).
    """
    today = today or timezone.localdate()
    ids = {m.pk for m in municipalities}
    errors: dict[str, list[ValidationError]] = {}

    def fail(field: str, message: "StrOrPromise", code: str, **params: Any) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code, params=params))

    if on < FIRST_MERGER_DATE:
        fail("on", _("The merger date is too early."), "too_early")
    elif on > today:
        fail(
            "on",
            _(
                "Record the merger on or after the day it takes effect, so that the old "
                "municipalities' people can register until then."
            ),
            "future",
        )
    if len(ids) < 2:
        fail("municipalities", _("Choose at least two municipalities."), "too_few")
    with transaction.atomic():
        old = list(Municipality.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        if len(old) != len(ids):
            fail("municipalities", _("A chosen municipality no longer exists."), "missing")
        day_before = on - dt.timedelta(days=1) if on >= FIRST_MERGER_DATE else on
        for municipality in old:
            if municipality.successor_id is not None:
                fail(
                    "municipalities",
                    _("%(municipality)s has already merged into another municipality."),
                    "merged",
                    municipality=municipality,
                )
            elif municipality.valid_to is not None and municipality.valid_to < day_before:
                fail(
                    "municipalities",
                    _("%(municipality)s no longer existed the day before the merger."),
                    "ended",
                    municipality=municipality,
                )
            if municipality.valid_from is not None and municipality.valid_from > day_before:
                fail(
                    "municipalities",
                    _(
                        "%(municipality)s exists from %(valid_from)s; the merger must be "
                        "later than that."
                    ),
                    "not_yet_valid",
                    municipality=municipality,
                    valid_from=date_format(municipality.valid_from),
                )
        was_member = any(m.member_since is not None and m.member_since <= day_before for m in old)
        new = Municipality(
            name=name,
            number=number,
            county=county,
            official_email=official_email,
            website=website,
            valid_from=on,
            member_since=on if was_member else None,
        )
        try:
            new.full_clean()
        except ValidationError as error:
            for field, field_errors in error.error_dict.items():
                errors.setdefault(field, []).extend(field_errors)
        if errors:
            raise ValidationError(errors)

        with translation.override(settings.LANGUAGE_CODE):
            new._change_reason = _history_reason(
                gettext("Made by the merger of %(municipalities)s")
                % {"municipalities": ", ".join(str(m) for m in old)}
            )
            try:
                with transaction.atomic():
                    new.save()
            except IntegrityError as error:
                # Another merger took the number since the check above.
                raise ValidationError(
                    {"number": new.unique_error_message(Municipality, ["number"])}
                ) from error
            moved_to = _history_reason(
                gettext("Merger into %(municipality)s") % {"municipality": new}
            )
        for municipality in old:
            municipality.valid_to = day_before
            municipality.successor = new
            municipality._change_reason = moved_to
            municipality.save(update_fields=["valid_to", "successor"])
        for domain in EmailDomain.objects.select_for_update().filter(municipality__in=old):
            domain.municipality = new
            domain._change_reason = moved_to
            domain.save(update_fields=["municipality"])
        for person in ContactPerson.objects.select_for_update().filter(municipality__in=old):
            person.municipality = new
            person._change_reason = moved_to
            person.save(update_fields=["municipality", "updated_at"])
    return new


def network_owner_update(*, owner: NetworkOwner) -> NetworkOwner:
    """Save the network owner as staff changed it. Meeting series made before keep the
    organiser they had; the next one copies this."""
    owner.full_clean()
    with transaction.atomic():
        owner.save()
        # The save put the row in the cache already; a rollback must not leave it there.
        transaction.on_commit(NetworkOwner.clear_cache)
    return owner
