"""Project ideas as CSV for county staff. Headings in the staff member's language.

The labels of stages and sectors are looked up once per file, not per row, and the file is
given a line at a time (`ideas_csv_lines`), for a streamed download."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from meetings.exports import DEFAULT_SEPARATOR, csv_lines
from members.models import Sector

from .models import ProjectIdea


def ideas_csv_lines(ideas, *, separator: str = DEFAULT_SEPARATOR) -> Iterator[bytes]:
    """The ideas (with `interest_count`, the lead municipality selected and the sectors and
    programmes prefetched) as CSV lines in UTF-8, after a byte order mark, separated by
    semicolons unless `separator` says "comma" (see `meetings.exports`). Headings and labels
    are taken now, in the active language: a streamed response reads the rows later."""
    columns = [
        _("Title"),
        _("Lead municipality"),
        _("Stage"),
        _("Sectors"),
        _("EU programmes"),
        _("Interested municipalities"),
        _("Call deadline"),
        _("Local need"),
        _("Updated"),
    ]
    stages = {value: str(label) for value, label in ProjectIdea.Stage.choices}
    sectors = {value: str(label) for value, label in Sector.choices}

    def row(idea):
        return [
            idea.title,
            idea.lead_municipality.name,
            stages.get(idea.stage, idea.stage),
            "; ".join(sectors.get(s.sector, s.sector) for s in idea.sectors.all()),
            "; ".join(p.name for p in idea.programmes.all()),
            idea.interest_count,
            idea.call_deadline.isoformat() if idea.call_deadline else "",
            idea.local_need,
            idea.updated_at.strftime("%Y-%m-%d"),
        ]

    return csv_lines(
        columns, (row(idea) for idea in ideas.iterator(chunk_size=500)), separator=separator
    )


def ideas_csv(ideas, *, separator: str = DEFAULT_SEPARATOR) -> str:
    return b"".join(ideas_csv_lines(ideas, separator=separator)).decode("utf-8")
