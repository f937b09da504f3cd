"""A meeting's participant list for county staff, as CSV and Excel files.

Pure functions: `participants_dataset` builds the table (one row per registration, every
status, in the active language), the others turn it into file contents; `participants_csv`
gives the CSV file piece by piece, for a streamed download. The labels of choices are looked
up once per file, not per row. Names, phone numbers and dietary needs are typed by members, so
nothing in them may run as a spreadsheet formula.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import tablib
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from members.models import ContactPerson, Sector

from .models import Meeting, Registration

# A spreadsheet cell has no time zone: times are written as clocks in Norway showed them,
# whatever zone the server runs in.
OSLO = ZoneInfo("Europe/Oslo")
TIME_FORMAT = "%Y-%m-%d %H:%M"

STATUS_ORDER = (
    Registration.Status.CONFIRMED,
    Registration.Status.WAITLISTED,
    Registration.Status.CANCELLED,
)

# (model, field) of each column, in the order of the file.
COLUMNS = (
    (ContactPerson, "name"),
    (ContactPerson, "municipality"),
    (ContactPerson, "sector"),
    (ContactPerson, "email"),
    (ContactPerson, "phone"),
    (Registration, "attendance_mode"),
    (Registration, "dietary_needs"),
    (Registration, "presenting_project_idea"),
    (Registration, "status"),
    (Registration, "created_at"),
    (Registration, "over_capacity"),
)

# Cells starting like this are formulas to Excel when it opens a CSV file.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A phone number such as "+47 55 55 55 55" starts like a formula but cannot do harm.
HARMLESS_NUMBER = re.compile(r"[+-]?[0-9][0-9 ]*\Z")


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str


def participant_registrations(meeting: Meeting) -> QuerySet:
    """All registrations of the meeting in one query: confirmed, then waitlisted, then
    cancelled, each by name."""
    return (
        Registration.objects.filter(meeting=meeting)
        .select_related("contact_person__municipality")
        .annotate(
            status_rank=Case(
                *(
                    When(status=status, then=Value(rank))
                    for rank, status in enumerate(STATUS_ORDER)
                ),
                default=Value(len(STATUS_ORDER)),
                output_field=IntegerField(),
            )
        )
        .order_by("status_rank", Lower("contact_person__name"), "pk")
    )


def participant_headings() -> list[str]:
    """The column headings: the fields' names in the active language."""
    return [capfirst(str(model._meta.get_field(name).verbose_name)) for model, name in COLUMNS]


@dataclass(frozen=True)
class Labels:
    """The labels of the choices in the active language, translated once for a whole file."""

    sector: dict[str, str]
    attendance_mode: dict[str, str]
    status: dict[str, str]
    yes: str
    no: str

    @classmethod
    def active(cls) -> "Labels":
        def strings(choices) -> dict[str, str]:
            return {value: str(label) for value, label in choices}

        return cls(
            sector=strings(Sector.choices),
            attendance_mode=strings(Registration.AttendanceMode.choices),
            status=strings(Registration.Status.choices),
            yes=gettext("Yes"),
            no=gettext("No"),
        )


def participant_row(registration: Registration, labels: Labels) -> list[str]:
    person = registration.contact_person
    return [
        person.name,
        person.municipality.name if person.municipality else "",
        labels.sector.get(person.sector, person.sector),
        person.email,
        person.phone,
        labels.attendance_mode.get(registration.attendance_mode, registration.attendance_mode),
        registration.dietary_needs,
        labels.yes if registration.presenting_project_idea else labels.no,
        labels.status.get(registration.status, registration.status),
        timezone.localtime(registration.created_at, OSLO).strftime(TIME_FORMAT),
        labels.yes if registration.over_capacity else labels.no,
    ]


def participant_rows(meeting: Meeting) -> Iterator[list[str]]:
    """The rows of the table, fetched in one query and read in chunks, not held at once.
    The labels are taken now, in the active language: a streamed response reads the rows
    later, after the view has returned."""
    labels = Labels.active()
    registrations = participant_registrations(meeting).iterator(chunk_size=1000)
    return (participant_row(registration, labels) for registration in registrations)


def participants_dataset(meeting: Meeting) -> tablib.Dataset:
    """The meeting's participant list, headings and labels in the active language."""
    return tablib.Dataset(
        *participant_rows(meeting),
        headers=participant_headings(),
        title=gettext("Participants"),
    )


def csv_cell(value: str) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula."""
    if value.startswith(FORMULA_START) and not HARMLESS_NUMBER.match(value):
        # The apostrophe makes Excel show the text instead of running it as a formula.
        return "'" + value
    return value


def csv_lines(headers: list[str], rows: Iterable[Iterable]) -> Iterator[bytes]:
    """CSV in UTF-8 with a byte order mark, a line at a time. Without the mark Excel reads
    the file in the Windows code page and shows æ, ø and å as garbage; with it, as UTF-8."""
    line = io.StringIO()
    writer = csv.writer(line)

    def encoded(row) -> bytes:
        line.seek(0)
        line.truncate()
        writer.writerow([csv_cell(str(value)) for value in row])
        return line.getvalue().encode("utf-8")

    yield "\ufeff".encode() + encoded(headers)
    for row in rows:
        yield encoded(row)


def participants_csv(meeting: Meeting) -> Iterator[bytes]:
    """The participant list as CSV, a line at a time (see `csv_lines`)."""
    return csv_lines(participant_headings(), participant_rows(meeting))


def dataset_csv(dataset: tablib.Dataset) -> bytes:
    return b"".join(csv_lines(dataset.headers, dataset))


def dataset_xlsx(dataset: tablib.Dataset) -> bytes:
    """An Excel workbook with bold, frozen headings. Every cell is text: openpyxl would store
    a value starting with "=" as a formula."""
    workbook = Workbook()
    sheet = workbook.active
    # Excel limits sheet titles to 31 characters.
    sheet.title = dataset.title[:31]
    sheet.append(dataset.headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in dataset:
        # Characters Excel forbids (control characters pasted with a name) would fail the
        # whole file.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", value) for value in row])
    for column in sheet.iter_cols():
        for cell in column:
            cell.data_type = "s"
        width = max(len(str(cell.value or "")) for cell in column)
        sheet.column_dimensions[column[0].column_letter].width = min(width + 2, 50)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


FORMATS = {
    "csv": (dataset_csv, "text/csv; charset=utf-8"),
    "xlsx": (
        dataset_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
}


def participants_filename(meeting: Meeting, file_format: str) -> str:
    return f"{meeting.slug}-participants.{file_format}"


def participants_file(meeting: Meeting, file_format: str) -> ExportFile:
    """The participant list as a file of the given format ("csv" or "xlsx")."""
    serialise, content_type = FORMATS[file_format]
    content = (
        b"".join(participants_csv(meeting))
        if file_format == "csv"
        else serialise(participants_dataset(meeting))
    )
    return ExportFile(
        content=content,
        content_type=content_type,
        filename=participants_filename(meeting, file_format),
    )
