"""Reads that the project pages need, each a constant number of queries."""

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from meetings.models import Meeting, Registration
from members.models import ContactPerson, Municipality, Sector
from members.permissions import Viewer

from .models import (
    Call,
    CallQuerySet,
    EUProgramme,
    EuropeanPartner,
    Interest,
    Presentation,
    ProgrammeFollow,
    ProjectIdea,
    ProjectIdeaQuerySet,
    StageChange,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_T = TypeVar("_T")


def ideas_for_listing() -> ProjectIdeaQuerySet:
    """Ideas with their lead municipality, sectors, programmes and `interest_count`.

    The count is a subquery rather than a join and GROUP BY: counting the rows of a list, or
    sorting them for a page, then needs no interests at all, and the database counts them
    only for the rows it returns."""
    interests = (
        Interest.objects.filter(idea=OuterRef("pk"), withdrawn_at__isnull=True)
        .order_by()
        .values("idea")
        .annotate(n=Count("municipality", distinct=True))
        .values("n")
    )
    return (
        ProjectIdea.objects.select_related("lead_municipality")
        .prefetch_related("sectors", "programmes")
        .annotate(interest_count=Coalesce(Subquery(interests), 0))
    )


def filter_ideas(
    queryset: ProjectIdeaQuerySet,
    *,
    q: str = "",
    sector: str = "",
    programme: EUProgramme | None = None,
    stage: str = "",
    municipality: Municipality | None = None,
    seeking_partners: bool = False,
) -> ProjectIdeaQuerySet:
    if q:
        queryset = queryset.filter(
            Q(title__icontains=q)
            | Q(local_need__icontains=q)
            | Q(description__icontains=q)
            | Q(lead_municipality__name__icontains=q)
        )
    if sector:
        queryset = queryset.filter(sectors__sector=sector)
    if programme is not None:
        queryset = queryset.filter(programmes=programme)
    if stage:
        queryset = queryset.filter(stage=stage)
    if municipality is not None:
        queryset = queryset.filter(lead_municipality=municipality)
    if seeking_partners:
        queryset = queryset.seeking_partners()
    return queryset.distinct()


def idea_for_detail_queryset() -> ProjectIdeaQuerySet:
    return ProjectIdea.objects.select_related(
        "lead_municipality", "contact_person"
    ).prefetch_related(
        "sectors",
        "programmes",
        "partner_municipalities",
        Prefetch("european_partners", queryset=EuropeanPartner.objects.order_by("country", "pk")),
        Prefetch("stage_changes", queryset=StageChange.objects.order_by("changed_at", "pk")),
        Prefetch(
            "interests",
            queryset=Interest.objects.filter(withdrawn_at__isnull=True).select_related(
                "municipality", "contact_person"
            ),
            to_attr="active_interests",
        ),
        Prefetch(
            "calls", queryset=Call.objects.select_related("programme").order_by("deadline", "pk")
        ),
        Prefetch(
            "presentations",
            queryset=standing_presentations()
            .select_related("meeting")
            .order_by("meeting__starts_at", "pk"),
            to_attr="standing_presentations",
        ),
    )


@dataclass
class Suggestion:
    idea: ProjectIdea
    score: int
    reasons: list[str]


def partner_suggestions(idea: ProjectIdea, *, limit: int = 10) -> list[Suggestion]:
    """Other municipalities' ideas that share sectors or programmes with this one, most
    overlap first, each with the reason in words."""
    sectors = set(idea.sector_values)
    programmes = {p.pk: p for p in idea.programmes.all()}
    if not sectors and not programmes:
        return []
    candidates = (
        ProjectIdea.objects.exclude(lead_municipality_id=idea.lead_municipality_id)
        .filter(Q(sectors__sector__in=sectors) | Q(programmes__in=programmes))
        .annotate(
            shared_sectors=Count("sectors", filter=Q(sectors__sector__in=sectors), distinct=True),
            shared_programmes=Count(
                "programmes", filter=Q(programmes__in=programmes), distinct=True
            ),
        )
        .annotate(score=F("shared_sectors") + F("shared_programmes"))
        .order_by("-score", "-updated_at", "pk")
        .select_related("lead_municipality")
        # What a suggestion shows: grouping and sorting every column of the ideas and their
        # municipalities cost most of the query.
        .only("title", "updated_at", "lead_municipality__name")
        .prefetch_related("sectors", "programmes")
        .distinct()[:limit]
    )
    labels = dict(Sector.choices)
    result: list[Suggestion] = []
    for candidate in candidates:
        shared_sectors = sorted(sectors & set(candidate.sector_values))
        shared_programmes = sorted(p.name for p in candidate.programmes.all() if p.pk in programmes)
        reasons = [
            _("same sector: %(sector)s") % {"sector": labels[s].lower()} for s in shared_sectors
        ] + [_("same programme: %(programme)s") % {"programme": name} for name in shared_programmes]
        result.append(Suggestion(candidate, candidate.score, reasons))
    return result


# A municipality's page lists its contact persons a page at a time, and its latest ideas and
# meetings: a large municipality has hundreds of people and dozens of ideas.
MUNICIPALITY_PEOPLE_PER_PAGE = 20
MUNICIPALITY_IDEAS_SHOWN = 10
MUNICIPALITY_MEETINGS_SHOWN = 10


@dataclass(frozen=True)
class MunicipalityPage:
    people: Page[ContactPerson]
    ideas: list[ProjectIdea]
    # Whether there are more than shown; the page links to the filtered idea list.
    more_ideas: bool
    participation: Sequence[Mapping[str, Any]]
    more_participation: bool


def municipality_page(
    municipality: Municipality, *, viewer: Viewer, people_page: int | str = 1
) -> MunicipalityPage:
    """Contact persons (a page of them), the latest ideas and the latest meetings of one
    municipality, as far as the viewer may see them (members.permissions), in a constant
    number of queries. An unknown page number gives the first page, one past the end the
    last."""
    people = (
        ContactPerson.objects.visible_to(viewer)
        .active()
        .filter(municipality=municipality, anonymised_at__isnull=True)
        .only("name", "email", "phone", "job_title", "sector", "role", "anonymised_at")
        .order_by("name", "pk")
    )
    ideas = list(
        ideas_for_listing()
        .visible_to(viewer)
        .filter(lead_municipality=municipality)
        .order_by("-updated_at", "-pk")[: MUNICIPALITY_IDEAS_SHOWN + 1]
    )
    participation = list(
        # The municipality as registered: meetings before a merger stay with the old one.
        Registration.objects.active()
        .filter(municipality=municipality)
        .values("meeting__pk", "meeting__title", "meeting__slug", "meeting__starts_at")
        .annotate(count=Count("pk"))
        .order_by(F("meeting__starts_at").desc(nulls_last=True), "meeting__pk")[
            : MUNICIPALITY_MEETINGS_SHOWN + 1
        ]
    )
    return MunicipalityPage(
        people=Paginator(people, MUNICIPALITY_PEOPLE_PER_PAGE).get_page(people_page),
        ideas=ideas[:MUNICIPALITY_IDEAS_SHOWN],
        more_ideas=len(ideas) > MUNICIPALITY_IDEAS_SHOWN,
        participation=participation[:MUNICIPALITY_MEETINGS_SHOWN],
        more_participation=len(participation) > MUNICIPALITY_MEETINGS_SHOWN,
    )


def standing_presentations() -> QuerySet[Presentation]:
    """Presentations that still hold: added by staff, or by a registrant still registered."""
    return Presentation.objects.filter(
        Q(registration__isnull=True) | ~Q(registration__status=Registration.Status.CANCELLED)
    )


def ideas_presented_at(meeting: Meeting) -> ProjectIdeaQuerySet:
    """Ideas to be presented at a meeting."""
    return (
        ProjectIdea.objects.filter(
            Exists(standing_presentations().filter(meeting=meeting, idea=OuterRef("pk")))
        )
        .select_related("lead_municipality")
        .order_by("lead_municipality__name", "title")
    )


# The project identification meeting's page shows this many ideas seeking partners per
# sector; the project list, filtered by sector, has them all.
SEEKING_PARTNERS_PER_SECTOR = 5


@dataclass(frozen=True)
class SectorGroup:
    sector: str
    label: "StrOrPromise"
    ideas: list[ProjectIdea]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.ideas)


