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

from meetings import exports, services
from meetings.models import Meeting, Registration
from members.models import Sector
from tests.helpers import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

# The msgids of the headings, in column order.
HEADING_MSGIDS = [
    "meeting",
    "starts",
    "name",
    "municipality",
    "sector",
    "job title",
    "e-mail address",
    "phone",
    "attendance",
    "dietary needs",
    "presents a project idea",
    "comment",
    "status",
    "registered",
    "late registration",
    "over capacity",
    "checked in",
]
# The index of each column, by a short name.
COLUMN = {
    name: index
    for index, name in enumerate(
        [
            "meeting",
            "starts",
            "name",
            "municipality",
            "sector",
            "job_title",
            "email",
            "phone",
            "attendance",
            "dietary",
            "presenting",
            "comment",
            "status",
            "registered",
            "late",
            "over_capacity",
            "checked_in",
        ]
    )
}
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_url(meeting, file_format) -> str:
    return reverse(f"admin:meetings_meeting_participants_{file_format}", args=[meeting.pk])


def body(response) -> bytes:
    """The bytes of a download, streamed or not."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def read_csv(content: bytes, delimiter=";") -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))


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
        job_title="Rådgjevar",
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
        comment="Kjem med tog",
        # Winter time: Oslo is one hour ahead of UTC.
        created_at=dt.datetime(2030, 1, 15, 8, 5, tzinfo=dt.UTC),
    )


# --- The table -------------------------------------------------------------------------------


def test_the_municipality_is_the_one_of_the_registration(kari_registration, municipality_factory):
    """After a merger the person belongs to the new municipality; the list of a meeting
    before it names the municipality they came from."""
    kari = kari_registration.contact_person
    kari.municipality = municipality_factory(name="Bergen og omland", number="4601")
    kari.save()
    with translation.override("en"):
        (row,) = list(exports.participants_dataset(kari_registration.meeting))
    assert row[3] == "Bergen"


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
    assert english[:5] == ["Meeting", "Starts", "Name", "Municipality", "Sector"]
    assert nynorsk[:5] == ["Møte", "Starttid", "Namn", "Kommune", "Sektor"]


def test_values_in_english(kari_registration):
    with translation.override("en"):
        dataset = exports.participants_dataset(kari_registration.meeting)
    meeting = kari_registration.meeting
    assert list(dataset) == [
        (
            "Oppstartsmøte",
            timezone.localtime(meeting.starts_at).replace(tzinfo=None),
            "Kari Nordmann",
            "Bergen",
            "Health and care",
            "Rådgjevar",
            "kari@bergen.kommune.no",
            "+47 55 56 00 00",
            "Online",
            "Glutenfri, ikkje nøtter",
            "Yes",
            "Kjem med tog",
            "Confirmed",
            # Oslo's clock, as a date and time.
            dt.datetime(2030, 1, 15, 9, 5),
            "No",
            "No",
            # Not checked in (yet).
            "",
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
    assert [row[COLUMN[c]] for c in ("sector", "attendance", "presenting", "status")] == expected
    assert expected[2] == "Ja"


def test_not_presenting_and_no_municipality(registration_factory, meeting, contact_person_factory):
    registration_factory(meeting=meeting, contact_person=contact_person_factory(municipality=None))
    with translation.override("en"):
        (row,) = exports.participants_dataset(meeting)
    assert (row[COLUMN["municipality"]], row[COLUMN["presenting"]]) == ("", "No")


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [
        (dt.datetime(2030, 1, 15, 23, 30, tzinfo=dt.UTC), dt.datetime(2030, 1, 16, 0, 30)),
        (dt.datetime(2030, 6, 15, 23, 30, tzinfo=dt.UTC), dt.datetime(2030, 6, 16, 1, 30)),
    ],
    ids=["winter", "summer"],
)
def test_registered_at_is_oslo_time(registration_factory, meeting, created_at, expected):
    registration_factory(meeting=meeting, created_at=created_at)
    # Whatever time zone is active, the file shows Oslo time.
    with translation.override("en"), timezone.override("UTC"):
        (row,) = exports.participants_dataset(meeting)
    assert row[COLUMN["registered"]] == expected


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
    assert [(row[COLUMN["name"]], row[COLUMN["status"]]) for row in dataset] == [
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
    assert (row[COLUMN["status"]], row[COLUMN["over_capacity"]]) == ("Confirmed", "Yes")


def test_a_late_registration_is_marked(registration_factory, meeting):
    registration_factory(meeting=meeting, is_late=True)
    registration_factory(meeting=meeting)
    with translation.override("en"):
        rows = list(exports.participants_dataset(meeting))
    assert sorted(row[COLUMN["late"]] for row in rows) == ["No", "Yes"]


def test_the_check_in_is_in_the_list_in_oslo_time(kari_registration, user_factory):
    """Found when the product was tried: after the meeting, the list staff download had no
    word of who came; the check-in at the door is its last column."""
    Meeting.objects.filter(pk=kari_registration.meeting_id).update(
        starts_at=dt.datetime(2030, 6, 3, 8, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2030, 6, 3, 14, 0, tzinfo=dt.UTC),
    )
    kari_registration.refresh_from_db()
    services.attendance_mark(
        registration=kari_registration,
        by=user_factory(is_staff=True),
        now=dt.datetime(2030, 6, 3, 8, 15, tzinfo=dt.UTC),
    )
    with translation.override("en"), timezone.override("UTC"):
        (row,) = exports.participants_dataset(kari_registration.meeting)
    # Summer time: Oslo is two hours ahead of UTC.
    assert row[COLUMN["checked_in"]] == dt.datetime(2030, 6, 3, 10, 15)


def test_a_tentative_meeting_gives_its_period_for_the_date(registration_factory, meeting_factory):
    meeting = meeting_factory(tentative=True, title="Junimøte", tentative_period="juni")
    registration_factory(meeting=meeting)
    (row,) = exports.participants_dataset(meeting)
    assert (row[COLUMN["meeting"]], row[COLUMN["starts"]]) == ("Junimøte", "juni")


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
    assert rows[0][2:4] == ["Namn", "Kommune"]
    assert rows[1][COLUMN["presenting"]] == "Ja"


# --- The files -------------------------------------------------------------------------------


def test_csv_is_utf8_with_a_byte_order_mark(kari_registration):
    with translation.override("nn"):
        export = exports.participants_file(kari_registration.meeting, "csv")
    assert export.content.startswith(b"\xef\xbb\xbf")
    assert export.content_type == CSV_TYPE
    assert export.filename == "oppstart-2030-participants.csv"
    rows = read_csv(export.content)
    assert rows[0][COLUMN["name"]] == "Namn"
    assert rows[1][COLUMN["dietary"]] == "Glutenfri, ikkje nøtter"
    # A phone number starting with + is data, not a formula.
    assert rows[1][COLUMN["phone"]] == "+47 55 56 00 00"


def test_csv_is_separated_by_semicolons_unless_commas_are_asked_for(kari_registration):
    meeting = kari_registration.meeting
    with translation.override("en"):
        semicolons = exports.participants_file(meeting, "csv").content.decode("utf-8-sig")
        commas = exports.participants_file(meeting, "csv", separator="comma").content
    assert semicolons.startswith("Meeting;Starts;Name;Municipality;")
    # The dietary needs hold a comma: quoted in the comma file, as they are in the other.
    assert ';"Glutenfri, ikkje nøtter";' not in semicolons
    assert ";Glutenfri, ikkje nøtter;" in semicolons
    assert commas.startswith(b"\xef\xbb\xbfMeeting,Starts,Name,Municipality,")
    assert read_csv(commas, delimiter=",") == read_csv(semicolons.encode())
    starts = timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M")
    assert read_csv(commas, delimiter=",")[1][:2] == ["Oppstartsmøte", starts]
    assert read_csv(commas, delimiter=",")[1][COLUMN["registered"]] == "2030-01-15 09:05"


def test_xlsx_has_dates_as_dates(kari_registration):
    meeting = kari_registration.meeting
    sheet = openpyxl.load_workbook(
        io.BytesIO(exports.participants_file(meeting, "xlsx").content)
    ).active
    starts, registered = sheet["B2"], sheet["N2"]
    assert starts.is_date and registered.is_date
    assert registered.value == dt.datetime(2030, 1, 15, 9, 5)
    assert starts.value == timezone.localtime(meeting.starts_at).replace(tzinfo=None)
    assert registered.number_format == "yyyy-mm-dd hh:mm"
    # Text stays text, also where it looks like a number.
    assert sheet["H2"].data_type == "s"


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
    assert (csv_rows[1][COLUMN["name"]], csv_rows[1][COLUMN["dietary"]]) == (
        "'@SUM(1+1)",
        "'" + formula,
    )

    sheet = openpyxl.load_workbook(
        io.BytesIO(exports.participants_file(meeting, "xlsx").content)
    ).active
    assert (sheet["C2"].value, sheet["J2"].value) == ("@SUM(1+1)", formula)
    assert sheet["J2"].data_type == "s"


def test_control_characters_do_not_break_the_workbook(registration_factory, meeting):
    registration_factory(meeting=meeting, dietary_needs="Vegetar\x0bian")
    sheet = openpyxl.load_workbook(
        io.BytesIO(exports.participants_file(meeting, "xlsx").content)
    ).active
    assert sheet["J2"].value == "Vegetarian"


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
    assert rows[0][COLUMN["name"]] == "Name"
    assert rows[1][2:4] == ["Kari Nordmann", "Bergen"]
    assert rows[1][0] == "Oppstartsmøte"


def test_download_in_the_staff_members_language(staff_client, kari_registration):
    # The admin speaks Nynorsk unless another language is chosen.
    response = staff_client.get(export_url(kari_registration.meeting, "csv"))
    rows = read_csv(body(response))
    assert rows[0][2:4] == ["Namn", "Kommune"]
    assert rows[1][COLUMN["presenting"]] == "Ja"


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


def test_download_with_commas(staff_en_client, kari_registration):
    url = export_url(kari_registration.meeting, "csv")
    response = staff_en_client.get(url + "?separator=comma")
    assert response.status_code == 200
    content = body(response)
    assert content.startswith("\ufeffMeeting,Starts,".encode())
    assert read_csv(content, delimiter=",") == read_csv(body(staff_en_client.get(url)))


@pytest.mark.parametrize("separator", ["tab", "", ";"])
def test_an_unknown_separator_is_a_bad_request(staff_en_client, meeting, separator):
    response = staff_en_client.get(export_url(meeting, "csv") + f"?separator={separator}")
    assert response.status_code == 400


def test_change_page_links_to_both_downloads(staff_client, meeting, kari_registration):
    response = staff_client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))
    content = response.content.decode()
    assert export_url(meeting, "csv") in content
    assert export_url(meeting, "csv") + "?separator=comma" in content
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


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "csv?separator=comma"])
def test_download_query_count_does_not_grow(
    staff_client, registration_factory, meeting_factory, count_queries, file_format
):
    def queries_for(count):
        meeting = meeting_factory()
        registration_factory.create_batch(count, meeting=meeting)
        file_format_, _, query = file_format.partition("?")
        url = export_url(meeting, file_format_) + (f"?{query}" if query else "")
        queries, response = count_queries(lambda: staff_client.get(url))
        assert response.status_code == 200
        return queries

    assert queries_for(5) == queries_for(50)
