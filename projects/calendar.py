"""The deadlines of calls in the programmes a person follows, for their personal calendar
feed. The meetings app finds this through settings.CALENDAR_FEED_EXTRA_EVENTS and writes the
iCalendar (meetings.ics); here it is only decided what the entries say."""

import datetime as dt

from django.db.models import Count, Max, OuterRef, Subquery
from django.utils import formats
from django.utils.translation import gettext as _

from meetings.ics import DeadlineEntry

from .models import Call, ProgrammeFollow

# Deadlines of the past year stay in a feed, as meetings of the past year do.
KEPT_FOR = dt.timedelta(days=365)


def _followed_calls(now: dt.datetime):
    return Call.objects.filter(deadline__gte=now - KEPT_FOR)


def _aggregate(queryset, person_field: str, **aggregate):
    """One aggregate of the rows of `queryset` that belong to the person of the outer row."""
    ((name, expression),) = aggregate.items()
    return Subquery(
        queryset.filter(**{person_field: OuterRef("pk")})
        .order_by()
        .values(person_field)
        .annotate(**{name: expression})
        .values(name)
    )


class CallDeadlines:
    """A source of personal feed entries (see meetings.views.feed_sources)."""

    def version_annotations(self, now: dt.datetime) -> dict:
        """What the person's call entries are made of: the follows (a follow added or
        removed), and the calls of the followed programmes (one added, changed, deleted or
        older than a year)."""
        follows = ProgrammeFollow.objects.all()
        calls = _followed_calls(now)
        person = "programme__follows__contact_person"
        return {
            "follows": _aggregate(follows, "contact_person", n=Count("pk")),
            "followed_latest": _aggregate(follows, "contact_person", latest=Max("created_at")),
            "calls": _aggregate(calls, person, n=Count("pk")),
            "calls_latest": _aggregate(calls, person, latest=Max("updated_at")),
        }

    def __call__(self, person, now: dt.datetime) -> list[DeadlineEntry]:
        calls = (
            _followed_calls(now)
            .filter(programme__follows__contact_person=person)
            .select_related("programme")
            .order_by("deadline", "pk")
        )
        return [call_entry(call) for call in calls]


def call_entry(call: Call) -> DeadlineEntry:
    """The entry of a call's deadline, in the active language."""
    names = {"title": call.title, "programme": call.programme.name}
    if call.is_example:
        summary = _("Deadline: %(title)s (%(programme)s, example)") % names
    else:
        summary = _("Deadline: %(title)s (%(programme)s)") % names
    description = _("The call %(title)s in %(programme)s closes %(deadline)s (%(zone)s).") % {
        **names,
        "deadline": formats.date_format(call.deadline_local, "DATETIME_FORMAT"),
        "zone": call.get_deadline_time_zone_display(),
    }
    if call.is_example:
        description += "\n" + _("This call is an example, made up for the demonstration.")
    if call.description:
        description += "\n\n" + call.description
    description += "\n\n" + call.url
    return DeadlineEntry(
        uid=call.calendar_uid,
        summary=summary,
        description=description,
        deadline=call.deadline,
        url=call.url,
        sequence=call.sequence,
        last_modified=call.updated_at,
        categories=(str(call.programme.name),),
    )


call_deadline_events = CallDeadlines()
