import uuid
from datetime import datetime
from typing import Any, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.validators import (
    validate_no_control_characters,
    validate_plausible_moment,
    validate_single_line,
)
from members.models import ContactPerson, Municipality, NetworkOwner, User

from .storage import material_storage, material_upload_to

# Bounds a county's network works within; each is also in the field's help text or message.
MAX_CAPACITY = 10000
MAX_REMINDER_DAYS = 90
MAX_AGENDA_ORDER = 999
FIRST_SERIES_YEAR = 2000
LAST_SERIES_YEAR = 2200


MEETING_SLUG_MAX_LENGTH = 100


class MeetingSeries(models.Model):
    """A year's series of network meetings, run by one county section (the organiser)."""

    name = models.CharField(_("name"), max_length=200, validators=[validate_single_line])
    # Bounded by the constraint "meetingseries_year_plausible", which names the years.
    year = models.PositiveSmallIntegerField(_("year"))
    description = models.TextField(
        _("description"), blank=True, validators=[validate_no_control_characters]
    )
    # The organiser as it was when the series was made, copied from the network owner: a
    # later change of owner (a county reform) leaves the series of earlier years as they were.
    organiser_name = models.CharField(
        _("organiser"),
        max_length=200,
        validators=[validate_single_line],
        help_text=_("The county council and section that run the series."),
    )
    organiser_address = models.CharField(
        _("organiser's address"), max_length=300, blank=True, validators=[validate_single_line]
    )
    organiser_contact = models.CharField(
        _("organiser's contact person"),
        max_length=200,
        blank=True,
        validators=[validate_single_line],
        help_text=_("Name and job title, as the e-mails are signed."),
    )
    organiser_email = models.EmailField(
        _("organiser's e-mail"), blank=True, validators=[validate_single_line]
    )
    organiser_phone = models.CharField(
        _("organiser's phone"), max_length=30, blank=True, validators=[validate_single_line]
    )

    class Meta:
        verbose_name = _("meeting series")
        verbose_name_plural = pgettext_lazy("plural", "meeting series")
        ordering = ["-year", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "year"],
                name="meetingseries_name_year_unique",
                violation_error_message=_("A series with this name already exists for the year."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=FIRST_SERIES_YEAR) & Q(year__lte=LAST_SERIES_YEAR),
                name="meetingseries_year_plausible",
                violation_error_message=_("Enter a year between 2000 and 2200."),
            ),
        ]

    def __str__(self):
        return f"{self.name} {self.year}"

    @property
    def signature(self) -> str:
        """How the series' e-mails are signed, in the active language: the contact person,
        the organiser, the address and the phone, each on its line when there is one."""
        lines = [self.organiser_contact, self.organiser_name, self.organiser_address]
        if self.organiser_phone:
            lines.append(gettext("Phone: {phone}").format(phone=self.organiser_phone))
        return "\n".join(line for line in lines if line)

    @classmethod
    def organiser_fields(cls, owner: NetworkOwner) -> dict[str, str]:
        """The organiser fields of a new series, copied from the network owner."""
        return {
            "organiser_name": owner.full_name,
            "organiser_address": owner.address,
            "organiser_contact": owner.contact,
            "organiser_email": owner.email,
            "organiser_phone": owner.phone,
        }


# Paths under /meetings/ that a meeting's slug would hide.
RESERVED_SLUGS = frozenset({"overview", "registrations"})


