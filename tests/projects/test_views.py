"""The project pages: who sees and does what, filters, search and pagination, the forms with
good and bad input, interest in cooperating, a municipality's page and the CSV export."""

import csv
import io
from urllib.parse import quote

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from projects import services
from projects.models import EuropeanPartner, Interest, ProjectIdea, StageChange

pytestmark = pytest.mark.django_db

NEED = "Unge flyttar ut og kjem ikkje att."
PLEASE_CORRECT = "Please correct the errors in the form."
SCRIPT = '<script>alert("x")</script>'
IMAGE = "<img src=x onerror=alert(1)>"


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def url(name, *args) -> str:
    return reverse(f"projects:{name}", args=args)


def html(response) -> str:
    return response.content.decode()


def idea_form(**overrides) -> dict:
    """What the idea form posts, with two empty European partner rows."""
    data = {
        "title": "Ungdomsbustader",
        "local_need": NEED,
        "description": "",
        "stage": "idea",
        "call_deadline": "",
        "partners-TOTAL_FORMS": "2",
        "partners-INITIAL_FORMS": "0",
        "partners-MIN_NUM_FORMS": "0",
        "partners-MAX_NUM_FORMS": "20",
        "partners-0-organisation": "",
        "partners-0-country": "",
        "partners-1-organisation": "",
        "partners-1-country": "",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


# The municipalities (voss 1235, kvam 1238) and people (author, coordinator, colleague of
# Voss; outsider, outsider_coordinator of Kvam) are the shared ones of tests/fixtures.py.


@pytest.fixture
def idea(author):
    return services.idea_create(
        author=author,
        fields={"title": "Velferdsteknologi", "local_need": NEED},
        sectors=["health_care"],
    )


# --- signed out ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "name", "needs"),
    [
        ("get", "list", None),
        ("get", "create", None),
        ("post", "create", None),
        ("get", "export", None),
        ("get", "detail", "idea"),
        ("get", "edit", "idea"),
        ("post", "edit", "idea"),
        ("get", "delete", "idea"),
        ("post", "delete", "idea"),
        ("post", "interest", "idea"),
        ("post", "interest_withdraw", "interest"),
        ("get", "municipality", "number"),
    ],
)
def test_signed_out_visitors_go_to_the_login_page(
    client, idea, interest_factory, method, name, needs
):
    interest = interest_factory(idea=idea)
    args = {
        None: (),
        "idea": (idea.pk,),
        "interest": (interest.pk,),
        "number": (idea.lead_municipality.number,),
    }[needs]
    path = url(name, *args)
    response = getattr(client, method)(path, idea_form() if method == "post" else None)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={quote(path)}"
    assert ProjectIdea.objects.get().title == "Velferdsteknologi"
    assert Interest.objects.get(withdrawn_at__isnull=True) == interest


# --- reading ------------------------------------------------------------------------------


def test_every_linked_member_reads_all_ideas(client_for, idea, project_idea_factory, outsider):
    kvam_idea = project_idea_factory(contact_person=outsider, title="Kulturskule")
    for person in (outsider, idea.contact_person):
        client = client_for(person)
        listing = client.get(url("list"))
        assert listing.status_code == 200
        assert {i.pk for i in listing.context["ideas"]} == {idea.pk, kvam_idea.pk}
        for shown in (idea, kvam_idea):
            assert client.get(url("detail", shown.pk)).status_code == 200


def test_an_account_linked_to_no_municipality_reads_no_ideas(
    client_for, idea, linked_contact_person_factory
):
    client = client_for(linked_contact_person_factory(municipality=None))
    for path in (
        url("list"),
        url("detail", idea.pk),
        url("municipality", idea.lead_municipality.number),
    ):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == reverse("profile_waiting")


def test_unknown_idea_is_404(client_for, outsider):
    assert client_for(outsider).get(url("detail", 987654)).status_code == 404


def test_the_new_idea_button_is_for_people_of_a_municipality(
    client_for, author, linked_contact_person_factory
):
    assert f'href="{url("create")}"' in html(client_for(author).get(url("list")))
    loner = linked_contact_person_factory(municipality=None)
    assert f'href="{url("create")}"' not in html(client_for(loner).get(url("list")))


def test_people_without_a_municipality_cannot_create(client_for, linked_contact_person_factory):
    client = client_for(linked_contact_person_factory(municipality=None))
    assert client.get(url("create"))["Location"] == reverse("profile_waiting")
    assert client.post(url("create"), idea_form())["Location"] == reverse("profile_waiting")
    assert not ProjectIdea.objects.exists()


