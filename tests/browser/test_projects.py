"""The project-idea pages in Chromium, signed in: the list with filters from the query
string, an idea's page (for its author and for another municipality, which marks its
interest), the edit form also in its error state, and a municipality's page. Each page is
checked for its stylesheets and against WCAG 2.1 A/AA with axe."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from playwright.sync_api import expect

from projects import services
from projects.models import EUProgramme, Interest, ProjectIdea

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEED = "Fleire eldre vil bu heime lenger, og heimetenesta treng nye verktøy."


def goto(page, path):
    response = page.goto(path)
    assert response is not None
    assert response.status == 200, f"{path} answered {response.status}"


@pytest.fixture
def sign_in(page, live_server):
    """Give `page` the session of the contact person's account, as after signing in."""

    def as_person(person):
        client = Client()
        client.force_login(person.user)
        page.context.clear_cookies()
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        return page

    return as_person


@pytest.fixture
def network(municipality_factory, linked_contact_person_factory, project_idea_factory):
    """Voss's idea seeking partners, with a history, a European partner and an interest
    from Bergen; Kvam's idea in the same sector; and more ideas to filter away. The
    transactional database is flushed between tests, so the programmes are made here."""
    interreg, _ = EUProgramme.objects.get_or_create(name="Interreg North Sea")
    erasmus, _ = EUProgramme.objects.get_or_create(name="Erasmus+")
    voss = municipality_factory(name="Voss", number="1235")
    kvam = municipality_factory(name="Kvam", number="1238")
    bergen = municipality_factory(name="Bergen", number="1201")
    author = linked_contact_person_factory(
        name="Kari Forfattar", municipality=voss, job_title="Rådgjevar"
    )
    kvamming = linked_contact_person_factory(name="Siri Samarbeid", municipality=kvam)
    bergenser = linked_contact_person_factory(name="Bjørn Bergen", municipality=bergen)
    idea = services.idea_create(
        author=author,
        fields={"title": "Velferdsteknologi i heimetenesta", "local_need": NEED},
        sectors=["health_care", "planning"],
        programmes=[interreg, erasmus],
        partner_municipalities=[bergen],
        european_partners=[("Gemeente Delft", "Nederland")],
    )
    services.idea_update(
        idea=idea,
        actor=author,
        fields={
            "title": "Velferdsteknologi i heimetenesta",
            "local_need": NEED,
            "description": "Sensorar, tryggleiksalarm og digitalt tilsyn.",
            "stage": "seeking_partners",
        },
        sectors=["health_care", "planning"],
        programmes=[interreg, erasmus],
        partner_municipalities=[bergen],
        european_partners=[("Gemeente Delft", "Nederland")],
    )
    Interest.objects.create(
        idea=idea, contact_person=bergenser, municipality=bergen, message="Vi er med!"
    )
    project_idea_factory(
        contact_person=kvamming,
        title="Eldreomsorg på tvers av fjorden",
        sectors=["health_care"],
        programmes=[interreg],
        stage="seeking_partners",
    )
    project_idea_factory(contact_person=kvamming, title="Kulturskule", sectors=["culture"])
    project_idea_factory(contact_person=author, title="Bustader for unge", sectors=["planning"])
    return {"idea": idea, "author": author, "kvamming": kvamming, "voss": voss}


def test_list_with_filters_from_the_query_string(
    page, sign_in, network, assert_stylesheets_loaded, assert_accessible
):
    sign_in(network["author"])
    interreg = EUProgramme.objects.get(name="Interreg North Sea")
    goto(
        page,
        f"/projects/?q=eldre&sector=health_care&programme={interreg.pk}"
        "&stage=seeking_partners&seeking_partners=on",
    )
    cards = page.locator("article.idea-card")
    expect(cards).to_have_count(2)
    expect(cards.locator("h3")).to_have_text(
        ["Eldreomsorg på tvers av fjorden", "Velferdsteknologi i heimetenesta"]
    )
    expect(page.locator("#id_sector")).to_have_value("health_care")
    expect(page.locator("#id_seeking_partners")).to_be_checked()
    assert_stylesheets_loaded(page)
    assert_accessible(page)


def test_idea_page_for_its_author(
    page, sign_in, network, assert_stylesheets_loaded, assert_accessible
):
    idea = network["idea"]
    sign_in(network["author"])
    goto(page, f"/projects/{idea.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(idea.title)
    expect(page.locator("ol.stage-history > li")).to_have_count(2)
    expect(page.locator(f'a[href="/projects/{idea.pk}/edit/"]')).to_be_visible()
    suggestions = page.locator("#suggestions-heading + ul > li")
    expect(suggestions).to_have_count(1)
    expect(suggestions).to_contain_text("Eldreomsorg på tvers av fjorden")
    assert_stylesheets_loaded(page)
    assert_accessible(page)


def test_another_municipality_marks_its_interest(
    page, sign_in, network, assert_stylesheets_loaded, assert_accessible
):
    idea = network["idea"]
    sign_in(network["kvamming"])
    goto(page, f"/projects/{idea.pk}/")
    interest_form = page.locator(f'form[action="/projects/{idea.pk}/interest/"]')
    expect(interest_form).to_be_visible()
    assert_stylesheets_loaded(page)
    assert_accessible(page)

    interest_form.locator("textarea").fill("Vi har same utfordring i Kvam.")
    interest_form.locator('button[type="submit"]').click()
    page.wait_for_url(re.compile(rf"/projects/{idea.pk}/$"))
    expect(page.locator("#interest-heading + ul")).to_contain_text(
        "Kvam: “Vi har same utfordring i Kvam.”"
    )
    expect(page.locator('form[action^="/projects/interests/"]')).to_be_visible()
    assert [m.to for m in mail.outbox] == [[network["author"].email]]
    assert_accessible(page)


def test_edit_form_and_its_error_state(
    page, sign_in, network, assert_stylesheets_loaded, assert_accessible
):
    idea = network["idea"]
    sign_in(network["author"])
    goto(page, f"/projects/{idea.pk}/edit/")
    title = page.locator("#id_title")
    expect(title).to_have_value(idea.title)
    assert_stylesheets_loaded(page)
    assert_accessible(page)

    title.fill("")
    page.locator('form[novalidate] button[type="submit"]').click()
    page.wait_for_load_state()
    expect(page.locator(".alert-danger")).to_be_visible()
    expect(page.locator("#id_title")).to_have_class(re.compile(r"\bis-invalid\b"))
    assert_stylesheets_loaded(page)
    assert_accessible(page)
    assert ProjectIdea.objects.get(pk=idea.pk).title == idea.title


def test_new_idea_form(page, sign_in, network, assert_stylesheets_loaded, assert_accessible):
    sign_in(network["author"])
    goto(page, "/projects/new/")
    expect(page.locator("#id_title")).to_be_visible()
    assert_stylesheets_loaded(page)
    assert_accessible(page)


def test_municipality_page(page, sign_in, network, assert_stylesheets_loaded, assert_accessible):
    sign_in(network["kvamming"])
    goto(page, "/projects/municipalities/1235/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Voss")
    expect(page.locator("article.idea-card")).to_have_count(2)
    expect(page.locator("#people-heading + ul")).to_contain_text("Kari Forfattar")
    assert_stylesheets_loaded(page)
    assert_accessible(page)
