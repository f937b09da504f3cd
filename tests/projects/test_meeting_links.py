"""Project ideas at meetings: a registrant who will present picks the municipality's ideas,
the meeting page lists them, and a project-identification meeting lists the ideas seeking
partners by sector."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting, Registration
from projects.models import Presentation

pytestmark = pytest.mark.django_db

PRESENTED_HEADING = "Project ideas to be presented"
SEEKING_HEADING = "Ideas seeking partners"


def ideas_section(response) -> dict:
    """The context of the meeting page's project ideas, the part projects adds to it."""
    (context,) = [
        context
        for template_name, context in response.context["extra_sections"]
        if template_name == "projects/includes/meeting_ideas.html"
    ]
    return context


def html(response) -> str:
    return response.content.decode()


def register_url(meeting) -> str:
    return reverse("meetings:register", kwargs={"slug": meeting.slug})


def edit_url(registration) -> str:
    return reverse("meetings:registration_edit", kwargs={"pk": registration.pk})


def cancel_url(registration) -> str:
    return reverse("meetings:registration_cancel", kwargs={"pk": registration.pk})


def answers(*ideas, presenting=True, **extra) -> dict:
    data = {
        "attendance_mode": "in_person",
        "dietary_needs": "",
        "comment": "",
        "ideas": [str(getattr(idea, "pk", idea)) for idea in ideas],
        **extra,
    }
    if presenting:
        data["presenting_project_idea"] = "on"
    return data


def presented(meeting) -> set[tuple[int, int | None]]:
    return set(Presentation.objects.filter(meeting=meeting).values_list("idea", "registration"))


def presented_section(page: str) -> str:
    """The list of ideas to be presented on a meeting page, or "" when there is none."""
    match = re.search(r'<section aria-labelledby="presented-heading".*?</section>', page, re.S)
    return match.group(0) if match else ""


# The municipalities (voss, kvam) and people (member, coordinator of Voss; outsider of Kvam)
# are the shared ones of tests/fixtures.py.


@pytest.fixture
def meeting(meeting_factory):
    return meeting_factory(title="Vårmøtet", slug="varmotet")


@pytest.fixture
def care(project_idea_factory, member):
    return project_idea_factory(contact_person=member, title="Velferdsteknologi")


@pytest.fixture
def school(project_idea_factory, coordinator):
    """An idea of the member's municipality, by a colleague."""
    return project_idea_factory(contact_person=coordinator, title="Kulturskule")


@pytest.fixture
def foreign(project_idea_factory, outsider):
    return project_idea_factory(contact_person=outsider, title="Kvamsidé")


# --- the registration form ----------------------------------------------------------------


def test_the_form_offers_the_municipalitys_ideas_only(
    client_for, member, meeting, care, school, foreign
):
    response = client_for(member).get(register_url(meeting))
    assert response.status_code == 200
    field = response.context["form"].fields["ideas"]
    assert list(field.queryset) == [school, care]
    page = html(response)
    assert f'value="{care.pk}"' in page
    assert f'value="{school.pk}"' in page
    assert "Kvamsidé" not in page


