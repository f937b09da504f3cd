"""The benchmark data generator (benchmarks/scale_data.py), at a tiny scale on the test database."""

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count

from benchmarks import scale_data
from meetings.models import Mailing, MailingRecipient, Meeting, Registration
from members.models import ContactPerson, EmailDomain, Municipality
from projects.models import Interest, ProjectIdea

SCALE = 0.005


def quiet(*args):
    pass


def test_generates_the_scaled_data_set_once(db):
    result = scale_data.generate(scale=SCALE, log=quiet)

    expected = scale_data.scaled_counts(SCALE)
    national = scale_data.scaled_counts(1)
    assert national["contact_persons"] == 20_000
    assert national["registrations"] == 100_000
    assert national["big_municipality_contacts"] == 350
    assert national["big_meeting_registrations"] == 2_000
    assert expected["contact_persons"] == 100
    assert expected["registrations"] == 500
    assert Municipality.objects.count() == expected["municipalities"]
    assert ContactPerson.objects.count() == expected["contact_persons"]
    assert Meeting.objects.count() == expected["meetings"]
    assert Registration.objects.count() == expected["registrations"]
    assert ProjectIdea.objects.count() == expected["project_ideas"]
    assert MailingRecipient.objects.count() == expected["mailing_recipients"]
    assert Mailing.objects.count() == Meeting.objects.filter(starts_at__isnull=False).count()
    assert result["counts"]["registrations"] == expected["registrations"]

    # Past and coming meetings, every registration status, the big meeting open.
    assert set(Registration.objects.values_list("status", flat=True)) == {
        "confirmed",
        "waitlisted",
        "cancelled",
    }
    assert Meeting.objects.past().exists()
    assert Meeting.objects.upcoming().exists()
    big_meeting = Meeting.objects.get(slug=scale_data.BIG_MEETING_SLUG)
    assert big_meeting.registration_is_open()
    assert big_meeting.registrations.count() == expected["big_meeting_registrations"]

    # Only .test addresses, and rows the models' validators accept.
    addresses = [
        *get_user_model().objects.values_list("email", flat=True),
        *ContactPerson.objects.values_list("email", flat=True),
        *MailingRecipient.objects.values_list("email", flat=True),
    ]
    assert all(address.endswith(".test") for address in addresses)
    assert all(
        domain.endswith(".kommune.test")
        for domain in EmailDomain.objects.values_list("domain", flat=True)
    )
    for model in (Municipality, ContactPerson, Meeting, Registration, ProjectIdea, Interest):
        for instance in model.objects.order_by("pk")[:20]:
            instance.full_clean(validate_unique=False)

    # The logins the page benchmark signs in with.
    logins = result["logins"]
    coordinator = ContactPerson.objects.get(email=logins["coordinator"])
    assert coordinator.is_coordinator
    assert coordinator.user.emailaddress_set.filter(verified=True, primary=True).exists()
    assert coordinator.user.check_password(scale_data.PASSWORD)
    biggest = Municipality.objects.annotate(n=Count("contact_persons")).order_by("-n").first()
    assert biggest == coordinator.municipality
    assert biggest.name == scale_data.BIG_MUNICIPALITY_NAME
    assert ContactPerson.objects.get(email=logins["member"]).calendar_includes_all
    staff = get_user_model().objects.get(email=logins["staff"])
    assert staff.is_staff
    assert staff.groups.filter(name="County staff").exists()
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()

    # A second run adds nothing.
    with pytest.raises(scale_data.AlreadyGenerated):
        scale_data.generate(scale=SCALE, log=quiet)
    assert Registration.objects.count() == expected["registrations"]


def fingerprint(seed: int) -> list:
    """What a run with `seed` writes (without primary keys), rolled back afterwards."""
    with transaction.atomic():
        scale_data.generate(scale=SCALE, seed=seed, log=quiet)
        rows = [
            list(ContactPerson.objects.order_by("email").values_list("email", "calendar_token")),
            list(Meeting.objects.order_by("slug").values_list("slug", "starts_at", "capacity")),
            sorted(
                Registration.objects.values_list("meeting__slug", "contact_person__email", "status")
            ),
        ]
        transaction.set_rollback(True)
    return rows


def test_the_same_seed_gives_the_same_data(db):
    first = fingerprint(7)
    assert not Meeting.objects.exists()
    assert fingerprint(7) == first
    assert fingerprint(8) != first
