import datetime as dt
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone

from meetings.models import AgendaItem, Meeting, MeetingReminder, MeetingSeries, Registration
from members.models import ContactPerson, EmailDomain, Municipality, User

OSLO = ZoneInfo("Europe/Oslo")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality

    name = factory.Sequence(lambda n: f"Kommune {n}")
    number = factory.Sequence(lambda n: f"{9000 + n % 1000:04d}")
    county = "Hordaland"
    official_email = factory.LazyAttribute(lambda o: f"postmottak@k{o.number}.kommune.no")
    member_since = dt.date(2018, 3, 7)


class EmailDomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailDomain

    municipality = factory.SubFactory(MunicipalityFactory)
    domain = factory.LazyAttribute(lambda o: f"k{o.municipality.number}.kommune.no")


class ContactPersonFactory(factory.django.DjangoModelFactory):
    """A contact person of a new municipality, without an account. `coordinator=True` makes
    them their municipality's coordinator."""

    class Meta:
        model = ContactPerson

    class Params:
        coordinator = factory.Trait(role=ContactPerson.Role.COORDINATOR)

    name = factory.Sequence(lambda n: f"Kontakt Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    municipality = factory.SubFactory(MunicipalityFactory)


class MeetingSeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeetingSeries

    name = factory.Sequence(lambda n: f"Kommunenettverket {n}")
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    organiser_name = "Seksjon for forskning, internasjonalisering og analyse"
    organiser_email = "fia@example.org"


class MeetingFactory(factory.django.DjangoModelFactory):
    """A scheduled meeting 30 days ahead, with registration open for another 28 days.
    `registrations=` registers people through the registration service, as members would:
    a number of new contact persons (of `registrations__municipality=` if given) or a list
    of contact persons, in that order; seats first, then the waiting list."""

    class Meta:
        model = Meeting
        skip_postgeneration_save = True

    class Params:
        tentative = factory.Trait(
            status=Meeting.Status.TENTATIVE,
            starts_at=None,
            ends_at=None,
            registration_deadline=None,
            tentative_period="juni",
        )

    series = factory.SubFactory(MeetingSeriesFactory)
    kind = Meeting.Kind.KICKOFF
    title = factory.Sequence(lambda n: f"Møte {n}")
    slug = factory.Sequence(lambda n: f"mote-{n}")
    theme = "Erfaringsutveksling"
    status = Meeting.Status.SCHEDULED
    starts_at = factory.LazyFunction(
        lambda: (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)
    )
    ends_at = factory.LazyAttribute(
        lambda o: o.starts_at + dt.timedelta(hours=3, minutes=30) if o.starts_at else None
    )
    registration_deadline = factory.LazyAttribute(
        lambda o: o.starts_at - dt.timedelta(days=2) if o.starts_at else None
    )
    venue_name = "Fylkeshuset"
    venue_address = "Agnes Mowinckels gate 5, Bergen"

    @factory.post_generation
    def reminder_days(self, create, extracted, **kwargs):
        """The reminder schedule, as services.meeting_save gives a new meeting; pass
        `reminder_days=(3,)` for another."""
        if create:
            days = Meeting.DEFAULT_REMINDER_DAYS if extracted is None else extracted
            MeetingReminder.objects.bulk_create(
                MeetingReminder(meeting=self, days_before=value) for value in days
            )

    @factory.post_generation
    def registrations(self, create, extracted, municipality=None, **kwargs):
        if not (create and extracted):
            return []
        from meetings import services

        if isinstance(extracted, int):
            people = ContactPersonFactory.create_batch(
                extracted, **({"municipality": municipality} if municipality else {})
            )
        else:
            people = list(extracted)
        return [
            services.registration_create(
                meeting=self,
                person=person,
                actor=person,
                answers=services.RegistrationAnswers(),
            )[0]
            for person in people
        ]


class AgendaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaItem

    meeting = factory.SubFactory(MeetingFactory)
    order = factory.Sequence(int)
    title = factory.Sequence(lambda n: f"Agendapunkt {n}")


class RegistrationFactory(factory.django.DjangoModelFactory):
    """A confirmed registration, stored as given (not through the registration service, so
    no seat counting); `cancelled=True` for one cancelled now."""

    class Meta:
        model = Registration

    class Params:
        cancelled = factory.Trait(
            status=Registration.Status.CANCELLED, cancelled_at=factory.LazyFunction(timezone.now)
        )

    meeting = factory.SubFactory(MeetingFactory)
    contact_person = factory.SubFactory(ContactPersonFactory)
    status = Registration.Status.CONFIRMED


class VerifiedUserFactory(UserFactory):
    """A user whose e-mail address allauth has verified, as after the confirmation link."""

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        if create:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class LinkedContactPersonFactory(ContactPersonFactory):
    """A contact person with a verified account linked to it: someone who can sign in and
    register. `coordinator=True` makes them their municipality's coordinator."""

    user = factory.SubFactory(
        VerifiedUserFactory,
        email=factory.SelfAttribute("..email"),
        first_name="",
        last_name=factory.SelfAttribute("..name"),
    )


class MailingFactory(factory.django.DjangoModelFactory):
    """A draft invitation with a short text that uses the personal links."""

    class Meta:
        model = "meetings.Mailing"

    meeting = factory.SubFactory(MeetingFactory)
    kind = "invitation"
    subject = "Invitasjon: {meeting}"
    body = "Hei {name},\n\nMeld deg på her: {link}\nKan ikkje kome: {decline_link}\n"


class MailingRecipientFactory(factory.django.DjangoModelFactory):
    """An address of a mailing, queued. Give `contact_person` or `municipality` to tie it to
    a person or a municipality's official mailbox."""

    class Meta:
        model = "meetings.MailingRecipient"

    mailing = factory.SubFactory(MailingFactory)
    email = factory.Sequence(lambda n: f"mottakar{n}@example.org")
    name = factory.Sequence(lambda n: f"Mottakar {n}")


class ProjectIdeaFactory(factory.django.DjangoModelFactory):
    """An idea of the contact person's municipality, at the "idea" stage, without history.
    `municipality=voss` gives it a new contact person of Voss (a new municipality unless
    given). Pass `sectors=["health_care", ...]` and `programmes=[programme, ...]` to tag it."""

    class Meta:
        model = "projects.ProjectIdea"
        skip_postgeneration_save = True

    class Params:
        municipality = None

    title = factory.Sequence(lambda n: f"Prosjektidé {n}")
    contact_person = factory.Maybe(
        "municipality",
        yes_declaration=factory.SubFactory(
            ContactPersonFactory, municipality=factory.SelfAttribute("..municipality")
        ),
        no_declaration=factory.SubFactory(ContactPersonFactory),
    )
    lead_municipality = factory.LazyAttribute(lambda o: o.contact_person.municipality)
    local_need = "Fleire eldre treng betre tenester heime."
    stage = "idea"

    @factory.post_generation
    def sectors(obj, create, extracted, **kwargs):
        if create and extracted:
            from projects.models import IdeaSector

            IdeaSector.objects.bulk_create(
                [IdeaSector(idea=obj, sector=sector) for sector in extracted]
            )

    @factory.post_generation
    def programmes(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.programmes.set(extracted)


class InterestFactory(factory.django.DjangoModelFactory):
    """An active interest from a contact person of another municipality than the idea's."""

    class Meta:
        model = "projects.Interest"

    idea = factory.SubFactory(ProjectIdeaFactory)
    contact_person = factory.SubFactory(ContactPersonFactory)
    municipality = factory.LazyAttribute(lambda o: o.contact_person.municipality)
    message = "Vi vil gjerne vere med."


class PresentationFactory(factory.django.DjangoModelFactory):
    """An idea on a meeting's programme, added by staff unless `registration` is given.
    `by_registrant=True` has the idea's contact person present it through a confirmed
    registration for the meeting (`registration__cancelled=True` for a cancelled one)."""

    class Meta:
        model = "projects.Presentation"

    class Params:
        by_registrant = factory.Trait(
            registration=factory.SubFactory(
                RegistrationFactory,
                meeting=factory.SelfAttribute("..meeting"),
                contact_person=factory.SelfAttribute("..idea.contact_person"),
            )
        )

    idea = factory.SubFactory(ProjectIdeaFactory)
    meeting = factory.SubFactory(MeetingFactory)


# The smallest bytes each checked type starts with (meetings.uploads.sniff).
PDF_BYTES = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


class MaterialFactory(factory.django.DjangoModelFactory):
    """A members-only PDF of the meeting as a whole, in the "materials" storage (use the
    `material_storage` fixture, so the file lands in the test's own directory)."""

    class Meta:
        model = "meetings.Material"

    meeting = factory.SubFactory(MeetingFactory)
    title = factory.Sequence(lambda n: f"Lysark {n}")
    filename = "lysark.pdf"
    file = factory.django.FileField(filename=factory.SelfAttribute("..filename"), data=PDF_BYTES)
    content_type = "application/pdf"
    size = len(PDF_BYTES)


class EUProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.EUProgramme"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Programme {n}")
    url = "https://programme.example.org/"


class CallFactory(factory.django.DjangoModelFactory):
    """A call that opened a month ago and closes in 60 days at 17:00 Brussels time."""

    class Meta:
        model = "projects.Call"

    title = factory.Sequence(lambda n: f"Utlysing {n}")
    programme = factory.SubFactory(EUProgrammeFactory)
    deadline = factory.LazyFunction(
        lambda: (
            (timezone.now() + dt.timedelta(days=60))
            .astimezone(ZoneInfo("Europe/Brussels"))
            .replace(hour=17, minute=0, second=0, microsecond=0)
            .astimezone(dt.UTC)
        )
    )
    deadline_time_zone = "Europe/Brussels"
    opens_on = factory.LazyAttribute(lambda o: (o.deadline - dt.timedelta(days=90)).date())
    url = "https://ec.europa.eu/info/funding-tenders/"
    description = "Ei utlysing for kommunar."


class ProgrammeFollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.ProgrammeFollow"

    contact_person = factory.SubFactory(ContactPersonFactory)
    programme = factory.SubFactory(EUProgrammeFactory)
