"""Reads for the project pages: filters and search, partner suggestions, a municipality's
page, and the ideas a meeting page lists."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone, translation

from members.permissions import Viewer
from projects import selectors
from projects.models import ProjectIdea

pytestmark = pytest.mark.django_db


def titles(queryset) -> list[str]:
    return sorted(idea.title for idea in queryset)


def filtered(**kwargs) -> list[str]:
    return titles(selectors.filter_ideas(selectors.ideas_for_listing(), **kwargs))


# --- filter_ideas -----------------------------------------------------------------------------


@pytest.fixture
def catalogue(project_idea_factory, voss, kvam, programme):
    project_idea_factory(
        municipality=voss,
        title="Velferdsteknologi",
        local_need="Fleire eldre",
        description="Sensorar i heimen",
        sectors=["health_care", "planning"],
        programmes=[programme("Interreg North Sea"), programme("Horizon Europe")],
        stage="seeking_partners",
    )
    project_idea_factory(
        municipality=kvam,
        title="Kulturskule for alle",
        local_need="Born utan tilbod",
        sectors=["culture", "education"],
        programmes=[programme("Erasmus+"), programme("Creative Europe")],
        stage="idea",
    )
    project_idea_factory(
        municipality=kvam,
        title="Frivilligsentral",
        local_need="Einsemd blant eldre",
        sectors=["voluntary"],
        programmes=[programme("CERV")],
        stage="seeking_partners",
    )


@pytest.mark.usefixtures("catalogue")
def test_no_filter_gives_every_idea_once():
    assert filtered() == ["Frivilligsentral", "Kulturskule for alle", "Velferdsteknologi"]


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("velferd", ["Velferdsteknologi"]),  # title, any case
        ("ELDRE", ["Frivilligsentral", "Velferdsteknologi"]),  # local need
        ("sensor", ["Velferdsteknologi"]),  # description
        ("kvam", ["Frivilligsentral", "Kulturskule for alle"]),  # lead municipality
        ("ingenting", []),
    ],
)
def test_search(q, expected):
    assert filtered(q=q) == expected


@pytest.mark.usefixtures("catalogue")
def test_filter_by_sector():
    assert filtered(sector="health_care") == ["Velferdsteknologi"]
    assert filtered(sector="education") == ["Kulturskule for alle"]
    assert filtered(sector="business") == []


@pytest.mark.usefixtures("catalogue")
def test_filter_by_programme(programme):
    assert filtered(programme=programme("Erasmus+")) == ["Kulturskule for alle"]
    assert filtered(programme=programme("LIFE")) == []


@pytest.mark.usefixtures("catalogue")
def test_filter_by_stage_and_seeking_partners():
    assert filtered(stage="idea") == ["Kulturskule for alle"]
    assert filtered(seeking_partners=True) == ["Frivilligsentral", "Velferdsteknologi"]


@pytest.mark.usefixtures("catalogue")
def test_filter_by_municipality(kvam, voss, bergen):
    assert filtered(municipality=voss) == ["Velferdsteknologi"]
    assert filtered(municipality=bergen) == []


@pytest.mark.usefixtures("catalogue")
def test_filters_combine(kvam, programme):
    assert filtered(municipality=kvam, seeking_partners=True) == ["Frivilligsentral"]
    assert filtered(q="eldre", sector="voluntary", programme=programme("CERV")) == [
        "Frivilligsentral"
    ]
    assert filtered(q="eldre", sector="culture") == []


def test_listing_counts_only_active_interests_and_survives_filters(
    project_idea_factory, interest_factory, voss, kvam, bergen
):
    idea = project_idea_factory(
        municipality=voss, sectors=["culture", "education"], title="Kulturskule"
    )
    interest_factory(idea=idea, contact_person__municipality=kvam)
    interest_factory(idea=idea, contact_person__municipality=bergen, withdrawn_at=timezone.now())
    for ideas in (
        selectors.ideas_for_listing(),
        selectors.filter_ideas(selectors.ideas_for_listing(), sector="culture", q="kultur"),
    ):
        [listed] = ideas
        assert listed.interest_count == 1


def test_interested_municipalities_are_counted_once_each(
    project_idea_factory, interest_factory, voss, kvam
):
    """The listing (and the CSV) says "N interested municipalities": two colleagues from
    Kvam are one municipality."""
    idea = project_idea_factory(municipality=voss)
    for _ in range(2):
        interest_factory(idea=idea, contact_person__municipality=kvam)
    [listed] = selectors.ideas_for_listing()
    assert listed.interest_count == 1


# --- partner_suggestions ------------------------------------------------------------------


@pytest.fixture
def suggestions_for(project_idea_factory, voss, kvam, bergen, municipality_factory, programme):
    """An idea of Voss in health and care and planning, under Interreg North Sea and
    Erasmus+, and ideas of other municipalities that share more or less of it."""
    idea = project_idea_factory(
        municipality=voss,
        title="Velferdsteknologi",
        sectors=["health_care", "planning"],
        programmes=[programme("Interreg North Sea"), programme("Erasmus+")],
    )
    project_idea_factory(
        municipality=kvam,
        title="Tre felles",
        sectors=["health_care", "planning", "culture"],
        programmes=[programme("Erasmus+")],
    )
    project_idea_factory(
        municipality=bergen, title="Berre programmet", programmes=[programme("Interreg North Sea")]
    )
    project_idea_factory(
        municipality=bergen,
        title="To felles",
        sectors=["health_care"],
        programmes=[programme("Interreg North Sea"), programme("LIFE")],
    )
    project_idea_factory(
        municipality=municipality_factory(name="Odda"),
        title="Ingenting felles",
        sectors=["business"],
    )
    project_idea_factory(
        municipality=voss, title="Same kommune", sectors=["health_care", "planning"]
    )
    return idea


def test_suggestions_rank_by_overlap_with_the_reasons_in_words(suggestions_for):
    with translation.override("en"):
        suggestions = selectors.partner_suggestions(suggestions_for)
    assert [(s.idea.title, s.score, s.reasons) for s in suggestions] == [
        (
            "Tre felles",
            3,
            [
                "same sector: health and care",
                "same sector: planning and community development",
                "same programme: Erasmus+",
            ],
        ),
        (
            "To felles",
            2,
            ["same sector: health and care", "same programme: Interreg North Sea"],
        ),
        ("Berre programmet", 1, ["same programme: Interreg North Sea"]),
    ]


def test_suggestions_leave_out_the_own_municipality_and_ideas_with_nothing_in_common(
    suggestions_for,
):
    suggested = {s.idea.title for s in selectors.partner_suggestions(suggestions_for)}
    assert "Same kommune" not in suggested
    assert "Ingenting felles" not in suggested
    assert suggestions_for.title not in suggested


def test_suggestions_break_ties_by_the_latest_change(project_idea_factory, voss, kvam, bergen):
    idea = project_idea_factory(municipality=voss, sectors=["culture"])
    older = project_idea_factory(municipality=kvam, sectors=["culture"], title="Eldre")
    newer = project_idea_factory(municipality=bergen, sectors=["culture"], title="Nyare")
    ProjectIdea.objects.filter(pk=older.pk).update(
        updated_at=timezone.now() - timezone.timedelta(days=3)
    )
    assert [s.idea for s in selectors.partner_suggestions(idea)] == [newer, older]


def test_suggestions_are_limited(project_idea_factory, voss, municipality_factory):
    idea = project_idea_factory(municipality=voss, sectors=["culture"])
    for _ in range(4):
        project_idea_factory(municipality=municipality_factory(), sectors=["culture"])
    assert len(selectors.partner_suggestions(idea, limit=3)) == 3
    assert len(selectors.partner_suggestions(idea)) == 4


def test_an_idea_without_sectors_or_programmes_gets_no_suggestions(
    project_idea_factory, voss, kvam
):
    project_idea_factory(municipality=kvam, sectors=["culture"])
    assert selectors.partner_suggestions(project_idea_factory(municipality=voss)) == []


def test_suggestion_reasons_follow_the_language(suggestions_for):
    with translation.override("nn"):
        reasons = selectors.partner_suggestions(suggestions_for)[0].reasons
        label = translation.gettext("Health and care").lower()
        expected = translation.gettext("same sector: %(sector)s") % {"sector": label}
    assert reasons[0] == expected


def test_suggestions_take_a_constant_number_of_queries(
    suggestions_for, project_idea_factory, municipality_factory, count_queries
):
    idea = ProjectIdea.objects.prefetch_related("sectors", "programmes").get(pk=suggestions_for.pk)
    few, _ = count_queries(lambda: selectors.partner_suggestions(idea))
    for _ in range(6):
        project_idea_factory(
            municipality=municipality_factory(), sectors=["planning", "health_care"]
        )
    many, suggestions = count_queries(lambda: selectors.partner_suggestions(idea))
    assert len(suggestions) == 9
    assert few == many == 3


# --- municipality_page ------------------------------------------------------------------


def test_municipality_page(
    project_idea_factory,
    voss,
    kvam,
    contact_person_factory,
    registration_factory,
    meeting_factory,
):
    anne = contact_person_factory(name="Anne", municipality=voss)
    bjørn = contact_person_factory(name="Bjørn", municipality=voss)
    contact_person_factory(name="Gammal", municipality=voss, is_active=False)
    contact_person_factory(name="Kvamming", municipality=kvam)
    own = project_idea_factory(contact_person=anne, title="Vossaidé")
    project_idea_factory(municipality=kvam, title="Kvamsidé")
    spring = meeting_factory(title="Vår")
    autumn = meeting_factory(
        title="Haust", starts_at=spring.starts_at + timezone.timedelta(days=100)
    )
    registration_factory(meeting=spring, contact_person=anne)
    registration_factory(meeting=spring, contact_person=bjørn)
    registration_factory(meeting=autumn, contact_person=anne)
    registration_factory(meeting=autumn, contact_person=bjørn, cancelled=True)

    page = selectors.municipality_page(voss, viewer=member_viewer(anne))

    assert [p.name for p in page.people] == ["Anne", "Bjørn"]
    assert page.ideas == [own]
    assert [(row["meeting__title"], row["count"]) for row in page.participation] == [
        ("Haust", 1),
        ("Vår", 2),
    ]
    assert not page.more_ideas
    assert not page.more_participation


def test_municipality_page_is_bounded(
    voss, contact_person_factory, project_idea_factory, registration_factory, meeting_factory
):
    people = [contact_person_factory(name=f"Person {i:02d}", municipality=voss) for i in range(25)]
    for i, person in enumerate(people[:12]):
        project_idea_factory(contact_person=person, title=f"Idé {i:02d}")
        registration_factory(contact_person=person)

    viewer = member_viewer(people[0])
    first = selectors.municipality_page(voss, viewer=viewer)
    assert [p.name for p in first.people] == [f"Person {i:02d}" for i in range(20)]
    assert len(first.ideas) == 10
    assert len(first.participation) == 10
    assert first.more_ideas and first.more_participation
    second = selectors.municipality_page(voss, viewer=viewer, people_page="2")
    assert [p.name for p in second.people] == [f"Person {i:02d}" for i in range(20, 25)]
    # A page number that is not one gives the first page, one too far the last.
    assert selectors.municipality_page(voss, viewer=viewer, people_page="x").people.number == 1
    assert selectors.municipality_page(voss, viewer=viewer, people_page="99").people.number == 2


def test_municipality_page_shows_nobody_to_those_who_may_not_see_the_directory(
    voss, contact_person_factory, project_idea_factory
):
    anne = contact_person_factory(name="Anne", municipality=voss)
    project_idea_factory(contact_person=anne)
    outsider = Viewer(user=AnonymousUser(), person=None)
    page = selectors.municipality_page(voss, viewer=outsider)
    assert list(page.people) == []
    assert page.ideas == []


def member_viewer(person):
    return Viewer(user=AnonymousUser(), person=person)


# --- ideas at meetings --------------------------------------------------------------------


def test_ideas_presented_at_a_meeting(
    project_idea_factory, voss, kvam, meeting_factory, presentation_factory
):
    meeting = meeting_factory()
    by_registrant = project_idea_factory(municipality=voss, title="B frå registrert")
    by_staff = project_idea_factory(municipality=kvam, title="A frå fylket")
    cancelled = project_idea_factory(municipality=voss, title="C avmeld")
    elsewhere = project_idea_factory(municipality=voss, title="D anna møte")
    presentation_factory(idea=by_registrant, meeting=meeting, by_registrant=True)
    presentation_factory(idea=by_staff, meeting=meeting)
    presentation_factory(
        idea=cancelled, meeting=meeting, by_registrant=True, registration__cancelled=True
    )
    presentation_factory(idea=elsewhere)

    # Ordered by municipality, then title.
    assert list(selectors.ideas_presented_at(meeting)) == [by_staff, by_registrant]


def test_a_cancellation_for_one_meeting_does_not_hide_the_idea_at_another(
    project_idea_factory, voss, meeting_factory, presentation_factory
):
    """A registration cancelled for the autumn meeting says nothing about June."""
    idea = project_idea_factory(municipality=voss)
    june, autumn = meeting_factory(), meeting_factory()
    presentation_factory(idea=idea, meeting=june, by_registrant=True)
    presentation_factory(
        idea=idea, meeting=autumn, by_registrant=True, registration__cancelled=True
    )

    assert list(selectors.ideas_presented_at(autumn)) == []
    assert list(selectors.ideas_presented_at(june)) == [idea]


def test_staff_adding_the_idea_to_another_meeting_does_not_bring_back_a_cancelled_one(
    project_idea_factory, voss, meeting_factory, presentation_factory
):
    idea = project_idea_factory(municipality=voss)
    autumn, winter = meeting_factory(), meeting_factory()
    presentation_factory(
        idea=idea, meeting=autumn, by_registrant=True, registration__cancelled=True
    )
    presentation_factory(idea=idea, meeting=winter)  # by staff

    assert list(selectors.ideas_presented_at(winter)) == [idea]
    assert list(selectors.ideas_presented_at(autumn)) == []


def test_ideas_seeking_partners_grouped_by_sector(project_idea_factory, voss, kvam):
    both = project_idea_factory(
        municipality=voss,
        title="Begge",
        sectors=["culture", "health_care"],
        stage="seeking_partners",
    )
    care = project_idea_factory(
        municipality=kvam, title="Omsorg", sectors=["health_care"], stage="seeking_partners"
    )
    untagged = project_idea_factory(
        municipality=kvam, title="Utan sektor", stage="seeking_partners"
    )
    project_idea_factory(municipality=voss, title="Ikkje enno", sectors=["culture"], stage="idea")

    with translation.override("en"):
        groups = [
            (str(group.label), group.ideas)
            for group in selectors.ideas_seeking_partners_by_sector()
        ]

    # In the order of the sector choices, each idea under each of its sectors.
    assert groups == [
        ("Health and care", [both, care]),
        ("Culture", [both]),
        ("Other", [untagged]),
    ]


def test_ideas_seeking_partners_are_bounded_per_sector(project_idea_factory, voss, kvam):
    for number in range(4):
        project_idea_factory(
            municipality=voss,
            title=f"Omsorg {number}",
            sectors=["health_care"],
            stage="seeking_partners",
        )
        project_idea_factory(
            municipality=kvam,
            title=f"Kultur {number}",
            sectors=["culture"],
            stage="seeking_partners",
        )
    project_idea_factory(municipality=kvam, title="Utan sektor", stage="seeking_partners")

    groups = selectors.ideas_seeking_partners_by_sector(per_sector=2)

    assert [(g.sector, [i.title for i in g.ideas], g.total, g.more) for g in groups] == [
        ("health_care", ["Omsorg 0", "Omsorg 1"], 4, 2),
        ("culture", ["Kultur 0", "Kultur 1"], 4, 2),
        ("other", ["Utan sektor"], 1, 0),
    ]


def test_no_ideas_seeking_partners_gives_no_groups(project_idea_factory, voss):
    project_idea_factory(municipality=voss, sectors=["culture"], stage="funded")
    assert selectors.ideas_seeking_partners_by_sector() == []


def test_a_municipality_page_counts_meetings_by_the_municipality_as_registered(
    voss, kvam, contact_person_factory, registration_factory, meeting_factory
):
    """A person who moved (as in a merger) leaves their earlier meetings with the municipality
    they registered for."""
    anne = contact_person_factory(name="Anne", municipality=voss)
    registration_factory(meeting=meeting_factory(title="Før"), contact_person=anne)
    anne.municipality = kvam
    anne.save()
    registration_factory(meeting=meeting_factory(title="Etter"), contact_person=anne)

    def titles(municipality):
        page = selectors.municipality_page(municipality, viewer=member_viewer(anne))
        return [row["meeting__title"] for row in page.participation]

    assert titles(voss) == ["Før"]
    assert titles(kvam) == ["Etter"]