def ideas_seeking_partners_by_sector(
    *, per_sector: int = SEEKING_PARTNERS_PER_SECTOR
) -> list[SectorGroup]:
    """Ideas seeking partners, grouped by sector (an idea shows under each of its sectors,
    one without any under "other"): the first `per_sector` by title, and how many there are.
    Two queries, however many ideas seek partners."""
    seeking = ProjectIdea.objects.seeking_partners().annotate(
        group=Coalesce("sectors__sector", Value(Sector.OTHER.value))
    )
    totals = dict(seeking.order_by().values_list("group").annotate(n=Count("pk", distinct=True)))
    first = (
        seeking.annotate(
            rank=Window(RowNumber(), partition_by=F("group"), order_by=[F("title"), F("pk")])
        )
        .filter(rank__lte=per_sector)
        .select_related("lead_municipality")
        # What the lists show: not the ideas' long texts, read twice over by the window.
        .only("title", "lead_municipality__name")
        .order_by("title", "pk")
    )
    groups: dict[str, list[ProjectIdea]] = {}
    for idea in first:
        groups.setdefault(idea.group, []).append(idea)
    return [
        SectorGroup(sector, label, groups[sector], totals[sector])
        for sector, label in Sector.choices
        if sector in groups
    ]


# --- Cached idea lists ------------------------------------------------------------------------
#
# The lists above that every member sees alike cost more to build than the rest of their pages
# (a grouping over every idea and its sectors, a scored join for partner suggestions), yet ideas
# change a few times a day. They are kept in the cache under a key that holds the ideas'
# version, so a changed, added or deleted idea is seen at once: the services and the admin save
# an idea whenever they change its sectors, programmes or stage. What the version does not see
# (a municipality or a programme renamed) is seen when the entry expires.
IDEA_LISTS_SECONDS = 5 * 60


