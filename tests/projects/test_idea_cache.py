"""The idea lists every member sees alike (ideas seeking partners on the project identification
meeting's page, partner suggestions on an idea's page) are built once per change of the ideas
and language, then read from the cache; any change to an idea shows at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from members.models import Sector
from projects import selectors, services
from projects.models import EUProgramme, ProjectIdea

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeking(project_idea_factory):
    return project_idea_factory(
        title="Velferdsteknologi", sectors=[Sector.HEALTH_CARE], stage="seeking_partners"
    )


def groups_now() -> dict[str, list[str]]:
    return {
        group.sector: [idea.title for idea in group.ideas]
        for group in selectors.cached_ideas_seeking_partners_by_sector()
    }


def test_seeking_partners_is_read_from_the_cache_with_one_query(seeking):
    first = groups_now()
    with CaptureQueriesContext(connection) as queries:
        again = groups_now()
    assert again == first == {Sector.HEALTH_CARE: ["Velferdsteknologi"]}
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_seeking_partners_follows_a_changed_title_stage_and_deletion(seeking, project_idea_factory):
    groups_now()
    seeking.title = "Velferdsteknologi i heimen"
    seeking.save()
    assert groups_now() == {Sector.HEALTH_CARE: ["Velferdsteknologi i heimen"]}

    other = project_idea_factory(title="Eldreomsorg", sectors=[Sector.HEALTH_CARE], stage="idea")
    assert groups_now() == {Sector.HEALTH_CARE: ["Velferdsteknologi i heimen"]}
    other.stage = ProjectIdea.Stage.SEEKING_PARTNERS
    other.save()
    assert groups_now() == {Sector.HEALTH_CARE: ["Eldreomsorg", "Velferdsteknologi i heimen"]}

    # A deletion leaves the latest change time as it was: the count still tells.
    ProjectIdea.objects.filter(pk=other.pk).delete()
    assert groups_now() == {Sector.HEALTH_CARE: ["Velferdsteknologi i heimen"]}


def test_seeking_partners_follows_sectors_changed_through_the_service(seeking):
    groups_now()
    services.idea_update(
        idea=seeking,
        actor=seeking.contact_person,
        fields={},
        sectors=[Sector.CULTURE],
        programmes=[],
        partner_municipalities=[],
        european_partners=[],
    )
    assert groups_now() == {Sector.CULTURE: ["Velferdsteknologi"]}


def test_group_labels_follow_the_language(seeking):
    with translation.override("en"):
        english = [str(g.label) for g in selectors.cached_ideas_seeking_partners_by_sector()]
    with translation.override("nn"):
        nynorsk = [str(g.label) for g in selectors.cached_ideas_seeking_partners_by_sector()]
    assert english == ["Health and care"]
    assert nynorsk == ["Helse og omsorg"]


def test_partner_suggestions_are_cached_per_idea_and_language(
    project_idea_factory, contact_person_factory
):
    idea = project_idea_factory(title="Vår idé", sectors=[Sector.CULTURE])
    other = project_idea_factory(title="Deira idé", sectors=[Sector.CULTURE])
    with translation.override("en"):
        first = selectors.cached_partner_suggestions(idea)
        with CaptureQueriesContext(connection) as queries:
            again = selectors.cached_partner_suggestions(idea)
        assert len(queries) == 1, [q["sql"] for q in queries]
    assert [(s.idea.title, s.reasons) for s in again] == [(s.idea.title, s.reasons) for s in first]
    assert [(s.idea.title, s.reasons) for s in first] == [("Deira idé", ["same sector: culture"])]
    with translation.override("nn"):
        assert selectors.cached_partner_suggestions(idea)[0].reasons == ["same sektor: kultur"]

    other.sectors.all().delete()
    programme, _ = EUProgramme.objects.get_or_create(name="Interreg Europe")
    other.programmes.add(programme)
    idea.programmes.add(programme)
    # The services and the admin save an idea whenever they change its relations.
    other.save()
    with translation.override("en"):
        assert [(s.idea.title, s.reasons) for s in selectors.cached_partner_suggestions(idea)] == [
            ("Deira idé", ["same programme: Interreg Europe"])
        ]
