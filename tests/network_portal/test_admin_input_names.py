"""Every input of the admin's forms has an accessible name: the date and the time input of a
split date-and-time field each (the field's label names neither), and each input and delete
box of a tabular inline row (whose column headings name none)."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import translation

from projects.models import IdeaSector, Presentation

pytestmark = pytest.mark.django_db


class InputFinder(HTMLParser):
    """The attributes of each input, select and textarea of a page, by id."""

    def __init__(self):
        super().__init__()
        self.inputs: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in {"input", "select", "textarea"} and attributes.get("id"):
            self.inputs[attributes["id"]] = attributes


def inputs_of(response) -> dict[str, dict[str, str | None]]:
    assert response.status_code == 200
    finder = InputFinder()
    finder.feed(response.content.decode())
    return finder.inputs


def test_split_date_and_time_inputs_are_named_after_their_field(staff_en_client):
    inputs = inputs_of(staff_en_client.get(reverse("admin:meetings_meeting_add")))
    assert inputs["id_starts_at_0"]["aria-label"] == "Starts: date"
    assert inputs["id_starts_at_1"]["aria-label"] == "Starts: time"
    assert inputs["id_registration_deadline_0"]["aria-label"] == "Registration deadline: date"
    # An input with a label of its own keeps the label as its name.
    assert "aria-label" not in inputs["id_title"]


def test_split_date_and_time_names_are_in_the_pages_language(staff_client):
    inputs = inputs_of(staff_client.get(reverse("admin:meetings_meeting_add")))
    with translation.override("nn"):
        date = translation.gettext("%(field)s: date") % {"field": "Starttid"}
        time = translation.gettext("%(field)s: time") % {"field": "Starttid"}
    assert date != "Starttid: date"
    assert inputs["id_starts_at_0"]["aria-label"] == date
    assert inputs["id_starts_at_1"]["aria-label"] == time


def test_tabular_inline_inputs_and_delete_boxes_are_named(
    staff_en_client, meeting_factory, agenda_item_factory
):
    meeting = meeting_factory()
    agenda_item_factory(meeting=meeting, title="Welcome")
    inputs = inputs_of(
        staff_en_client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))
    )
    assert inputs["id_agenda_items-0-order"]["aria-label"] == "Order"
    assert inputs["id_agenda_items-0-starts_at"]["aria-label"] == "Time"
    assert inputs["id_agenda_items-0-title"]["aria-label"] == "Title"
    assert inputs["id_agenda_items-0-description"]["aria-label"] == "Description"
    assert inputs["id_agenda_items-0-DELETE"]["aria-label"] == "Delete Welcome"
    # The empty row for new items, which has no delete box, and the row "Add another" copies.
    assert inputs["id_agenda_items-1-title"]["aria-label"] == "Title"
    assert "id_agenda_items-1-DELETE" not in inputs
    assert inputs["id_agenda_items-__prefix__-title"]["aria-label"] == "Title"


def test_inline_selects_and_autocomplete_selects_are_named(
    staff_en_client, project_idea_factory, meeting_factory
):
    idea = project_idea_factory(sectors=["health_care"])
    Presentation.objects.create(idea=idea, meeting=meeting_factory())
    inputs = inputs_of(
        staff_en_client.get(reverse("admin:projects_projectidea_change", args=[idea.pk]))
    )
    assert IdeaSector.objects.filter(idea=idea).count() == 1
    assert inputs["id_sectors-0-sector"]["aria-label"] == "Sector"
    # admin-accessibility.js hands this name on to the select2 box that replaces the select.
    assert inputs["id_presentations-0-meeting"]["aria-label"] == "Meeting"
    assert "admin-autocomplete" in inputs["id_presentations-0-meeting"]["class"]
    assert inputs["id_presentations-0-registration"]["aria-label"] == "Registration"
