"""Benchmark data: a national network of municipalities, generated into an empty database.

Run from the project folder, against a PostgreSQL database made for it (see README.md):

    createdb -h 127.0.0.1 -U postgres np_scale
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/np_scale \\
        .venv/bin/python benchmarks/scale_data.py [--scale 1.0] [--seed 2018]

At `--scale 1` (national) it makes about 400 municipalities, 20,000 contact persons, 500
meetings, 100,000 registrations, 2,000 project ideas and 180,000 mailing recipients; other
scales multiply every count. It runs `migrate` first, writes everything in one transaction with
`bulk_create` in batches, and prints the logins for the roles the page benchmark uses.

The same seed gives the same data, relative to the day it runs: meetings are placed before and
after "now". Every e-mail address is on a `.test` domain (RFC 2606), so nothing can ever be
mailed to a real person, and a database that already holds such addresses is refused: the
generator never adds to, or mixes with, an earlier run.
"""

import argparse
import base64
import datetime as dt
import math
import os
import random
import sys
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/np_scale"
DEFAULT_SEED = 2018
MAX_SCALE = 10.0  # keeps a mistyped argument from filling the disk

# The national data set, at --scale 1.
NATIONAL = {
    "municipalities": 400,
    "contact_persons": 20_000,
    "meetings": 500,
    "registrations": 100_000,
    "project_ideas": 2_000,
    "mailing_recipients": 180_000,
}
# The largest municipality (contact persons) and the largest meeting (registrations): the pages
# that list colleagues or registrants are measured on these.
BIG_MUNICIPALITY_CONTACTS = 350
BIG_MEETING_REGISTRATIONS = 2_000
BIG_MUNICIPALITY_NAME = "Bergen"
BIG_MUNICIPALITY_NUMBER = "4601"
BIG_MEETING_SLUG = "nasjonal-samling"

# Everything generated lives under these domains; their presence marks a generated database.
DOMAIN_SUFFIX = ".kommune.test"
STAFF_DOMAIN = "fylke.test"
STAFF_EMAIL = f"staff@{STAFF_DOMAIN}"
# One password for every generated account, hashed once: hashing 18,000 passwords with the
# production hasher would take an hour, and these accounts guard nothing.
PASSWORD = "scale-benchmark-only"  # noqa: S105 - benchmark data on .test domains, printed
SHARE_PAST = 0.88  # of the meetings: about 440 of 500 are past
SHARE_CANCELLED_REGISTRATIONS = 0.08
SHARE_WITHOUT_ACCOUNT = 0.10
BATCH_SIZE = 2_000
OSLO = ZoneInfo("Europe/Oslo")

COUNTIES = [
    "Agder",
    "Akershus",
    "Buskerud",
    "Finnmark",
    "Innlandet",
    "Møre og Romsdal",
    "Nordland",
    "Oslo",
    "Rogaland",
    "Telemark",
    "Troms",
    "Trøndelag",
    "Vestfold",
    "Vestland",
    "Østfold",
]
REGIONS = ["Nord", "Midt", "Vest", "Sør og Aust"]
NAME_HEADS = [
    "Aur", "Bjør", "Dal", "Eid", "Fjell", "Gran", "Hol", "Kvam", "Lunde", "Mo",
    "Nes", "Os", "Rø", "Sand", "Stor", "Tind", "Ulv", "Vang", "Å", "Ør",
]  # fmt: skip
NAME_TAILS = [
    "dal", "fjord", "nes", "vik", "stad", "øy", "land", "berg", "sund", "voll",
    "heim", "å", "mark", "rud", "set", "haug",
]  # fmt: skip
FIRST_NAMES = [
    "Anne", "Astrid", "Bjørn", "Eirik", "Elin", "Geir", "Guro", "Hanne", "Ingrid", "Jon",
    "Kari", "Knut", "Lars", "Liv", "Magnus", "Marit", "Nils", "Ola", "Randi", "Sigrid",
    "Solveig", "Terje", "Tone", "Trond", "Åse", "Øystein",
]  # fmt: skip
LAST_NAMES = [
    "Aas", "Berge", "Brekke", "Dahl", "Eide", "Fjeld", "Haugen", "Hansen", "Johansen",
    "Kvamme", "Lie", "Moen", "Myklebust", "Nilsen", "Nordmann", "Olsen", "Rønning", "Solberg",
    "Strand", "Sæther", "Tveit", "Vik", "Øen",
]  # fmt: skip
JOB_TITLES = ["Rådgjevar", "Seniorrådgjevar", "Prosjektleiar", "Kommunalsjef", "Konsulent", ""]
MEETING_TITLES = [
    "Oppstartsmøte",
    "Prosjekt og partnarar",
    "Søknadsworkshop",
    "Erfaringsdeling",
    "Nettverkssamling",
]
IDEA_SUBJECTS = [
    "Velferdsteknologi", "Unge gründarar", "Klimatilpassing", "Inkludering", "Digital skule",
    "Grøn mobilitet", "Kulturarv", "Frivillig arbeid", "Berekraftig turisme", "Sirkulær økonomi",
    "Folkehelse", "Lokal matproduksjon",
]  # fmt: skip
IDEA_PLACES = ["i distriktet", "i heimetenesta", "for ungdom", "i kystkommunar", "i fjellbygder"]
EUROPEAN_COUNTRIES = ["Danmark", "Tyskland", "Nederland", "Polen", "Spania", "Italia", "Latvia"]


