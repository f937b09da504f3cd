from django import template
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def meeting_when(meeting) -> str:
    """When a meeting takes place, in the active language and Europe/Oslo.

    "7. mars 2018 kl. 10.00–13.30" for a dated meeting; the tentative period ("juni") while no
    date is fixed.
    """
    if meeting.starts_at is None:
        return meeting.tentative_period or _("Date not fixed yet")
    start = timezone.localtime(meeting.starts_at)
    values = {
        "date": formats.date_format(start, "DATE_FORMAT"),
        "start": formats.time_format(start, "TIME_FORMAT"),
    }
    if meeting.ends_at is None:
        return _("%(date)s at %(start)s") % values
    end = timezone.localtime(meeting.ends_at)
    values["end"] = formats.time_format(end, "TIME_FORMAT")
    if end.date() == start.date():
        return _("%(date)s at %(start)s–%(end)s") % values
    values["end_date"] = formats.date_format(end, "DATE_FORMAT")
    return _("%(date)s at %(start)s – %(end_date)s at %(end)s") % values


@register.filter
def local_datetime(value) -> str:
    """A moment such as a deadline: "5. mars 2018 kl. 23.59"."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return _("%(date)s at %(start)s") % {
        "date": formats.date_format(local, "DATE_FORMAT"),
        "start": formats.time_format(local, "TIME_FORMAT"),
    }


@register.simple_tag
def colleague_registration_items(registrations, meeting):
    """The <li> of each colleague a coordinator has registered. Built here rather than in the
    template: a large municipality's coordinator sees a couple of hundred, and per row the
    template's url, blocktranslate and method calls took a third of the meeting page's time.
    The markup and the messages are the template's own."""
    started = meeting.has_started()
    items = []
    for registration in registrations:
        name = registration.contact_person.name
        waitlist = ""
        if registration.waitlist_position:
            waitlist = format_html(
                " ({})",
                _("place %(position)s on the waiting list")
                % {"position": registration.waitlist_position},
            )
        cancel = ""
        if not started:
            cancel = format_html(
                '<a href="{}">{}</a>',
                reverse("meetings:registration_cancel", args=[registration.pk]),
                _("Cancel for %(name)s") % {"name": name},
            )
        items.append(
            format_html(
                "<li>{}: {}{}\n            {}</li>",
                name,
                registration.get_status_display(),
                waitlist,
                cancel,
            )
        )
    return mark_safe("\n        ".join(items))  # noqa: S308 - every part escaped above
