"""What projects adds to meetings, through meetings.extensions (meetings imports nothing of
projects): the ideas a registrant will present, on the registration form and saved with the
registration, and the ideas on a meeting's page. Registered in ProjectsConfig.ready()."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from meetings.extensions import MeetingPageSection
from meetings.models import Meeting

from .models import ProjectIdea
from .selectors import cached_ideas_seeking_partners_by_sector, ideas_presented_at
from .services import presentations_set

IDEAS_FIELD = "ideas"


def add_ideas_field(form) -> None:
    """The registrant's municipality's ideas, to tick those to be presented."""
    field = forms.ModelMultipleChoiceField(
        label=_("Which of the municipality's ideas?"),
        queryset=ProjectIdea.objects.filter(
            lead_municipality_id=form.actor.municipality_id
        ).order_by("title"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Tick the ideas to be presented, if you said you will present one. Not listed? "
            "Add it under Project ideas first."
        ),
    )
    if form.registration is not None:
        field.initial = [p.idea_id for p in form.registration.presentations.all()]
    form.fields[IDEAS_FIELD] = field
    # Right after the question it belongs to.
    order = [name for name in form.fields if name != IDEAS_FIELD]
    order.insert(order.index("presenting_project_idea") + 1, IDEAS_FIELD)
    form.order_fields(order)


def save_presentations(sender, *, registration, answers, **kwargs) -> None:
    """The ideas ticked, when the registrant said they will present one; none otherwise (a
    registration changed to "not presenting" gives its presentations up)."""
    ideas = (answers.extra.get(IDEAS_FIELD) or []) if answers.presenting_project_idea else []
    presentations_set(registration=registration, ideas=ideas)


def meeting_ideas(meeting: Meeting, viewer) -> dict | None:
    """The ideas to be presented at the meeting and, at the June meeting that matches
    projects and partners, the ideas seeking partners; for those who see the directory."""
    if not viewer.sees_directory:
        return None
    context: dict[str, Any] = {"presented_ideas": ideas_presented_at(meeting)}
    if meeting.kind == Meeting.Kind.PROJECT_IDENTIFICATION:
        context["ideas_seeking_partners"] = cached_ideas_seeking_partners_by_sector()
    return context


MEETING_IDEAS = MeetingPageSection("projects/includes/meeting_ideas.html", meeting_ideas)
