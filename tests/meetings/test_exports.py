"""A meeting's participant list as CSV and Excel downloads for county staff."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst

from meetings import exports
from meetings.models import Registration
from members.models import Sector
from tests.helpers import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

# The msgids of the headings, in column order.
HEADING_MSGIDS = [
    "name",
    "municipality",
    "sector",
    "e-mail address",
    "phone",
    "attendance",
    "dietary needs",
    "presents a project idea",
    "status",
    "registered",
    "over capacity",
]
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_url(meeting, file_format) -> str:
    return reverse(f"admin:meetings_meeting_participants_{file_format}", args=[meeting.pk])


def body(response) -> bytes:
    """The bytes of a download, streamed or not."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def read_xlsx(content: bytes) -> list[list[str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [[cell.value or "" for cell in row] for row in sheet.iter_rows()]


@pytest.fixture
def meeting(meeting_factory):
    return meeting_factory(slug="oppstart-2030", title="Oppstartsmøte")


@pytest.fixture
def kari(contact_person_factory, municipality_factory):
    return contact_person_factory(
        name="Kari Nordmann",
        email="kari@bergen.kommune.no",
        phone="+47 55 56 00 00",
        sector=Sector.HEALTH_CARE,
        municipality=municipality_factory(name="Bergen", number="1201"),
    )


@pytest.fixture
def kari_registration(registration_factory, meeting, kari):
    return registration_factory(
        meeting=meeting,
        contact_person=kari,
        attendance_mode=Registration.AttendanceMode.ONLINE,
        dietary_needs="Glutenfri, ikkje nøtter",
        presenting_project_idea=True,
        # Winter time: Oslo is one hour ahead of UTC.
        created_at=dt.datetime(2030, 1, 15, 8, 5, tzinfo=dt.UTC),
    )


# --- The table -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "nn", "nb"])
def test_headings_in_the_active_language(meeting, language):
    with translation.override(language):
        dataset = exports.participants_dataset(meeting)
        expected = [capfirst(translation.gettext(msgid)) for msgid in HEADING_MSGIDS]
    assert dataset.headers == expected


def test_headings_differ_between_english_and_nynorsk(meeting):
    with translation.override("en"):
        english = exports.participants_dataset(meeting).headers
    with translation.override("nn"):
        nynorsk = exports.participants_dataset(meeting).headers
    assert english[:4] == ["Name", "Municipality", "Sector", "E-mail address"]
    assert nynorsk[:4] == ["Namn", "Kommune", "Sektor", "E-postadresse"]


def test_values_in_english(kari_registration):
    with translation.override("en"):
        dataset = exports.participants_dataset(kari_registration.meeting)
    assert list(dataset) == [
        (
            "Kari Nordmann",
            "Bergen",
            "Health and care",
            "kari@bergen.kommune.no",
            "+47 55 56 00 00",
            "Online",
            "Glutenfri, ikkje nøtter",
            "Yes",
            "Confirmed",
            "2030-01-15 09:05",
            "No",
        )
    ]


def test_labels_in_nynorsk(kari_registration):
    with translation.override("nn"):
        (row,) = exports.participants_dataset(kari_registration.meeting)
        expected = [
            translation.gettext("Health and care"),
            translation.gettext("Online"),
            translation.gettext("Yes"),
            translation.gettext("Confirmed"),
        ]
    assert [row[2], row[5], row[7], row[8]] == expected
    assert expected[2] == "Ja"


def test_not_presenting_and_no_municipality(registration_factory, meeting, contact_person_factory):
    registration_factory(meeting=meeting, contact_person=contact_person_factory(municipality=None))
    with translation.override("en"):
        (row,) = exports.participants_dataset(meeting)
    assert (row[1], row[7]) == ("", "No")


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [
        (dt.datetime(2030, 1, 15, 23, 30, tzinfo=dt.UTC), "2030-01-16 00:30"),
        (dt.datetime(2030, 6, 15, 23, 30, tzinfo=dt.UTC), "2030-06-16 01:30"),
    ],
    ids=["winter", "summer"],
)
def test_registered_at_is_oslo_time(registration_factory, meeting, created_at, expected):
    registration_factory(meeting=meeting, created_at=created_at)
    # Whatever time zone is active, the file shows Oslo time.
    with translation.override("en"), timezone.override("UTC"):
        (row,) = exports.participants_dataset(meeting)
    assert row[9] == expected


