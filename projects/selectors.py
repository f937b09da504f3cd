"""Reads that the project pages need, each a constant number of queries."""

from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.utils.translation import gettext as _

from meetings.models import Registration
from members.models import ContactPerson, Sector

from .models import EuropeanPartner, Interest, Presentation, ProjectIdea, StageChange


def ideas_for_listing():
    return (
        ProjectIdea.objects.select_related("lead_municipality")
        .prefetch_related("sectors", "programmes")
        .annotate(
            interest_count=Count(
                "interests__municipality",
                filter=Q(interests__withdrawn_at__isnull=True),
                distinct=True,
            )
        )
    )


def filter_ideas(
    queryset,
    *,
    q="",
    sector="",
    programme=None,
    stage="",
    municipality=None,
    seeking_partners=False,
):
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


def idea_for_detail_queryset():
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
        .prefetch_related("sectors", "programmes")
        .distinct()[:limit]
    )
    labels = dict(Sector.choices)
    result = []
    for candidate in candidates:
        shared_sectors = sorted(sectors & set(candidate.sector_values))
        shared_programmes = sorted(p.name for p in candidate.programmes.all() if p.pk in programmes)
        reasons = [
            _("same sector: %(sector)s") % {"sector": labels[s].lower()} for s in shared_sectors
        ] + [_("same programme: %(programme)s") % {"programme": name} for name in shared_programmes]
        result.append(Suggestion(candidate, candidate.score, reasons))
    return result


def municipality_page(municipality, *, viewer):
    """Contact persons, ideas and meeting participation of one municipality, as far as the
    viewer may see them (members.permissions)."""
    people = (
        ContactPerson.objects.visible_to(viewer)
        .active()
        .filter(municipality=municipality, anonymised_at__isnull=True)
        .order_by("name")
    )
    ideas = ideas_for_listing().visible_to(viewer).filter(lead_municipality=municipality)
    participation = (
        Registration.objects.active()
        .filter(contact_person__municipality=municipality)
        .values("meeting__pk", "meeting__title", "meeting__slug", "meeting__starts_at")
        .annotate(count=Count("pk"))
        .order_by("-meeting__starts_at", "meeting__pk")
    )
    return people, ideas, participation


def standing_presentations():
    """Presentations that still hold: added by staff, or by a registrant still registered."""
    return Presentation.objects.filter(
        Q(registration__isnull=True) | ~Q(registration__status=Registration.Status.CANCELLED)
    )


def ideas_presented_at(meeting):
    """Ideas to be presented at a meeting."""
    return (
        ProjectIdea.objects.filter(
            Exists(standing_presentations().filter(meeting=meeting, idea=OuterRef("pk")))
        )
        .select_related("lead_municipality")
        .order_by("lead_municipality__name", "title")
    )


def ideas_seeking_partners_by_sector() -> list[tuple[str, list[ProjectIdea]]]:
    """Ideas seeking partners, grouped by sector (an idea shows under each of its sectors)."""
    labels = dict(Sector.choices)
    groups: dict[str, list[ProjectIdea]] = {}
    ideas = (
        ProjectIdea.objects.seeking_partners()
        .select_related("lead_municipality")
        .prefetch_related("sectors")
        .order_by("title")
    )
    for idea in ideas:
        for sector in idea.sector_values or [Sector.OTHER]:
            groups.setdefault(sector, []).append(idea)
    return [(labels[s], groups[s]) for s in labels if s in groups]
