from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import ContactPerson
from members.services import colleague_email_check, municipality_domains
from network_portal.validators import (
    EMAIL_MAX_LENGTH,
    validate_no_control_characters,
    validate_single_line,
)
from projects.models import ProjectIdea

from .models import Meeting, Registration
from .services import RegistrationAnswers


class RegistrationForm(forms.Form):
    """The answers a registrant gives. Coordinators also pick whom they register."""

    participant = forms.ModelChoiceField(
        label=_("Who is coming?"),
        queryset=ContactPerson.objects.none(),
        required=False,
        empty_label=None,
    )
    new_colleague_name = forms.CharField(
        label=_("Or register a new colleague: name"),
        max_length=200,
        required=False,
        validators=[validate_single_line],
    )
    new_colleague_email = forms.EmailField(
        label=_("New colleague's e-mail address"),
        max_length=EMAIL_MAX_LENGTH,
        required=False,
        validators=[validate_single_line],
    )
    attendance_mode = forms.ChoiceField(
        label=_("Attendance"),
        choices=Registration.AttendanceMode.choices,
        initial=Registration.AttendanceMode.IN_PERSON,
        widget=forms.RadioSelect,
    )
    dietary_needs = forms.CharField(
        label=_("Dietary needs"),
        max_length=300,
        required=False,
        validators=[validate_single_line],
        help_text=_("Allergies or other needs for the lunch, if any."),
    )
    presenting_project_idea = forms.BooleanField(
        label=_("Will present a project idea"), required=False
    )
    ideas = forms.ModelMultipleChoiceField(
        label=_("Which of the municipality's ideas?"),
        queryset=ProjectIdea.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=2000,
        required=False,
        validators=[validate_no_control_characters],
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, meeting: Meeting, actor: ContactPerson, for_update=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.actor = actor
        if not meeting.online_url:
            self.fields["attendance_mode"].choices = [
                (Registration.AttendanceMode.IN_PERSON, Registration.AttendanceMode.IN_PERSON.label)
            ]
        self.fields["ideas"].queryset = ProjectIdea.objects.filter(
            lead_municipality_id=actor.municipality_id
        ).order_by("title")
        self.fields["ideas"].help_text = _(
            "Tick the ideas to be presented, if you said you will present one. Not listed? "
            "Add it under Project ideas first."
        )
        if for_update or not actor.is_coordinator or actor.municipality_id is None:
            for name in ("participant", "new_colleague_name", "new_colleague_email"):
                del self.fields[name]
        else:
            self.fields["participant"].queryset = ContactPerson.objects.active().filter(
                municipality_id=actor.municipality_id
            )
            self.fields["participant"].initial = actor.pk
            self.fields["participant"].help_text = _(
                "As coordinator you can register colleagues from your municipality."
            )
            domains = municipality_domains(actor.municipality_id)
            self.fields["new_colleague_email"].help_text = (
                _("An address at %(domains)s.") % {"domains": ", ".join(domains)}
                if domains
                else _("Your municipality has no e-mail domain registered; ask county staff.")
            )

    def clean(self):
        cleaned = super().clean()
        posted = self.data.get("participant")
        if "participant" not in self.fields and posted not in (None, "", str(self.actor.pk)):
            # Only coordinators choose whom they register; refuse rather than silently
            # registering the sender instead.
            raise forms.ValidationError(_("You can only register yourself."))
        name = cleaned.get("new_colleague_name")
        email = cleaned.get("new_colleague_email")
        if "participant" in self.fields and (name or email):
            if not (name and email):
                raise forms.ValidationError(
                    _("Give both the name and the e-mail address of the new colleague.")
                )
            try:
                colleague_email_check(coordinator=self.actor, email=email)
            except forms.ValidationError as error:
                self.add_colleague_errors(error)
        return cleaned

    # The new colleague's contact person fields, as this form names them.
    COLLEAGUE_FIELDS = {"name": "new_colleague_name", "email": "new_colleague_email"}

    def add_colleague_errors(self, error: forms.ValidationError) -> None:
        """Show the model's objections to the new colleague by the fields they concern."""
        by_field = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
        for name, messages in by_field.items():
            self.add_error(self.COLLEAGUE_FIELDS.get(name), messages)

    @property
    def answers(self) -> RegistrationAnswers:
        data = self.cleaned_data
        return RegistrationAnswers(
            attendance_mode=data["attendance_mode"],
            dietary_needs=data["dietary_needs"],
            presenting_project_idea=data["presenting_project_idea"],
            comment=data["comment"],
            presented_ideas=tuple(self.presented_ideas),
        )

    @property
    def presented_ideas(self) -> list:
        data = self.cleaned_data
        return list(data.get("ideas") or []) if data.get("presenting_project_idea") else []

    @property
    def new_colleague(self) -> tuple[str, str] | None:
        name = self.cleaned_data.get("new_colleague_name")
        return (name, self.cleaned_data["new_colleague_email"]) if name else None
