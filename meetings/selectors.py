"""Reads that the public meeting pages need."""

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from members.models import ContactPerson, Municipality

from .charts import BarChart, BarItem, horizontal_bar_chart
from .models import (
    AgendaItem,
    Mailing,
    MailingRecipient,
    Material,
    Meeting,
    MeetingQuerySet,
    MeetingSeries,
    Registration,
    RegistrationQuerySet,
    person_calendar_sequence,
)


def seat_counts() -> dict[str, Coalesce]:
    """`confirmed_count` and `waitlisted_count` (as `with_seat_counts()` names them) as one
    subquery each, counted for each meeting returned through the index on the registration's
    meeting, instead of joining and grouping every registration: at national scale the join
    read 100,000 registrations to count the seats of the 60 meetings ahead."""

    def count(status: str) -> Coalesce:
        rows = (
            Registration.objects.filter(meeting=OuterRef("pk"), status=status)
            .order_by()
            .values("meeting")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(rows), Value(0))

    return {
        "confirmed_count": count(Registration.Status.CONFIRMED),
        "waitlisted_count": count(Registration.Status.WAITLISTED),
    }


def meetings_for_listing() -> MeetingQuerySet:
    return Meeting.objects.select_related("series").annotate(**seat_counts())


# Past meetings are shown a page at a time: a network's archive grows by dozens a year.
PAST_MEETINGS_PER_PAGE = 20


def past_meetings_for_listing() -> MeetingQuerySet:
    """Past meetings, the latest first, without seat counts: the archive shows none, and
    counting seats would aggregate every registration the network ever had."""
    materials = (
        Material.objects.filter(meeting=OuterRef("pk"), hidden=False)
        .order_by()
        .values("meeting")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Meeting.objects.select_related("series")
        .past()
        # The archive marks the meetings with minutes and counts their files (those not
        # hidden; the count is the same for everyone, so a row stays one cached row).
        .annotate(material_count=Coalesce(Subquery(materials), Value(0)))
        .order_by(F("starts_at").desc(nulls_last=True), "-pk")
    )


# "My meetings" lists a person's earlier meetings a page at a time.
MY_PAST_MEETINGS_PER_PAGE = 20


def registrations_of_person(
    person: ContactPerson, *, now: dt.datetime | None = None
) -> tuple[RegistrationQuerySet, RegistrationQuerySet]:
    """A person's registrations, cancelled ones included, as (upcoming, past) querysets:
    upcoming soonest first, past latest first, each with `waitlist_position`."""
    now = now or timezone.now()
    registrations = (
        Registration.objects.filter(contact_person=person)
        .select_related("meeting__series")
        .with_waitlist_position()
    )
    ahead = Q(meeting__starts_at__gte=now) | Q(meeting__ends_at__gte=now)
    upcoming = (
        registrations.filter(ahead)
        .exclude(meeting__status=Meeting.Status.HELD)
        .order_by("meeting__starts_at", "pk")
    )
    past = registrations.exclude(pk__in=upcoming.values("pk")).order_by(
        F("meeting__starts_at").desc(nulls_last=True), "-pk"
    )
    return upcoming, past


def meeting_for_detail_queryset() -> MeetingQuerySet:
    return meetings_for_listing().prefetch_related(
        Prefetch("agenda_items", queryset=AgendaItem.objects.order_by("order", "pk"))
    )


# Meetings that belong in calendars: every dated one that is not tentative, cancelled ones
# included so that calendars which hold them learn of the cancellation.
_IN_CALENDARS = Q(starts_at__isnull=False) & ~Q(status=Meeting.Status.TENTATIVE)


def _for_feed(meetings: MeetingQuerySet) -> MeetingQuerySet:
    return (
        meetings.select_related("series")
        .prefetch_related(
            Prefetch("agenda_items", queryset=AgendaItem.objects.order_by("order", "pk"))
        )
        .order_by("starts_at", "pk")
    )


def feed_window_start(now: dt.datetime | None = None) -> dt.datetime:
    """The first moment the network feed (and the "all meetings" part of a personal feed)
    reaches back to: midnight, Oslo time, a year before today. Older meetings leave the
    feeds, so a feed stays the size of a year's meetings however long the network runs;
    the boundary moves once a day, so a feed's validator does not change with every request."""
    today = timezone.localdate(now)
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    return timezone.make_aware(dt.datetime.combine(start, dt.time.min))


