"""County staff importing contact persons from CSV and Excel files in the admin."""

import csv
import io

import openpyxl
import pytest
import tablib
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from members.models import ContactPerson, Sector
from members.resources import ContactPersonResource
from tests.helpers import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

HEADINGS = ["name", "email", "phone", "job_title", "sector", "municipality", "role"]
FORMAT_INDEX = {"csv": "0", "xlsx": "1"}
IMPORT_URL = reverse("admin:members_contactperson_import")
PROCESS_URL = reverse("admin:members_contactperson_process_import")


def upload(rows, file_format, headings=HEADINGS, *, delimiter=","):
    """A file as staff would upload it, headings first."""
    if file_format == "csv":
        text = io.StringIO()
        csv.writer(text, delimiter=delimiter).writerows([headings, *rows])
        return SimpleUploadedFile("people.csv", text.getvalue().encode(), "text/csv")
    workbook = openpyxl.Workbook()
    for row in [headings, *rows]:
        workbook.active.append(row)
    content = io.BytesIO()
    workbook.save(content)
    return SimpleUploadedFile(
        "people.xlsx",
        content.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def preview(client, rows, file_format="csv", **kwargs):
    return client.post(
        IMPORT_URL,
        {
            "resource": "0",
            "format": FORMAT_INDEX[file_format],
            "import_file": upload(rows, file_format, **kwargs),
        },
    )


def confirm(client, preview_response):
    """Press "Confirm import" on a preview page."""
    form = preview_response.context["confirm_form"]
    return client.post(PROCESS_URL, {name: form.initial[name] for name in form.fields})


def invalid_rows(response) -> dict[int, dict[str, list[str]]]:
    """Row number -> field -> messages, as the preview lists them."""
    return {row.number: row.error_dict for row in response.context["result"].invalid_rows}


@pytest.fixture
def bergen(municipality_factory):
    return municipality_factory(name="Bergen", number="1201")


@pytest.fixture
def voss(municipality_factory):
    return municipality_factory(name="Voss", number="4621")


# --- The import page -------------------------------------------------------------------------


def test_changelist_links_to_the_import(staff_client):
    response = staff_client.get(reverse("admin:members_contactperson_changelist"))
    assert IMPORT_URL in response.content.decode()


def test_import_page_documents_the_columns(staff_en_client):
    response = staff_en_client.get(IMPORT_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert ", ".join(HEADINGS) in content
    assert "four-digit municipality number" in content
    assert "<code>health_care</code>" in content
    assert "<code>coordinator</code>" in content
    # Only the two formats the brief allows are offered.
    assert [label for _value, label in response.context["form"].fields["format"].choices] == [
        "---",
        "csv",
        "xlsx",
    ]


def test_import_needs_the_right_to_add_and_change_contact_persons(client, user_factory):
    user = user_factory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="members",
            codename__in=["view_contactperson", "change_contactperson"],
        )
    )
    sign_in_with_second_factor(client, user)
    assert client.get(reverse("admin:members_contactperson_changelist")).status_code == 200
    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(PROCESS_URL, {}).status_code == 403


# --- Good files ------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_good_rows_are_imported_after_confirming(
    staff_en_client, staff_user, bergen, voss, file_format
):
    kari_row = ["Kari Nordmann", "kari@bergen.kommune.no", "55 56 00 00", "Rådgjevar"]
    rows = [
        [*kari_row, "health_care", "1201", "coordinator"],
        ["Ola Nordmann", "ola@voss.kommune.no", "", "", "Culture", "4621", "member"],
    ]
    response = preview(staff_en_client, rows, file_format)
    assert response.status_code == 200
    result = response.context["result"]
    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["new", "new"]
    assert "Kari Nordmann" in response.content.decode()
    # The preview writes nothing.
    assert not ContactPerson.objects.exists()

    response = confirm(staff_en_client, response)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:members_contactperson_changelist")
    kari = ContactPerson.objects.get(email="kari@bergen.kommune.no")
    assert (kari.name, kari.phone, kari.job_title) == ("Kari Nordmann", "55 56 00 00", "Rådgjevar")
    assert (kari.sector, kari.municipality, kari.role) == (
        Sector.HEALTH_CARE,
        bergen,
        ContactPerson.Role.COORDINATOR,
    )
    ola = ContactPerson.objects.get(email="ola@voss.kommune.no")
    assert (ola.sector, ola.municipality, ola.role) == (
        Sector.CULTURE,
        voss,
        ContactPerson.Role.MEMBER,
    )
    # The history records who imported them.
    assert kari.history.get().history_user == staff_user