def test_every_status_in_order_then_by_name(registration_factory, meeting, contact_person_factory):
    def register(name, status):
        registration_factory(
            meeting=meeting,
            contact_person=contact_person_factory(name=name),
            status=status,
            cancelled_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
            if status == Registration.Status.CANCELLED
            else None,
        )

    register("Cecilie", Registration.Status.CANCELLED)
    register("bjørn", Registration.Status.CONFIRMED)
    register("Anne", Registration.Status.WAITLISTED)
    register("Arne", Registration.Status.CONFIRMED)
    register("Berit", Registration.Status.CANCELLED)
    register("Aud", Registration.Status.WAITLISTED)
    with translation.override("en"):
        dataset = exports.participants_dataset(meeting)
    assert [(row[0], row[8]) for row in dataset] == [
        ("Arne", "Confirmed"),
        ("bjørn", "Confirmed"),
        ("Anne", "On the waiting list"),
        ("Aud", "On the waiting list"),
        ("Berit", "Cancelled"),
        ("Cecilie", "Cancelled"),
    ]


def test_a_seat_over_capacity_is_marked(registration_factory, meeting):
    registration_factory(meeting=meeting, over_capacity=True)
    with translation.override("en"):
        (row,) = exports.participants_dataset(meeting)
    assert (row[8], row[10]) == ("Confirmed", "Yes")


def test_only_this_meetings_registrations(registration_factory, meeting):
    registration_factory(meeting=meeting)
    registration_factory()
    assert len(exports.participants_dataset(meeting)) == 1


@pytest.mark.parametrize("count", [5, 50])
def test_one_query_for_the_table(registration_factory, meeting, count_queries, count):
    registration_factory.create_batch(count, meeting=meeting)
    queries, dataset = count_queries(lambda: exports.participants_dataset(meeting))
    assert len(dataset) == count
    assert queries == 1


@pytest.fixture
def display_calls(monkeypatch):
    """Count the calls of the choice fields' get_*_display(): a label per row and field,
    looked up through the translation catalogue each time, took half of an export's time."""
    from members.models import ContactPerson

    calls = []
    for model, name in [
        (ContactPerson, "get_sector_display"),
        (Registration, "get_attendance_mode_display"),
        (Registration, "get_status_display"),
    ]:
        original = getattr(model, name)

        def counted(self, original=original, name=name):
            calls.append(name)
            return original(self)

        monkeypatch.setattr(model, name, counted)
    return calls


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_labels_are_looked_up_once_per_file_not_per_row(
    registration_factory, meeting, display_calls, file_format
):
    registration_factory.create_batch(5, meeting=meeting)
    with translation.override("nn"):
        few = exports.participants_file(meeting, file_format)
    registration_factory.create_batch(45, meeting=meeting)
    with translation.override("nn"):
        many = exports.participants_file(meeting, file_format)
    assert display_calls == []
    assert len(many.content) > len(few.content)


def test_a_stream_keeps_the_language_it_was_made_in(kari_registration):
    with translation.override("nn"):
        lines = exports.participants_csv(kari_registration.meeting)
    with translation.override("en"):
        rows = read_csv(b"".join(lines))
    assert rows[0][:2] == ["Namn", "Kommune"]
    assert rows[1][7] == "Ja"


# --- The files -------------------------------------------------------------------------------


def test_csv_is_utf8_with_a_byte_order_mark(kari_registration):
    with translation.override("nn"):
        export = exports.participants_file(kari_registration.meeting, "csv")
    assert export.content.startswith(b"\xef\xbb\xbf")
    assert export.content_type == CSV_TYPE
    assert export.filename == "oppstart-2030-participants.csv"
    rows = read_csv(export.content)
    assert rows[0][0] == "Namn"
    assert rows[1][6] == "Glutenfri, ikkje nøtter"
    # A phone number starting with + is data, not a formula.
    assert rows[1][4] == "+47 55 56 00 00"


def test_xlsx_is_readable(kari_registration):
    with translation.override("en"):
        export = exports.participants_file(kari_registration.meeting, "xlsx")
        dataset = exports.participants_dataset(kari_registration.meeting)
    assert export.content_type == XLSX_TYPE
    assert export.filename == "oppstart-2030-participants.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(export.content))
    assert workbook.active.title == "Participants"
    assert workbook.active.freeze_panes == "A2"
    assert read_xlsx(export.content) == [dataset.headers, list(dataset[0])]


def test_member_text_never_runs_as_a_formula(registration_factory, meeting, contact_person_factory):
    formula = '=HYPERLINK("https://example.org","Klikk")'
    registration_factory(
        meeting=meeting,
        contact_person=contact_person_factory(name="@SUM(1+1)"),
        dietary_needs=formula,
    )
    csv_rows = read_csv(exports.participants_file(meeting, "csv").content)
    assert (csv_rows[1][0], csv_rows[1][6]) == ("'@SUM(1+1)", "'" + formula)

    sheet = openpyxl.load_workbook(
        io.BytesIO(exports.participants_file(meeting, "xlsx").content)
    ).active
    assert (sheet["A2"].value, sheet["G2"].value) == ("@SUM(1+1)", formula)
    assert sheet["G2"].data_type == "s"