def test_county_staff_read_ideas_but_cannot_present_one(staff_client):
    assert staff_client.get(url("list")).status_code == 200
    assert staff_client.get(url("create")).status_code == 403
    assert staff_client.post(url("create"), idea_form()).status_code == 403
    assert not ProjectIdea.objects.exists()


def test_detail_page_shows_the_idea_with_its_history_and_interest(
    client_for, author, outsider, idea, interest_factory, programme
):
    services.idea_update(
        idea=idea,
        actor=author,
        fields={"title": "Velferdsteknologi", "local_need": NEED, "stage": "seeking_partners"},
        sectors=["health_care"],
        programmes=[programme("Interreg North Sea")],
        partner_municipalities=[outsider.municipality],
        european_partners=[("Gemeente Delft", "Nederland")],
    )
    interest_factory(idea=idea, contact_person=outsider, message="Vi er med!")
    response = client_for(outsider).get(url("detail", idea.pk))
    page = html(response)
    assert [change.stage for change in response.context["idea"].stage_changes.all()] == [
        "idea",
        "seeking_partners",
    ]
    history = page.split('<ol class="stage-history">')[1].split("</ol>")[0]
    assert history.count("<li>") == 2
    assert history.index(": Idea</li>") < history.index(": Seeking partners</li>")
    for text in (
        "Kari Forfattar",
        "Health and care",
        "Interreg North Sea",
        "Gemeente Delft (Nederland)",
        "Kvam: “Vi er med!”",
        f'href="{url("municipality", "1235")}"',
    ):
        assert text in page, text


def test_detail_page_suggests_partners_with_the_reasons(
    client_for, author, idea, project_idea_factory, outsider
):
    project_idea_factory(contact_person=outsider, title="Omsorg i Kvam", sectors=["health_care"])
    page = html(client_for(author).get(url("detail", idea.pk)))
    assert "Omsorg i Kvam</a> (Kvam): same sector: health and care</li>" in page


def test_detail_page_takes_a_constant_number_of_queries(
    client_for,
    author,
    idea,
    project_idea_factory,
    interest_factory,
    contact_person_factory,
    django_assert_num_queries,
):
    client = client_for(author)
    client.get(url("detail", idea.pk))  # the session and the contact person link settle

    def add_neighbour():
        other = contact_person_factory()  # of a new municipality
        project_idea_factory(contact_person=other, sectors=["health_care"])
        interest_factory(idea=idea, contact_person=other)
        EuropeanPartner.objects.create(idea=idea, organisation="Partnar", country="Danmark")

    add_neighbour()
    with django_assert_num_queries(DETAIL_QUERIES):
        client.get(url("detail", idea.pk))
    for _ in range(6):
        add_neighbour()
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(url("detail", idea.pk))
    assert len(response.context["suggestions"]) == 7
    assert len(response.context["idea"].active_interests) == 7


# session, user, contact person, idea, sectors, programmes, partner municipalities, European
# partners, stage changes, interests, calls aimed at (with their programmes), presented at,
# the ideas' version and, as every neighbour added changes it, the suggestions built anew (3).
DETAIL_QUERIES = 16


# --- permissions on editing ---------------------------------------------------------------


@pytest.mark.parametrize("who", ["author", "coordinator"])
def test_author_and_coordinator_edit(client_for, request, idea, who):
    client = client_for(request.getfixturevalue(who))
    page = html(client.get(url("detail", idea.pk)))
    assert f'href="{url("edit", idea.pk)}"' in page
    assert client.get(url("edit", idea.pk)).status_code == 200
    response = client.post(url("edit", idea.pk), idea_form(title="Endra", sectors=["health_care"]))
    assert response.status_code == 302
    assert response["Location"] == url("detail", idea.pk)
    assert ProjectIdea.objects.get(pk=idea.pk).title == "Endra"


@pytest.mark.parametrize("who", ["colleague", "outsider", "outsider_coordinator"])
def test_others_cannot_edit_or_delete_by_url(client_for, request, idea, who):
    client = client_for(request.getfixturevalue(who))
    before = ProjectIdea.objects.values().get(pk=idea.pk)

    page = html(client.get(url("detail", idea.pk)))
    assert f'href="{url("edit", idea.pk)}"' not in page
    assert f'href="{url("delete", idea.pk)}"' not in page
    assert client.get(url("edit", idea.pk)).status_code == 403
    assert client.post(url("edit", idea.pk), idea_form(title="Kapra")).status_code == 403
    assert client.get(url("delete", idea.pk)).status_code == 403
    assert client.post(url("delete", idea.pk)).status_code == 403

    assert ProjectIdea.objects.values().get(pk=idea.pk) == before
    assert list(idea.sectors.values_list("sector", flat=True)) == ["health_care"]
    assert StageChange.objects.filter(idea=idea).count() == 1


