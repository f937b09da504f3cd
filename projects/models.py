"""Project ideas: the path from a local need to an international project.

A municipality presents an idea (at a meeting, or on the portal), other municipalities mark
their interest in cooperating, and the idea moves through its stages towards an application.
"""

import uuid
import zoneinfo
from datetime import datetime
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.validators import (
    validate_no_control_characters,
    validate_plausible_moment,
    validate_single_line,
)
from meetings.models import Meeting, Registration
from members.models import ContactPerson, Municipality, Sector


class EUProgramme(models.Model):
    """An EU programme a municipality can apply to (Erasmus+, Interreg, ...)."""

    name = models.CharField(
        _("name"), max_length=100, unique=True, validators=[validate_single_line]
    )
    description = models.CharField(
        _("short description"), max_length=300, blank=True, validators=[validate_single_line]
    )
    url = models.URLField(_("link"), blank=True, validators=[validate_single_line])

    class Meta:
        verbose_name = _("EU programme")
        verbose_name_plural = _("EU programmes")
        ordering = ["name"]

    def __str__(self):
        return self.name


def new_call_uid() -> str:
    """A call's UID in calendar feeds: random, as meetings' are (meetings.models), so it
    depends on nothing that may change."""
    return f"call-{uuid.uuid4()}"


# The zones calls announce their deadlines in: the Commission's (Brussels), national agencies'
# and programme secretariats' around the North Sea and the Baltic.
CALL_TIME_ZONES = [
    "Europe/Brussels",
    "Europe/Oslo",
    "Europe/London",
    "Europe/Helsinki",
    "Europe/Lisbon",
    "UTC",
]


class CallQuerySet(models.QuerySet["Call"]):
    def open_or_upcoming(self, now: datetime | None = None) -> Self:
        """Calls whose deadline is still ahead, whether they have opened or not."""
        return self.filter(deadline__gt=now or timezone.now())


class Call(models.Model):
    """A call for proposals in an EU programme, with its deadline.

    EU calls close at a stated clock time in a stated zone ("17:00 Brussels time"): the
    deadline is stored as an instant (UTC) with the name of the zone it was given in, so pages
    show it as announced and in Oslo time. `sequence` and `calendar_uid` play the roles they
    play for meetings in calendar feeds (meetings.ics)."""

    class TimeZone(models.TextChoices):
        BRUSSELS = "Europe/Brussels", _("Brussels time")
        OSLO = "Europe/Oslo", _("Oslo time")
        LONDON = "Europe/London", _("London time")
        HELSINKI = "Europe/Helsinki", _("Helsinki time")
        LISBON = "Europe/Lisbon", _("Lisbon time")
        UTC = "UTC", _("UTC")

    # What a calendar entry of the call shows: a change to any of them raises `sequence`.
    CALENDAR_FIELDS = ("title", "programme_id", "deadline", "url", "description", "is_example")

    title = models.CharField(_("title"), max_length=200, validators=[validate_single_line])
    programme = models.ForeignKey(
        EUProgramme, verbose_name=_("EU programme"), on_delete=models.PROTECT, related_name="calls"
    )
    opens_on = models.DateField(_("opening date"))
    deadline = models.DateTimeField(_("deadline"), validators=[validate_plausible_moment])
    deadline_time_zone = models.CharField(
        _("time zone of the deadline"),
        max_length=40,
        choices=TimeZone,
        default=TimeZone.BRUSSELS,
    )
    url = models.URLField(_("link"), validators=[validate_single_line])
    description = models.TextField(
        _("short description"),
        max_length=1000,
        blank=True,
        validators=[validate_no_control_characters],
    )
    is_example = models.BooleanField(
        _("example data"),
        default=False,
        help_text=_("Made up for the demonstration; pages mark it as an example."),
    )
    sequence = models.PositiveIntegerField(
        _("calendar sequence"),
        default=0,
        editable=False,
        help_text=_("Rises on every change calendars show."),
    )
    calendar_uid = models.CharField(
        _("calendar UID"),
        max_length=300,
        unique=True,
        editable=False,
        default=new_call_uid,
        help_text=_("Identifies the call's deadline in calendar programs; never changes."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = _("call for proposals")
        verbose_name_plural = _("calls for proposals")
        ordering = ["deadline", "pk"]
        indexes = [models.Index(fields=["deadline"], name="call_deadline")]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="call_title_not_empty"),
            models.CheckConstraint(condition=~Q(url=""), name="call_url_not_empty"),
            models.CheckConstraint(
                # Midnight UTC of the opening day: a call opens on a day and closes after it.
                condition=Q(deadline__gt=Cast("opens_on", models.DateTimeField())),
                name="call_opens_before_deadline",
                violation_error_message=_("The call must open before its deadline."),
            ),
            models.CheckConstraint(
                condition=Q(deadline_time_zone__in=CALL_TIME_ZONES),
                name="call_deadline_time_zone_valid",
            ),
        ]

    def __str__(self):
        return f"{self.programme}: {self.title}" if self.programme_id else self.title

    def clean(self):
        super().clean()
        if self.opens_on and self.deadline and self.opens_on >= self.deadline_local.date():
            raise ValidationError(
                {"opens_on": _("The call must open before the day of its deadline.")}
            )

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.deadline_time_zone)

    @property
    def deadline_local(self):
        """The deadline in the zone it was announced in."""
        return self.deadline.astimezone(self.zone)

    @property
    def deadline_oslo(self):
        return self.deadline.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE))

    @property
    def shows_two_zones(self) -> bool:
        """Whether pages add the Oslo time: for any other zone, even Brussels, whose clock
        reads the same, so nobody has to know that it does."""
        return self.deadline_time_zone != settings.TIME_ZONE


