import hashlib
import uuid

from django import template
from django.core.cache import cache
from django.template.backends.django import Template as DjangoEngineTemplate
from django.template.loader import get_template
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from meetings.models import Registration

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
    The markup and the messages are the template's own; what is the same for every row (the
    translations, the status labels, the shape of the cancel address) is looked up once."""
    started = meeting.has_started()
    statuses = {value: escape(label) for value, label in Registration.Status.choices}
    waitlist_text = _("place %(position)s on the waiting list")
    cancel_text = _("Cancel for %(name)s")
    # The cancel address with a stand-in number, cut where each row's number goes.
    stand_in = 987654321
    before, after = reverse("meetings:registration_cancel", args=[stand_in]).split(str(stand_in))
    items = []
    for registration in registrations:
        name = escape(registration.contact_person.name)
        waitlist = ""
        if registration.waitlist_position:
            # As blocktranslate does: the translation as it stands, the number put in.
            position = waitlist_text % {"position": registration.waitlist_position}
            waitlist = f" ({position})"
        cancel = ""
        if not started:
            href = escape(f"{before}{registration.pk}{after}")
            label = cancel_text % {"name": name}
            cancel = f'<a href="{href}">{label}</a>'
        status = statuses.get(registration.status, escape(registration.status))
        items.append(f"<li>{name}: {status}{waitlist}\n            {cancel}</li>")
    # Names, statuses and addresses escaped above; translations trusted, as blocktranslate does.
    return mark_safe("\n        ".join(items))  # noqa: S308


MEETING_ROW_TEMPLATE = "meetings/includes/meeting_row.html"
# Long enough to matter, short enough that rows nobody asks for any more leave the cache.
MEETING_ROW_SECONDS = 60 * 60
# New with each process: a release (new code, templates or translations) never reads rows a
# former one rendered, even from a Redis that outlives it.
PROCESS_TOKEN = uuid.uuid4().hex


def meeting_row_key(meeting, show_seats, context_digest, *, show_archive=False) -> str:
    """The cache key of a meeting's row: a digest of everything the row shows, so that any
    change to it is a new key whoever made it and however, and of `context_digest`."""
    shown = (
        meeting.pk,
        meeting.title,
        meeting.slug,
        str(meeting.series),
        meeting.status,
        meeting.starts_at,
        meeting.ends_at,
        meeting.tentative_period,
        (meeting.capacity, meeting.seats_left) if show_seats else None,
        bool(show_seats),
        (meeting.minutes_are_published, meeting.material_count) if show_archive else None,
        context_digest,
    )
    return "meeting-row:" + hashlib.sha256(repr(shown).encode()).hexdigest()


def _source(loaded) -> str:
    # The project renders with Django's own template engine, whose templates keep their source.
    if not isinstance(loaded, DjangoEngineTemplate):
        raise TypeError(f"{loaded!r} is not a Django template")
    return loaded.template.source


@register.simple_tag
def meeting_rows(meetings, show_seats=False, show_archive=False):
    """The rows of a meeting table, each from the cache while what it shows is unchanged.
    A row is the same for everyone (nothing in it depends on who looks), and /meetings/ shows
    some 80: rendering them took most of that page's time. One cache round trip for all."""
    row_template = get_template(MEETING_ROW_TEMPLATE)
    # What every row is shown in: the language, the time zone, and the templates' source
    # (the development server reloads templates without a new process).
    context_digest = hashlib.sha256(
        repr(
            (
                get_language(),
                timezone.get_current_timezone_name(),
                PROCESS_TOKEN,
                _source(row_template),
                _source(get_template("meetings/includes/status_badge.html")),
            )
        ).encode()
    ).hexdigest()
    meetings = list(meetings)
    keys = [
        meeting_row_key(meeting, show_seats, context_digest, show_archive=show_archive)
        for meeting in meetings
    ]
    cached = cache.get_many(keys)
    rows, missing = [], {}
    for meeting, key in zip(meetings, keys, strict=True):
        row = cached.get(key)
        if row is None:
            row = str(
                row_template.render(
                    {"meeting": meeting, "show_seats": show_seats, "show_archive": show_archive}
                )
            )
            missing[key] = row
        rows.append(row)
    if missing:
        cache.set_many(missing, MEETING_ROW_SECONDS)
    # Each row rendered by the template engine, with its escaping.
    return mark_safe("".join(rows))  # noqa: S308


@register.filter
def count_cells(counts):
    """`<td>` for each count of an overview row: the same as a template loop, without the
    template engine's cost per cell (50 rows by some 50 meetings at national scale)."""
    # Each count escaped here.
    return mark_safe("".join(f"<td>{escape(count)}</td>" for count in counts))  # noqa: S308


@register.filter
def material_kind(material) -> str:
    """The kind of a material's file as people know it: "PDF", "DOCX", "PNG"."""
    return material.filename.rpartition(".")[2].upper() or "–"
