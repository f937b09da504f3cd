from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from . import drawing
from .selectors import FIRST_YEAR, LAST_YEAR, current_year, marks_for, years_with_series


def checked_year(year: int) -> int:
    """The year of an address, or a 404 outside the years a series may have."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    return year


class YearWheelView(TemplateView):
    """The network's year as an annual wheel, with the same marks month by month in a table.
    /year/ shows this year (in Oslo); /year/?year=2027, the year switcher's form, goes on to
    /year/2027/."""

    template_name = "yearwheel/year.html"

    def get(self, request, *args, **kwargs):
        if "year" not in kwargs and "year" in request.GET:
            wanted = request.GET["year"].strip()
            if not (wanted.isascii() and wanted.isdigit() and len(wanted) == 4):
                raise Http404
            return redirect("yearwheel:year", year=checked_year(int(wanted)))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        this_year = current_year()
        year = checked_year(kwargs.get("year", this_year))
        marks = marks_for(year, self.request.user)
        wheel = drawing.page_wheel(year, marks)
        years = years_with_series()
        if year not in years:
            years = sorted([*years, year], reverse=True)
        context.update(
            year=year,
            is_current_year=year == this_year,
            marks=marks,
            wheel=wheel,
            wheel_title=drawing.wheel_title(year),
            wheel_description=drawing.wheel_description(wheel, marks),
            month_groups=drawing.month_groups(marks),
            legend=drawing.legend_rows(marks),
            years=years,
            previous_year=year - 1 if year > FIRST_YEAR else None,
            next_year=year + 1 if year < LAST_YEAR else None,
        )
        return context


@require_safe
def year_wheel_svg(request, year):
    """The year's wheel as a standalone SVG file to download."""
    year = checked_year(year)
    body = drawing.standalone_svg(year, marks_for(year, request.user))
    response = HttpResponse(body, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"arshjul-{year}.svg")
    return response