def test_unknown_idea_edit_and_delete_are_404(client_for, author):
    client = client_for(author)
    assert client.get(url("edit", 987654)).status_code == 404
    assert client.post(url("delete", 987654)).status_code == 404


def test_the_author_deletes(client_for, author, idea):
    client = client_for(author)
    assert "Velferdsteknologi" in html(client.get(url("delete", idea.pk)))
    response = client.post(url("delete", idea.pk))
    assert response.status_code == 302
    assert response["Location"] == url("list")
    assert flashed(response) == ["The idea has been deleted."]
    assert not ProjectIdea.objects.exists()


# --- creating and editing -----------------------------------------------------------------


def test_create_through_the_form(client_for, author, kvam, programme):
    erasmus, urbact = programme("Erasmus+"), programme("URBACT")
    response = client_for(author).post(
        url("create"),
        idea_form(
            title="Ungdomsbustader",
            description="Bustader for unge vaksne.",
            stage="need_identified",
            sectors=["planning", "culture"],
            programmes=[erasmus.pk, urbact.pk],
            partner_municipalities=[kvam.pk],
            call_deadline="2026-03-01",
            **{"partners-0-organisation": "Gemeente Delft", "partners-0-country": "Nederland"},
        ),
    )
    idea = ProjectIdea.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", idea.pk)
    assert flashed(response) == ["The idea has been saved."]
    assert (idea.lead_municipality, idea.contact_person) == (author.municipality, author)
    assert (idea.stage, str(idea.call_deadline)) == ("need_identified", "2026-03-01")
    assert sorted(idea.sector_values) == ["culture", "planning"]
    assert {p.name for p in idea.programmes.all()} == {"Erasmus+", "URBACT"}
    assert list(idea.partner_municipalities.all()) == [kvam]
    assert [str(p) for p in idea.european_partners.all()] == ["Gemeente Delft (Nederland)"]
    [change] = idea.stage_changes.all()
    assert (change.stage, change.changed_by) == ("need_identified", author.user)


def test_create_returns_to_a_local_next_page_only(client_for, author):
    client = client_for(author)
    local = client.post(url("create"), idea_form(next="/meetings/mote/"))
    assert local["Location"] == "/meetings/mote/"
    foreign = client.post(url("create"), idea_form(next="https://evil.example.com/"))
    assert foreign["Location"] == url("detail", ProjectIdea.objects.latest("pk").pk)


def test_edit_form_shows_the_ideas_values(client_for, author, programme):
    idea = services.idea_create(
        author=author,
        fields={"title": "Velferdsteknologi", "local_need": NEED},
        sectors=["health_care"],
        programmes=[programme("LIFE")],
        european_partners=[("Gemeente Delft", "Nederland")],
    )
    response = client_for(author).get(url("edit", idea.pk))
    form, partners = response.context["form"], response.context["partners"]
    assert form["title"].value() == "Velferdsteknologi"
    assert form["sectors"].value() == ["health_care"]
    assert form["programmes"].value() == [programme("LIFE").pk]
    assert partners.forms[0]["organisation"].value() == "Gemeente Delft"


def test_a_stage_change_through_the_edit_form_adds_one_history_entry(client_for, author, idea):
    client = client_for(author)
    client.post(url("edit", idea.pk), idea_form(title="Velferdsteknologi", stage="learning"))
    assert list(idea.stage_changes.order_by("pk").values_list("stage", "changed_by")) == [
        ("idea", None),
        ("learning", author.user.pk),
    ]
    # Saving again without a new stage adds nothing.
    client.post(url("edit", idea.pk), idea_form(title="Ny tittel", stage="learning"))
    assert idea.stage_changes.count() == 2
    assert ProjectIdea.objects.get(pk=idea.pk).title == "Ny tittel"


def test_editing_replaces_the_european_partners(client_for, author):
    idea = services.idea_create(
        author=author,
        fields={"title": "Velferdsteknologi", "local_need": NEED},
        european_partners=[("Gammal", "Danmark"), ("Gammal 2", "Island")],
    )
    client_for(author).post(
        url("edit", idea.pk),
        idea_form(**{"partners-1-organisation": "Ny", "partners-1-country": "Sverige"}),
    )
    assert [str(p) for p in idea.european_partners.all()] == ["Ny (Sverige)"]


