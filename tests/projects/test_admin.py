"""County staff's admin for project ideas: pages, search, filters, the stage history kept on
save, and the CSV export action."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.core import checks
from django.urls import reverse
from django.utils import timezone

from projects import services
from projects.models import Interest, ProjectIdea, StageChange
from tests.helpers import result_pks, sign_in_with_second_factor

pytestmark = pytest.mark.django_db

MODELS = ["projectidea", "interest", "euprogramme"]


def changelist(model: str) -> str:
    return reverse(f"admin:projects_{model}_changelist")


def change_url(obj) -> str:
    return reverse(f"admin:projects_{obj._meta.model_name}_change", args=[obj.pk])


def posted(response, **overrides) -> dict:
    """The data the admin form on the page would post unchanged (main form, every inline
    with its management form), with `overrides` on the main form."""
    data = {}

    def add(form):
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            if isinstance(field.field.widget, forms.SplitDateTimeWidget):
                moment = timezone.localtime(value)
                data[f"{field.html_name}_0"] = moment.date().isoformat()
                data[f"{field.html_name}_1"] = moment.time().isoformat(timespec="seconds")
            elif value is True:
                data[field.html_name] = "on"
            elif isinstance(value, (list, tuple)):
                data[field.html_name] = [str(v) for v in value]
            else:
                data[field.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    data.update(overrides)
    return data


@pytest.fixture
def idea(project_idea_factory, contact_person_factory, municipality_factory, programme):
    person = contact_person_factory(
        name="Kari Forfattar", municipality=municipality_factory(name="Voss")
    )
    return project_idea_factory(
        contact_person=person,
        title="Velferdsteknologi",
        local_need="Fleire eldre bur heime",
        description="Sensorar og tryggleiksalarm",
        sectors=["health_care"],
        programmes=[programme("Interreg North Sea")],
        stage="seeking_partners",
    )


@pytest.fixture
def other_idea(project_idea_factory, contact_person_factory, municipality_factory, programme):
    person = contact_person_factory(
        name="Siri Samarbeid", municipality=municipality_factory(name="Kvam")
    )
    return project_idea_factory(
        contact_person=person,
        title="Kulturskule",
        sectors=["culture"],
        programmes=[programme("Erasmus+")],
    )


def test_admin_configuration_passes_the_system_checks():
    errors = [
        message
        for message in checks.run_checks(tags=[checks.Tags.admin])
        if message.level >= checks.ERROR
    ]
    assert errors == []


# --- pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_changelist_and_add_form_open(staff_client, model, idea, interest_factory):
    interest_factory(idea=idea)
    assert staff_client.get(changelist(model)).status_code == 200
    response = staff_client.get(reverse(f"admin:projects_{model}_add"))
    assert response.status_code == 200


def test_idea_change_form_shows_everything_about_it(staff_client, idea, interest_factory):
    StageChange.objects.create(idea=idea, stage="idea")
    interest_factory(idea=idea, contact_person__name="Ola Interessert", message="Vi er med")
    idea.european_partners.create(organisation="Gemeente Delft", country="Nederland")
    response = staff_client.get(change_url(idea))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Velferdsteknologi", "Ola Interessert", "Vi er med", "Gemeente Delft"):
        assert text in page
    prefixes = {inline.formset.prefix for inline in response.context["inline_admin_formsets"]}
    assert prefixes == {
        "sectors",
        "european_partners",
        "presentations",
        "interests",
        "stage_changes",
    }


def test_interest_change_form_opens(staff_client, interest_factory):
    interest = interest_factory()
    assert staff_client.get(change_url(interest)).status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_staff_without_the_group_gets_403(client, user_factory, model):
    sign_in_with_second_factor(client, user_factory(is_staff=True))
    assert client.get(changelist(model)).status_code == 403


def test_members_are_sent_to_the_admin_login(client, linked_contact_person_factory):
    client.force_login(linked_contact_person_factory().user)
    response = client.get(changelist("projectidea"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- search and filters -----------------------------------------------------------------


@pytest.mark.parametrize("term", ["velferd", "BUR HEIME", "tryggleik", "voss"])
def test_idea_search(staff_client, idea, other_idea, term):
    response = staff_client.get(changelist("projectidea"), {"q": term})
    assert result_pks(response) == {idea.pk}


def test_idea_filters(staff_client, idea, other_idea, programme):
    def shown(**query):
        return result_pks(staff_client.get(changelist("projectidea"), query))

    assert shown(stage__exact="seeking_partners") == {idea.pk}
    assert shown(sectors__sector="culture") == {other_idea.pk}
    assert shown(programmes__id__exact=programme("Erasmus+").pk) == {other_idea.pk}
    assert shown(lead_municipality__id__exact=idea.lead_municipality_id) == {idea.pk}
    assert shown() == {idea.pk, other_idea.pk}


def test_idea_changelist_counts_active_interests(staff_client, idea, interest_factory):
    interest_factory(idea=idea)
    interest_factory(idea=idea, withdrawn_at=timezone.now())
    response = staff_client.get(changelist("projectidea"))
    [listed] = response.context["cl"].result_list
    assert listed.interest_count == 1


def test_idea_changelist_counts_municipalities_without_joining_every_interest(
    staff_client, idea, interest_factory, contact_person_factory
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = interest_factory(idea=idea)
    # A colleague from the same municipality counts once.
    interest_factory(
        idea=idea,
        municipality=first.municipality,
        contact_person=contact_person_factory(municipality=first.municipality),
    )
    interest_factory(idea=idea)
    with CaptureQueriesContext(connection) as context:
        response = staff_client.get(changelist("projectidea"), {"o": "-4"})
    [listed] = response.context["cl"].result_list
    assert listed.interest_count == 2
    # A join counts the interests of every idea before the LIMIT picks a page.
    assert not [q for q in context.captured_queries if 'JOIN "projects_interest"' in q["sql"]]


def test_idea_changelist_takes_a_constant_number_of_queries(
    staff_client, idea, project_idea_factory, count_queries
):
    staff_client.get(changelist("projectidea"))
    few, _ = count_queries(lambda: staff_client.get(changelist("projectidea")))
    project_idea_factory.create_batch(20, sectors=["culture"])
    many, response = count_queries(lambda: staff_client.get(changelist("projectidea")))
    assert len(response.context["cl"].result_list) == 21
    assert few == many


@pytest.mark.parametrize("term", ["velferd", "kvam", "Siri"])
def test_interest_search(staff_client, idea, other_idea, interest_factory, term):
    interest = interest_factory(idea=idea, contact_person=other_idea.contact_person)
    interest_factory(idea=other_idea, contact_person=idea.contact_person)
    response = staff_client.get(changelist("interest"), {"q": term})
    assert result_pks(response) == {interest.pk}


def test_interest_filters(staff_client, idea, other_idea, interest_factory):
    active = interest_factory(idea=idea, contact_person=other_idea.contact_person)
    withdrawn = interest_factory(
        idea=other_idea, contact_person=idea.contact_person, withdrawn_at=timezone.now()
    )

    def shown(**query):
        return result_pks(staff_client.get(changelist("interest"), query))

    assert shown(withdrawn_at__isempty="1") == {active.pk}
    assert shown(withdrawn_at__isempty="0") == {withdrawn.pk}
    assert shown(municipality__id__exact=idea.lead_municipality_id) == {withdrawn.pk}


def test_programme_changelist_counts_ideas_and_searches(staff_client, idea, other_idea):
    response = staff_client.get(changelist("euprogramme"), {"q": "interreg"})
    counts = {p.name: p.idea_count for p in response.context["cl"].result_list}
    assert counts == {"Interreg North Sea": 1, "Interreg Europe": 0, "Interreg Baltic Sea": 0}


# --- saving keeps the stage history --------------------------------------------------------


def test_adding_an_idea_in_the_admin_records_its_first_stage(
    staff_client, staff_user, contact_person_factory, programme
):
    person = contact_person_factory()
    form = staff_client.get(reverse("admin:projects_projectidea_add"))
    data = posted(
        form,
        title="Frå fylket",
        lead_municipality=str(person.municipality_id),
        contact_person=str(person.pk),
        stage="learning",
        local_need="Eit behov",
        programmes=[str(programme("LIFE").pk)],
    )
    data["sectors-0-sector"] = "planning"
    response = staff_client.post(reverse("admin:projects_projectidea_add"), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    idea = ProjectIdea.objects.get()
    assert idea.sector_values == ["planning"]
    assert list(idea.stage_changes.values_list("stage", "changed_by")) == [
        ("learning", staff_user.pk)
    ]


def test_a_stage_change_in_the_admin_adds_one_history_entry(staff_client, staff_user, idea):
    StageChange.objects.create(idea=idea, stage=idea.stage)
    response = staff_client.post(
        change_url(idea), posted(staff_client.get(change_url(idea)), stage="application")
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    assert list(idea.stage_changes.order_by("pk").values_list("stage", "changed_by")) == [
        ("seeking_partners", None),
        ("application", staff_user.pk),
    ]
    idea.refresh_from_db()
    assert idea.stage == "application"


def test_saving_in_the_admin_without_a_new_stage_adds_none(staff_client, idea):
    StageChange.objects.create(idea=idea, stage=idea.stage)
    response = staff_client.post(
        change_url(idea), posted(staff_client.get(change_url(idea)), title="Ny tittel")
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    idea.refresh_from_db()
    assert idea.title == "Ny tittel"
    assert idea.stage_changes.count() == 1


def test_the_history_is_not_written_by_hand(staff_client, idea):
    StageChange.objects.create(idea=idea, stage=idea.stage)
    response = staff_client.get(change_url(idea))
    [history] = [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "stage_changes"
    ]
    assert not history.has_add_permission
    assert not history.formset.can_delete
    assert history.formset.forms
    assert all("stage" not in form.fields for form in history.formset.forms)


def test_staff_withdraw_an_interest_in_the_admin(staff_client, idea, interest_factory):
    interest = interest_factory(idea=idea, message="Vi er med")
    form = staff_client.get(change_url(interest))
    response = staff_client.post(
        change_url(interest),
        posted(
            form,
            withdrawn_at_0=timezone.localdate().isoformat(),
            withdrawn_at_1="12:00:00",
        ),
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    interest.refresh_from_db()
    assert interest.withdrawn_at is not None
    assert not Interest.objects.filter(withdrawn_at__isnull=True).exists()


def test_interests_are_withdrawn_not_deleted(staff_client, idea, interest_factory):
    interest = interest_factory(idea=idea)
    url = reverse("admin:projects_interest_delete", args=[interest.pk])
    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    response = staff_client.get(change_url(idea))
    [interests] = [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is Interest
    ]
    assert not interests.formset.can_delete
    assert Interest.objects.filter(pk=interest.pk).exists()


@pytest.mark.parametrize("fold", [0, 1], ids=["first-0230", "second-0230"])
def test_an_interest_from_the_repeated_hour_can_be_saved_in_the_admin(
    client, staff_user, idea, interest_factory, freeze_now, fold
):
    # The night the clocks go back, the admin shows either 02:30 as "02:30".
    moment = dt.datetime(2027, 10, 31, 2, 30, tzinfo=ZoneInfo("Europe/Oslo"), fold=fold)
    freeze_now(moment)
    interest = interest_factory(idea=idea)
    services.interest_withdraw(interest=interest, person=interest.contact_person)
    freeze_now(moment + dt.timedelta(days=2))
    sign_in_with_second_factor(client, staff_user)

    for url in (change_url(interest), change_url(idea)):
        response = client.post(url, posted(client.get(url)))
        assert response.status_code == 302, response.context and response.context["errors"]

    interest.refresh_from_db()
    stored = moment.astimezone(dt.UTC)
    assert (interest.created_at, interest.withdrawn_at) == (stored, stored)


# --- export action -----------------------------------------------------------------------


def test_export_action_gives_the_selected_ideas_as_csv(
    staff_en_client, idea, other_idea, interest_factory
):
    interest_factory(idea=idea, contact_person=other_idea.contact_person)
    response = staff_en_client.post(
        changelist("projectidea"),
        {"action": "export_csv", "_selected_action": [idea.pk], "index": 0},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="project-ideas.csv"'
    # Streamed line by line: 2,000 ideas are never one string in memory.
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    # Semicolons, for Excel set to Norwegian.
    assert body.startswith("\ufeffTitle;Lead municipality;")
    rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    assert rows[0][0] == "Title"
    assert [row[:6] for row in rows[1:]] == [
        [
            "Velferdsteknologi",
            "Voss",
            "Seeking partners",
            "Health and care",
            "Interreg North Sea",
            "1",
        ]
    ]


def test_export_action_with_commas(staff_en_client, idea):
    response = staff_en_client.post(
        changelist("projectidea"),
        {"action": "export_csv_comma", "_selected_action": [idea.pk], "index": 0},
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeffTitle,Lead municipality,Stage,")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[1][:2] == ["Velferdsteknologi", "Voss"]


def test_the_export_looks_up_labels_once_per_file_and_takes_constant_queries(
    staff_en_client, project_idea_factory, programme, count_queries, monkeypatch
):
    from projects.models import IdeaSector

    calls = []
    for model, name in [(ProjectIdea, "get_stage_display"), (IdeaSector, "get_sector_display")]:
        original = getattr(model, name)

        def counted(self, original=original, name=name):
            calls.append(name)
            return original(self)

        monkeypatch.setattr(model, name, counted)

    def export():
        response = staff_en_client.post(
            changelist("projectidea"),
            {
                "action": "export_csv",
                "_selected_action": list(ProjectIdea.objects.values_list("pk", flat=True)),
                "index": 0,
            },
        )
        assert response.status_code == 200
        content = b"".join(response.streaming_content).decode()
        return list(csv.reader(io.StringIO(content), delimiter=";"))

    def fill(count):
        for _n in range(count):
            project_idea_factory(sectors=["health_care"], programmes=[programme("Erasmus+")])

    fill(5)
    few, rows = count_queries(export)
    assert len(rows) == 6
    assert rows[1][3] == "Health and care"
    fill(45)
    many, rows = count_queries(export)
    assert len(rows) == 51
    assert calls == []
    # The ids to select (the test's own); session, user, second factor, permissions (2); the
    # changelist behind the action, built
    # twice (its programme and municipality filters, its count); the ideas, their sectors and
    # programmes.
    assert few == many == 15