def validate_not_reserved_slug(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(
            _("“%(slug)s” is used by the portal itself; choose another slug."),
            params={"slug": value},
            code="reserved",
        )


def new_calendar_uid() -> str:
    """A UID for a new meeting's calendar entries: a random UUID, as RFC 7986 (5.3)
    recommends, so that it depends on nothing that may change, such as the site's host name."""
    return str(uuid.uuid4())


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def upcoming(self, now: datetime | None = None) -> Self:
        """Meetings still ahead: dated ones that have not ended, and tentative ones of this
        year's or later series (a tentative meeting of an old series never got its date)."""
        now = now or timezone.now()
        return self.exclude(status=Meeting.Status.HELD).filter(self._ahead(now))

    def past(self, now: datetime | None = None) -> Self:
        now = now or timezone.now()
        return self.filter(Q(status=Meeting.Status.HELD) | ~self._ahead(now))

    @staticmethod
    def _ahead(now) -> Q:
        return (
            Q(starts_at__isnull=True, series__year__gte=timezone.localtime(now).year)
            | Q(ends_at__gte=now)
            | Q(ends_at__isnull=True, starts_at__gte=now)
        )

    def chronological(self) -> Self:
        # Tentative meetings have no start yet; within a series they follow the dated ones.
        return self.order_by(F("starts_at").asc(nulls_last=True), "series__year", "pk")

    def with_seat_counts(self) -> Self:
        return self.annotate(
            confirmed_count=Count(
                "registrations", filter=Q(registrations__status=Registration.Status.CONFIRMED)
            ),
            waitlisted_count=Count(
                "registrations", filter=Q(registrations__status=Registration.Status.WAITLISTED)
            ),
        )


class Meeting(models.Model):
    """One workshop and information meeting of the network.

    A meeting may be tentative, known only by a period such as "juni", until its date is fixed.
    `sequence` is the iCalendar SEQUENCE: it rises whenever time, place or status changes, so
    calendars that already hold the meeting replace it instead of adding a duplicate.
    `calendar_uid` is the iCalendar UID, fixed when the meeting is made and never changed.
    """

    class Kind(models.TextChoices):
        KICKOFF = "kickoff", _("Kickoff")
        PROJECT_IDENTIFICATION = "project_identification", _("Project identification")
        APPLICATION_WORKSHOP = "application_workshop", _("Application workshop")
        OTHER = "other", pgettext_lazy("meeting kind", "Other")

    class Status(models.TextChoices):
        TENTATIVE = "tentative", _("Tentative")
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")
        HELD = "held", _("Held")

    # The reminders a new meeting starts with, in days before the registration deadline.
    DEFAULT_REMINDER_DAYS = (14, 7, 2)

    # A change to any of these is mailed to the people registered.
    NOTIFIED_FIELDS = (
        "status",
        "starts_at",
        "ends_at",
        "venue_name",
        "venue_address",
        "online_url",
    )
    # A change to any of these changes calendar entries people already have (the deadline has
    # its own entry in personal feeds), so SEQUENCE rises.
    CALENDAR_FIELDS = (*NOTIFIED_FIELDS, "registration_deadline")

    series = models.ForeignKey(
        MeetingSeries,
        verbose_name=_("series"),
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind, default=Kind.OTHER)
    title = models.CharField(_("title"), max_length=200, validators=[validate_single_line])
    slug = models.SlugField(
        _("slug"),
        max_length=MEETING_SLUG_MAX_LENGTH,
        unique=True,
        validators=[validate_not_reserved_slug],
        help_text=_(
            "Part of the meeting's web and calendar addresses; do not change it once published."
        ),
    )
    theme = models.CharField(
        _("theme"), max_length=300, blank=True, validators=[validate_single_line]
    )
    description = models.TextField(
        _("description"), blank=True, validators=[validate_no_control_characters]
    )
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.TENTATIVE)
    tentative_period = models.CharField(
        _("tentative period"),
        max_length=100,
        blank=True,
        validators=[validate_single_line],
        help_text=_("Shown while no date is fixed, for example “juni” or “haust/vinter”."),
    )
    starts_at = models.DateTimeField(
        _("starts"), null=True, blank=True, validators=[validate_plausible_moment]
    )
    ends_at = models.DateTimeField(
        _("ends"), null=True, blank=True, validators=[validate_plausible_moment]
    )
    venue_name = models.CharField(
        _("venue"), max_length=200, blank=True, validators=[validate_single_line]
    )
    venue_address = models.CharField(
        _("street address"), max_length=300, blank=True, validators=[validate_single_line]
    )
    online_url = models.URLField(
        _("online meeting link"), blank=True, validators=[validate_single_line]
    )
    registration_deadline = models.DateTimeField(
        _("registration deadline"),
        null=True,
        blank=True,
        validators=[validate_plausible_moment],
    )
    capacity = models.PositiveIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_CAPACITY)],
        help_text=_("Number of seats, at most 10 000. Leave empty for no limit."),
    )
    programme_url = models.URLField(
        _("programme link"), blank=True, validators=[validate_single_line]
    )
    reminders_enabled = models.BooleanField(
        _("send reminders"),
        default=True,
        help_text=_(
            "Remind invitees who have not answered on the days of the reminder schedule "
            "below, and participants the day before the meeting."
        ),
    )
    sequence = models.PositiveIntegerField(
        _("calendar sequence"),
        default=0,
        editable=False,
        help_text=_("Rises on every change of time, place or status."),
    )
    # Meetings made before it was stored keep the UID they had: "meeting-<pk>@<host of
    # SITE_URL>" as it was when the field was added (migration 0004).
    calendar_uid = models.CharField(
        _("calendar UID"),
        max_length=300,
        unique=True,
        editable=False,
        default=new_calendar_uid,
        help_text=_("Identifies the meeting in calendar programs; never changes."),
    )
    minutes_markdown = models.TextField(
        _("minutes"),
        blank=True,
        validators=[validate_no_control_characters],
        help_text=_(
            "The minutes of the meeting, in Markdown: # Heading, **bold**, *italics*, "
            "- lists and [text](https://address). Shown on the meeting's page once published."
        ),
    )
    minutes_published_at = models.DateTimeField(
        _("minutes published"), null=True, blank=True, editable=False
    )
    # Set once, when the participants are first told of the minutes; never cleared, so
    # publishing again (after taking the minutes down) mails nobody twice.
    minutes_mailed_at = models.DateTimeField(
        _("participants told of the minutes"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = MeetingQuerySet.as_manager()

    # Annotations: only on meetings read through MeetingQuerySet.with_seat_counts().
    confirmed_count: int
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = [F("starts_at").asc(nulls_last=True), "pk"]
        # Behind the admin's date hierarchy and ordering.
        indexes = [models.Index(fields=["starts_at"], name="meeting_starts_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(starts_at__isnull=False),
                name="meeting_end_needs_start",
                violation_error_message=_("A meeting with an end time needs a start time."),
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True)
                | Q(starts_at__isnull=True)
                | Q(ends_at__gt=F("starts_at")),
                name="meeting_ends_after_start",
                violation_error_message=_("The meeting must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(registration_deadline__isnull=True)
                | Q(starts_at__isnull=True)
                | Q(registration_deadline__lte=F("starts_at")),
                name="meeting_deadline_not_after_start",
                violation_error_message=_(
                    "The registration deadline cannot be after the meeting starts."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["scheduled", "held"]) | Q(starts_at__isnull=False),
                name="meeting_scheduled_has_start",
                violation_error_message=_("A scheduled or held meeting needs a start time."),
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True)
                | (Q(capacity__gte=0) & Q(capacity__lte=MAX_CAPACITY)),
                name="meeting_capacity_in_range",
                violation_error_message=_("The capacity must be between 0 and 10 000."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["tentative", "scheduled", "cancelled", "held"]),
                name="meeting_status_valid",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("meetings:detail", kwargs={"slug": self.slug})

    def clean(self):
        super().clean()
        if (
            self.status == self.Status.TENTATIVE
            and not self.starts_at
            and not self.tentative_period
        ):
            raise ValidationError(
                {"tentative_period": _("Give a period such as “juni” while no date is fixed.")}
            )

    @property
    def minutes_are_published(self) -> bool:
        return self.minutes_published_at is not None and bool(self.minutes_markdown.strip())

    @property
    def is_tentative(self) -> bool:
        return self.status == self.Status.TENTATIVE or self.starts_at is None

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    def has_started(self, now=None) -> bool:
        return self.starts_at is not None and self.starts_at <= (now or timezone.now())

    def registration_is_open(self, now=None) -> bool:
        """Whether members may register or change a registration right now."""
        now = now or timezone.now()
        if self.status != self.Status.SCHEDULED or self.has_started(now):
            return False
        return self.registration_deadline is None or now <= self.registration_deadline

    @property
    def seats_left(self) -> int | None:
        """Free seats, from the `with_seat_counts()` annotation; None means no limit."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.confirmed_count, 0)


class MeetingReminder(models.Model):
    """One reminder in a meeting's schedule: invitees who have not answered are reminded this
    many days before the registration deadline. Which reminder went out is recorded on its
    mailing (`Mailing.reminder_days`), so each goes out once."""

    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="reminder_schedule",
    )
    days_before = models.PositiveSmallIntegerField(
        _("days before the deadline"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REMINDER_DAYS)],
        help_text=_("1 to 90 days before the registration deadline."),
    )

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["meeting", "-days_before"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "days_before"],
                name="meetingreminder_once_per_meeting",
                violation_error_message=_("This meeting already has a reminder on that day."),
            ),
            # The reminder job computes a date from it: a huge value would stop every reminder.
            models.CheckConstraint(
                condition=Q(days_before__gte=1) & Q(days_before__lte=MAX_REMINDER_DAYS),
                name="meetingreminder_days_in_range",
                violation_error_message=_(
                    "Remind between 1 and 90 days before the registration deadline."
                ),
            ),
        ]

    def __str__(self):
        return ngettext(
            "%(days)d day before the deadline",
            "%(days)d days before the deadline",
            self.days_before,
        ) % {"days": self.days_before}


class AgendaItem(models.Model):
    """One point on a meeting's programme."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="agenda_items"
    )
    order = models.PositiveSmallIntegerField(
        _("order"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_AGENDA_ORDER)],
    )
    title = models.CharField(_("title"), max_length=300, validators=[validate_single_line])
    description = models.TextField(
        _("description"), blank=True, validators=[validate_no_control_characters]
    )
    starts_at = models.TimeField(_("time"), null=True, blank=True)

    # Edited on the meeting's page; its changes are listed in the meeting's history.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "order", "pk"]

    def __str__(self):
        return self.title


class MaterialQuerySet(models.QuerySet["Material"]):
    def not_hidden(self) -> Self:
        return self.filter(hidden=False)


class Material(models.Model):
    """A file for a meeting, or for one of its agenda items: slides, a report, a picture.

    Uploaded by county staff and by those who present a project idea at the meeting; kept in
    the "materials" storage, apart from any public URL, and served by a view that checks who
    may see it (`visibility`, `hidden`). Staff hide a file or remove it; the uploader may
    remove their own."""

    class Visibility(models.TextChoices):
        MEMBERS = "members", _("Members and county staff")
        PUBLIC = "public", _("Everyone")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="materials"
    )
    # A file of an agenda item that is taken off the programme stays with the meeting.
    agenda_item = models.ForeignKey(
        AgendaItem,
        verbose_name=_("agenda item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="materials",
        help_text=_("Empty for the meeting as a whole."),
    )
    title = models.CharField(_("title"), max_length=200, validators=[validate_single_line])
    file = models.FileField(
        _("file"),
        upload_to=material_upload_to,
        storage=material_storage,
        max_length=300,
    )
    # The name the file was uploaded with, made safe (meetings.uploads.safe_filename): the
    # download's name and the last part of its address.
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("file type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    visibility = models.CharField(
        _("who may see it"), max_length=10, choices=Visibility, default=Visibility.MEMBERS
    )
    hidden = models.BooleanField(
        _("hidden"),
        default=False,
        help_text=_("Hidden files are shown to county staff only."),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    objects = MaterialQuerySet.as_manager()

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["meeting", "uploaded_at", "pk"]
        indexes = [
            # The meeting page's list, and the count of files in the list of past meetings.
            models.Index(fields=["meeting", "hidden"], name="material_meeting_hidden"),
            # The admin's list, newest first, and its date hierarchy.
            models.Index(fields=["uploaded_at", "id"], name="material_uploaded_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(visibility__in=["members", "public"]),
                name="material_visibility_valid",
            ),
            models.CheckConstraint(
                condition=~Q(title="") & ~Q(filename="") & ~Q(file=""),
                name="material_has_title_and_file",
                violation_error_message=_("A material needs a title and a file."),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "meetings:material",
            kwargs={"slug": self.meeting.slug, "pk": self.pk, "filename": self.filename},
        )

    def clean(self):
        super().clean()
        if (
            self.agenda_item_id is not None
            and self.meeting_id is not None
            and not AgendaItem.objects.filter(
                pk=self.agenda_item_id, meeting_id=self.meeting_id
            ).exists()
        ):
            raise ValidationError({"agenda_item": _("Choose an item on this meeting's programme.")})


class RegistrationQuerySet(models.QuerySet["Registration"]):
    def active(self) -> Self:
        return self.exclude(status=Registration.Status.CANCELLED)

    def confirmed(self) -> Self:
        return self.filter(status=Registration.Status.CONFIRMED)

    def waitlisted(self) -> Self:
        return self.filter(status=Registration.Status.WAITLISTED)

    def in_queue_order(self) -> Self:
        return self.order_by("queued_at", "pk")

    def with_calendar_sequence(self) -> Self:
        """Annotate `person_calendar_sequence` (see `person_calendar_sequence`)."""
        return self.annotate(
            person_calendar_sequence=person_calendar_sequence(
                meeting=OuterRef("meeting"), contact_person=OuterRef("contact_person")
            )
        )

    def with_waitlist_position(self) -> Self:
        """Annotate `waitlist_position` (1 = next in line) on waitlisted registrations."""
        ahead = (
            Registration.objects.filter(
                meeting=OuterRef("meeting"), status=Registration.Status.WAITLISTED
            )
            .filter(
                Q(queued_at__lt=OuterRef("queued_at"))
                | Q(queued_at=OuterRef("queued_at"), pk__lt=OuterRef("pk"))
            )
            .order_by()
            .values("meeting")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(
            waitlist_position=Case(
                When(
                    status=Registration.Status.WAITLISTED,
                    then=Coalesce(Subquery(ahead), Value(0)) + 1,
                ),
                default=None,
                output_field=models.IntegerField(),
            )
        )


class Registration(models.Model):
    """A contact person's registration (påmelding) for a meeting.

    Cancelled registrations are kept, never deleted; at most one registration per person and
    meeting is active (confirmed or waitlisted) at any time.
    """

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("On the waiting list")
        CANCELLED = "cancelled", pgettext_lazy("registration status", "Cancelled")

    class AttendanceMode(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.PROTECT, related_name="registrations"
    )
    contact_person = models.ForeignKey(
        ContactPerson,
        verbose_name=_("contact person"),
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    # The person's municipality when they registered. People move with their municipality's
    # merger; a registration stays where it was, so the overview of an earlier year counts
    # the municipalities of that year.
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
        help_text=_("The person's municipality at the time of registering."),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.CONFIRMED)
    attendance_mode = models.CharField(
        _("attendance"), max_length=20, choices=AttendanceMode, default=AttendanceMode.IN_PERSON
    )
    dietary_needs = models.CharField(
        _("dietary needs"), max_length=300, blank=True, validators=[validate_single_line]
    )
    presenting_project_idea = models.BooleanField(_("presents a project idea"), default=False)
    comment = models.TextField(
        _("comment"), max_length=2000, blank=True, validators=[validate_no_control_characters]
    )
    is_late = models.BooleanField(
        _("late registration"),
        default=False,
        help_text=_("Added by staff after the registration deadline."),
    )
    over_capacity = models.BooleanField(
        _("over capacity"),
        default=False,
        help_text=_(
            "Confirmed by staff although the meeting was full. Without this, confirming "
            "someone in a full meeting puts them on the waiting list."
        ),
    )
    created_at = models.DateTimeField(
        _("registered"), default=timezone.now, validators=[validate_plausible_moment]
    )
    queued_at = models.DateTimeField(
        _("in the queue since"),
        default=timezone.now,
        validators=[validate_plausible_moment],
        help_text=_("Order of arrival for seats and the waiting list; reset when re-registering."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    cancelled_at = models.DateTimeField(
        _("cancelled"), null=True, blank=True, validators=[validate_plausible_moment]
    )
    calendar_sequence = models.PositiveIntegerField(
        _("calendar sequence"),
        default=0,
        editable=False,
        help_text=_("Rises on every change of status."),
    )
    # Set by county staff at the door (services.attendance_mark), never in a form.
    attended_at = models.DateTimeField(
        _("checked in"),
        null=True,
        blank=True,
        editable=False,
        validators=[validate_plausible_moment],
        help_text=_("When county staff marked the person present at the meeting."),
    )
    attended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked in by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = RegistrationQuerySet.as_manager()

    # Annotations: only on registrations read through with_calendar_sequence() and
    # with_waitlist_position() (None when not waitlisted).
    person_calendar_sequence: int
    waitlist_position: int | None
    history = HistoricalRecords()
    # Set before a save to name who made the change (django-simple-history reads it).
    _history_user: "User | None"

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["meeting", "created_at", "pk"]
        indexes = [
            # The admin's list, newest first, and its date hierarchy.
            models.Index(fields=["created_at", "id"], name="registration_created_at"),
            # Seat counts per meeting, counted in the index.
            models.Index(fields=["meeting", "status"], name="registration_meeting_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "contact_person"],
                condition=~Q(status="cancelled"),
                name="registration_one_active_per_person",
                violation_error_message=_("This person is already registered for the meeting."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["confirmed", "waitlisted", "cancelled"]),
                name="registration_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="registration_cancelled_has_timestamp",
                violation_error_message=_(
                    "A cancelled registration needs the time it was cancelled."
                ),
            ),
            models.CheckConstraint(
                condition=Q(over_capacity=False) | Q(status="confirmed"),
                name="registration_over_capacity_is_confirmed",
                violation_error_message=_("Only a confirmed registration can be over capacity."),
            ),
            # Who checked a person in goes with when. The user may be deleted later
            # (SET_NULL), so the time alone is allowed: only a "who" without a "when" is not.
            models.CheckConstraint(
                condition=Q(attended_by__isnull=True) | Q(attended_at__isnull=False),
                name="registration_attended_by_has_time",
                violation_error_message=_("A check-in needs the time it was made."),
            ),
        ]
        permissions = [
            ("check_in_participants", _("Can check in participants at the door")),
        ]

    def __str__(self):
        return f"{self.contact_person.display_name} – {self.meeting.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Every way a registration is made (members, coordinators, staff, imports) records
        # the municipality; the person is already loaded wherever one is made.
        if self._state.adding and self.municipality_id is None and self.contact_person_id:
            self.municipality_id = self.contact_person.municipality_id
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        # Staff may cancel in the admin, where the timestamp is not editable.
        if self.status == self.Status.CANCELLED and self.cancelled_at is None:
            self.cancelled_at = timezone.now()
        # The box may still be ticked from an earlier confirmation when staff move someone
        # off their seat; only a seat can be over capacity.
        if self.status != self.Status.CONFIRMED:
            self.over_capacity = False

    @property
    def is_active(self) -> bool:
        return self.status != self.Status.CANCELLED

    def set_status(self, status: str, *, now) -> None:
        """Set the status, with the cancellation time that goes with it.

        Every status change goes through here, so `calendar_sequence` rises with each one (a
        new registration counts as one). The SEQUENCE of the person's calendar entries is the
        meeting's plus this (see `person_calendar_sequence`); both only rise, so each entry a
        person gets, CONFIRMED, TENTATIVE or CANCELLED, replaces the one before, also across
        cancel, register again and a seat from the waiting list."""
        if self._state.adding or status != self.status:
            self.calendar_sequence += 1
            if status == self.Status.CANCELLED:
                self.cancelled_at = now
        self.status = status
        if status != self.Status.CANCELLED:
            self.cancelled_at = None
        elif self.cancelled_at is None:
            self.cancelled_at = now
        if status != self.Status.CONFIRMED:
            # Only a seat can be one over capacity, and only a seat is checked in at the door.
            self.over_capacity = False
            self.attended_at = None
            self.attended_by = None

    @property
    def has_attended(self) -> bool:
        return self.attended_at is not None


def person_calendar_sequence(*, meeting: Any, contact_person: Any) -> Coalesce:
    """What a person's calendar entries for a meeting add to the meeting's SEQUENCE, as an
    expression (give values or OuterRefs): the `calendar_sequence` of all the person's
    registrations for the meeting, summed. Rows are never deleted and each only rises, so the
    sum only rises, also when staff add a new row next to a cancelled one."""
    rows = (
        Registration.objects.filter(meeting=meeting, contact_person=contact_person)
        .order_by()
        .values("meeting", "contact_person")
        .annotate(total=Sum("calendar_sequence"))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=models.PositiveIntegerField()), Value(0))


class Mailing(models.Model):
    """An e-mail about a meeting to a set of recipients: an invitation written by county
    staff, or a reminder made by `send_reminders`. Each recipient is mailed at most once."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        REMINDER = "reminder", _("Reminder to those who have not answered")
        PARTICIPANT_REMINDER = "participant_reminder", _("Reminder to participants")

    # Placeholders staff may use in the subject and body.
    PLACEHOLDERS = (
        "name",
        "meeting",
        "when",
        "place",
        "deadline",
        "link",
        "decline_link",
        "poll_link",
    )

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.PROTECT, related_name="mailings"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind, default=Kind.INVITATION)
    subject = models.CharField(_("subject"), max_length=200, validators=[validate_single_line])
    body = models.TextField(
        _("text"),
        validators=[validate_no_control_characters],
        help_text=_(
            "Placeholders: {name}, {meeting}, {when}, {place}, {deadline}, {link} (personal "
            "registration link), {decline_link} (“cannot attend” link) and {poll_link} "
            "(personal link to the date poll)."
        ),
    )
    # Optional texts in Bokmål and English, for recipients who prefer them; everyone else
    # gets the Nynorsk text above. Subject and body go together: both or neither.
    subject_nb = models.CharField(
        _("subject (Bokmål)"), max_length=200, blank=True, validators=[validate_single_line]
    )
    body_nb = models.TextField(
        _("text (Bokmål)"), blank=True, validators=[validate_no_control_characters]
    )
    subject_en = models.CharField(
        _("subject (English)"), max_length=200, blank=True, validators=[validate_single_line]
    )
    body_en = models.TextField(
        _("text (English)"), blank=True, validators=[validate_no_control_characters]
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("reminder, days before the deadline"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Which reminder of the meeting's schedule this mailing is."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    queued_at = models.DateTimeField(
        _("queued for sending"),
        null=True,
        blank=True,
        help_text=_("Empty while the mailing is a draft."),
    )

    class Meta:
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")
        ordering = ["-created_at", "-pk"]
        # The admin's list, newest first, and its date hierarchy.
        indexes = [models.Index(fields=["created_at", "id"], name="mailing_created_at")]
        constraints = [
            # The reminder job makes each reminder of the schedule once per meeting, and one
            # day-before reminder to participants.
            models.UniqueConstraint(
                fields=["meeting", "reminder_days"],
                condition=Q(kind="reminder"),
                name="mailing_each_reminder_once",
            ),
            models.UniqueConstraint(
                fields=["meeting", "kind"],
                condition=Q(kind="participant_reminder"),
                name="mailing_one_participant_reminder",
            ),
            models.CheckConstraint(
                condition=(Q(kind="reminder") & Q(reminder_days__isnull=False))
                | (~Q(kind="reminder") & Q(reminder_days__isnull=True)),
                name="mailing_reminder_days_with_reminders",
            ),
        ]

    def __str__(self):
        return self.display_subject

    @property
    def display_subject(self) -> str:
        """The subject as recipients see it, with the meeting's own details filled in: staff
        know a mailing by that, not by its template. Personal placeholders stay as they are."""
        from .emails import mailing_display_subject  # the e-mails module imports the models

        return mailing_display_subject(self)

    def texts(self, language: str) -> tuple[str, str]:
        """The subject and body for a recipient who prefers `language`; Nynorsk unless the
        mailing has a text in that language."""
        if language in ("nb", "en"):
            subject = getattr(self, f"subject_{language}")
            body = getattr(self, f"body_{language}")
            if subject and body:
                return subject, body
        return self.subject, self.body

    @property
    def is_draft(self) -> bool:
        return self.queued_at is None


class MailingRecipientQuerySet(models.QuerySet["MailingRecipient"]):
    def due(self, now: datetime | None = None) -> Self:
        now = now or timezone.now()
        return self.filter(status=MailingRecipient.Status.QUEUED).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        )


class MailingRecipient(models.Model):
    """One address a mailing goes to, with its delivery state and the answer it gave."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", pgettext_lazy("delivery status", "Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    mailing = models.ForeignKey(
        Mailing, verbose_name=_("mailing"), on_delete=models.CASCADE, related_name="recipients"
    )
    email = models.EmailField(_("e-mail address"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    municipality = models.ForeignKey(
        "members.Municipality",
        verbose_name=_("municipality"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact_person = models.ForeignKey(
        ContactPerson,
        verbose_name=_("contact person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mailings_received",
        help_text=_("Empty for a municipality's official mailbox."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined"), null=True, blank=True)

    objects = MailingRecipientQuerySet.as_manager()

    # The recipient's registration for the mailing's meeting, kept by meetings.emails the
    # first time a message needs it (absent until then).
    _participant_registration: "Registration | None"

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["mailing", "pk"]
        indexes = [
            # The admin's date hierarchy.
            models.Index(fields=["sent_at"], name="mailingrecipient_sent_at"),
            # Delivery counts per mailing, counted in the index.
            models.Index(fields=["mailing", "status"], name="mailingrecipient_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                "mailing",
                Lower("email"),
                name="mailingrecipient_once_per_mailing",
                violation_error_message=_("This address is already a recipient."),
            ),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>" if self.name else self.email


class DatePoll(models.Model):
    """A poll among the members on the date of a tentative meeting (the founding invitation:
    the dates of the June and autumn meetings are agreed among the members).

    Members answer each candidate date until the poll closes, at `closes_at` or when staff
    close it or pick a date; picking schedules the meeting with the chosen candidate's times.
    """

    meeting = models.OneToOneField(
        Meeting, verbose_name=_("meeting"), on_delete=models.PROTECT, related_name="date_poll"
    )
    closes_at = models.DateTimeField(
        _("closes"),
        validators=[validate_plausible_moment],
        help_text=_("Answers are taken until this time."),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    chosen = models.ForeignKey(
        "DatePollCandidate",
        verbose_name=_("chosen date"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("date poll")
        verbose_name_plural = _("date polls")
        ordering = ["-closes_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(chosen__isnull=True) | Q(closed_at__isnull=False),
                name="datepoll_chosen_is_closed",
                violation_error_message=_("A poll with a chosen date is closed."),
            ),
        ]

    def __str__(self):
        return str(self.meeting)

    def get_absolute_url(self) -> str:
        return reverse("meetings:poll", kwargs={"slug": self.meeting.slug})

    def is_open(self, now=None) -> bool:
        return self.closed_at is None and (now or timezone.now()) < self.closes_at


class DatePollCandidate(models.Model):
    """A date (start and end) the meeting may be held at."""

    poll = models.ForeignKey(
        DatePoll, verbose_name=_("date poll"), on_delete=models.CASCADE, related_name="candidates"
    )
    starts_at = models.DateTimeField(_("starts"), validators=[validate_plausible_moment])
    ends_at = models.DateTimeField(_("ends"), validators=[validate_plausible_moment])

    class Meta:
        verbose_name = _("candidate date")
        verbose_name_plural = _("candidate dates")
        ordering = ["poll", "starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="datepollcandidate_ends_after_start",
                violation_error_message=_("The meeting must end after it starts."),
            ),
            models.UniqueConstraint(
                fields=["poll", "starts_at", "ends_at"],
                name="datepollcandidate_once_per_poll",
                violation_error_message=_("This date is already a candidate."),
            ),
        ]

    def __str__(self):
        start = timezone.localtime(self.starts_at)
        end = timezone.localtime(self.ends_at)
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"

    def clean(self):
        # An answer is given to the date on the screen: moved, the answers would stand for a
        # date nobody answered for. Removing the date (and its answers) stays possible.
        if self.pk is None:
            return
        before = (
            DatePollCandidate.objects.filter(pk=self.pk).values_list("starts_at", "ends_at").first()
        )
        if before not in (None, (self.starts_at, self.ends_at)) and self.answers.exists():
            raise ValidationError(
                _(
                    "People have answered for this date, so it cannot be moved. Add the new "
                    "date as another candidate (and remove this one if it no longer applies)."
                )
            )


class DatePollAnswer(models.Model):
    """One voice on one candidate date: a signed-in contact person's, or an invited address's
    through its personal link (an official mailbox has no account)."""

    class Answer(models.TextChoices):
        YES = "yes", _("Yes")
        IF_NEED_BE = "if_need_be", _("If need be")
        NO = "no", _("No")

    candidate = models.ForeignKey(
        DatePollCandidate,
        verbose_name=_("candidate date"),
        on_delete=models.CASCADE,
        related_name="answers",
    )
    contact_person = models.ForeignKey(
        ContactPerson,
        verbose_name=_("contact person"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="date_poll_answers",
    )
    recipient = models.ForeignKey(
        MailingRecipient,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="date_poll_answers",
    )
    answer = models.CharField(_("answer"), max_length=20, choices=Answer)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["candidate", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "contact_person"],
                condition=Q(contact_person__isnull=False),
                name="datepollanswer_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["candidate", "recipient"],
                condition=Q(recipient__isnull=False),
                name="datepollanswer_once_per_recipient",
            ),
            models.CheckConstraint(
                condition=Q(contact_person__isnull=True, recipient__isnull=False)
                | Q(contact_person__isnull=False, recipient__isnull=True),
                name="datepollanswer_one_voter",
            ),
            models.CheckConstraint(
                condition=Q(answer__in=["yes", "if_need_be", "no"]),
                name="datepollanswer_answer_valid",
            ),
        ]

    def __str__(self):
        return f"{self.candidate}: {self.get_answer_display()}"
