"""The shared input checks: text on one line or several, e-mail length, plausible moments,
queries that never fail on ids no column can hold, and query strings with NUL bytes."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from common.validators import (
    has_control_characters,
    validate_email_address_text,
    validate_no_control_characters,
    validate_plausible_moment,
    validate_single_line,
)
from meetings.models import Meeting, Registration
from projects.models import ProjectIdea
from tests.helpers import email_address_of_length

pytestmark = pytest.mark.django_db

TOO_BIG = [2**63, 2**64 + 1, 10**30]
TOO_SMALL = [-(2**63) - 1, -(10**30)]


def messages(validator, value) -> list[str]:
    """The messages the validator refuses the value with, in English."""
    with pytest.raises(ValidationError) as excinfo:
        validator(value)
    with translation.override("en"):
        return [str(message) for message in excinfo.value.messages]


# --- Text ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "Kari Nordmann", "Ærlig, åpen, øvd – «ja»", "😀 𝔘𝔫𝔦"])
def test_ordinary_text_passes_both_checks(text):
    validate_single_line(text)
    validate_no_control_characters(text)
    assert not has_control_characters(text)


@pytest.mark.parametrize("text", ["Linje 1\nLinje 2", "a\r\nb", "Namn\tTittel"])
def test_tabs_and_line_breaks_are_fine_in_multi_line_text_only(text):
    validate_no_control_characters(text)
    assert messages(validate_single_line, text) == [
        "Write this on one line, without line breaks or tabs."
    ]
    assert has_control_characters(text)


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x07", "\x0b", "\x0c", "\x1b", "\x7f"])
def test_other_control_characters_are_refused_everywhere(character):
    text = f"Kari{character}Nordmann"
    expected = ["Remove the invisible control characters from this text."]
    assert messages(validate_no_control_characters, text) == expected
    assert messages(validate_single_line, text) == expected


def test_an_e_mail_address_may_have_254_characters():
    validate_email_address_text(email_address_of_length(254))
    assert messages(validate_email_address_text, email_address_of_length(318)) == [
        "An e-mail address can have at most 254 characters (it has 318)."
    ]
    assert messages(validate_email_address_text, '"a\nb"@example.org') == [
        "Write this on one line, without line breaks or tabs."
    ]


# --- Moments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "valid"),
    [
        (dt.datetime(1900, 1, 1, tzinfo=dt.UTC), True),
        (dt.datetime(2200, 12, 31, 23, 59, tzinfo=dt.UTC), True),
        (dt.datetime(1899, 12, 31, 23, 59, tzinfo=dt.UTC), False),
        (dt.datetime(2201, 1, 1, tzinfo=dt.UTC), False),
        (dt.datetime(1, 1, 1, tzinfo=dt.UTC), False),
        (dt.datetime(9999, 12, 31, tzinfo=dt.UTC), False),
        (None, True),
    ],
)
def test_plausible_moments(moment, valid):
    if valid:
        validate_plausible_moment(moment)
    else:
        assert messages(validate_plausible_moment, moment) == [
            "Enter a time between the years 1900 and 2200."
        ]


# --- Ids no column can hold ------------------------------------------------------------------


@pytest.mark.parametrize("impossible", TOO_BIG + TOO_SMALL)
def test_in_leaves_out_ids_no_column_can_hold(meeting_factory, impossible):
    meeting = meeting_factory()
    assert list(Meeting.objects.filter(pk__in=[impossible, meeting.pk])) == [meeting]
    assert not Meeting.objects.filter(pk__in=[impossible]).exists()
    assert Meeting.objects.exclude(pk__in=[impossible]).count() == 1


@pytest.mark.parametrize("impossible", TOO_BIG + TOO_SMALL)
def test_foreign_keys_compare_with_ids_no_column_can_hold(registration_factory, impossible):
    registration = registration_factory()
    meeting_id = registration.meeting_id
    assert not Registration.objects.filter(meeting_id=impossible).exists()
    assert not Registration.objects.filter(meeting=impossible).exists()
    assert Registration.objects.exclude(meeting_id=impossible).count() == 1
    found = Registration.objects.filter(meeting_id__in=[impossible, meeting_id])
    assert list(found) == [registration]
    assert not Registration.objects.filter(meeting__in=[impossible]).exists()


@pytest.mark.parametrize("text", ["abc", ":", " ", "0000-00-00", "1.5", "\x00"])
def test_in_leaves_out_text_that_is_no_number(registration_factory, text):
    registration = registration_factory()
    meeting = registration.meeting
    assert list(Meeting.objects.filter(pk__in=[text, str(meeting.pk)])) == [meeting]
    assert not Meeting.objects.filter(pk__in=[text]).exists()
    found = Registration.objects.filter(meeting__in=[text, meeting])
    assert list(found) == [registration]


def test_exact_on_text_that_is_no_number_still_raises(meeting_factory):
    """Only `in` is lenient: model choice fields rely on `exact` to call such text invalid."""
    with pytest.raises(ValueError, match="expected a number"):
        Meeting.objects.filter(pk="abc")


@pytest.mark.parametrize("selected", [["abc"], ["\x00"], [str(2**64)], ["1", ":"]])
def test_admin_actions_on_ids_that_are_no_ids_are_no_500(staff_client, meeting_factory, selected):
    meeting_factory()
    response = staff_client.post(
        reverse("admin:meetings_meeting_changelist"),
        {"action": "delete_selected", "_selected_action": selected, "index": "0"},
    )
    assert response.status_code in (200, 302)
    assert Meeting.objects.count() == 1


@pytest.mark.parametrize("value", [":", " ", "abc", str(2**64)])
def test_an_autocomplete_field_with_a_bad_id_shows_the_form_again(staff_client, value):
    response = staff_client.post(
        reverse("admin:members_contactperson_add"),
        {"name": "Kari", "email": "kari@example.org", "municipality": value, "sector": "other"},
    )
    assert response.status_code == 200
    assert "municipality" in response.context["adminform"].form.errors


def test_in_with_a_subquery_and_none_still_works(project_idea_factory):
    idea = project_idea_factory()
    assert list(ProjectIdea.objects.filter(pk__in=ProjectIdea.objects.values("pk"))) == [idea]
    assert list(ProjectIdea.objects.filter(pk__in=[None, idea.pk])) == [idea]
    assert not ProjectIdea.objects.filter(pk__in=[]).exists()


def test_text_columns_are_compared_as_before(contact_person_factory):
    person = contact_person_factory(email="kari@example.org")
    assert list(type(person).objects.filter(email__in=["kari@example.org", "x"])) == [person]


def test_meeting_admin_change_page_of_an_impossible_id_is_no_500(staff_client):
    response = staff_client.get(
        reverse("admin:meetings_meeting_change", args=["99999999999999999999999"])
    )
    # The admin says the object does not exist and goes back to the index.
    assert response.status_code == 302


# --- NUL in query strings --------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"term": "\x00", "app_label": "meetings", "model_name": "registration"},
        {"q": "a\x00b"},
        {"\x00": "1"},
    ],
)
def test_a_nul_byte_in_the_query_string_is_a_bad_request(staff_client, query):
    query.setdefault("field_name", "meeting")
    assert staff_client.get(reverse("admin:autocomplete"), query).status_code == 400


def test_ordinary_query_strings_pass(staff_client):
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "møte",
            "app_label": "meetings",
            "model_name": "registration",
            "field_name": "meeting",
        },
    )
    assert response.status_code == 200
