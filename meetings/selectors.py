"""Reads that the public meeting pages need."""

from django.db.models import Prefetch

from .models import AgendaItem, Meeting, Registration


def meetings_for_listing():
    return Meeting.objects.select_related("series").with_seat_counts()


def meeting_for_detail_queryset():
    return meetings_for_listing().prefetch_related(
        Prefetch("agenda_items", queryset=AgendaItem.objects.order_by("order", "pk"))
    )


def calendar_meetings():
    """Meetings that belong in calendars: every dated one, cancelled ones included so that
    calendars which hold them learn of the cancellation."""
    return (
        Meeting.objects.exclude(status=Meeting.Status.TENTATIVE)
        .filter(starts_at__isnull=False)
        .select_related("series")
        .prefetch_related(
            Prefetch("agenda_items", queryset=AgendaItem.objects.order_by("order", "pk"))
        )
        .order_by("starts_at", "pk")
    )


def personal_calendar_meetings(person):
    meetings = calendar_meetings()
    if person.calendar_includes_all:
        return meetings
    return meetings.filter(
        pk__in=Registration.objects.active().filter(contact_person=person).values("meeting")
    )