def scaled_counts(scale: float) -> dict[str, int]:
    """The number of rows of each kind at `scale`, never so few that a page has nothing."""
    counts = {name: max(1, round(value * scale)) for name, value in NATIONAL.items()}
    counts["municipalities"] = max(2, counts["municipalities"])
    counts["contact_persons"] = max(2 * counts["municipalities"] + 2, counts["contact_persons"])
    # A person registers for a meeting once and gets its invitation once: at small scales
    # there must be enough meetings to hold the registrations and recipients.
    fill = max(counts["registrations"], counts["mailing_recipients"]) / counts["contact_persons"]
    counts["meetings"] = max(3, counts["meetings"], math.ceil(fill / 0.7))
    # The big municipality stays the biggest, also where the floors above bend the shares.
    average = math.ceil(counts["contact_persons"] / counts["municipalities"])
    counts["big_municipality_contacts"] = min(
        max(3, round(BIG_MUNICIPALITY_CONTACTS * scale), 2 * average),
        counts["contact_persons"] - (counts["municipalities"] - 1),
    )
    counts["big_meeting_registrations"] = min(
        max(3, round(BIG_MEETING_REGISTRATIONS * scale)),
        counts["registrations"],
        counts["contact_persons"],
    )
    return counts


class AlreadyGenerated(Exception):
    """The database already holds generated data."""


def already_generated() -> bool:
    from django.contrib.auth import get_user_model

    from members.models import ContactPerson, EmailDomain

    return (
        EmailDomain.objects.filter(domain__endswith=DOMAIN_SUFFIX).exists()
        or ContactPerson.objects.filter(email__iendswith=DOMAIN_SUFFIX).exists()
        or get_user_model().objects.filter(email__iendswith="@" + STAFF_DOMAIN).exists()
    )


def batches(items, size=BATCH_SIZE):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def random_token(rng: random.Random) -> str:
    """43 URL-safe characters, like members.models.new_calendar_token, from the seeded
    generator so that feed addresses are the same on every run with the same seed."""
    return base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode("ascii")


def ascii_local_part(name: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "o", "å": "a", " ": "."})
    return name.lower().translate(table)


