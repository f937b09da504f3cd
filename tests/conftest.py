import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories, helpers

# Every test runs at a stated instant (`--clock`), never at the wall clock's; the shared
# municipalities and people (voss, kvam, coordinator, member, ...) live in tests/fixtures.py.
pytest_plugins = ["tests.clock", "tests.fixtures"]


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # The production hasher is slow on purpose; tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache(settings):
    """Each test starts with an empty local-memory cache: the calendar feeds keep built bodies
    there, and allauth counts its rate limits there, so nothing may carry over from another
    test. Never the Redis of a REDIS_URL in the environment: emptying it would empty it for
    everyone (tests/network_portal/test_cache.py tries Redis, under its own key prefix)."""
    from django.core.cache import cache

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "tests",
        }
    }
    cache.clear()


@pytest.fixture
def user_factory():
    return factories.UserFactory


@pytest.fixture
def municipality_factory():
    return factories.MunicipalityFactory


@pytest.fixture
def email_domain_factory():
    return factories.EmailDomainFactory


@pytest.fixture
def contact_person_factory():
    return factories.ContactPersonFactory


@pytest.fixture
def meeting_series_factory():
    return factories.MeetingSeriesFactory


@pytest.fixture
def meeting_factory():
    return factories.MeetingFactory


@pytest.fixture
def agenda_item_factory():
    return factories.AgendaItemFactory


@pytest.fixture
def registration_factory():
    return factories.RegistrationFactory


@pytest.fixture
def staff_user(db, user_factory):
    """A county staff member: staff status and the "County staff" group, not a superuser."""
    user = user_factory(email="fylke@example.org", is_staff=True)
    user.groups.add(Group.objects.get(name="County staff"))
    return user


@pytest.fixture
def sign_in_with_second_factor():
    """Sign a test client in as a user who passed two-factor authentication, as the admin
    requires of staff: `sign_in_with_second_factor(client, user)` (tests/helpers.py)."""
    return helpers.sign_in_with_second_factor


@pytest.fixture
def staff_client(client, staff_user):
    """Signed in as `staff_user` with an authenticator app and the code given at login, so
    the admin opens (a plain force_login is a password-only session, which it refuses)."""
    helpers.sign_in_with_second_factor(client, staff_user)
    return client


@pytest.fixture
def en_client(client):
    """The test client after choosing English in the language switcher (the portal's cookie)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def staff_en_client(staff_client):
    """`staff_client` with English chosen, so admin messages can be matched in English."""
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return staff_client


@pytest.fixture
def count_queries():
    """Call `func` and return (number of database queries it ran, its return value)."""

    def count(func):
        with CaptureQueriesContext(connection) as context:
            result = func()
        return len(context.captured_queries), result

    return count


@pytest.fixture
def verified_user_factory():
    return factories.VerifiedUserFactory


@pytest.fixture
def linked_contact_person_factory():
    return factories.LinkedContactPersonFactory


@pytest.fixture
def client_for():
    """A new test client signed in as the contact person's account, with English chosen, so
    flash messages can be matched in the source language. Pass `language=` for another."""

    def make(person, *, language="en", **client_kwargs):
        from django.test import Client

        new_client = Client(**client_kwargs)
        new_client.force_login(person.user)
        if language:
            new_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        return new_client

    return make


@pytest.fixture
def meeting_with_deadline(meeting_factory):
    """Make a scheduled meeting whose registration closes at `deadline`; it starts three days
    later. Returned as stored, in UTC, so a `fold` on the deadline cannot mislead comparisons
    (Python ignores `fold` when both datetimes share a tzinfo)."""

    import datetime as dt

    def make(deadline, **kwargs):
        starts_at = deadline + dt.timedelta(days=3)
        meeting = meeting_factory(
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=3),
            registration_deadline=deadline,
            **kwargs,
        )
        meeting.refresh_from_db()
        return meeting

    return make


@pytest.fixture
def freeze_now(clock):
    """Stop the clock at `moment` (until the next call) and return it in UTC. Everything reads
    this clock: Django's `timezone.now()`, `datetime.now()` and `time.time()`. Sign clients in
    after freezing: a session expires by the frozen clock."""
    import datetime as dt

    def freeze(moment):
        fixed = moment.astimezone(dt.UTC)
        clock.move_to(fixed, tick=False)
        return fixed

    return freeze


@pytest.fixture
def ics_events():
    """Parse an iCalendar body (bytes or str) with icalendar; return its VEVENTs by UID."""
    import icalendar

    def parse(body):
        calendar = icalendar.Calendar.from_ical(body)
        return {str(event["UID"]): event for event in calendar.walk("VEVENT")}

    return parse


@pytest.fixture
def fresh_vobject_time_zones(monkeypatch):
    """vobject keeps the first VTIMEZONE it reads for a TZID for the rest of the process, so a
    later file would be read with another file's transitions (a summer meeting then gets
    winter time). Give each test an empty registry, so every file is read with its own."""
    import vobject.icalendar

    registry = vars(vobject.icalendar)["__tzidMap"]
    monkeypatch.setattr(vobject.icalendar, "__tzidMap", {"UTC": registry["UTC"]})


@pytest.fixture
def ics_attachment():
    """The .ics attached to an e-mail, as bytes (AssertionError unless exactly one)."""

    def attachment(message) -> bytes:
        found = [a for a in message.attachments if a.mimetype.startswith("text/calendar")]
        assert len(found) == 1, f"{len(found)} calendar attachments in {message.subject!r}"
        content = found[0].content
        return content.encode() if isinstance(content, str) else content

    return attachment


@pytest.fixture
def mailing_factory():
    return factories.MailingFactory


@pytest.fixture
def mailing_recipient_factory():
    return factories.MailingRecipientFactory


@pytest.fixture
def send_invitation(django_capture_on_commit_callbacks):
    """Make an invitation for a meeting to the given contact persons and municipalities'
    official mailboxes through the services, send it (the immediate task backend runs the
    queue at the commit), and return the mailing."""

    def send(meeting, *, persons=(), mailboxes=(), subject=None, body=None):
        from meetings import emails, invitations, services
        from meetings.models import Mailing

        recipients = [
            invitations.Recipient(m.official_email, m.name, m.pk, None) for m in mailboxes
        ] + [invitations.Recipient(p.email, p.name, p.municipality_id, p.pk) for p in persons]
        default_subject, default_body = emails.default_mailing_text(
            meeting, Mailing.Kind.INVITATION
        )
        mailing = services.mailing_create(
            meeting=meeting,
            kind=Mailing.Kind.INVITATION,
            subject=subject or default_subject,
            body=body or default_body,
            recipients=recipients,
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.mailing_send(mailing=mailing)
        mailing.refresh_from_db()
        return mailing

    return send


@pytest.fixture
def project_idea_factory():
    return factories.ProjectIdeaFactory


@pytest.fixture
def interest_factory():
    return factories.InterestFactory


@pytest.fixture
def presentation_factory():
    return factories.PresentationFactory


@pytest.fixture
def programme():
    """A programme seeded by the projects migration, by name: `programme("Erasmus+")`."""
    from projects.models import EUProgramme

    return lambda name: EUProgramme.objects.get(name=name)


@pytest.fixture
def material_factory():
    return factories.MaterialFactory


@pytest.fixture
def material_storage(settings, tmp_path):
    """Meeting materials stored in the test's own directory, through the "materials" alias
    as in production; returns that directory."""
    location = tmp_path / "materials"
    settings.STORAGES = {
        **settings.STORAGES,
        "materials": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location, "base_url": None},
        },
    }
    return location
