"""Writes to members' data: linking accounts to contact persons, profile updates."""

import logging

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import translation

from .models import ContactPerson, EmailDomain, Municipality, User, new_calendar_token

logger = logging.getLogger(__name__)


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


def contact_person_link_for_user(*, user) -> ContactPerson | None:
    """Link a signed-in account to its contact person, creating one if needed.

    The contact person is found by the account's e-mail address (case-insensitive); a new one
    gets the municipality that owns the address's domain, or none until county staff link it.
    Returns None only if the address already belongs to a contact person linked to another
    account, which needs a human to sort out.
    """
    with transaction.atomic():
        person = ContactPerson.objects.select_for_update().filter(user=user).first()
        if person is None:
            person = (
                ContactPerson.objects.select_for_update().filter(email__iexact=user.email).first()
            )
        if person is not None:
            if person.user_id not in (None, user.pk):
                logger.warning(
                    "Contact person %s is linked to another account than user %s",
                    person.pk,
                    user.pk,
                )
                return None
            changed = []
            if person.user_id is None:
                person.user = user
                changed.append("user")
            if person.municipality_id is None:
                person.municipality = municipality_for_email(person.email)
                if person.municipality is not None:
                    changed.append("municipality")
            if changed:
                person.save(update_fields=[*changed, "updated_at"])
            return person
        try:
            with transaction.atomic():
                return ContactPerson.objects.create(
                    name=user.get_full_name() or user.email.partition("@")[0],
                    email=user.email,
                    user=user,
                    municipality=municipality_for_email(user.email),
                    preferred_language=translation.get_language() or "nn",
                )
        except IntegrityError:
            # A parallel sign-in of the same account created it first.
            return ContactPerson.objects.get(user=user)


def contact_person_update_profile(*, person: ContactPerson, **fields) -> ContactPerson:
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
    if person.user_id and "name" in fields:
        first, _, last = person.name.rpartition(" ")
        person.user.first_name, person.user.last_name = (first, last) if first else (last, "")
        person.user.save(update_fields=["first_name", "last_name"])
    return person


def contact_person_add_colleague(
    *, coordinator: ContactPerson, name: str, email: str
) -> ContactPerson:
    """A coordinator adds a colleague of their own municipality, or finds them if known."""
    if not coordinator.is_coordinator or coordinator.municipality_id is None:
        raise PermissionDenied("Only municipal coordinators add colleagues.")
    with transaction.atomic():
        existing = ContactPerson.objects.select_for_update().filter(email__iexact=email).first()
        if existing is not None:
            if existing.municipality_id != coordinator.municipality_id:
                raise PermissionDenied("The address belongs to another municipality.")
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


def contact_person_reset_calendar_token(*, person: ContactPerson) -> ContactPerson:
    """Give the person a new feed address; the old one stops working at once."""
    person.calendar_token = new_calendar_token()
    person.save(update_fields=["calendar_token", "updated_at"])
    return person


def user_sessions_end(*, user) -> None:
    """End every session of the account, on every device: the sessions' stored hash no longer
    matches (see User.get_session_auth_hash)."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])