def test_registering_as_presenter_records_and_lists_the_ideas(
    client_for, member, outsider, meeting, care, school, foreign, django_capture_on_commit_callbacks
):
    client = client_for(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(register_url(meeting), answers(care, school))
    assert response.status_code == 302
    registration = Registration.objects.get(meeting=meeting, contact_person=member)
    assert registration.presenting_project_idea
    assert presented(meeting) == {(care.pk, registration.pk), (school.pk, registration.pk)}

    # Every signed-in member sees on the meeting page what will be presented.
    section = presented_section(html(client_for(outsider).get(meeting.get_absolute_url())))
    assert PRESENTED_HEADING in section
    assert f'<a href="/projects/{school.pk}/">Kulturskule</a> (Voss)' in section
    assert f'<a href="/projects/{care.pk}/">Velferdsteknologi</a> (Voss)' in section
    assert "Kvamsidé" not in section
    # And the idea's page says where it is presented.
    detail = html(client.get(care.get_absolute_url()))
    assert f'<a href="{meeting.get_absolute_url()}">Vårmøtet</a>' in detail


def test_ideas_ticked_without_presenting_are_not_recorded(
    client_for, member, meeting, care, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(member).post(register_url(meeting), answers(care, presenting=False))
    assert response.status_code == 302
    assert Registration.objects.filter(meeting=meeting, contact_person=member).exists()
    assert not Presentation.objects.exists()


@pytest.mark.parametrize("which", ["foreign", "unknown"])
def test_a_forged_idea_id_is_a_form_error_and_nothing_is_saved(
    client_for, member, meeting, care, foreign, which
):
    forged = foreign.pk if which == "foreign" else 987654
    response = client_for(member).post(register_url(meeting), answers(care, forged))
    assert response.status_code == 200
    assert "ideas" in response.context["form"].errors
    assert "Please correct the errors in the form." in html(response)
    assert not Registration.objects.exists()
    assert not Presentation.objects.exists()


def test_a_coordinator_registers_a_colleague_as_presenter(
    client_for, coordinator, member, meeting, care, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(coordinator).post(
            register_url(meeting), answers(care, participant=str(member.pk))
        )
    assert response.status_code == 302
    registration = Registration.objects.get(meeting=meeting)
    assert registration.contact_person == member
    assert presented(meeting) == {(care.pk, registration.pk)}


# --- changing and cancelling --------------------------------------------------------------


@pytest.fixture
def registered(client_for, member, meeting, care, school, django_capture_on_commit_callbacks):
    """The member registered for the meeting, presenting both of Voss's ideas."""
    with django_capture_on_commit_callbacks(execute=True):
        client_for(member).post(register_url(meeting), answers(care, school))
    return Registration.objects.get(meeting=meeting, contact_person=member)


def test_changing_the_registration_changes_the_presentations(
    client_for, member, meeting, care, school, registered
):
    client = client_for(member)
    form = client.get(edit_url(registered)).context["form"]
    assert sorted(form["ideas"].value()) == sorted([care.pk, school.pk])

    assert client.post(edit_url(registered), answers(school)).status_code == 302
    assert presented(meeting) == {(school.pk, registered.pk)}
    section = presented_section(html(client.get(meeting.get_absolute_url())))
    assert "Kulturskule" in section
    assert "Velferdsteknologi" not in section

    assert client.post(edit_url(registered), answers(school, presenting=False)).status_code == 302
    assert presented(meeting) == set()
    assert PRESENTED_HEADING not in html(client.get(meeting.get_absolute_url()))


def test_a_forged_idea_on_the_edit_form_changes_nothing(
    client_for, member, meeting, care, school, foreign, registered
):
    response = client_for(member).post(edit_url(registered), answers(foreign))
    assert response.status_code == 200
    assert "ideas" in response.context["form"].errors
    assert presented(meeting) == {(care.pk, registered.pk), (school.pk, registered.pk)}


def test_a_cancelled_registrations_ideas_are_not_listed(
    client_for, member, outsider, meeting, registered, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(member).post(cancel_url(registered))
    assert response.status_code == 302
    registered.refresh_from_db()
    assert registered.status == Registration.Status.CANCELLED
    page = html(client_for(outsider).get(meeting.get_absolute_url()))
    assert PRESENTED_HEADING not in page
    assert "Velferdsteknologi" not in page
    assert "Kulturskule" not in page


def test_a_cancelled_presentation_is_not_on_the_ideas_page_either(
    client_for, member, meeting, care, registered, django_capture_on_commit_callbacks
):
    """The idea's page and the meeting's page agree on what will be presented."""
    client = client_for(member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(cancel_url(registered))
    detail = html(client.get(care.get_absolute_url()))
    assert f'href="{meeting.get_absolute_url()}"' not in detail


def test_a_colleague_who_takes_over_the_presentation_is_listed(
    client_for,
    member,
    coordinator,
    meeting,
    care,
    registered,
    django_capture_on_commit_callbacks,
):
    """Kari cancels; her coordinator registers and says he will present the same idea."""
    with django_capture_on_commit_callbacks(execute=True):
        client_for(member).post(cancel_url(registered))
        client_for(coordinator).post(register_url(meeting), answers(care))
    takeover = Registration.objects.get(meeting=meeting, contact_person=coordinator)
    section = presented_section(html(client_for(member).get(meeting.get_absolute_url())))
    assert "Velferdsteknologi" in section
    assert presented(meeting) >= {(care.pk, takeover.pk)}


def test_an_idea_added_by_staff_is_listed(
    client_for, outsider, meeting, foreign, presentation_factory
):
    presentation_factory(idea=foreign, meeting=meeting)
    section = presented_section(html(client_for(outsider).get(meeting.get_absolute_url())))
    assert f'<a href="/projects/{foreign.pk}/">Kvamsidé</a> (Kvam)' in section


def test_signed_out_visitors_see_no_ideas_on_the_meeting_page(
    client, meeting_factory, project_idea_factory, presentation_factory
):
    meeting = meeting_factory(kind=Meeting.Kind.PROJECT_IDENTIFICATION)
    idea = project_idea_factory(title="Hemmeleg idé", stage="seeking_partners")
    presentation_factory(idea=idea, meeting=meeting)
    page = html(client.get(meeting.get_absolute_url()))
    assert "Hemmeleg idé" not in page
    assert PRESENTED_HEADING not in page


def test_meeting_page_takes_a_constant_number_of_queries(
    client_for,
    outsider,
    meeting_factory,
    project_idea_factory,
    presentation_factory,
    count_queries,
):
    meeting = meeting_factory(kind=Meeting.Kind.PROJECT_IDENTIFICATION)
    client = client_for(outsider)
    client.get(meeting.get_absolute_url())

    def add_ideas(count):
        for _ in range(count):
            # Each of a new municipality.
            idea = project_idea_factory(stage="seeking_partners", sectors=["culture", "planning"])
            presentation_factory(idea=idea, meeting=meeting)

    add_ideas(1)
    few, _ = count_queries(lambda: client.get(meeting.get_absolute_url()))
    add_ideas(9)
    many, response = count_queries(lambda: client.get(meeting.get_absolute_url()))
    assert len(ideas_section(response)["presented_ideas"]) == 10
    assert few == many


# --- project identification ---------------------------------------------------------------


def seeking_groups(page: str) -> list[tuple[str, list[str]]]:
    """(sector heading, idea titles) of the "ideas seeking partners" section."""
    match = re.search(r'<section aria-labelledby="seeking-heading".*?</section>', page, re.S)
    assert match, "no section of ideas seeking partners"
    return [
        (heading, re.findall(r'<a href="/projects/\d+/">(.*?)</a>', items))
        for heading, items in re.findall(
            r'<h3 class="h6 mt-3">(.*?)</h3>\s*<ul>(.*?)</ul>', match.group(0), re.S
        )
    ]


def test_project_identification_page_lists_ideas_seeking_partners_by_sector(
    client_for, member, outsider, meeting_factory, project_idea_factory
):
    meeting = meeting_factory(kind=Meeting.Kind.PROJECT_IDENTIFICATION)
    project_idea_factory(
        contact_person=member,
        title="Velferdsteknologi",
        sectors=["health_care", "planning"],
        stage="seeking_partners",
    )
    project_idea_factory(
        contact_person=outsider,
        title="Eldreomsorg",
        sectors=["health_care"],
        stage="seeking_partners",
    )
    project_idea_factory(contact_person=outsider, title="Open idé", stage="seeking_partners")
    project_idea_factory(
        contact_person=outsider, title="Ikkje klar", sectors=["health_care"], stage="idea"
    )

    # Seen by Voss: Kvam's ideas are not in Voss's registration form as well.
    page = html(client_for(member).get(meeting.get_absolute_url()))
    assert SEEKING_HEADING in page
    assert seeking_groups(page) == [
        ("Health and care", ["Eldreomsorg", "Velferdsteknologi"]),
        ("Planning and community development", ["Velferdsteknologi"]),
        ("Other", ["Open idé"]),
    ]
    assert "Ikkje klar" not in page


def test_other_meetings_do_not_list_ideas_seeking_partners(
    client_for, member, outsider, meeting, project_idea_factory
):
    assert meeting.kind == Meeting.Kind.KICKOFF
    project_idea_factory(contact_person=outsider, title="Søkjer", stage="seeking_partners")
    page = html(client_for(member).get(meeting.get_absolute_url()))
    assert SEEKING_HEADING not in page
    assert "Søkjer" not in page


def test_project_identification_page_without_ideas_seeking_partners(
    client_for, outsider, meeting_factory
):
    meeting = meeting_factory(kind=Meeting.Kind.PROJECT_IDENTIFICATION)
    response = client_for(outsider).get(meeting.get_absolute_url())
    assert response.status_code == 200
    assert ideas_section(response)["ideas_seeking_partners"] == []
    assert SEEKING_HEADING not in html(response)


def test_the_municipality_page_shows_the_registration(
    client_for, outsider, voss, meeting, registered
):
    page = html(client_for(outsider).get(reverse("projects:municipality", args=[voss.number])))
    assert f'<a href="{meeting.get_absolute_url()}">Vårmøtet</a>: 1 registered' in page
    Registration.objects.filter(pk=registered.pk).update(
        status=Registration.Status.CANCELLED, cancelled_at=timezone.now()
    )
    page = html(client_for(outsider).get(reverse("projects:municipality", args=[voss.number])))
    assert "Vårmøtet" not in page
