"""Small helpers shared by test modules."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse


def result_pks(response) -> set[int]:
    """The primary keys an admin changelist shows."""
    return {obj.pk for obj in response.context["cl"].result_list}


def management_form(prefix: str, total: int = 0, initial: int = 0) -> dict[str, int]:
    """The hidden fields of an admin inline formset, as a browser would post them."""
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def validation_errors(instance) -> dict[str, list[str]]:
    """The messages `full_clean()` gives, by field; fails if the instance is valid."""
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


def download_url(meeting) -> str:
    return reverse("meetings:calendar", kwargs={"slug": meeting.slug})


def feed_url(person) -> str:
    return reverse("personal_feed", kwargs={"token": person.calendar_token})


def email_address_of_length(length: int) -> str:
    """A syntactically valid e-mail address of exactly `length` characters (at least 70):
    Django's EmailValidator accepts up to 320, our columns hold 254."""
    remaining = length - len("k" * 64 + "@") - len("no")
    labels = []
    while remaining > 0:
        # Each label takes its characters and a dot; no label may be empty.
        take = min(64, remaining)
        if remaining - take == 1:
            take -= 1
        labels.append("d" * (take - 1))
        remaining -= take
    result = "k" * 64 + "@" + ".".join([*labels, "no"])
    assert len(result) == length
    return result


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now for `secret`, by allauth's own TOTP helpers
    (freeze the clock with time-machine: a code lives for one 30-second period)."""
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))


def sign_in_with_second_factor(client, user):
    """Sign `client` in as `user` the way allauth's login with two-factor authentication leaves
    the session: a password step, then a TOTP step recorded by allauth's own flow. The user
    gets an authenticator app (TOTP) first if they have none. Returns the authenticator."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.base.internal.flows import post_authentication
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.test import RequestFactory

    authenticator = Authenticator.objects.filter(
        user=user, type=Authenticator.Type.TOTP
    ).first() or (TOTP.activate(user, generate_totp_secret()).instance)
    client.force_login(user)
    request = RequestFactory().get("/")
    request.user = user
    request.session = client.session
    record_authentication(request, user, method="password", email=user.email)
    # What allauth's AuthenticateForm.save() does once the code is accepted.
    post_authentication(request, authenticator)
    request.session.save()
    return authenticator


def register(meeting, person, *, actor=None, now=None):
    """Register `person` for `meeting` through the registration service with empty answers,
    as `actor` (the person themself unless given), at `now` (the clock unless given): a seat
    if one is free, else the waiting list. Returns the registration."""
    from meetings import services

    registration, _created = services.registration_create(
        meeting=meeting,
        person=person,
        actor=actor or person,
        answers=services.RegistrationAnswers(),
        now=now,
    )
    return registration
