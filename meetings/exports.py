"""A meeting's participant list for county staff, as CSV and Excel files, and the CSV and
Excel writers every export of the portal uses.

Pure functions: `participants_dataset` builds the table (one row per registration, every
status, in the active language), the others turn it into file contents; `participants_csv`
gives the CSV file piece by piece, for a streamed download. The labels of choices are looked
up once per file, not per row. Names, phone numbers and dietary needs are typed by members, so
nothing in them may run as a spreadsheet formula.

CSV files are separated by semicolons by default: Excel set to Norwegian (where the comma is
the decimal sign) splits columns at semicolons only, and shows a comma-separated file as one
column. The comma is there for other programs (`SEPARATORS`). Times are Oslo clock times,
as naive datetimes in the rows: text in a CSV file, dates that sort and filter as dates in
Excel.
"""

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import tablib
from django.db.models import Case, Field, IntegerField, Model, QuerySet, Value, When
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from members.models import ContactPerson, Sector

from .models import Meeting, Registration

# A spreadsheet cell has no time zone: times are written as clocks in Norway showed them,
# whatever zone the server runs in.
OSLO = ZoneInfo("Europe/Oslo")
TIME_FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"
# The same, as Excel's number formats.
EXCEL_TIME_FORMAT = "yyyy-mm-dd hh:mm"
EXCEL_DATE_FORMAT = "yyyy-mm-dd"

# The CSV separators staff can choose, by the name a download's `?separator=` gives.
SEPARATORS = {"semicolon": ";", "comma": ","}
DEFAULT_SEPARATOR = "semicolon"

STATUS_ORDER = (
    Registration.Status.CONFIRMED,
    Registration.Status.WAITLISTED,
    Registration.Status.CANCELLED,
)