def ideas_version() -> str:
    """Changes whenever an idea is saved, added or deleted: one query over an index."""
    state = ProjectIdea.objects.aggregate(latest=Max("updated_at"), count=Count("pk"))
    return f"{state['latest'].isoformat() if state['latest'] else '-'}:{state['count']}"


def _cached_for_ideas(name: str, build: Callable[[], _T], *parts: object) -> _T:
    """The value `build()` returns, from the cache while the ideas and the language are as
    they were when it was built."""
    digest = hashlib.sha256(
        ":".join([ideas_version(), get_language() or "", *map(str, parts)]).encode()
    ).hexdigest()[:32]
    key = f"projects:{name}:{digest}"
    cached: _T | None = cache.get(key)
    if cached is not None:
        return cached
    value = build()
    cache.set(key, value, IDEA_LISTS_SECONDS)
    return value


def cached_ideas_seeking_partners_by_sector() -> list[SectorGroup]:
    """`ideas_seeking_partners_by_sector()`, from the cache while no idea changed."""
    return _cached_for_ideas("seeking", ideas_seeking_partners_by_sector)


def cached_partner_suggestions(idea: ProjectIdea) -> list[Suggestion]:
    """`partner_suggestions(idea)`, from the cache while no idea changed: the idea's own
    sectors and programmes are part of its version, as it is saved when they change."""
    return _cached_for_ideas("suggestions", lambda: partner_suggestions(idea), idea.pk)


# --- Calls for proposals -----------------------------------------------------------------------


def days_until(moment: dt.datetime, now: dt.datetime | None = None) -> int:
    """Calendar days from today to the day of `moment`, both in Oslo: a deadline tomorrow is
    one day away however few hours that is, also across a change of summer time."""
    oslo = ZoneInfo(settings.TIME_ZONE)
    now = now or timezone.now()
    return (moment.astimezone(oslo).date() - now.astimezone(oslo).date()).days


@dataclass(frozen=True)
class NextDeadline:
    call: Call
    days_left: int


def next_deadline(calls: Iterable[Call], now: dt.datetime | None = None) -> NextDeadline | None:
    """The first deadline still ahead among the calls (already read, e.g. prefetched)."""
    now = now or timezone.now()
    ahead = [call for call in calls if call.deadline > now]
    if not ahead:
        return None
    call = min(ahead, key=lambda c: (c.deadline, c.pk))
    return NextDeadline(call, days_until(call.deadline, now))


def calls_for_idea_form(
    idea: ProjectIdea | None = None, now: dt.datetime | None = None
) -> CallQuerySet:
    """The calls an idea may aim at: those still open or coming, and those it already aims
    at (a closed call stays chosen until the author removes it)."""
    scope = Q(deadline__gt=now or timezone.now())
    if idea is not None and idea.pk:
        scope |= Q(ideas=idea)
    return (
        Call.objects.filter(scope).select_related("programme").order_by("deadline", "pk").distinct()
    )


@dataclass(frozen=True)
class ProgrammeRow:
    programme: EUProgramme
    followed: bool
    calls: list[Call]


def programmes_to_follow(
    person: ContactPerson | None, now: dt.datetime | None = None
) -> list[ProgrammeRow]:
    """Every programme, whether the person follows it, and its calls still ahead: three
    queries however many there are."""
    now = now or timezone.now()
    followed = set(
        ProgrammeFollow.objects.filter(contact_person=person).values_list("programme_id", flat=True)
        if person is not None
        else []
    )
    programmes = EUProgramme.objects.order_by("name").prefetch_related(
        Prefetch(
            "calls",
            queryset=Call.objects.filter(deadline__gt=now).order_by("deadline", "pk"),
            to_attr="calls_ahead",
        )
    )
    return [ProgrammeRow(p, p.pk in followed, p.calls_ahead) for p in programmes]
