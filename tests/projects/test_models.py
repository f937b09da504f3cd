"""The project models: the seeded programmes, the constraints and what an idea's deletion
takes with it."""

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone, translation

from projects.models import (
    EUProgramme,
    EuropeanPartner,
    IdeaSector,
    Interest,
    Presentation,
    ProjectIdea,
    StageChange,
)

pytestmark = pytest.mark.django_db

PROGRAMMES = {
    "Erasmus+",
    "Horizon Europe",
    "Interreg North Sea",
    "Interreg Europe",
    "Interreg Baltic Sea",
    "Creative Europe",
    "CERV",
    "LIFE",
    "ESF+/EaSI",
    "URBACT",
    "Digital Europe",
}


def test_migration_seeds_the_eleven_programmes_of_2021_2027():
    programmes = list(EUProgramme.objects.all())
    assert {p.name for p in programmes} == PROGRAMMES
    assert all(p.url.startswith("https://") and p.description for p in programmes)
    # Ordered by name, as the form and the filter list them.
    assert [p.name for p in programmes] == sorted(p.name for p in programmes)


def test_county_staff_get_every_permission_on_project_models():
    codenames = set(
        Group.objects.get(name="County staff")
        .permissions.filter(content_type__app_label="projects")
        .values_list("codename", flat=True)
    )
    for model in (
        "euprogramme",
        "projectidea",
        "ideasector",
        "europeanpartner",
        "stagechange",
        "interest",
        "presentation",
    ):
        for action in ("add", "change", "delete", "view"):
            assert f"{action}_{model}" in codenames


def test_new_idea_starts_as_an_idea_and_links_to_its_page(project_idea_factory):
    idea = project_idea_factory(title="Velferdsteknologi i heimetenesta")
    assert ProjectIdea.objects.get().stage == ProjectIdea.Stage.IDEA
    assert str(idea) == "Velferdsteknologi i heimetenesta"
    assert idea.get_absolute_url() == f"/projects/{idea.pk}/"


def test_sector_values_and_labels(project_idea_factory):
    idea = project_idea_factory(sectors=["health_care", "culture"])
    assert sorted(idea.sector_values) == ["culture", "health_care"]
    with translation.override("en"):
        assert str(idea.sectors.get(sector="culture")) == "Culture"


def test_stage_outside_the_choices_is_refused_by_the_database(project_idea_factory):
    idea = project_idea_factory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectIdea.objects.filter(pk=idea.pk).update(stage="dreaming")


def test_a_sector_is_given_once_per_idea(project_idea_factory):
    idea = project_idea_factory(sectors=["culture"])
    with pytest.raises(IntegrityError), transaction.atomic():
        IdeaSector.objects.create(idea=idea, sector="culture")


def test_one_active_interest_per_person_but_a_withdrawn_one_can_be_renewed(
    interest_factory,
):
    interest = interest_factory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Interest.objects.create(
            idea=interest.idea,
            contact_person=interest.contact_person,
            municipality=interest.municipality,
        )
    Interest.objects.filter(pk=interest.pk).update(withdrawn_at=timezone.now())
    Interest.objects.create(
        idea=interest.idea,
        contact_person=interest.contact_person,
        municipality=interest.municipality,
    )
    assert Interest.objects.filter(idea=interest.idea).count() == 2


def test_an_idea_is_presented_once_per_meeting(presentation_factory):
    presentation = presentation_factory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Presentation.objects.create(idea=presentation.idea, meeting=presentation.meeting)


def test_editable_by_the_author_and_their_municipalitys_coordinators(
    project_idea_factory, contact_person_factory
):
    author = contact_person_factory()
    colleague = contact_person_factory(municipality=author.municipality)
    coordinator = contact_person_factory(municipality=author.municipality, role="coordinator")
    stranger_coordinator = contact_person_factory(role="coordinator")
    own = project_idea_factory(contact_person=author)
    colleagues = project_idea_factory(contact_person=colleague)
    other = project_idea_factory(contact_person=stranger_coordinator)

    assert set(ProjectIdea.objects.editable_by(author)) == {own}
    assert set(ProjectIdea.objects.editable_by(colleague)) == {colleagues}
    assert set(ProjectIdea.objects.editable_by(coordinator)) == {own, colleagues}
    assert set(ProjectIdea.objects.editable_by(stranger_coordinator)) == {other}
    assert not ProjectIdea.objects.editable_by(None).exists()


def test_seeking_partners(project_idea_factory):
    seeking = project_idea_factory(stage="seeking_partners")
    project_idea_factory(stage="idea")
    assert list(ProjectIdea.objects.seeking_partners()) == [seeking]


def test_deleting_an_idea_takes_its_details_but_not_the_people(
    project_idea_factory, interest_factory, presentation_factory
):
    idea = project_idea_factory(sectors=["culture"])
    EuropeanPartner.objects.create(idea=idea, organisation="Comune di Bologna", country="Italia")
    StageChange.objects.create(idea=idea, stage=idea.stage)
    interest = interest_factory(idea=idea)
    presentation_factory(idea=idea)

    idea.delete()

    for model in (IdeaSector, EuropeanPartner, StageChange, Interest, Presentation):
        assert not model.objects.exists(), model
    interest.contact_person.refresh_from_db()
    idea.contact_person.refresh_from_db()


def test_a_municipality_with_ideas_cannot_be_deleted(project_idea_factory):
    idea = project_idea_factory()
    with pytest.raises(ProtectedError):
        idea.lead_municipality.delete()


def test_string_forms(project_idea_factory, interest_factory, presentation_factory):
    idea = project_idea_factory(title="Kulturskule")
    partner = EuropeanPartner(idea=idea, organisation="Kulturhuset", country="Sverige")
    change = StageChange(idea=idea, stage="seeking_partners")
    interest = interest_factory(idea=idea, contact_person__municipality__name="Kvam")
    presentation = presentation_factory(idea=idea, meeting__title="Haustmøtet")
    assert str(partner) == "Kulturhuset (Sverige)"
    with translation.override("en"):
        assert str(change) == "Kulturskule: Seeking partners"
    assert str(interest) == f"{interest.municipality.number} Kvam → Kulturskule"
    assert str(presentation) == "Kulturskule @ Haustmøtet"