def test_an_existing_person_is_updated_whatever_the_letter_case(
    staff_client, bergen, voss, contact_person_factory
):
    kari = contact_person_factory(
        name="Kari Nordmann",
        email="Kari.Nordmann@Bergen.kommune.no",
        municipality=bergen,
        job_title="Rådgjevar",
    )
    email = "KARI.NORDMANN@bergen.KOMMUNE.no"
    rows = [["Kari Nordmann", email, "", "Seniorrådgjevar", "", "4621", ""]]
    response = preview(staff_client, rows)
    assert [row.import_type for row in response.context["result"].rows] == ["update"]
    confirm(staff_client, response)

    assert ContactPerson.objects.count() == 1
    kari.refresh_from_db()
    assert kari.job_title == "Seniorrådgjevar"
    assert kari.municipality == voss
    # The address identifies the person; its letter case in the file is not a change.
    assert kari.email == "Kari.Nordmann@Bergen.kommune.no"


def test_empty_choice_and_municipality_cells_keep_the_current_values(
    staff_client, bergen, contact_person_factory
):
    person = contact_person_factory(
        email="kari@bergen.kommune.no",
        municipality=bergen,
        sector=Sector.EDUCATION,
        role=ContactPerson.Role.COORDINATOR,
    )
    response = preview(staff_client, [["Kari", "kari@bergen.kommune.no", "", "", "", "", ""]])
    confirm(staff_client, response)
    person.refresh_from_db()
    assert (person.name, person.sector, person.municipality, person.role) == (
        "Kari",
        Sector.EDUCATION,
        bergen,
        ContactPerson.Role.COORDINATOR,
    )


def test_a_new_person_without_sector_and_role_gets_the_defaults(staff_client, bergen):
    confirm(staff_client, preview(staff_client, [["Kari", "kari@b.no", "", "", "", "1201", ""]]))
    person = ContactPerson.objects.get()
    assert (person.sector, person.role) == (Sector.OTHER, ContactPerson.Role.MEMBER)


def test_an_unchanged_row_is_skipped_and_writes_no_history(
    staff_client, bergen, contact_person_factory
):
    person = contact_person_factory(
        name="Kari", email="kari@bergen.kommune.no", municipality=bergen, sector=Sector.CULTURE
    )
    rows = [["Kari", "kari@bergen.kommune.no", "", "", "culture", "1201", "member"]]
    response = preview(staff_client, rows)
    assert [row.import_type for row in response.context["result"].rows] == ["skip"]
    confirm(staff_client, response)
    assert person.history.count() == 1


def test_semicolon_separated_csv_from_norwegian_excel(staff_client, bergen):
    rows = [["Kari Nordmann", "kari@bergen.kommune.no", "", "", "Helse og omsorg", "1201", ""]]
    response = preview(staff_client, rows, delimiter=";")
    confirm(staff_client, response)
    assert ContactPerson.objects.get().sector == Sector.HEALTH_CARE


def test_excel_number_cells_and_blank_rows(staff_client, municipality_factory):
    oslo = municipality_factory(name="Oslo", number="0301")
    rows = [
        ["Kari Nordmann", "kari@oslo.kommune.no", 21800000, None, None, 301, None],
        [None] * 7,
    ]
    response = preview(staff_client, rows, "xlsx")
    assert [row.import_type for row in response.context["result"].rows] == ["new", "skip"]
    confirm(staff_client, response)
    person = ContactPerson.objects.get()
    assert (person.phone, person.municipality) == ("21800000", oslo)


