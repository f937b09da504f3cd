"""Project ideas as CSV for county staff. Headings in the staff member's language."""

import csv
import io

from django.utils.translation import gettext as _

from meetings.exports import csv_cell


def ideas_csv(ideas) -> str:
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
    out = io.StringIO()
    # A byte order mark, so that Excel opens æøå correctly.
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(columns)
    for idea in ideas:
        writer.writerow(
            csv_cell(str(value))
            for value in [
                idea.title,
                idea.lead_municipality.name,
                idea.get_stage_display(),
                "; ".join(s.get_sector_display() for s in idea.sectors.all()),
                "; ".join(p.name for p in idea.programmes.all()),
                idea.interest_count,
                idea.call_deadline.isoformat() if idea.call_deadline else "",
                idea.local_need,
                idea.updated_at.strftime("%Y-%m-%d"),
            ]
        )
    return out.getvalue()
