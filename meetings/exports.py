"""A meeting's participant list for county staff, as CSV and Excel files.

Pure functions: `participants_dataset` builds the table (one row per registration, every
status, in the active language), the others turn it into file contents. Names, phone numbers
and dietary needs are typed by members, so nothing in them may run as a spreadsheet formula.
"""

import csv
import io
import re
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

from members.models import ContactPerson

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


def participant_row(registration: Registration) -> list[str]:
    person = registration.contact_person
    return [
        person.name,
        person.municipality.name if person.municipality else "",
        str(person.get_sector_display()),
        person.email,
        person.phone,
        str(registration.get_attendance_mode_display()),
        registration.dietary_needs,
        gettext("Yes") if registration.presenting_project_idea else gettext("No"),
        str(registration.get_status_display()),
        timezone.localtime(registration.created_at, OSLO).strftime(TIME_FORMAT),
        gettext("Yes") if registration.over_capacity else gettext("No"),
    ]


def participants_dataset(meeting: Meeting) -> tablib.Dataset:
    """The meeting's participant list, headings and labels in the active language."""
    return tablib.Dataset(
        *(participant_row(registration) for registration in participant_registrations(meeting)),
        headers=participant_headings(),
        title=gettext("Participants"),
    )


def csv_cell(value: str) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula."""
    if value.startswith(FORMULA_START) and not HARMLESS_NUMBER.match(value):
        # The apostrophe makes Excel show the text instead of running it as a formula.
        return "'" + value
    return value


def dataset_csv(dataset: tablib.Dataset) -> bytes:
    """CSV in UTF-8 with a byte order mark. Without the mark Excel reads the file in the
    Windows code page and shows æ, ø and å as garbage; with it, as UTF-8."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(dataset.headers)
    for row in dataset:
        writer.writerow([csv_cell(value) for value in row])
    return output.getvalue().encode("utf-8-sig")


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


def participants_file(meeting: Meeting, file_format: str) -> ExportFile:
    """The participant list as a file of the given format ("csv" or "xlsx")."""
    serialise, content_type = FORMATS[file_format]
    return ExportFile(
        content=serialise(participants_dataset(meeting)),
        content_type=content_type,
        filename=f"{meeting.slug}-participants.{file_format}",
    )