def test_headings_in_any_case_or_as_nynorsk_field_names(staff_client, bergen):
    headings = ["Namn", "E-postadresse", "PHONE", "job_title", "Sektor", "Kommune", "Rolle"]
    rows = [["Kari", "kari@b.no", "555", "Leiar", "Kultur", "1201", "Kommunekoordinator"]]
    response = preview(staff_client, rows, headings=headings)
    assert not response.context["result"].has_validation_errors()
    confirm(staff_client, response)
    person = ContactPerson.objects.get()
    assert (person.name, person.phone, person.municipality) == ("Kari", "555", bergen)
    assert (person.sector, person.role) == (Sector.CULTURE, ContactPerson.Role.COORDINATOR)


# --- Bad files: nothing is imported ----------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_bad_rows_are_listed_and_nothing_is_imported(
    staff_en_client, bergen, contact_person_factory, file_format
):
    rows = [
        ["Good Person", "good@bergen.kommune.no", "", "", "culture", "1201", "member"],
        ["Unknown Place", "unknown@example.org", "", "", "culture", "9999", "member"],
        ["Bad Address", "not-an-address", "", "", "culture", "1201", "member"],
        ["Twice", "GOOD@bergen.kommune.no", "", "", "culture", "1201", "member"],
        ["Bad Sector", "sector@bergen.kommune.no", "", "", "astrology", "1201", "member"],
        ["Another Good", "another@bergen.kommune.no", "", "", "", "1201", ""],
    ]
    response = preview(staff_en_client, rows, file_format)
    assert response.status_code == 200
    assert "confirm_form" not in response.context
    assert invalid_rows(response) == {
        2: {"municipality": ["Unknown municipality number 9999."]},
        3: {"email": ["Enter a valid email address."]},
        4: {"email": ["This e-mail address is already in row 1 of the file."]},
        5: {"sector": ["Value 'astrology' is not a valid choice."]},
    }
    content = response.content.decode()
    assert "Some rows failed to validate" in content
    assert "Unknown municipality number 9999." in content
    assert "Confirm import" not in content
    # Not even the good rows.
    assert not ContactPerson.objects.exists()


def test_a_missing_name_is_a_row_error(staff_en_client, bergen):
    response = preview(staff_en_client, [["", "kari@b.no", "", "", "", "1201", ""]])
    assert invalid_rows(response) == {1: {"name": ["This field cannot be blank."]}}


def test_a_file_without_the_email_column_is_refused(staff_en_client, bergen):
    response = preview(staff_en_client, [["Kari", "1201"]], headings=["name", "municipality"])
    assert response.context["result"].has_errors()
    assert "confirm_form" not in response.context
    assert not ContactPerson.objects.exists()


def test_a_row_that_fails_at_confirmation_undoes_the_whole_import(
    staff_en_client, bergen, municipality_factory
):
    """The confirmed import reads the file again; if the register changed since the preview
    so that a row fails, the good rows are not imported either."""
    doomed = municipality_factory(name="Ulvik", number="4620")
    rows = [
        ["Kari", "kari@bergen.kommune.no", "", "", "", "1201", ""],
        ["Ola", "ola@ulvik.kommune.no", "", "", "", "4620", ""],
    ]
    response = preview(staff_en_client, rows)
    assert "confirm_form" in response.context
    doomed.delete()

    response = confirm(staff_en_client, response)
    assert response.status_code == 302
    assert response["Location"] == IMPORT_URL
    assert not ContactPerson.objects.exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [
        "Nothing was imported: the file no longer passes the checks. Upload it again to see "
        "which rows fail."
    ]


# --- The resource on its own -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sector", "role"),
    [
        ("education", "coordinator"),
        ("EDUCATION", "Coordinator"),
        ("Childhood and school", "Municipal coordinator"),
        ("Oppvekst og skule", "Kommunekoordinator"),
        ("oppvekst og skole", "kommunekoordinator"),
    ],
    ids=["value", "value-upper-case", "english", "nynorsk", "bokmal-lower-case"],
)
@pytest.mark.parametrize("active_language", ["nn", "en"])
def test_choices_by_value_or_label_in_any_language(bergen, sector, role, active_language):
    dataset = tablib.Dataset(["Kari", "kari@b.no", "", "", sector, "1201", role], headers=HEADINGS)
    with translation.override(active_language):
        result = ContactPersonResource().import_data(dataset)
    assert not result.has_validation_errors()
    person = ContactPerson.objects.get()
    assert (person.sector, person.role) == (Sector.EDUCATION, ContactPerson.Role.COORDINATOR)