class ProjectIdeaQuerySet(models.QuerySet["ProjectIdea"]):
    def visible_to(self, viewer) -> Self:
        """Ideas are for the network: linked members and county staff read them all, nobody
        else any (members.permissions)."""
        return self if viewer.sees_directory else self.none()

    def seeking_partners(self) -> Self:
        return self.filter(stage=ProjectIdea.Stage.SEEKING_PARTNERS)

    def editable_by(self, person: ContactPerson | None) -> Self:
        """Ideas the person may edit: their own, and for coordinators their municipality's."""
        if person is None:
            return self.none()
        scope = Q(contact_person=person)
        if person.is_coordinator and person.municipality_id:
            scope |= Q(lead_municipality_id=person.municipality_id)
        return self.filter(scope)


class ProjectIdea(models.Model):
    """A municipality's idea for an international project, answering a local need."""

    class Stage(models.TextChoices):
        NEED_IDENTIFIED = "need_identified", _("Need identified")
        IDEA = "idea", _("Idea")
        LEARNING = "learning", _("Learning and exchange (study trip, good practice)")
        SEEKING_PARTNERS = "seeking_partners", _("Seeking partners")
        APPLICATION = "application", _("Application in preparation")
        SUBMITTED = "submitted", _("Submitted")
        FUNDED = "funded", _("Funded")
        NOT_FUNDED = "not_funded", _("Not funded")
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")

    title = models.CharField(_("title"), max_length=200, validators=[validate_single_line])
    lead_municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("lead municipality"),
        on_delete=models.PROTECT,
        related_name="project_ideas",
    )
    contact_person = models.ForeignKey(
        ContactPerson,
        verbose_name=_("contact person"),
        on_delete=models.PROTECT,
        related_name="project_ideas",
    )
    local_need = models.TextField(
        _("local need or challenge"),
        max_length=4000,
        validators=[validate_no_control_characters],
        help_text=_("What at home should the project solve or improve?"),
    )
    description = models.TextField(
        _("description"), max_length=8000, blank=True, validators=[validate_no_control_characters]
    )
    programmes = models.ManyToManyField(
        EUProgramme, verbose_name=_("EU programmes of interest"), blank=True, related_name="ideas"
    )
    stage = models.CharField(_("stage"), max_length=30, choices=Stage, default=Stage.IDEA)
    partner_municipalities = models.ManyToManyField(
        Municipality,
        verbose_name=_("partner municipalities"),
        blank=True,
        related_name="partner_in_ideas",
    )
    call_deadline = models.DateField(_("call deadline"), null=True, blank=True)
    calls = models.ManyToManyField(
        Call,
        verbose_name=_("calls aimed at"),
        blank=True,
        related_name="ideas",
        help_text=_("The calls for proposals the idea means to apply to."),
    )
    presented_at = models.ManyToManyField(
        Meeting,
        verbose_name=_("presented at meetings"),
        blank=True,
        related_name="presented_ideas",
        through="Presentation",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ProjectIdeaQuerySet.as_manager()

    class Meta:
        verbose_name = _("project idea")
        verbose_name_plural = _("project ideas")
        ordering = ["-updated_at", "-pk"]
        # The list, newest first, and the admin's date hierarchy.
        indexes = [models.Index(fields=["updated_at", "id"], name="projectidea_updated_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    stage__in=[
                        "need_identified",
                        "idea",
                        "learning",
                        "seeking_partners",
                        "application",
                        "submitted",
                        "funded",
                        "not_funded",
                        "running",
                        "completed",
                    ]
                ),
                name="projectidea_stage_valid",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", kwargs={"pk": self.pk})

    @property
    def sector_values(self) -> list[str]:
        return [s.sector for s in self.sectors.all()]


class IdeaSector(models.Model):
    """A sector an idea belongs to (an idea may span several)."""

    idea = models.ForeignKey(
        ProjectIdea,
        verbose_name=_("project idea"),
        on_delete=models.CASCADE,
        related_name="sectors",
    )
    sector = models.CharField(_("sector"), max_length=20, choices=Sector)

    class Meta:
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")
        ordering = ["sector"]
        constraints = [
            models.UniqueConstraint(fields=["idea", "sector"], name="ideasector_unique"),
        ]

    def __str__(self):
        return self.get_sector_display()


class EuropeanPartner(models.Model):
    """A partner organisation abroad named on an idea. Not a user of the portal."""

    idea = models.ForeignKey(
        ProjectIdea,
        verbose_name=_("project idea"),
        on_delete=models.CASCADE,
        related_name="european_partners",
    )
    organisation = models.CharField(
        _("organisation"), max_length=200, validators=[validate_single_line]
    )
    country = models.CharField(_("country"), max_length=100, validators=[validate_single_line])

    class Meta:
        verbose_name = _("European partner")
        verbose_name_plural = _("European partners")
        ordering = ["country", "organisation"]

    def __str__(self):
        return f"{self.organisation} ({self.country})"


class StageChange(models.Model):
    """An idea entered a stage: the path of an idea across the year."""

    idea = models.ForeignKey(
        ProjectIdea,
        verbose_name=_("project idea"),
        on_delete=models.CASCADE,
        related_name="stage_changes",
    )
    stage = models.CharField(_("stage"), max_length=30, choices=ProjectIdea.Stage)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["idea", "changed_at", "pk"]

    def __str__(self):
        return f"{self.idea}: {self.get_stage_display()}"


class Interest(models.Model):
    """A municipality's interest in cooperating on another municipality's idea."""

    idea = models.ForeignKey(
        ProjectIdea,
        verbose_name=_("project idea"),
        on_delete=models.CASCADE,
        related_name="interests",
    )
    contact_person = models.ForeignKey(
        ContactPerson,
        verbose_name=_("contact person"),
        on_delete=models.CASCADE,
        related_name="interests",
    )
    municipality = models.ForeignKey(
        Municipality, verbose_name=_("municipality"), on_delete=models.CASCADE, related_name="+"
    )
    message = models.TextField(
        _("message"), max_length=1000, blank=True, validators=[validate_no_control_characters]
    )
    created_at = models.DateTimeField(
        _("created"), default=timezone.now, validators=[validate_plausible_moment]
    )
    withdrawn_at = models.DateTimeField(
        _("withdrawn"), null=True, blank=True, validators=[validate_plausible_moment]
    )

    class Meta:
        verbose_name = _("interest in cooperating")
        verbose_name_plural = _("interests in cooperating")
        ordering = ["idea", "created_at", "pk"]
        # Behind the admin's date hierarchy.
        indexes = [models.Index(fields=["created_at"], name="interest_created_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["idea", "contact_person"],
                condition=Q(withdrawn_at__isnull=True),
                name="interest_one_active_per_person",
                violation_error_message=_("You have already marked your interest."),
            ),
        ]

    def __str__(self):
        return f"{self.municipality} → {self.idea}"


class Presentation(models.Model):
    """An idea presented at a meeting, usually by a registrant who said they would."""

    idea = models.ForeignKey(
        ProjectIdea,
        verbose_name=_("project idea"),
        on_delete=models.CASCADE,
        related_name="presentations",
    )
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="presentations"
    )
    registration = models.ForeignKey(
        Registration,
        verbose_name=_("registration"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="presentations",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("presentation")
        verbose_name_plural = _("presentations")
        ordering = ["meeting", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["idea", "meeting"], name="presentation_once_per_meeting"
            ),
        ]

    def __str__(self):
        return f"{self.idea} @ {self.meeting}"


class ProgrammeFollow(models.Model):
    """A contact person follows an EU programme: its calls' deadlines come into their
    calendar feed."""

    contact_person = models.ForeignKey(
        ContactPerson,
        verbose_name=_("contact person"),
        on_delete=models.CASCADE,
        related_name="programme_follows",
    )
    programme = models.ForeignKey(
        EUProgramme,
        verbose_name=_("EU programme"),
        on_delete=models.CASCADE,
        related_name="follows",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("followed programme")
        verbose_name_plural = _("followed programmes")
        ordering = ["contact_person", "programme"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact_person", "programme"], name="programmefollow_unique"
            ),
        ]

    def __str__(self):
        return f"{self.contact_person} → {self.programme}"


class CallReminder(models.Model):
    """A reminder of a call's deadline sent to the contact person of ideas aiming at it:
    recorded so each is sent once, however often the job runs."""

    DAYS_BEFORE = (28, 7)

    call = models.ForeignKey(
        Call, verbose_name=_("call for proposals"), on_delete=models.CASCADE, related_name="+"
    )
    contact_person = models.ForeignKey(
        ContactPerson,
        verbose_name=_("contact person"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    days_before = models.PositiveSmallIntegerField(_("days before the deadline"))
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("call reminder")
        verbose_name_plural = _("call reminders")
        ordering = ["call", "contact_person", "-days_before"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "contact_person", "days_before"], name="callreminder_once"
            ),
            models.CheckConstraint(
                condition=Q(days_before__in=[28, 7]), name="callreminder_days_valid"
            ),
        ]

    def __str__(self):
        return f"{self.call} ({self.days_before})"