def _network_scope(now: dt.datetime | None) -> Q:
    return _IN_CALENDARS & Q(starts_at__gte=feed_window_start(now))


def network_feed_meetings(now: dt.datetime | None = None) -> MeetingQuerySet:
    """The meetings of the network feed: those of the past year and every one ahead."""
    return _for_feed(Meeting.objects.filter(_network_scope(now)))


def _personal_scope(person: ContactPerson, now: dt.datetime | None) -> Q:
    registered = Exists(
        Registration.objects.active().filter(meeting=OuterRef("pk"), contact_person=person)
    )
    if person.calendar_includes_all:
        # Every meeting of the network feed, and all of the person's own, however old.
        return _IN_CALENDARS & (Q(starts_at__gte=feed_window_start(now)) | Q(registered))
    return _IN_CALENDARS & Q(registered)


def _with_person(meetings: MeetingQuerySet, person: ContactPerson) -> MeetingQuerySet:
    registration_status = Subquery(
        Registration.objects.active()
        .filter(meeting=OuterRef("pk"), contact_person=person)
        .values("status")[:1]
    )
    return meetings.annotate(
        person_registration_status=registration_status,
        person_calendar_sequence=person_calendar_sequence(
            meeting=OuterRef("pk"), contact_person=person
        ),
    )


def personal_calendar_meetings(
    person: ContactPerson, now: dt.datetime | None = None
) -> MeetingQuerySet:
    """The meetings of a person's feed, with the person's `person_registration_status` (of
    the active registration; None without one) and `person_calendar_sequence`: those the
    person is registered for, however old, and with "all meetings" also those of the network
    feed (the past year and everything ahead).

    A meeting the person cancelled is left out, unless the feed holds all meetings, where it
    is an ordinary meeting again. Leaving it out rather than sending it as CANCELLED: a
    subscribed calendar mirrors the feed, so every client drops an entry that is gone, while
    clients differ on a STATUS:CANCELLED entry in a subscription (some, Google Calendar among
    them, may show it like any other). The cancellation e-mail told the person the same (its
    entry is CANCELLED). A cancelled meeting stays in the feed as CANCELLED, as in the
    network feed: there the person did not cancel and must be told."""
    return _with_person(_for_feed(Meeting.objects.filter(_personal_scope(person, now))), person)


# --- Feed validators -------------------------------------------------------------------------
#
# A feed is answered with 304, or from the cache, by a validator read before anything is
# built: one light query over the rows the feed is made of. Each selected meeting gives its
# pk, `updated_at` (set on every save, and the admin saves the meeting with every change of
# its agenda), sequence and status; a personal feed adds the person's registration status
# and sequence per meeting and whether the meeting is still ahead (its deadline entry goes
# when it starts). Every row counts, not only the newest `updated_at`: with several web
# machines whose clocks differ a little, a later change may carry an older timestamp.


