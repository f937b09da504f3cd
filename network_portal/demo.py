"""Demo data: the network as the founding invitation of 22 February 2018 describes it.

Everything here is idempotent: objects are looked up by a natural key (kommunenummer, domain,
e-mail, slug) and updated, so running the seed twice leaves one copy of each.
"""

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sites.models import Site
from django.db import transaction
from django.utils import timezone

from meetings import polls
from meetings.models import (
    AgendaItem,
    DatePoll,
    DatePollAnswer,
    DatePollCandidate,
    Meeting,
    MeetingReminder,
    MeetingSeries,
    Registration,
)
from members.models import ContactPerson, EmailDomain, Municipality, NetworkOwner, Sector
from members.services import municipalities_merge, network_owner_update
from projects.models import Call, EUProgramme, Interest, ProjectIdea
from projects.services import call_save, idea_create, programme_follow

OSLO = ZoneInfo("Europe/Oslo")
COUNTY = "Hordaland"
ORGANISER_EMAIL = "kommunenettverk@example.org"
# Who ran the network before and after the county reform of 1 January 2020, when Hordaland
# and Sogn og Fjordane became Vestland. The contact person and phone are example data.
HORDALAND_OWNER = NetworkOwner(
    name="Hordaland fylkeskommune",
    section="Regionalavdelinga, Seksjon for forskning, internasjonalisering og analyse",
    address="Agnes Mowinckels gate 5, 5008 Bergen",
    contact_name="Kari Nordmann",
    contact_title="seksjonsleiar",
    phone="+47 55 00 00 00",
    email=ORGANISER_EMAIL,
)
VESTLAND_OWNER = {
    "name": "Vestland fylkeskommune",
    "section": "Avdeling for strategisk utvikling og digitalisering",
    "address": "Postboks 7900, 5020 Bergen",
    "contact_name": "Kari Nordmann",
    "contact_title": "seniorrådgivar",
    "phone": "+47 55 00 00 00",
    "email": ORGANISER_EMAIL,
    "website": "https://www.vestlandfylke.no/",
}
SERIES_NAME = "Internasjonalt kommunenettverk i Hordaland"

# The municipalities of Hordaland in 2018: (kommunenummer, name).
MUNICIPALITIES_2018 = [
    ("1201", "Bergen"),
    ("1211", "Etne"),
    ("1216", "Sveio"),
    ("1219", "Bømlo"),
    ("1221", "Stord"),
    ("1222", "Fitjar"),
    ("1223", "Tysnes"),
    ("1224", "Kvinnherad"),
    ("1227", "Jondal"),
    ("1228", "Odda"),
    ("1231", "Ullensvang"),
    ("1232", "Eidfjord"),
    ("1233", "Ulvik"),
    ("1234", "Granvin"),
    ("1235", "Voss"),
    ("1238", "Kvam"),
    ("1241", "Fusa"),
    ("1242", "Samnanger"),
    ("1243", "Os"),
    ("1244", "Austevoll"),
    ("1245", "Sund"),
    ("1246", "Fjell"),
    ("1247", "Askøy"),
    ("1251", "Vaksdal"),
    ("1252", "Modalen"),
    ("1253", "Osterøy"),
    ("1256", "Meland"),
    ("1259", "Øygarden"),
    ("1260", "Radøy"),
    ("1263", "Lindås"),
    ("1264", "Austrheim"),
    ("1265", "Fedje"),
    ("1266", "Masfjorden"),
]

# Municipalities that joined at the first meeting, so the demo has members and non-members.
FOUNDING_MEMBERS = {
    "1201",
    "1219",
    "1221",
    "1224",
    "1235",
    "1238",
    "1243",
    "1246",
    "1247",
    "1253",
    "1263",
}

# Fictional people; never the real persons named in the invitation.
DEMO_PEOPLE = [
    ("Kari Nordmann", "kari.nordmann", "1201", Sector.BUSINESS, ContactPerson.Role.COORDINATOR),
    ("Ola Fjellstad", "ola.fjellstad", "1201", Sector.CULTURE, ContactPerson.Role.MEMBER),
    (
        "Ingrid Havsund",
        "ingrid.havsund",
        "1247",
        Sector.HEALTH_CARE,
        ContactPerson.Role.COORDINATOR,
    ),
    ("Nils Brekke", "nils.brekke", "1238", Sector.EDUCATION, ContactPerson.Role.MEMBER),
    ("Sigrid Vik", "sigrid.vik", "1235", Sector.VOLUNTARY, ContactPerson.Role.MEMBER),
    ("Lars Myklebust", "lars.myklebust", "1246", Sector.PLANNING, ContactPerson.Role.COORDINATOR),
]

