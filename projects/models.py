"""Project ideas: the path from a local need to an international project.

A municipality presents an idea (at a meeting, or on the portal), other municipalities mark
their interest in cooperating, and the idea moves through its stages towards an application.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.models import Meeting, Registration
from members.models import ContactPerson, Municipality, Sector
from network_portal.validators import (
    validate_no_control_characters,
    validate_plausible_moment,
    validate_single_line,
)


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


class ProjectIdeaQuerySet(models.QuerySet):
    def visible_to(self, viewer):
        """Ideas are for the network: linked members and county staff read them all, nobody
        else any (members.permissions)."""
        return self if viewer.sees_directory else self.none()

    def seeking_partners(self):
        return self.filter(stage=ProjectIdea.Stage.SEEKING_PARTNERS)

    def editable_by(self, person: ContactPerson | None):
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

    def get_absolute_url(self):
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