def _meetings_digest(rows: Iterable[tuple[Any, ...]]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(row).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def network_feed_version(now: dt.datetime | None = None) -> str:
    """What the network feed is made of, as a digest (see above)."""
    rows = (
        Meeting.objects.filter(_network_scope(now))
        .order_by("pk")
        .values_list("pk", "updated_at", "sequence", "status")
    )
    return _meetings_digest(rows)


def personal_feed_version(person: ContactPerson, now: dt.datetime | None = None) -> str:
    """What the person's feed is made of, as a digest (see above). The person's own fields
    (language, "all meetings") are the caller's to add."""
    now = now or timezone.now()
    rows = (
        _with_person(Meeting.objects.filter(_personal_scope(person, now)), person)
        .annotate(is_ahead=ExpressionWrapper(Q(starts_at__gt=now), output_field=BooleanField()))
        .order_by("pk")
        .values_list(
            "pk",
            "updated_at",
            "sequence",
            "status",
            "person_registration_status",
            "person_calendar_sequence",
            "is_ahead",
        )
    )
    return _meetings_digest(rows)


# --- Check-in at the door (county staff) -----------------------------------------------------


@dataclass(frozen=True)
class CheckInCounts:
    """A meeting's confirmed participants, and how many of them are checked in."""

    confirmed: int
    present: int

    @property
    def absent(self) -> int:
        return self.confirmed - self.present


# The list's filters: everyone with a seat, those checked in, those not (after the meeting:
# the no-shows).
CHECK_IN_FILTERS = ("", "present", "absent")


def check_in_search_words(query: str) -> list[str]:
    """The words of a search: each must be found in the person's name, municipality or job
    title, as the page's script filters the list while one types."""
    return query.split()[:10]


def check_in_participants(
    meeting: Meeting, *, query: str = "", show: str = ""
) -> RegistrationQuerySet:
    """The meeting's confirmed registrations for the check-in list, by name, with what the
    list shows: the person's name and job title, the municipality they registered for as
    `municipality_name` (their own for registrations from before it was recorded), and when
    they were checked in."""
    rows = (
        Registration.objects.confirmed()
        .filter(meeting=meeting)
        .select_related("contact_person")
        .only(
            "meeting_id",
            "status",
            "attended_at",
            "contact_person__name",
            "contact_person__job_title",
            "contact_person__anonymised_at",
        )
        .annotate(
            municipality_name=Coalesce("municipality__name", "contact_person__municipality__name")
        )
        .order_by("contact_person__name", "pk")
    )
    for word in check_in_search_words(query):
        rows = rows.filter(
            Q(contact_person__name__icontains=word)
            | Q(municipality_name__icontains=word)
            | Q(contact_person__job_title__icontains=word)
        )
    if show == "present":
        rows = rows.filter(attended_at__isnull=False)
    elif show == "absent":
        rows = rows.filter(attended_at__isnull=True)
    return rows


def check_in_participant(meeting: Meeting, registration_pk: int) -> Registration | None:
    """One row of the check-in list, as `check_in_participants` gives it; None for a
    registration the list does not hold."""
    return check_in_participants(meeting).filter(pk=registration_pk).first()


def check_in_counts(meeting: Meeting) -> CheckInCounts:
    counts = (
        Registration.objects.confirmed()
        .filter(meeting=meeting)
        .aggregate(
            confirmed=Count("pk"),
            present=Count("pk", filter=Q(attended_at__isnull=False)),
        )
    )
    return CheckInCounts(counts["confirmed"], counts["present"])


# --- Participation overview (county staff) --------------------------------------------------


@dataclass(frozen=True)
class RegistrationCount:
    """Active registrations: confirmed, and on the waiting list. Cancelled ones never count.
    `declined` counts the "cannot attend" answers to invitations, which are no registrations;
    `attended` the confirmed people checked in at the door."""

    confirmed: int = 0
    waitlisted: int = 0
    declined: int = 0
    attended: int = 0

    @property
    def active(self) -> int:
        return self.confirmed + self.waitlisted

    def __add__(self, other: "RegistrationCount") -> "RegistrationCount":
        return RegistrationCount(
            self.confirmed + other.confirmed,
            self.waitlisted + other.waitlisted,
            self.declined + other.declined,
            self.attended + other.attended,
        )

    def __str__(self) -> str:
        # As in the overview's table: confirmed, with the waiting list in brackets.
        text = f"{self.confirmed} ({self.waitlisted})" if self.waitlisted else str(self.confirmed)
        if self.declined:
            text += ", " + ngettext(
                "%(count)d cannot attend", "%(count)d cannot attend", self.declined
            ) % {"count": self.declined}
        return text


NO_REGISTRATIONS = RegistrationCount()


@dataclass(frozen=True)
class ParticipationRow:
    """A municipality's registrations for each meeting of the series. `municipality` is None
    for people not (yet) linked to a municipality."""

    municipality: Municipality | None
    is_member: bool
    total: RegistrationCount
    # The overview's matrix and meetings, for `counts`.
    matrix: dict[tuple[int | None, int], RegistrationCount] = field(repr=False, compare=False)
    meetings: tuple[Meeting, ...] = field(repr=False, compare=False)

    @property
    def counts(self) -> tuple[RegistrationCount, ...]:
        """The count for each meeting. Read for the rows on the table's page only: every row
        of a national network would be 400 municipalities by 50 meetings, 20,000 look-ups a
        request, for a table that shows 50 rows."""
        municipality_id = self.municipality.pk if self.municipality else None
        return tuple(
            self.matrix.get((municipality_id, meeting.pk), NO_REGISTRATIONS)
            for meeting in self.meetings
        )


@dataclass(frozen=True)
class ParticipationOverview:
    series: MeetingSeries
    meetings: tuple[Meeting, ...]
    rows: tuple[ParticipationRow, ...]
    # (municipality pk or None, meeting pk) -> counts; a missing pair means no registrations.
    matrix: dict[tuple[int | None, int], RegistrationCount]
    meeting_totals: tuple[RegistrationCount, ...]
    total: RegistrationCount
    next_meeting: Meeting | None
    members_without_registration: tuple[Municipality, ...]
    chart: BarChart

    def count(self, municipality: Municipality | None, meeting: Meeting) -> RegistrationCount:
        key = (municipality.pk if municipality else None, meeting.pk)
        return self.matrix.get(key, NO_REGISTRATIONS)


# At national scale a series has some 50 meetings and 400 municipalities: the overview's
# table shows the municipalities a page at a time (its totals count them all), and its chart
# the municipalities with the most registrations.
OVERVIEW_ROWS_PER_PAGE = 50
OVERVIEW_CHART_BARS = 40


def meeting_series_for_overview() -> QuerySet[MeetingSeries]:
    """Every series, the latest year first (the overview's default)."""
    return MeetingSeries.objects.order_by("-year", "name", "pk")


def _member_on(municipality: Municipality, day: dt.date) -> bool:
    return (
        municipality.member_since is not None
        and municipality.member_since <= day
        and (municipality.valid_from is None or municipality.valid_from <= day)
        and (municipality.valid_to is None or municipality.valid_to >= day)
    )


def participation_overview(
    series: MeetingSeries, *, now: dt.datetime | None = None
) -> ParticipationOverview:
    """Who registered for which meeting of a series, per municipality, in four queries
    whatever the number of municipalities, meetings and registrations.

    Counted are active registrations, confirmed and waitlisted apart; cancelled ones are not.
    A registration counts for the municipality its person had when registering, so a series
    from before a merger shows the municipalities of its time. The rows are the
    municipalities that were network members on the date of any of the series' meetings
    (today's, while none has a date), and any municipality with a registration in the
    series. Cancelled meetings keep their column but stay out of the totals. The next
    meeting is the first dated, not cancelled meeting still ahead.
    """
    now = now or timezone.now()
    # Dated meetings first, tentative ones after; `is_ahead` reuses the meaning of upcoming().
    meetings = tuple(
        Meeting.objects.filter(series=series)
        .annotate(is_ahead=Exists(Meeting.objects.upcoming(now).filter(pk=OuterRef("pk"))))
        .chronological()
    )
    matrix = {
        (row["counted_municipality"], row["meeting"]): RegistrationCount(
            row["confirmed"], row["waitlisted"], 0, row["attended"]
        )
        for row in Registration.objects.active()
        .filter(meeting__series=series)
        .order_by()
        # Registrations from before the municipality was recorded on them (none since)
        # count where their person is.
        .annotate(counted_municipality=Coalesce("municipality", "contact_person__municipality"))
        .values("counted_municipality", "meeting")
        .annotate(
            confirmed=Count("pk", filter=Q(status=Registration.Status.CONFIRMED)),
            waitlisted=Count("pk", filter=Q(status=Registration.Status.WAITLISTED)),
            attended=Count(
                "pk",
                filter=Q(status=Registration.Status.CONFIRMED, attended_at__isnull=False),
            ),
        )
    }
    # "Cannot attend" answers to the invitations, under the municipality each went to.
    for row in (
        MailingRecipient.objects.filter(
            mailing__meeting__series=series,
            mailing__kind=Mailing.Kind.INVITATION,
            declined_at__isnull=False,
        )
        .order_by()
        .values("municipality", "mailing__meeting")
        .annotate(declined=Count("pk"))
    ):
        key = (row["municipality"], row["mailing__meeting"])
        count = matrix.get(key, NO_REGISTRATIONS)
        matrix[key] = RegistrationCount(
            count.confirmed, count.waitlisted, row["declined"], count.attended
        )
    registered_ids = {municipality_id for municipality_id, _meeting_id in matrix}
    days = sorted(
        {timezone.localdate(m.starts_at) for m in meetings if m.starts_at is not None}
    ) or [timezone.localdate(now)]
    member_then = Q()
    for day in days:
        member_then |= Q(Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & Q(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day), member_since__lte=day
        )
    municipalities = list(
        Municipality.objects.filter(member_then | Q(pk__in=registered_ids - {None}))
        .select_related("successor")
        .prefetch_related(
            Prefetch("predecessors", queryset=Municipality.objects.order_by("name", "number"))
        )
        .order_by("name", "number")
    )
    row_keys: list[tuple[Municipality | None, bool]] = [
        (m, any(_member_on(m, day) for day in days)) for m in municipalities
    ]
    if None in registered_ids:
        row_keys.append((None, False))

    counted = {m.pk for m in meetings if m.status != Meeting.Status.CANCELLED}
    # Each row's total from one pass over the pairs with registrations. Pairs of meetings
    # outside `meetings` cannot occur: the matrix counts this series' meetings only.
    by_municipality: dict[int | None, list[int]] = {}
    for (municipality_id, meeting_id), count in matrix.items():
        if meeting_id not in counted:
            continue
        total = by_municipality.setdefault(municipality_id, [0, 0, 0, 0])
        total[0] += count.confirmed
        total[1] += count.waitlisted
        total[2] += count.declined
        total[3] += count.attended
    rows = []
    for municipality, is_member in row_keys:
        total = by_municipality.get(municipality.pk if municipality else None, [0, 0, 0, 0])
        rows.append(
            ParticipationRow(municipality, is_member, RegistrationCount(*total), matrix, meetings)
        )
    # Every (municipality, meeting) pair of the matrix has its row, so the meetings' totals
    # are the matrix's sums: one pass over the pairs with registrations rather than over
    # every cell (400 municipalities by 50 meetings at national scale).
    by_meeting: dict[int, list[int]] = {meeting.pk: [0, 0, 0, 0] for meeting in meetings}
    for (_municipality_id, meeting_id), count in matrix.items():
        if meeting_id in by_meeting:
            by_meeting[meeting_id][0] += count.confirmed
            by_meeting[meeting_id][1] += count.waitlisted
            by_meeting[meeting_id][2] += count.declined
            by_meeting[meeting_id][3] += count.attended
    meeting_totals = tuple(RegistrationCount(*by_meeting[meeting.pk]) for meeting in meetings)

    next_meeting = next(
        (
            meeting
            for meeting in meetings
            if meeting.is_ahead
            and meeting.starts_at is not None
            and meeting.status != Meeting.Status.CANCELLED
        ),
        None,
    )
    members_without_registration: tuple[Municipality, ...] = ()
    if next_meeting is not None:
        next_day = timezone.localdate(next_meeting.starts_at)
        members_without_registration = tuple(
            row.municipality
            for row in rows
            if row.municipality is not None
            and _member_on(row.municipality, next_day)
            and matrix.get((row.municipality.pk, next_meeting.pk), NO_REGISTRATIONS).active == 0
        )

    chart = horizontal_bar_chart(
        (
            BarItem(
                label=row.municipality.name if row.municipality else _("No municipality"),
                confirmed=row.total.confirmed,
                waitlisted=row.total.waitlisted,
            )
            for row in rows
        ),
        limit=OVERVIEW_CHART_BARS,
    )
    return ParticipationOverview(
        series=series,
        meetings=meetings,
        rows=tuple(rows),
        matrix=matrix,
        meeting_totals=meeting_totals,
        total=sum_counts(
            count
            for meeting, count in zip(meetings, meeting_totals, strict=True)
            if meeting.pk in counted
        ),
        next_meeting=next_meeting,
        members_without_registration=members_without_registration,
        chart=chart,
    )


def sum_counts(counts: Iterable[RegistrationCount]) -> RegistrationCount:
    # Plain integers: adding the frozen dataclasses makes one object per addition.
    confirmed = waitlisted = declined = attended = 0
    for count in counts:
        confirmed += count.confirmed
        waitlisted += count.waitlisted
        declined += count.declined
        attended += count.attended
    return RegistrationCount(confirmed, waitlisted, declined, attended)