# The mergers of 1 January 2020 among the municipalities above; the file names its source.
MERGERS_FILE = Path(__file__).resolve().parent / "data" / "mergers_2020.json"

STAFF_EMAIL = "staff@example.org"
STAFF_PASSWORD = "kommunenettverk-demo"  # noqa: S105 - local demo only, stated in the README
MEMBER_PASSWORD = "kommunenettverk-demo"  # noqa: S105 - local demo only, stated in the README


def upsert(model, defaults: dict, **lookup):
    """Like update_or_create, but saves only what changed, so a second run writes nothing
    (and adds no rows to the change history)."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **defaults), True
    changed = [name for name, value in defaults.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, defaults[name])
    if changed:
        obj.save()
    return obj, False


def ascii_fold(name: str) -> str:
    return name.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a").replace(" ", "")


def at_oslo(year, month, day, hour=0, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=OSLO)


@transaction.atomic
def seed_demo(*, today: dt.date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    _seed_site()
    municipalities = _seed_municipalities()
    people = _seed_people(municipalities)
    _seed_staff_user()
    owner = _seed_owner()
    series_2018 = _seed_2018_series(people)
    # After 2018's registrations, which stay with the municipalities of their time.
    merged = _seed_mergers(today)
    for person in people:
        # The mergers moved some of them.
        person.refresh_from_db(fields=["municipality"])
    coming = _seed_coming_series(today.year + 1, people, owner)
    ideas = _seed_ideas(people)
    calls = _seed_calls(today, ideas, people)
    return {
        "municipalities": len(municipalities) + len(merged),
        "contact persons": len(people),
        "meetings": Meeting.objects.filter(series__in=[series_2018, coming]).count(),
        "project ideas": len(ideas),
        "calls for proposals": len(calls),
    }


def _seed_site():
    domain = settings.SITE_URL.split("://", 1)[-1]
    Site.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": "Kommunenettverket"}
    )


def _seed_municipalities() -> dict[str, Municipality]:
    result = {}
    for number, name in MUNICIPALITIES_2018:
        domain = f"{ascii_fold(name)}.kommune.no"
        municipality, _ = upsert(
            Municipality,
            number=number,
            defaults={
                "name": name,
                "county": COUNTY,
                "official_email": f"postmottak@{domain}",
                "website": f"https://www.{domain}/",
                "member_since": dt.date(2018, 3, 7) if number in FOUNDING_MEMBERS else None,
            },
        )
        # A merged municipality's domain has moved to its successor, and stays there.
        if municipality.successor_id is None:
            upsert(EmailDomain, {"municipality": municipality}, domain=domain)
        result[number] = municipality
    return result


def _seed_people(municipalities) -> list[ContactPerson]:
    User = get_user_model()
    people = []
    names = dict(MUNICIPALITIES_2018)
    for name, local_part, number, sector, role in DEMO_PEOPLE:
        municipality = municipalities[number]
        # After the mergers, people belong to the municipality their own merged into.
        while municipality.successor_id is not None:
            municipality = municipality.successor
        email = f"{local_part}@{ascii_fold(names[number])}.kommune.no"
        user, created = User.objects.get_or_create(
            email=email,
            defaults={"first_name": name.split()[0], "last_name": name.split()[-1]},
        )
        if created:
            user.set_password(MEMBER_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        person, _ = upsert(
            ContactPerson,
            email=email,
            defaults={
                "name": name,
                "municipality": municipality,
                "sector": sector,
                "role": role,
                "user": user,
                "job_title": "Rådgjevar",
            },
        )
        people.append(person)
    return people


def _seed_mergers(today: dt.date) -> list[Municipality]:
    """The 2020 mergers (see MERGERS_FILE), each recorded once, as county staff would."""
    data = json.loads(MERGERS_FILE.read_text(encoding="utf-8"))
    on = dt.date.fromisoformat(data["date"])
    if on > today:
        return []
    made = []
    for merger in data["mergers"]:
        existing = Municipality.objects.filter(number=merger["number"]).first()
        if existing is None:
            existing = municipalities_merge(
                municipalities=Municipality.objects.filter(number__in=merger["from"]),
                number=merger["number"],
                name=merger["name"],
                county=data["county"],
                on=on,
                official_email=f"postmottak@{ascii_fold(merger['name'])}.kommune.no",
                website=f"https://www.{ascii_fold(merger['name'])}.kommune.no/",
                today=today,
            )
        made.append(existing)
    return made


def _seed_staff_user():
    User = get_user_model()
    user, created = User.objects.get_or_create(
        email=STAFF_EMAIL,
        defaults={"first_name": "Fylkes", "last_name": "Tilsett", "is_staff": True},
    )
    if created:
        user.set_password(STAFF_PASSWORD)
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name="County staff"))
    EmailAddress.objects.update_or_create(
        user=user, email=STAFF_EMAIL, defaults={"verified": True, "primary": True}
    )


def _meeting(slug: str, agenda: Sequence[str] = (), **fields) -> Meeting:
    meeting, created = upsert(Meeting, slug=slug, defaults=fields)
    if created:
        # The schedule a meeting made in the admin starts with (services.meeting_save).
        MeetingReminder.objects.bulk_create(
            MeetingReminder(meeting=meeting, days_before=days)
            for days in Meeting.DEFAULT_REMINDER_DAYS
        )
    for order, title in enumerate(agenda, start=1):
        upsert(AgendaItem, {"title": title}, meeting=meeting, order=order)
    return meeting


def _seed_2018_series(people) -> MeetingSeries:
    series, _ = upsert(
        MeetingSeries,
        name=SERIES_NAME,
        year=2018,
        defaults={
            "description": (
                "Kompetanseutvikling, erfaringsutveksling og samarbeid, i hovudsak knytt til "
                "EU-program, prosjektutvikling, søknadsskriving, nettverk, tverrsektoriell og "
                "tverrfagleg tilnærming."
            ),
            **MeetingSeries.organiser_fields(HORDALAND_OWNER),
        },
    )
    kickoff = _meeting(
        "2018-1-oppstart",
        agenda=[
            "Erfaringar og god praksis – korleis skape lokal forankring",
            "Presentasjon av internasjonale prosjekt og prosjektidéar frå kommunar",
            "Kva fylkeskommunen kan bistå med",
        ],
        series=series,
        kind=Meeting.Kind.KICKOFF,
        title="Første møte i det internasjonale kommunenettverket",
        theme="Utvikle arena for erfaringsutveksling og samarbeid mellom kommunane",
        status=Meeting.Status.HELD,
        starts_at=at_oslo(2018, 3, 7, 10, 0),
        ends_at=at_oslo(2018, 3, 7, 13, 30),
        venue_name="Fylkeshuset",
        venue_address="Agnes Mowinckels gate 5, Bergen",
        registration_deadline=at_oslo(2018, 3, 5, 23, 59),
        programme_url=(
            "https://www.hordaland.no/nn-NO/kalender/internasjonalt-kommunenettverk-i-hordaland/"
        ),
    )
    _meeting(
        "2018-2-juni",
        series=series,
        kind=Meeting.Kind.PROJECT_IDENTIFICATION,
        title="Andre møte: prosjekt og samarbeid",
        theme="Identifisere prosjekt som den enkelte kommunen ønskjer å gå vidare med",
        description="Avdekke behov for samarbeid mellom kommunar.",
        status=Meeting.Status.TENTATIVE,
        tentative_period="juni",
    )
    _meeting(
        "2018-3-soknadsworkshop",
        series=series,
        kind=Meeting.Kind.APPLICATION_WORKSHOP,
        title="Tredje møte: søknadsworkshop",
        theme="Søknadsworkshop med rettleiing og bistand frå fylkeskommunen",
        status=Meeting.Status.TENTATIVE,
        tentative_period="haust/vinter",
    )
    for person in people[:4]:
        Registration.objects.get_or_create(
            meeting=kickoff,
            contact_person=person,
            defaults={"created_at": at_oslo(2018, 3, 1, 12, 0)},
        )
    return series


def _seed_owner() -> NetworkOwner:
    owner = NetworkOwner.get_solo()
    if all(getattr(owner, field) == value for field, value in VESTLAND_OWNER.items()):
        return owner  # a second run changes nothing, not even the history
    for field, value in VESTLAND_OWNER.items():
        setattr(owner, field, value)
    return network_owner_update(owner=owner)


def _seed_coming_series(year: int, people, owner: NetworkOwner) -> MeetingSeries:
    series, _ = upsert(
        MeetingSeries,
        name=SERIES_NAME,
        year=year,
        defaults={
            "description": "Møteserien for året: oppstart, prosjekt og partnarar, søknadsworkshop.",
            **MeetingSeries.organiser_fields(owner),
        },
    )
    _meeting(
        f"{year}-1-oppstart",
        agenda=[
            "Velkomen og nytt frå fylkeskommunen",
            "Erfaringar frå prosjekt i kommunane",
            "EU-program for kommunar: Erasmus+, Interreg og CERV",
        ],
        series=series,
        kind=Meeting.Kind.KICKOFF,
        title=f"Oppstartsmøte {year}",
        theme="Erfaringsutveksling og nye prosjektidéar",
        status=Meeting.Status.SCHEDULED,
        starts_at=at_oslo(year, 3, 10, 10, 0),
        ends_at=at_oslo(year, 3, 10, 13, 30),
        venue_name="Fylkeshuset",
        venue_address="Agnes Mowinckels gate 5, Bergen",
        online_url="https://video.example.org/kommunenettverk",
        registration_deadline=at_oslo(year, 3, 8, 23, 59),
        capacity=60,
    )
    _seed_june_poll(series, year, people)
    _meeting(
        f"{year}-3-soknadsworkshop",
        series=series,
        kind=Meeting.Kind.APPLICATION_WORKSHOP,
        title=f"Søknadsworkshop {year}",
        theme="Rettleiing og bistand til søknader",
        status=Meeting.Status.TENTATIVE,
        tentative_period="haust/vinter",
    )
    return series


def _seed_june_poll(series: MeetingSeries, year: int, people) -> None:
    """The June meeting, its date agreed among the members (as the founding invitation has
    it): tentative, with an open poll over three dates that a few demo people have answered.
    Once staff have picked a date in the demo, a second run leaves the meeting as picked."""
    slug = f"{year}-2-juni"
    picked = DatePoll.objects.filter(meeting__slug=slug, chosen__isnull=False).exists()
    if picked:
        return
    june = _meeting(
        slug,
        series=series,
        kind=Meeting.Kind.PROJECT_IDENTIFICATION,
        title=f"Prosjekt og partnarar {year}",
        theme="Kva prosjekt vil kommunane gå vidare med, og kven vil samarbeide?",
        status=Meeting.Status.TENTATIVE,
        tentative_period="juni",
        starts_at=None,
        ends_at=None,
        venue_name="Fylkeshuset",
        venue_address="Agnes Mowinckels gate 5, Bergen",
        registration_deadline=None,
        capacity=5,
    )
    poll, _ = upsert(DatePoll, {"closes_at": at_oslo(year, 2, 1, 12, 0)}, meeting=june)
    candidates = [
        DatePollCandidate.objects.get_or_create(
            poll=poll,
            starts_at=at_oslo(year, 6, day, 10, 0),
            ends_at=at_oslo(year, 6, day, 14, 0),
        )[0]
        for day in (8, 9, 10)
    ]
    answers = [("yes", "yes", "no"), ("no", "yes", "if_need_be"), ("yes", "if_need_be", "yes")]
    voters = [person for person in people if polls.can_answer_as_member(person)][: len(answers)]
    for person, choices in zip(voters, answers, strict=False):
        if not DatePollAnswer.objects.filter(candidate__poll=poll, contact_person=person).exists():
            polls.poll_answer(
                poll=poll,
                answers={c.pk: choice for c, choice in zip(candidates, choices, strict=True)},
                person=person,
            )


# Fictional ideas: (author index in DEMO_PEOPLE, title, need, sectors, programmes, stage).
DEMO_IDEAS = [
    (
        0,
        "Unge gründarar i distriktet",
        "Få unge startar eigne verksemder i kommunen, og mange flyttar ut etter vidaregåande.",
        [Sector.BUSINESS, Sector.EDUCATION],
        ["Erasmus+", "Interreg North Sea"],
        ProjectIdea.Stage.SEEKING_PARTNERS,
    ),
    (
        2,
        "Velferdsteknologi i heimetenesta",
        "Fleire eldre bur heime lenger, og heimetenesta manglar folk.",
        [Sector.HEALTH_CARE],
        ["Interreg North Sea", "Digital Europe"],
        ProjectIdea.Stage.SEEKING_PARTNERS,
    ),
    (
        3,
        "Skuleutveksling om klima",
        "Elevane vil lære om klimatilpassing av skular i andre land.",
        [Sector.EDUCATION],
        ["Erasmus+"],
        ProjectIdea.Stage.LEARNING,
    ),
    (
        4,
        "Frivilligsentral for inkludering",
        "Nye innbyggjarar finn ikkje vegen inn i lag og foreiningar.",
        [Sector.VOLUNTARY, Sector.CULTURE],
        ["CERV"],
        ProjectIdea.Stage.IDEA,
    ),
]


def _seed_ideas(people) -> list[ProjectIdea]:
    programmes = {p.name: p for p in EUProgramme.objects.all()}
    ideas = []
    for index, title, need, sectors, programme_names, stage in DEMO_IDEAS:
        author = people[index]
        idea = ProjectIdea.objects.filter(
            title=title, lead_municipality=author.municipality
        ).first()
        if idea is None:
            idea = idea_create(
                author=author,
                fields={"title": title, "local_need": need, "stage": stage},
                sectors=sectors,
                programmes=[programmes[name] for name in programme_names if name in programmes],
            )
        ideas.append(idea)
    # Askøy is interested in Bergen's first idea.
    Interest.objects.get_or_create(
        idea=ideas[0],
        contact_person=people[2],
        withdrawn_at=None,
        defaults={
            "municipality": people[2].municipality,
            "message": "Vi har same utfordring og vil gjerne samarbeide.",
        },
    )
    return ideas


BRUSSELS = ZoneInfo("Europe/Brussels")
FUNDING_PORTAL = (
    "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/"
    "calls-for-proposals"
)
# Calls as the programmes announce them year after year, all marked as examples: the titles
# and the dates are typical, not this year's. (programme, title, deadline as (month, day,
# hour, minute) in Brussels time, link, description, index in DEMO_IDEAS aiming at it or None)
DEMO_CALLS = [
    (
        "Erasmus+",
        "KA220-SCH Samarbeidspartnarskap i skulesektoren",
        (3, 5, 12, 0),
        "https://erasmus-plus.ec.europa.eu/programme-guide/part-b/key-action-2/"
        "cooperation-partnerships",
        "Samarbeid mellom skular, kommunar og organisasjonar i minst tre land. "
        "Søknad til det nasjonale kontoret (HK-dir).",
        2,
    ),
    (
        "Erasmus+",
        "KA122 Kortsiktige mobilitetsprosjekt",
        (10, 1, 12, 0),
        "https://erasmus-plus.ec.europa.eu/programme-guide/part-b/key-action-1",
        "Utveksling for elevar, lærlingar og tilsette, utan akkreditering.",
        0,
    ),
    (
        "Interreg North Sea",
        "Utlysing: Klimarobuste lokalsamfunn (prioritet 2)",
        (9, 16, 15, 0),
        "https://www.interregnorthsea.eu/",
        "Prosjekt med partnarar frå minst tre land rundt Nordsjøen; to-trinns søknad.",
        1,
    ),
    (
        "Horizon Europe",
        "HORIZON-MISS Klimanøytrale og smarte byar",
        (9, 23, 17, 0),
        FUNDING_PORTAL,
        "Misjonsutlysing for byar og kommunar som vil kutte utslepp raskt.",
        None,
    ),
    (
        "CERV",
        "CERV-CITIZENS-TOWN Vennskapsbyar (town-twinning)",
        (9, 18, 17, 0),
        FUNDING_PORTAL,
        "Møte mellom innbyggjarar i vennskapsbyar; små summar, enkel søknad.",
        3,
    ),
    (
        "Creative Europe",
        "CREA-CULT Europeiske samarbeidsprosjekt",
        (5, 6, 17, 0),
        FUNDING_PORTAL,
        "Kultursamarbeid mellom organisasjonar i minst tre land.",
        None,
    ),
]


def _next_deadline(today: dt.date, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    """The next time the call's usual deadline comes round, at least a fortnight ahead, so
    the demo always has open calls."""
    for year in (today.year, today.year + 1):
        deadline = dt.datetime(year, month, day, hour, minute, tzinfo=BRUSSELS)
        if deadline.date() > today + dt.timedelta(days=14):
            return deadline
    raise AssertionError("unreachable")


def _seed_calls(today: dt.date, ideas, people) -> list[Call]:
    programmes = {p.name: p for p in EUProgramme.objects.all()}
    calls = []
    for name, title, when, url, description, idea_index in DEMO_CALLS:
        programme = programmes.get(name)
        if programme is None:
            continue
        deadline = _next_deadline(today, *when)
        values = {
            "opens_on": deadline.date() - dt.timedelta(days=120),
            "deadline": deadline.astimezone(dt.UTC),
            "deadline_time_zone": "Europe/Brussels",
            "url": url,
            "description": description,
            "is_example": True,
        }
        call = Call.objects.filter(programme=programme, title=title).first()
        if call is None:
            call = Call(programme=programme, title=title)
        changed = [key for key, value in values.items() if getattr(call, key) != value]
        if call.pk is None or changed:
            for key, value in values.items():
                setattr(call, key, value)
            call = call_save(call=call)
        if idea_index is not None and not ideas[idea_index].calls.filter(pk=call.pk).exists():
            ideas[idea_index].calls.add(call)
        calls.append(call)
    # The Bergen coordinator follows the programmes of her idea, so her feed shows calls.
    for name in ("Erasmus+", "Interreg North Sea"):
        if name in programmes:
            programme_follow(person=people[0], programme=programmes[name])
    return calls