# (model, field) of each column, in the order of the file.
# The meeting's title and date come first, so that lists of several meetings can be put
# together in one sheet.
COLUMNS = (
    (Registration, "meeting"),
    (Meeting, "starts_at"),
    (ContactPerson, "name"),
    (Registration, "municipality"),
    (ContactPerson, "sector"),
    (ContactPerson, "job_title"),
    (ContactPerson, "email"),
    (ContactPerson, "phone"),
    (Registration, "attendance_mode"),
    (Registration, "dietary_needs"),
    (Registration, "presenting_project_idea"),
    (Registration, "comment"),
    (Registration, "status"),
    (Registration, "created_at"),
    (Registration, "is_late"),
    (Registration, "over_capacity"),
    (Registration, "attended_at"),
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
        .select_related("contact_person", "municipality")
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
    return [_heading(model, name) for model, name in COLUMNS]


def _heading(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    # Every column is a field of the model's own; only those have a verbose name.
    if not isinstance(field, Field):
        raise TypeError(f"{model.__name__}.{name} is not a field of the model's own")
    return capfirst(str(field.verbose_name))


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


def oslo_clock(moment: dt.datetime) -> dt.datetime:
    """The moment as an Oslo clock showed it, without a zone: a spreadsheet cell has none."""
    return timezone.localtime(moment, OSLO).replace(tzinfo=None)


def meeting_cells(meeting: Meeting) -> list:
    """The meeting's title and start, or its tentative period while it has no date."""
    when = oslo_clock(meeting.starts_at) if meeting.starts_at else meeting.tentative_period
    return [meeting.title, when]


def participant_row(registration: Registration, labels: Labels, meeting: list) -> list:
    person = registration.contact_person
    return [
        *meeting,
        person.name,
        # As it was when they registered: a merger since moves the person, not the record.
        registration.municipality.name if registration.municipality else "",
        labels.sector.get(person.sector, person.sector),
        person.job_title,
        person.email,
        person.phone,
        labels.attendance_mode.get(registration.attendance_mode, registration.attendance_mode),
        registration.dietary_needs,
        labels.yes if registration.presenting_project_idea else labels.no,
        registration.comment,
        labels.status.get(registration.status, registration.status),
        oslo_clock(registration.created_at),
        labels.yes if registration.is_late else labels.no,
        labels.yes if registration.over_capacity else labels.no,
        oslo_clock(registration.attended_at) if registration.attended_at else "",
    ]


def participant_rows(meeting: Meeting) -> Iterator[list]:
    """The rows of the table, fetched in one query and read in chunks, not held at once.
    The labels are taken now, in the active language: a streamed response reads the rows
    later, after the view has returned."""
    labels = Labels.active()
    cells = meeting_cells(meeting)
    registrations = participant_registrations(meeting).iterator(chunk_size=1000)
    return (participant_row(registration, labels, cells) for registration in registrations)


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


def cell_text(value) -> str:
    """A cell's value as CSV text: times and dates as in the Excel file, the rest as is."""
    if isinstance(value, dt.datetime):
        return value.strftime(TIME_FORMAT)
    if isinstance(value, dt.date):
        return value.strftime(DATE_FORMAT)
    return str(value)


def csv_lines(
    headers: list[str], rows: Iterable[Iterable], *, separator: str = DEFAULT_SEPARATOR
) -> Iterator[bytes]:
    """CSV in UTF-8 with a byte order mark, a line at a time, separated as `separator` (a
    key of `SEPARATORS`) says. Without the mark Excel reads the file in the Windows code page
    and shows æ, ø and å as garbage; with it, as UTF-8."""
    line = io.StringIO()
    writer = csv.writer(line, delimiter=SEPARATORS[separator])

    def encoded(row) -> bytes:
        line.seek(0)
        line.truncate()
        writer.writerow([csv_cell(cell_text(value)) for value in row])
        return line.getvalue().encode("utf-8")

    yield "\ufeff".encode() + encoded(headers)
    for row in rows:
        yield encoded(row)


def participants_csv(meeting: Meeting, *, separator: str = DEFAULT_SEPARATOR) -> Iterator[bytes]:
    """The participant list as CSV, a line at a time (see `csv_lines`)."""
    return csv_lines(participant_headings(), participant_rows(meeting), separator=separator)


def dataset_csv(dataset: tablib.Dataset, *, separator: str = DEFAULT_SEPARATOR) -> bytes:
    return b"".join(csv_lines(dataset.headers, dataset, separator=separator))


def xlsx_cell(cell) -> None:
    """Give a written cell its type: times and dates as dates with a format Excel shows in
    any language, numbers as numbers, everything else as text (openpyxl would store a value
    starting with "=" as a formula)."""
    if isinstance(cell.value, dt.datetime):
        cell.number_format = EXCEL_TIME_FORMAT
    elif isinstance(cell.value, dt.date):
        cell.number_format = EXCEL_DATE_FORMAT
    elif isinstance(cell.value, bool) or not isinstance(cell.value, int | float):
        cell.data_type = "s"


def xlsx_value(value):
    if isinstance(value, dt.date | int | float) and not isinstance(value, bool):
        return value
    # Characters Excel forbids (control characters pasted with a name) would fail the whole
    # file.
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def dataset_xlsx(dataset: tablib.Dataset) -> bytes:
    """An Excel workbook with bold, frozen headings (see `xlsx_cell` for the cells)."""
    workbook = Workbook()
    sheet = workbook.active
    # A new workbook has one worksheet, active.
    assert isinstance(sheet, Worksheet)
    # Excel limits sheet titles to 31 characters.
    sheet.title = dataset.title[:31]
    sheet.append(dataset.headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in dataset:
        sheet.append([xlsx_value(value) for value in row])
    for number, column in enumerate(sheet.iter_cols(), start=1):
        for cell in column:
            xlsx_cell(cell)
        width = max(len(cell_text(cell.value or "")) for cell in column)
        sheet.column_dimensions[get_column_letter(number)].width = min(width + 2, 50)
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


def participants_file(
    meeting: Meeting, file_format: str, *, separator: str = DEFAULT_SEPARATOR
) -> ExportFile:
    """The participant list as a file of the given format ("csv" or "xlsx")."""
    serialise, content_type = FORMATS[file_format]
    content = (
        b"".join(participants_csv(meeting, separator=separator))
        if file_format == "csv"
        else serialise(participants_dataset(meeting))
    )
    return ExportFile(
        content=content,
        content_type=content_type,
        filename=participants_filename(meeting, file_format),
    )
