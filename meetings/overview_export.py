"""The participation overview as a file for county staff: the table as the page shows it,
every municipality in one sheet (the page shows them a page at a time)."""

import tablib
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.timezone import localtime
from django.utils.translation import gettext

from .exports import DEFAULT_SEPARATOR, FORMATS, ExportFile, dataset_csv
from .selectors import ParticipationOverview


def _meeting_heading(meeting) -> str:
    if meeting.starts_at is None:
        when = meeting.tentative_period or gettext("date not fixed")
    else:
        when = date_format(localtime(meeting.starts_at), "SHORT_DATE_FORMAT")
    heading = f"{meeting.title} ({when})"
    if meeting.status == meeting.Status.CANCELLED:
        heading += " – " + str(meeting.get_status_display())
    return heading


def _mergers(municipality) -> str:
    if municipality is None:
        return ""
    parts = []
    if municipality.successor is not None:
        parts.append(
            gettext("merged into %(successor)s (%(year)s)")
            % {
                "successor": municipality.successor.name,
                "year": municipality.successor.valid_from.year
                if municipality.successor.valid_from
                else "",
            }
        )
    predecessors = [p.name for p in municipality.predecessors.all()]
    if predecessors:
        parts.append(
            gettext("formerly %(municipalities)s") % {"municipalities": ", ".join(predecessors)}
        )
    return "; ".join(parts)


def overview_dataset(overview: ParticipationOverview) -> tablib.Dataset:
    """One row a municipality: its counts per meeting as the page writes them (confirmed,
    the waiting list in brackets, the "cannot attend" answers after), then the totals of the
    meetings not cancelled as plain numbers, for sums in the spreadsheet, the people checked
    in at the door last."""
    yes, no = gettext("Yes"), gettext("No")
    headers = [
        gettext("Municipality"),
        gettext("Municipality number"),
        gettext("Member at the time"),
        gettext("Mergers"),
        *(_meeting_heading(meeting) for meeting in overview.meetings),
        gettext("Confirmed in total"),
        gettext("On the waiting list in total"),
        gettext("Cannot attend in total"),
        gettext("Attended in total"),
    ]
    dataset = tablib.Dataset(headers=headers, title=gettext("Participation overview"))
    for row in overview.rows:
        municipality = row.municipality
        dataset.append(
            [
                municipality.name if municipality else gettext("No municipality"),
                municipality.number if municipality else "",
                yes if row.is_member else no,
                _mergers(municipality),
                *(str(count) for count in row.counts),
                str(row.total.confirmed),
                str(row.total.waitlisted),
                str(row.total.declined),
                str(row.total.attended),
            ]
        )
    dataset.append(
        [
            gettext("Total"),
            "",
            "",
            "",
            *(str(count) for count in overview.meeting_totals),
            str(overview.total.confirmed),
            str(overview.total.waitlisted),
            str(overview.total.declined),
            str(overview.total.attended),
        ]
    )
    return dataset


def overview_file(
    overview: ParticipationOverview, file_format: str, *, separator: str = DEFAULT_SEPARATOR
) -> ExportFile:
    """The overview as a file of the given format ("csv" or "xlsx"); a CSV file separated as
    `separator` (see exports.SEPARATORS)."""
    dataset = overview_dataset(overview)
    content = (
        dataset_csv(dataset, separator=separator)
        if file_format == "csv"
        else FORMATS[file_format][0](dataset)
    )
    series = overview.series
    return ExportFile(
        content=content,
        content_type=FORMATS[file_format][1],
        filename=f"{slugify(series.name)}-{series.year}-participation.{file_format}",
    )