class Generator:
    """Builds the data set in memory, then writes it table by table with `bulk_create`."""

    def __init__(self, *, scale: float, seed: int, now: dt.datetime, log=print):
        self.scale = scale
        self.counts = scaled_counts(scale)
        self.rng = random.Random(seed)
        self.now = now.replace(microsecond=0)
        self.log = log
        self.written: dict[str, int] = {}

    # --- the steps -----------------------------------------------------------------------

    def run(self) -> dict:
        from django.db import transaction

        with transaction.atomic():
            if already_generated():
                raise AlreadyGenerated(
                    f"This database already holds generated data (e-mail domains ending in "
                    f"{DOMAIN_SUFFIX} or accounts at @{STAFF_DOMAIN}). Generate into a new, "
                    "empty database instead (see benchmarks/README.md)."
                )
            self.make_password_hash()
            self.make_municipalities()
            self.make_people()
            self.make_staff()
            self.make_meetings()
            self.make_registrations()
            self.make_mailings()
            self.make_ideas()
        return {"counts": self.written, "logins": self.logins()}

    def timed(self, label, rows):
        self.written[label] = rows
        self.log(f"  {label:<24}{rows:>9,}  ({time.perf_counter() - self.started:.1f} s)")

    def make_password_hash(self):
        from django.contrib.auth.hashers import make_password

        self.started = time.perf_counter()
        self.password_hash = make_password(PASSWORD)

    def make_municipalities(self):
        from members.models import EmailDomain, Municipality

        count = self.counts["municipalities"]
        taken = set(Municipality.objects.values_list("number", flat=True))
        numbers = []
        if BIG_MUNICIPALITY_NUMBER not in taken:
            numbers.append(BIG_MUNICIPALITY_NUMBER)
            taken.add(BIG_MUNICIPALITY_NUMBER)
        candidates = [f"{n:04d}" for n in range(101, 10000) if f"{n:04d}" not in taken]
        numbers += sorted(self.rng.sample(candidates, count - len(numbers)))
        municipalities = []
        for index, number in enumerate(numbers):
            if index == 0:
                name = BIG_MUNICIPALITY_NAME
            else:
                name = self.rng.choice(NAME_HEADS) + self.rng.choice(NAME_TAILS)
            domain = f"k{number}{DOMAIN_SUFFIX}"
            municipalities.append(
                Municipality(
                    name=name,
                    number=number,
                    county=COUNTIES[index % len(COUNTIES)],
                    official_email=f"postmottak@{domain}",
                    website=f"https://{domain}/",
                    # Nine in ten are members of the network.
                    member_since=(
                        dt.date(2010 + self.rng.randrange(15), 1 + self.rng.randrange(12), 1)
                        if index == 0 or self.rng.random() < 0.9
                        else None
                    ),
                )
            )
        self.municipalities = Municipality.objects.bulk_create(municipalities, BATCH_SIZE)
        self.big_municipality = self.municipalities[0]
        EmailDomain.objects.bulk_create(
            [
                EmailDomain(municipality=m, domain=f"k{m.number}{DOMAIN_SUFFIX}")
                for m in self.municipalities
            ],
            BATCH_SIZE,
        )
        self.timed("municipalities", len(self.municipalities))

    def make_people(self):
        from allauth.account.models import EmailAddress
        from django.contrib.auth import get_user_model

        from members.models import ContactPerson, Sector

        User = get_user_model()
        total = self.counts["contact_persons"]
        big = self.counts["big_municipality_contacts"]
        others = self.municipalities[1:]
        # Every other municipality has at least one person; the rest are spread at random.
        homes = [self.big_municipality] * big + list(others)
        homes += self.rng.choices(others, k=total - len(homes))
        sectors = [choice.value for choice in Sector]
        people = []
        seen_first = set()
        for index, municipality in enumerate(homes):
            first = self.rng.choice(FIRST_NAMES)
            last = self.rng.choice(LAST_NAMES)
            domain = f"k{municipality.number}{DOMAIN_SUFFIX}"
            role = ContactPerson.Role.MEMBER
            if municipality.pk not in seen_first:
                # The first person of each municipality coordinates it.
                seen_first.add(municipality.pk)
                role = ContactPerson.Role.COORDINATOR
            elif self.rng.random() < 0.02:
                role = ContactPerson.Role.COORDINATOR
            local = f"{ascii_local_part(first)}.{ascii_local_part(last)}.{index}"
            if index == 0:
                local, first, last = "coordinator", "Kari", "Koordinator"
            elif index == 1:
                local, first, last = "member", "Ola", "Medlem"
            people.append(
                ContactPerson(
                    name=f"{first} {last}",
                    email=f"{local}@{domain}",
                    phone=f"+47 {40000000 + index}",
                    job_title=self.rng.choice(JOB_TITLES),
                    sector=self.rng.choice(sectors),
                    municipality=municipality,
                    role=role,
                    preferred_language=self.rng.choices(["nn", "nb", "en"], [6, 3, 1])[0],
                    calendar_token=random_token(self.rng),
                    # The member login reads the personal feed with every network meeting.
                    calendar_includes_all=index == 1 or self.rng.random() < 0.1,
                )
            )
        users = []
        for index, person in enumerate(people):
            if index >= 2 and self.rng.random() < SHARE_WITHOUT_ACCOUNT:
                continue
            first, last = person.name.split(" ", 1)
            users.append(
                User(
                    email=person.email,
                    first_name=first,
                    last_name=last,
                    password=self.password_hash,
                    date_joined=self.now - dt.timedelta(days=self.rng.randrange(1, 3000)),
                )
            )
        users = User.objects.bulk_create(users, BATCH_SIZE)
        by_email = {user.email: user for user in users}
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
            BATCH_SIZE,
        )
        for person in people:
            person.user = by_email.get(person.email)
        self.people = ContactPerson.objects.bulk_create(people, BATCH_SIZE)
        self.coordinator, self.member = self.people[0], self.people[1]
        self.big_municipality_people = [p for p in self.people if p.municipality_id == homes[0].pk]
        self.timed("users", len(users))
        self.timed("contact_persons", len(self.people))

    def make_staff(self):
        from allauth.account.models import EmailAddress
        from allauth.mfa.totp.internal.auth import TOTP
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        User = get_user_model()
        self.staff = User.objects.create(
            email=STAFF_EMAIL,
            first_name="Fylkes",
            last_name="Tilsett",
            is_staff=True,
            password=self.password_hash,
        )
        group = Group.objects.filter(name="County staff").first()
        if group is not None:
            self.staff.groups.add(group)
        else:  # pragma: no cover - the migrations make the group
            self.staff.is_superuser = True
            self.staff.save(update_fields=["is_superuser"])
        EmailAddress.objects.create(user=self.staff, email=STAFF_EMAIL, verified=True, primary=True)
        self.totp_secret = base64.b32encode(self.rng.randbytes(20)).decode("ascii")
        TOTP.activate(self.staff, self.totp_secret)

    def make_meetings(self):
        from meetings.models import Meeting, MeetingSeries

        count = self.counts["meetings"]
        past = min(count - 1, round(count * SHARE_PAST))
        future = count - past
        today = self.now.astimezone(OSLO).date()
        plans = []
        # Past meetings: one every few days back to about 13 years ago, the latest a week ago.
        step = 13 * 365 / past if past else 1
        for index in range(past):
            day = today - dt.timedelta(days=7 + round(index * step))
            cancelled = index % 30 == 29
            plans.append((day, Meeting.Status.CANCELLED if cancelled else Meeting.Status.HELD))
        # Coming meetings: from a week ahead to about ten months ahead. The first is the big
        # one, still open for registration.
        step = 300 / future
        for index in range(future):
            day = today + dt.timedelta(days=7 + round(index * step))
            if index and index % 8 == 0:
                status = Meeting.Status.TENTATIVE
            elif index and index % 15 == 0:
                status = Meeting.Status.CANCELLED
            else:
                status = Meeting.Status.SCHEDULED
            plans.append((day, status))
        plans.sort(key=lambda plan: plan[0])

        series = {}
        meetings = []
        for index, (day, status) in enumerate(plans):
            region = REGIONS[index % len(REGIONS)]
            key = (region, day.year)
            if key not in series:
                series[key] = MeetingSeries(
                    name=f"Kommunenettverket {region}",
                    year=day.year,
                    description="Erfaringsutveksling og prosjektutvikling mellom kommunane.",
                    organiser_name=f"Fylkeskommunen, seksjon {region}",
                    organiser_email=f"nettverk-{index % len(REGIONS)}@{STAFF_DOMAIN}",
                )
            title = MEETING_TITLES[index % len(MEETING_TITLES)]
            kind = [
                Meeting.Kind.KICKOFF,
                Meeting.Kind.PROJECT_IDENTIFICATION,
                Meeting.Kind.APPLICATION_WORKSHOP,
                Meeting.Kind.OTHER,
                Meeting.Kind.OTHER,
            ][index % len(MEETING_TITLES)]
            starts_at = dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=OSLO)
            tentative = status == Meeting.Status.TENTATIVE
            online = self.rng.random() < 0.4
            meetings.append(
                Meeting(
                    series=series[key],
                    kind=kind,
                    title=f"{title} {region} {day.year}",
                    slug=f"{day.year}-{index:04d}-{title.lower().replace(' ', '-')}".replace(
                        "ø", "o"
                    )
                    .replace("å", "a")
                    .replace("æ", "ae"),
                    theme="Internasjonalt samarbeid i kommunane",
                    description="Program og påmelding på portalen.",
                    status=status,
                    tentative_period="haust" if tentative else "",
                    starts_at=None if tentative else starts_at,
                    ends_at=None if tentative else starts_at + dt.timedelta(hours=4),
                    venue_name=f"Rådhuset i {self.rng.choice(self.municipalities).name}",
                    venue_address="Rådhusplassen 1",
                    online_url="https://video.example.org/nettverk" if online else "",
                    registration_deadline=(
                        None
                        if tentative
                        else starts_at - dt.timedelta(days=self.rng.choice([2, 3, 5, 7]))
                    ),
                    # Set with the registrations (make_registrations).
                    capacity=None,
                    calendar_uid=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                    sequence=self.rng.choice([0, 0, 1, 2]),
                )
            )
        # The big meeting: the first coming scheduled one, deadline two days before it.
        self.big_meeting = next(
            m for m in meetings if m.status == Meeting.Status.SCHEDULED and m.starts_at > self.now
        )
        big = self.big_meeting
        big.slug = BIG_MEETING_SLUG
        big.title = "Nasjonal samling"
        big.kind = Meeting.Kind.PROJECT_IDENTIFICATION
        big.registration_deadline = big.starts_at - dt.timedelta(days=2)
        big.capacity = max(1, round(self.counts["big_meeting_registrations"] * 0.9))

        MeetingSeries.objects.bulk_create(list(series.values()), BATCH_SIZE)
        for meeting in meetings:
            meeting.series_id = meeting.series.pk
        self.meetings = Meeting.objects.bulk_create(meetings, BATCH_SIZE)
        # created_at/updated_at are auto_now fields, which bulk_create stamps with the clock;
        # bulk_update writes the values given, so the meetings look made before they happen.
        for meeting in self.meetings:
            made = (meeting.starts_at or self.now) - dt.timedelta(days=60)
            meeting.created_at = min(made, self.now)
            meeting.updated_at = meeting.created_at
        Meeting.objects.bulk_update(self.meetings, ["created_at", "updated_at"], BATCH_SIZE)
        self.timed("meeting_series", len(series))
        self.timed("meetings", len(self.meetings))

    def make_registrations(self):
        from meetings.models import Meeting, Registration

        target = self.counts["registrations"]
        big_count = self.counts["big_meeting_registrations"]
        dated = [
            m for m in self.meetings if m.starts_at is not None and m.pk != self.big_meeting.pk
        ]
        # The rest are spread over the dated meetings, some fuller than others.
        weights = [self.rng.uniform(0.3, 1.7) for _ in dated]
        total_weight = sum(weights) or 1
        rest = target - big_count
        plan = {self.big_meeting.pk: big_count}
        for meeting, weight in zip(dated, weights, strict=True):
            plan[meeting.pk] = min(len(self.people), round(rest * weight / total_weight))
        # Rounding: take the difference from (or give it to) the fullest meetings.
        difference = target - sum(plan.values())
        for meeting in sorted(dated, key=lambda m: -plan[m.pk]):
            if difference == 0:
                break
            change = max(-plan[meeting.pk], min(difference, len(self.people) - plan[meeting.pk]))
            plan[meeting.pk] += change
            difference -= change

        # Seats follow the demand, so that some meetings fill up at every scale: a few have no
        # limit, most have somewhat fewer or more seats than people who register.
        for meeting in dated:
            share = self.rng.choice([None, 0.6, 0.8, 0.9, 1.0, 1.2, 1.5])
            meeting.capacity = None if share is None else max(1, round(plan[meeting.pk] * share))
        Meeting.objects.bulk_update(dated, ["capacity"], BATCH_SIZE)

        by_pk = {m.pk: m for m in self.meetings}
        roles = {self.coordinator.pk, self.member.pk}
        big_people = [p for p in self.big_municipality_people if p.pk not in roles]
        registrations = []
        for meeting_pk, count in plan.items():
            meeting = by_pk[meeting_pk]
            if meeting_pk == self.big_meeting.pk:
                # The coordinator and the member, most of their colleagues, and others.
                chosen = [self.coordinator, self.member]
                chosen += self.rng.sample(
                    big_people, min(len(big_people), round(len(big_people) * 0.6), count - 2)
                )
                others = [p for p in self.people if p.municipality_id != self.big_municipality.pk]
                chosen += self.rng.sample(others, max(0, count - len(chosen)))
                chosen = chosen[:count]
            else:
                chosen = self.rng.sample(self.people, count)
                # The member took part in some past meetings.
                took_part = meeting.starts_at < self.now and self.rng.random() < 0.1
                if took_part and chosen and self.member not in chosen:
                    chosen[0] = self.member
            registrations += self.registrations_for(meeting, chosen)
        self.registrations = []
        for batch in batches(registrations):
            self.registrations += Registration.objects.bulk_create(batch)
        self.timed("registrations", len(self.registrations))

    def registrations_for(self, meeting, people) -> list:
        from meetings.models import Registration

        latest = min(self.now, meeting.starts_at) - dt.timedelta(hours=1)
        moments = sorted(
            latest - dt.timedelta(minutes=self.rng.randrange(1, 40 * 24 * 60)) for _ in people
        )
        confirmed = 0
        rows = []
        for person, created in zip(people, moments, strict=True):
            cancelled = (
                person.pk not in (self.coordinator.pk, self.member.pk)
                and self.rng.random() < SHARE_CANCELLED_REGISTRATIONS
            )
            if cancelled:
                status = Registration.Status.CANCELLED
            elif meeting.capacity is None or confirmed < meeting.capacity:
                status = Registration.Status.CONFIRMED
                confirmed += 1
            else:
                status = Registration.Status.WAITLISTED
            online = bool(meeting.online_url) and self.rng.random() < 0.3
            rows.append(
                Registration(
                    meeting=meeting,
                    contact_person=person,
                    status=status,
                    attendance_mode=(
                        Registration.AttendanceMode.ONLINE
                        if online
                        else Registration.AttendanceMode.IN_PERSON
                    ),
                    dietary_needs=self.rng.choice(["", "", "", "", "Vegetar", "Glutenfri"]),
                    presenting_project_idea=self.rng.random() < 0.05,
                    created_at=created,
                    queued_at=created,
                    cancelled_at=(
                        created + (latest - created) * self.rng.random() if cancelled else None
                    ),
                    calendar_sequence=2 if cancelled else 1,
                )
            )
        return rows

    def make_mailings(self):
        from meetings.models import Mailing, MailingRecipient

        target = self.counts["mailing_recipients"]
        dated = [m for m in self.meetings if m.starts_at is not None]
        per_mailing, extra = divmod(target, len(dated))
        mailings = []
        for meeting in dated:
            created = min(
                meeting.starts_at - dt.timedelta(days=30), self.now - dt.timedelta(days=1)
            )
            mailings.append(
                Mailing(
                    meeting=meeting,
                    kind=Mailing.Kind.INVITATION,
                    subject=f"Invitasjon: {meeting.title}",
                    body=(
                        "Hei {name}!\n\nVelkomen til {meeting}, {when}, {place}.\n"
                        "Meld deg på innan {deadline}: {link}\nKan du ikkje kome: {decline_link}"
                    ),
                    created_by=self.staff,
                    queued_at=created + dt.timedelta(hours=1),
                )
            )
        mailings = Mailing.objects.bulk_create(mailings, BATCH_SIZE)
        for mailing in mailings:
            mailing.created_at = mailing.queued_at - dt.timedelta(hours=1)
        Mailing.objects.bulk_update(mailings, ["created_at"], BATCH_SIZE)

        municipalities = self.municipalities
        rows = []
        for number, mailing in enumerate(mailings):
            count = min(
                per_mailing + (1 if number < extra else 0), len(self.people) + len(municipalities)
            )
            # One in ten goes to a municipality's official mailbox, the rest to people.
            official = min(len(municipalities), count // 10)
            people = count - official
            if people > len(self.people):
                official, people = count - len(self.people), len(self.people)
            sent = mailing.queued_at + dt.timedelta(minutes=2)
            for municipality in self.rng.sample(municipalities, official):
                rows.append(
                    MailingRecipient(
                        mailing=mailing,
                        email=municipality.official_email,
                        name=municipality.name,
                        municipality=municipality,
                        status=MailingRecipient.Status.SENT,
                        attempts=1,
                        sent_at=sent,
                    )
                )
            for person in self.rng.sample(self.people, people):
                failed = self.rng.random() < 0.01
                rows.append(
                    MailingRecipient(
                        mailing=mailing,
                        email=person.email,
                        name=person.name,
                        municipality_id=person.municipality_id,
                        contact_person=person,
                        status=(
                            MailingRecipient.Status.FAILED
                            if failed
                            else MailingRecipient.Status.SENT
                        ),
                        attempts=3 if failed else 1,
                        last_error="550 Mailbox unavailable" if failed else "",
                        sent_at=None if failed else sent,
                        declined_at=(
                            sent + dt.timedelta(days=1)
                            if not failed and self.rng.random() < 0.03
                            else None
                        ),
                    )
                )
        for batch in batches(rows):
            MailingRecipient.objects.bulk_create(batch)
        self.timed("mailings", len(mailings))
        self.timed("mailing_recipients", len(rows))

    def make_ideas(self):
        from members.models import Sector
        from projects.models import (
            EUProgramme,
            EuropeanPartner,
            IdeaSector,
            Interest,
            Presentation,
            ProjectIdea,
            StageChange,
        )

        programmes = list(EUProgramme.objects.order_by("pk"))
        if not programmes:
            programmes = EUProgramme.objects.bulk_create(
                [EUProgramme(name=name) for name in ("Erasmus+", "Interreg", "CERV")]
            )
        stages = [choice.value for choice in ProjectIdea.Stage]
        stage_weights = [1 if s != ProjectIdea.Stage.SEEKING_PARTNERS else 3.5 for s in stages]
        sectors = [choice.value for choice in Sector]
        authors = self.rng.choices(self.people, k=self.counts["project_ideas"])
        ideas = []
        for index, author in enumerate(authors):
            subject = self.rng.choice(IDEA_SUBJECTS)
            created = self.now - dt.timedelta(days=self.rng.randrange(1, 5 * 365))
            stage = self.rng.choices(stages, stage_weights)[0]
            ideas.append(
                ProjectIdea(
                    title=f"{subject} {self.rng.choice(IDEA_PLACES)} ({index + 1})",
                    lead_municipality_id=author.municipality_id,
                    contact_person=author,
                    local_need=(
                        f"Kommunen treng betre løysingar for {subject.lower()}, "
                        "og vil lære av andre land."
                    ),
                    description="Vi ønskjer samarbeid med kommunar i Noreg og Europa. " * 3,
                    stage=stage,
                    call_deadline=(
                        (self.now + dt.timedelta(days=self.rng.randrange(10, 300))).date()
                        if self.rng.random() < 0.3
                        else None
                    ),
                    created_at=created,
                    updated_at=created,
                )
            )
        ideas = ProjectIdea.objects.bulk_create(ideas, BATCH_SIZE)
        for idea in ideas:
            idea.updated_at = idea.created_at + dt.timedelta(
                days=self.rng.randrange(0, max(1, (self.now - idea.created_at).days))
            )
        ProjectIdea.objects.bulk_update(ideas, ["created_at", "updated_at"], BATCH_SIZE)

        idea_sectors, links, partners, european, changes = [], [], [], [], []
        for idea in ideas:
            for sector in self.rng.sample(sectors, self.rng.randint(1, 3)):
                idea_sectors.append(IdeaSector(idea=idea, sector=sector))
            for programme in self.rng.sample(
                programmes, min(len(programmes), self.rng.randint(0, 2))
            ):
                links.append(
                    ProjectIdea.programmes.through(projectidea=idea, euprogramme=programme)
                )
            for municipality in self.rng.sample(self.municipalities, self.rng.randint(0, 2)):
                if municipality.pk != idea.lead_municipality_id:
                    partners.append(
                        ProjectIdea.partner_municipalities.through(
                            projectidea=idea, municipality=municipality
                        )
                    )
            if self.rng.random() < 0.2:
                european.append(
                    EuropeanPartner(
                        idea=idea,
                        organisation=f"Kommune {self.rng.randrange(1, 500)}",
                        country=self.rng.choice(EUROPEAN_COUNTRIES),
                    )
                )
            changes.append(StageChange(idea=idea, stage=idea.stage, changed_at=idea.updated_at))
        IdeaSector.objects.bulk_create(idea_sectors, BATCH_SIZE)
        ProjectIdea.programmes.through.objects.bulk_create(links, BATCH_SIZE)
        ProjectIdea.partner_municipalities.through.objects.bulk_create(partners, BATCH_SIZE)
        EuropeanPartner.objects.bulk_create(european, BATCH_SIZE)
        StageChange.objects.bulk_create(changes, BATCH_SIZE)

        interests = []
        for idea in ideas:
            wanted = (
                self.rng.randint(0, 4)
                if idea.stage == ProjectIdea.Stage.SEEKING_PARTNERS
                else int(self.rng.random() < 0.1)
            )
            for person in self.rng.sample(self.people, wanted):
                if person.municipality_id == idea.lead_municipality_id:
                    continue
                interests.append(
                    Interest(
                        idea=idea,
                        contact_person=person,
                        municipality_id=person.municipality_id,
                        message="Vi har same utfordring og vil gjerne samarbeide.",
                        created_at=idea.updated_at,
                    )
                )
        Interest.objects.bulk_create(interests, BATCH_SIZE)

        past = [m for m in self.meetings if m.starts_at is not None and m.starts_at < self.now]
        presentations = []
        for idea in ideas:
            if past and self.rng.random() < 0.2:
                presentations.append(Presentation(idea=idea, meeting=self.rng.choice(past)))
        Presentation.objects.bulk_create(presentations, BATCH_SIZE)
        self.timed("project_ideas", len(ideas))
        self.timed("interests", len(interests))

    # --- what to print ------------------------------------------------------------------

    def logins(self) -> dict:
        return {
            "password": PASSWORD,
            "member": self.member.email,
            "coordinator": self.coordinator.email,
            "staff": STAFF_EMAIL,
            "staff_totp_secret": self.totp_secret,
            "big_municipality": f"{self.big_municipality.number} {self.big_municipality.name}",
            "big_municipality_contacts": len(self.big_municipality_people),
            "big_meeting": self.big_meeting.slug,
            "big_meeting_registrations": sum(
                1 for r in self.registrations if r.meeting_id == self.big_meeting.pk
            ),
        }


def generate(*, scale: float, seed: int = DEFAULT_SEED, now=None, log=print) -> dict:
    """Generate the data set into the configured database (Django must be set up)."""
    from django.utils import timezone

    return Generator(scale=scale, seed=seed, now=now or timezone.now(), log=log).run()


def configure(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "network_portal.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(PROJECT))

    import django

    django.setup()


def arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="1.0 is the national data set (default)"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        help=f"default: $DATABASE_URL, else {DEFAULT_DATABASE_URL}",
    )
    args = parser.parse_args(argv)
    if not 0 < args.scale <= MAX_SCALE:
        parser.error(f"--scale must be above 0 and at most {MAX_SCALE}")
    return args


def print_logins(logins: dict) -> None:
    print()
    print(f"Every account's password: {logins['password']}")
    print(f"  member       {logins['member']}")
    print(
        f"  coordinator  {logins['coordinator']} "
        f"(of {logins['big_municipality']}, {logins['big_municipality_contacts']} contact persons)"
    )
    print(
        f"  staff        {logins['staff']} (authenticator app secret for the second factor: "
        f"{logins['staff_totp_secret']})"
    )
    print(
        f"Largest meeting: /meetings/{logins['big_meeting']}/ "
        f"({logins['big_meeting_registrations']} registrations)"
    )


def main(argv=None) -> int:
    args = arguments(argv)
    configure(args.database_url)
    from django.core.management import call_command
    from django.db import connection

    print(f"Database: {connection.settings_dict['NAME']} ({connection.vendor}); migrating")
    call_command("migrate", verbosity=0, interactive=False)
    print(f"Generating at scale {args.scale} with seed {args.seed}:")
    try:
        result = generate(scale=args.scale, seed=args.seed)
    except AlreadyGenerated as refused:
        print(f"Refused: {refused}", file=sys.stderr)
        return 2
    if connection.vendor == "postgresql":
        # Fresh planner statistics, so the first benchmark does not wait for autovacuum.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print_logins(result["logins"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