def test_control_characters_do_not_break_the_workbook(registration_factory, meeting):
    registration_factory(meeting=meeting, dietary_needs="Vegetar\x0bian")
    sheet = openpyxl.load_workbook(
        io.BytesIO(exports.participants_file(meeting, "xlsx").content)
    ).active
    assert sheet["G2"].value == "Vegetarian"


# --- The admin views -------------------------------------------------------------------------


@pytest.mark.parametrize(("file_format", "content_type"), [("csv", CSV_TYPE), ("xlsx", XLSX_TYPE)])
def test_staff_download(staff_en_client, kari_registration, file_format, content_type):
    response = staff_en_client.get(export_url(kari_registration.meeting, file_format))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="oppstart-2030-participants.{file_format}"'
    )
    rows = read_csv(body(response)) if file_format == "csv" else read_xlsx(body(response))
    assert rows[0][0] == "Name"
    assert rows[1][:2] == ["Kari Nordmann", "Bergen"]


def test_download_in_the_staff_members_language(staff_client, kari_registration):
    # The admin speaks Nynorsk unless another language is chosen.
    response = staff_client.get(export_url(kari_registration.meeting, "csv"))
    rows = read_csv(body(response))
    assert rows[0][:2] == ["Namn", "Kommune"]
    assert rows[1][7] == "Ja"


def test_the_csv_download_is_streamed_row_by_row(
    staff_en_client, registration_factory, meeting, count_queries
):
    def download():
        response = staff_en_client.get(export_url(meeting, "csv"))
        assert response.status_code == 200
        assert response.streaming
        return read_csv(body(response))

    registration_factory.create_batch(5, meeting=meeting)
    few, rows = count_queries(download)
    assert len(rows) == 6
    registration_factory.create_batch(45, meeting=meeting)
    many, rows = count_queries(download)
    assert len(rows) == 51
    with translation.override("en"):
        assert body(staff_en_client.get(export_url(meeting, "csv"))) == (
            exports.participants_file(meeting, "csv").content
        )
    # Session, user, second factor, permissions (2), the meeting, the registrations.
    assert few == many == 7


def test_change_page_links_to_both_downloads(staff_client, meeting, kari_registration):
    response = staff_client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))
    content = response.content.decode()
    assert export_url(meeting, "csv") in content
    assert export_url(meeting, "xlsx") in content
    # The history link of the page is still there.
    assert reverse("admin:meetings_meeting_history", args=[meeting.pk]) in content
    # The notification warning above the form is kept too (someone is registered).
    assert "calendar-warning" in content


def staff_with(client, user_factory, *codenames):
    user = user_factory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="meetings", codename__in=codenames)
    )
    sign_in_with_second_factor(client, user)
    return client


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize(
    "codenames",
    [(), ("view_meeting",), ("view_registration",)],
    ids=["no-permissions", "meetings-only", "registrations-only"],
)
def test_download_needs_both_view_permissions(
    client, user_factory, meeting, file_format, codenames
):
    staff_with(client, user_factory, *codenames)
    assert client.get(export_url(meeting, file_format)).status_code == 403


def test_download_with_the_view_permissions(client, user_factory, kari_registration):
    staff_with(client, user_factory, "view_meeting", "view_registration")
    assert client.get(export_url(kari_registration.meeting, "csv")).status_code == 200


def test_no_links_without_the_registration_permission(client, user_factory, meeting):
    staff_with(client, user_factory, "view_meeting")
    response = client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))
    assert response.status_code == 200
    assert export_url(meeting, "csv") not in response.content.decode()


def test_members_are_sent_to_the_admin_login(client, user_factory, meeting):
    client.force_login(user_factory())
    response = client.get(export_url(meeting, "csv"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_unknown_meeting_is_404(staff_client):
    url = reverse("admin:meetings_meeting_participants_csv", args=[999999])
    assert staff_client.get(url).status_code == 404


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_download_query_count_does_not_grow(
    staff_client, registration_factory, meeting_factory, count_queries, file_format
):
    def queries_for(count):
        meeting = meeting_factory()
        registration_factory.create_batch(count, meeting=meeting)
        url = export_url(meeting, file_format)
        queries, response = count_queries(lambda: staff_client.get(url))
        assert response.status_code == 200
        return queries

    assert queries_for(5) == queries_for(50)