def test_a_partner_that_is_the_lead_municipality_is_dropped(client_for, author, voss, kvam):
    client_for(author).post(url("create"), idea_form(partner_municipalities=[voss.pk, kvam.pk]))
    assert list(ProjectIdea.objects.get().partner_municipalities.all()) == [kvam]


BAD_INPUT = {
    "empty title": ({"title": ""}, "title"),
    "blank title": ({"title": "   "}, "title"),
    "empty local need": ({"local_need": ""}, "local_need"),
    "title over 200": ({"title": "x" * 201}, "title"),
    "local need over 4000": ({"local_need": "x" * 4001}, "local_need"),
    "description over 8000": ({"description": "x" * 8001}, "description"),
    "unknown programme": ({"programmes": ["987654"]}, "programmes"),
    "programme not a number": ({"programmes": ["erasmus"]}, "programmes"),
    "unknown partner municipality": (
        {"partner_municipalities": ["987654"]},
        "partner_municipalities",
    ),
    "unknown stage": ({"stage": "dreaming"}, "stage"),
    "unknown sector": ({"sectors": ["space"]}, "sectors"),
    "bad deadline": ({"call_deadline": "31.02.2026"}, "call_deadline"),
    "bell in title": ({"title": "Tittel\x07"}, "title"),
    "escape in local need": ({"local_need": "Behov\x1b[31m"}, "local_need"),
    "form feed in description": ({"description": "Side 1\x0cSide 2"}, "description"),
    "null in title": ({"title": "Tit\x00tel"}, "title"),
}


