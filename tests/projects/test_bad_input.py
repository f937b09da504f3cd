"""Bad input to the project idea pages gives form errors, never a 500."""

import pytest

from projects.models import EuropeanPartner, ProjectIdea
from tests.projects.test_views import idea_form, url

pytestmark = pytest.mark.django_db

OUT_OF_RANGE_IDS = [str(2**63), str(2**64 + 5), "-1", "99999999999999999999999999", "1e3"]


@pytest.mark.parametrize("field", ["programmes", "partner_municipalities"])
@pytest.mark.parametrize("bad_id", OUT_OF_RANGE_IDS)
def test_ids_out_of_range_on_the_create_form_are_form_errors(client_for, author, field, bad_id):
    response = client_for(author).post(url("create"), idea_form(**{field: [bad_id]}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert not ProjectIdea.objects.exists()


@pytest.mark.parametrize("field", ["programmes", "partner_municipalities"])
def test_an_id_past_2_63_on_the_edit_form_is_a_form_error(
    client_for, author, project_idea_factory, field
):
    idea = project_idea_factory(contact_person=author, title="Velferdsteknologi")
    response = client_for(author).post(
        url("edit", idea.pk), idea_form(title="Endra", **{field: [str(2**63)]})
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    idea.refresh_from_db()
    assert idea.title == "Velferdsteknologi"


@pytest.mark.parametrize("bad_id", OUT_OF_RANGE_IDS)
def test_ids_out_of_range_in_the_list_filters_show_every_idea(
    client_for, author, project_idea_factory, bad_id
):
    project_idea_factory(contact_person=author)
    response = client_for(author).get(url("list"), {"programme": bad_id, "municipality": bad_id})
    assert response.status_code == 200
    assert response.context["filter_form"].errors


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Tittel\nmed linjeskift"),
        ("title", "Tittel\tmed tabulator"),
        ("partners-0-organisation", "Kommune\nSverige"),
        ("partners-0-country", "Sverige\x00"),
    ],
)
def test_line_breaks_in_single_line_fields_are_form_errors(client_for, author, field, value):
    data = idea_form(**{"partners-0-organisation": "Göteborg", "partners-0-country": "Sverige"})
    data[field] = value
    response = client_for(author).post(url("create"), data)
    assert response.status_code == 200
    assert not ProjectIdea.objects.exists()
    assert not EuropeanPartner.objects.exists()


def test_line_breaks_in_multi_line_fields_are_kept(client_for, author):
    response = client_for(author).post(
        url("create"), idea_form(local_need="Linje 1\r\nLinje 2\tmed tabulator")
    )
    assert response.status_code == 302
    assert ProjectIdea.objects.get().local_need == "Linje 1\r\nLinje 2\tmed tabulator"