@pytest.mark.parametrize(("overrides", "field"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_on_create_shows_errors_and_saves_nothing(client_for, author, overrides, field):
    response = client_for(author).post(url("create"), idea_form(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert PLEASE_CORRECT in html(response)
    assert 'class="invalid-feedback' in html(response)
    assert not ProjectIdea.objects.exists()
    assert not StageChange.objects.exists()


@pytest.mark.parametrize(("overrides", "field"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_on_edit_shows_errors_and_changes_nothing(
    client_for, author, idea, overrides, field
):
    before = ProjectIdea.objects.values().get(pk=idea.pk)
    response = client_for(author).post(
        url("edit", idea.pk), idea_form(**{"stage": "learning", **overrides})
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert PLEASE_CORRECT in html(response)
    assert ProjectIdea.objects.values().get(pk=idea.pk) == before
    assert idea.stage_changes.count() == 1


def test_a_partner_municipality_that_no_longer_exists_is_refused(
    client_for, author, municipality_factory
):
    merged = municipality_factory(
        name="Fusa",
        valid_from="1964-01-01",
        valid_to=timezone.localdate() - timezone.timedelta(days=1),
    )
    response = client_for(author).post(url("create"), idea_form(partner_municipalities=[merged.pk]))
    assert "partner_municipalities" in response.context["form"].errors
    assert not ProjectIdea.objects.exists()


@pytest.mark.parametrize(
    ("partner", "error"),
    [
        (
            {"partners-0-organisation": "Kommune\x01", "partners-0-country": "Sverige"},
            "Remove the invisible control characters from this text.",
        ),
        (
            {"partners-0-organisation": "Gemeente Delft", "partners-0-country": "Land\x1b"},
            "Remove the invisible control characters from this text.",
        ),
        (
            {"partners-0-organisation": "x" * 201, "partners-0-country": "Sverige"},
            "Ensure this value has at most 200 characters (it has 201).",
        ),
        (
            {"partners-0-organisation": "Gemeente Delft"},
            "Give both the organisation and its country.",
        ),
        ({"partners-0-country": "Nederland"}, "Give both the organisation and its country."),
    ],
    ids=["control in organisation", "control in country", "too long", "no country", "no name"],
)
def test_bad_european_partner_shows_its_error_and_saves_nothing(client_for, author, partner, error):
    """One mistake, one message: a partner with both names given is not also told to give
    both."""
    response = client_for(author).post(url("create"), idea_form(**partner))
    assert response.status_code == 200
    assert PLEASE_CORRECT in html(response)
    partner_form = response.context["partners"].forms[0]
    messages = [str(m) for errors in partner_form.errors.values() for m in errors]
    assert messages == [error]
    assert escape(error) in html(response)
    assert not ProjectIdea.objects.exists()


def test_too_many_european_partner_rows_are_refused(client_for, author):
    rows = {"partners-TOTAL_FORMS": "21"}
    for n in range(21):
        rows[f"partners-{n}-organisation"] = f"Partnar {n}"
        rows[f"partners-{n}-country"] = "Danmark"
    response = client_for(author).post(url("create"), idea_form(**rows))
    assert response.status_code == 200
    assert response.context["partners"].non_form_errors()
    assert not ProjectIdea.objects.exists()


# --- markup is text -----------------------------------------------------------------------


def test_markup_in_an_idea_is_shown_as_text_everywhere(
    client_for,
    author,
    outsider,
    project_idea_factory,
    meeting_factory,
    presentation_factory,
    django_capture_on_commit_callbacks,
):
    client = client_for(author)
    client.post(
        url("create"),
        idea_form(
            title=f"Tittel {SCRIPT}",
            local_need=f"Behov {IMAGE}",
            description=f"Skildring {SCRIPT}",
            sectors=["culture"],
            stage="seeking_partners",
            **{"partners-0-organisation": f"Org {IMAGE}", "partners-0-country": f"Land {SCRIPT}"},
        ),
    )
    idea = ProjectIdea.objects.get()
    other = project_idea_factory(contact_person=outsider, sectors=["culture"])
    with django_capture_on_commit_callbacks(execute=True):
        client_for(outsider).post(url("interest", idea.pk), {"message": f"Melding {SCRIPT}"})
    meeting = meeting_factory(kind="project_identification")
    presentation_factory(idea=idea, meeting=meeting)

    pages = {
        "detail": client.get(url("detail", idea.pk)),
        "list": client.get(url("list"), {"q": "Tittel"}),
        "edit": client.get(url("edit", idea.pk)),
        "municipality": client.get(url("municipality", idea.lead_municipality.number)),
        "suggestion": client.get(url("detail", other.pk)),
        "meeting": client.get(meeting.get_absolute_url()),
        "delete": client.get(url("delete", idea.pk)),
    }
    expected = {
        "detail": [
            f"Tittel {SCRIPT}",
            f"Behov {IMAGE}",
            f"Skildring {SCRIPT}",
            f"Org {IMAGE}",
            f"Melding {SCRIPT}",
        ],
        "list": [f"Tittel {SCRIPT}", f"Behov {IMAGE}"],
        "edit": [f"Tittel {SCRIPT}", f"Behov {IMAGE}", f"Org {IMAGE}"],
        "municipality": [f"Tittel {SCRIPT}"],
        "suggestion": [f"Tittel {SCRIPT}"],
        "meeting": [f"Tittel {SCRIPT}"],
        "delete": [f"Tittel {SCRIPT}"],
    }
    for name, response in pages.items():
        page = html(response)
        assert response.status_code == 200, name
        for text in expected[name]:
            assert escape(text) in page, (name, text)
        assert SCRIPT not in page, name
        assert IMAGE not in page, name


# --- filters, search and pagination -------------------------------------------------------


def test_filters_and_search_through_the_query_string(
    client_for, author, outsider, project_idea_factory, programme
):
    project_idea_factory(
        contact_person=author,
        title="Velferdsteknologi",
        sectors=["health_care"],
        programmes=[programme("Interreg North Sea")],
        stage="seeking_partners",
    )
    project_idea_factory(
        contact_person=outsider,
        title="Kulturskule",
        local_need="Born utan tilbod",
        sectors=["culture"],
        programmes=[programme("Erasmus+")],
    )
    client = client_for(author)

    def shown(**query):
        response = client.get(url("list"), query)
        assert response.status_code == 200
        return sorted(idea.title for idea in response.context["ideas"])

    both = ["Kulturskule", "Velferdsteknologi"]
    assert shown() == both
    assert shown(q="tilbod") == ["Kulturskule"]
    assert shown(q="VOSS") == ["Velferdsteknologi"]
    assert shown(sector="culture") == ["Kulturskule"]
    assert shown(programme=programme("Interreg North Sea").pk) == ["Velferdsteknologi"]
    assert shown(stage="idea") == ["Kulturskule"]
    assert shown(municipality=outsider.municipality_id) == ["Kulturskule"]
    assert shown(seeking_partners="on") == ["Velferdsteknologi"]
    assert shown(sector="culture", seeking_partners="on") == []
    assert "No ideas match the filter." in html(client.get(url("list"), {"q": "ingenting"}))
    # A filter that makes no sense is not applied; the form says what is wrong.
    response = client.get(url("list"), {"programme": "987654"})
    assert sorted(i.title for i in response.context["ideas"]) == both
    assert "programme" in response.context["filter_form"].errors


def test_twenty_ideas_a_page_and_the_filter_stays_on_the_next_page(
    client_for, author, project_idea_factory
):
    for n in range(23):
        project_idea_factory(contact_person=author, title=f"Kultur {n:02d}", sectors=["culture"])
    project_idea_factory(contact_person=author, title="Helse", sectors=["health_care"])
    client = client_for(author)

    first = client.get(url("list"), {"sector": "culture"})
    assert len(first.context["ideas"]) == 20
    assert first.context["paginator"].count == 23
    assert "23 ideas" in html(first)
    assert 'href="?sector=culture&amp;page=2"' in html(first)

    second = client.get(url("list"), {"sector": "culture", "page": 2})
    assert len(second.context["ideas"]) == 3
    assert "Page 2 of 2" in html(second)
    assert 'href="?sector=culture&amp;page=1"' in html(second)
    shown = {i.title for i in first.context["ideas"]} | {i.title for i in second.context["ideas"]}
    assert shown == {f"Kultur {n:02d}" for n in range(23)}

    assert client.get(url("list"), {"page": 9}).status_code == 404


@pytest.fixture
def many_ideas(project_idea_factory, contact_person_factory, municipality_factory, programme):
    """Make `count` ideas seeking partners in health and care under Erasmus+, spread over
    five municipalities, each with an interest from elsewhere."""
    from projects.models import IdeaSector

    municipalities = [municipality_factory() for _ in range(5)]
    people = [contact_person_factory(municipality=m) for m in municipalities]
    erasmus, life = programme("Erasmus+"), programme("LIFE")

    def make(count):
        ideas = ProjectIdea.objects.bulk_create(
            [
                ProjectIdea(
                    title=f"Omsorgsidé {n}",
                    local_need=NEED,
                    contact_person=people[n % 5],
                    lead_municipality=municipalities[n % 5],
                    stage="seeking_partners",
                )
                for n in range(count)
            ]
        )
        IdeaSector.objects.bulk_create(
            [IdeaSector(idea=i, sector=s) for i in ideas for s in ("health_care", "culture")]
        )
        Through = ProjectIdea.programmes.through
        Through.objects.bulk_create(
            [Through(projectidea=i, euprogramme=p) for i in ideas for p in (erasmus, life)]
        )
        Interest.objects.bulk_create(
            [
                Interest(
                    idea=i,
                    contact_person=people[(n + 1) % 5],
                    municipality=municipalities[(n + 1) % 5],
                )
                for n, i in enumerate(ideas)
            ]
        )
        return municipalities

    return make


# session, user, contact person, the user's permissions (2); count and page of ideas, their
# sectors and programmes; the programmes and municipalities of the filter form; and with
# filters, the chosen programme and municipality.
LIST_QUERIES = {False: 11, True: 13}


@pytest.mark.parametrize("count", [10, 300])
@pytest.mark.parametrize("filtered", [False, True], ids=["unfiltered", "filtered"])
def test_list_takes_the_same_number_of_queries_for_10_and_300_ideas(
    client_for, author, many_ideas, programme, django_assert_num_queries, count, filtered
):
    municipalities = many_ideas(count)
    query = {}
    if filtered:
        query = {
            "q": "omsorg",
            "sector": "health_care",
            "programme": programme("Erasmus+").pk,
            "stage": "seeking_partners",
            "municipality": municipalities[0].pk,
            "seeking_partners": "on",
        }
    client = client_for(author)
    client.get(url("list"))  # the contact person is linked on the first visit
    with django_assert_num_queries(LIST_QUERIES[filtered]):
        response = client.get(url("list"), query)
    expected = count // 5 if filtered else count
    assert response.context["paginator"].count == expected
    assert len(response.context["ideas"]) == min(expected, 20)
    assert "1 interested municipality" in html(response)


# --- interest in cooperating --------------------------------------------------------------


def test_marking_interest_mails_the_contact_person_and_shows_on_the_idea(
    client_for, idea, outsider, django_capture_on_commit_callbacks
):
    client = client_for(outsider)
    page = html(client.get(url("detail", idea.pk)))
    assert "We are interested in cooperating" in page
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url("interest", idea.pk), {"message": "Same utfordring her."})
    assert len(callbacks) == 1
    assert response.status_code == 302
    assert response["Location"] == url("detail", idea.pk)
    assert flashed(response) == ["Your interest has been sent to the idea's contact person."]
    assert [m.to for m in mail.outbox] == [[idea.contact_person.email]]
    assert "Same utfordring her." in mail.outbox[0].body

    page = html(client.get(url("detail", idea.pk)))
    assert "Kvam: “Same utfordring her.”" in page
    assert "Withdraw my interest" in page
    assert "We are interested in cooperating" not in page
    listing = client.get(url("list"))
    assert [i.interest_count for i in listing.context["ideas"]] == [1]


def test_marking_interest_twice_gives_a_friendly_message(
    client_for, idea, outsider, django_capture_on_commit_callbacks
):
    client = client_for(outsider)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("interest", idea.pk), {"message": ""}, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("interest", idea.pk), {"message": "Igjen"})
    assert response.status_code == 302
    assert flashed(response) == ["You have already marked your interest."]
    assert Interest.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("who", ["author", "colleague", "coordinator"])
def test_own_municipality_cannot_mark_interest(
    client_for, request, idea, who, django_capture_on_commit_callbacks
):
    client = client_for(request.getfixturevalue(who))
    assert "We are interested in cooperating" not in html(client.get(url("detail", idea.pk)))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("interest", idea.pk), {"message": "Eigen"})
    assert response.status_code == 302
    assert flashed(response) == ["This idea is your own municipality's."]
    assert not Interest.objects.exists()
    assert mail.outbox == []


def test_interest_without_a_municipality_is_refused(
    client_for, idea, linked_contact_person_factory
):
    client = client_for(linked_contact_person_factory(municipality=None))
    response = client.post(url("interest", idea.pk), {"message": ""})
    assert response["Location"] == reverse("profile_waiting")
    assert not Interest.objects.exists()


@pytest.mark.parametrize("message", ["Hei\x07", "x" * 1001], ids=["control character", "too long"])
def test_bad_interest_message_is_refused(client_for, idea, outsider, message):
    response = client_for(outsider).post(url("interest", idea.pk), {"message": message})
    assert response.status_code == 302
    assert len(flashed(response)) == 1
    assert not Interest.objects.exists()
    assert mail.outbox == []


def test_interest_in_an_unknown_idea_is_404_and_get_is_not_allowed(client_for, idea, outsider):
    client = client_for(outsider)
    assert client.post(url("interest", 987654), {"message": ""}).status_code == 404
    assert client.get(url("interest", idea.pk)).status_code == 405


def test_withdrawing_interest(client_for, idea, outsider, django_capture_on_commit_callbacks):
    client = client_for(outsider)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("interest", idea.pk), {"message": "Vi er med"}, follow=True)
    interest = Interest.objects.get()
    assert client.get(url("interest_withdraw", interest.pk)).status_code == 405
    response = client.post(url("interest_withdraw", interest.pk))
    assert response.status_code == 302
    assert response["Location"] == url("detail", idea.pk)
    assert flashed(response) == ["Your interest has been withdrawn."]
    interest.refresh_from_db()
    assert interest.withdrawn_at is not None

    page = html(client.get(url("detail", idea.pk)))
    assert "Vi er med" not in page
    assert "No municipality has marked its interest yet." in page
    assert "We are interested in cooperating" in page
    # Withdrawn once is withdrawn; a second post finds nothing to withdraw.
    assert client.post(url("interest_withdraw", interest.pk)).status_code == 404


def test_only_the_person_who_marked_withdraws(
    client_for, idea, outsider, outsider_coordinator, author, interest_factory
):
    interest = interest_factory(idea=idea, contact_person=outsider)
    for person in (outsider_coordinator, author):
        assert client_for(person).post(url("interest_withdraw", interest.pk)).status_code == 404
    interest.refresh_from_db()
    assert interest.withdrawn_at is None


# --- a municipality's page ----------------------------------------------------------------


def test_municipality_page(
    client_for,
    outsider,
    author,
    coordinator,
    idea,
    contact_person_factory,
    project_idea_factory,
    meeting_factory,
    registration_factory,
):
    contact_person_factory(name="Slutta", municipality=author.municipality, is_active=False)
    project_idea_factory(contact_person=outsider, title="Kvamsidé")
    meeting_factory(title="Haustmøtet", registrations=[author, coordinator])
    cancelled = meeting_factory(title="Avlyst for oss")
    registration_factory(meeting=cancelled, contact_person=author, cancelled=True)

    response = client_for(outsider).get(url("municipality", "1235"))
    page = html(response)
    assert response.status_code == 200
    assert "<h1>Voss</h1>" in page
    assert "Kari Forfattar" in page
    assert "Kjell Koordinator (coordinator)" in page
    assert f'href="mailto:{author.email}"' in page
    assert "Slutta" not in page
    assert "Velferdsteknologi" in page
    assert "Kvamsidé" not in page
    assert "Haustmøtet</a>: 2 registered" in page
    assert "Avlyst for oss" not in page


def test_municipality_page_without_anything_yet(client_for, outsider, municipality_factory):
    municipality_factory(name="Modalen", number="1252")
    page = html(client_for(outsider).get(url("municipality", "1252")))
    assert "No project ideas yet." in page
    assert "No contact persons yet." in page
    assert "Nobody from the municipality has registered for a meeting yet." in page


def test_unknown_municipality_is_404(client_for, outsider):
    assert client_for(outsider).get(url("municipality", "0000")).status_code == 404


# --- CSV export -----------------------------------------------------------------------------


def read_csv(response, delimiter=";") -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=delimiter))


def test_staff_export_all_ideas_as_csv(
    staff_en_client, idea, outsider, interest_factory, programme, project_idea_factory
):
    idea.programmes.set([programme("Erasmus+"), programme("CERV")])
    ProjectIdea.objects.filter(pk=idea.pk).update(call_deadline="2026-02-15")
    interest_factory(idea=idea, contact_person=outsider)
    project_idea_factory(contact_person=outsider, title="Kulturskule")

    response = staff_en_client.get(url("export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="project-ideas.csv"'
    rows = read_csv(response)
    assert rows[0] == [
        "Title",
        "Lead municipality",
        "Stage",
        "Sectors",
        "EU programmes",
        "Interested municipalities",
        "Call deadline",
        "Local need",
        "Updated",
    ]
    assert rows[1][:8] == [
        "Velferdsteknologi",
        "Voss",
        "Idea",
        "Health and care",
        "CERV; Erasmus+",
        "1",
        "2026-02-15",
        NEED,
    ]
    assert rows[2][0] == "Kulturskule"
    assert len(rows) == 3


def test_export_with_commas(staff_en_client, idea):
    response = staff_en_client.get(url("export") + "?separator=comma")
    assert response.status_code == 200
    assert response.content.decode("utf-8").startswith("\ufeffTitle,Lead municipality,")
    assert read_csv(response, delimiter=",") == read_csv(staff_en_client.get(url("export")))


@pytest.mark.parametrize("separator", ["tab", ""])
def test_export_with_an_unknown_separator_is_a_bad_request(staff_en_client, idea, separator):
    assert staff_en_client.get(url("export") + f"?separator={separator}").status_code == 400


def test_the_export_link_is_for_staff(client_for, staff_en_client, author):
    assert f'href="{url("export")}"' in html(staff_en_client.get(url("list")))
    assert f'href="{url("export")}?separator=comma"' in html(staff_en_client.get(url("list")))
    assert f'href="{url("export")}"' not in html(client_for(author).get(url("list")))


def test_members_without_the_permission_get_403_on_export(client_for, author, idea):
    assert client_for(author).get(url("export")).status_code == 403


def test_export_with_the_view_permission_only(client, user_factory, idea):
    from django.contrib.auth.models import Permission

    user = user_factory()
    user.user_permissions.add(Permission.objects.get(codename="view_projectidea"))
    client.force_login(user)
    assert client.get(url("export")).status_code == 200


def test_exported_text_cannot_run_as_a_spreadsheet_formula(staff_en_client, author):
    """Titles and needs are typed by members; Excel must show them, not run them."""
    services.idea_create(
        author=author,
        fields={
            "title": '=HYPERLINK("https://evil.example.com","Klikk")',
            "local_need": "@SUM(A1)",
        },
    )
    [_heading, row] = read_csv(staff_en_client.get(url("export")))
    assert row[0] == '\'=HYPERLINK("https://evil.example.com","Klikk")'
    assert row[7] == "'@SUM(A1)"


def test_the_filters_municipality_select_keeps_its_markup(client_for, author, voss, kvam):
    """The municipality select is rendered in Python (LongSelect): the same options, the
    chosen one selected, escaped labels, and the label and classes of the other fields."""
    kvam.name = "Kvam <&>"
    kvam.save()
    page = html(client_for(author).get(url("list"), {"municipality": voss.pk}))
    select = page.split('<select name="municipality"')[1].split("</select>")[0]
    assert 'class="longselect form-select" id="id_municipality">' in select
    assert '<option value="">All municipalities</option>' in select
    assert f'<option value="{voss.pk}" selected>1235 Voss</option>' in select
    assert f'<option value="{kvam.pk}">1238 Kvam &lt;&amp;&gt;</option>' in select
    assert 'for="id_municipality"' in page
