from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.db.models import Case, Q, Value, When
from django.template.defaultfilters import filesizeformat
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from common.forms import form_field
from common.validators import (
    EMAIL_MAX_LENGTH,
    validate_no_control_characters,
    validate_single_line,
)
from members.models import ContactPerson, Municipality
from members.services import colleague_email_check, municipality_domains

from . import uploads
from .extensions import registration_form_extensions
from .models import AgendaItem, DatePollAnswer, Material, Meeting, Registration
from .services import RegistrationAnswers
from .templatetags.meeting_tags import meeting_when

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The coordinator's colleague picker lists this many colleagues at most; a search finds the
# others (a large municipality has hundreds of contact persons).
COLLEAGUES_SHOWN = 20


class ColleagueChoiceField(forms.ModelChoiceField):
    """Colleagues of one municipality: the name and address tell them apart, and reading no
    municipality per option keeps the list at one query."""

    def label_from_instance(self, obj):
        return f"{obj.display_name} <{obj.email}>"


class ColleagueSearchForm(forms.Form):
    """The coordinator's search for a colleague to register: a GET parameter that narrows
    the picker's list, so it works without JavaScript."""

    colleague = forms.CharField(
        label=_("Find a colleague by name or e-mail address"),
        max_length=100,
        required=False,
        validators=[validate_single_line],
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    @property
    def query(self) -> str:
        return self.cleaned_data.get("colleague", "").strip() if self.is_valid() else ""


class RegistrationForm(forms.Form):
    """The answers a registrant gives. Coordinators also pick whom they register."""

    participant = ColleagueChoiceField(
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
    comment = forms.CharField(
        label=_("Comment"),
        max_length=2000,
        required=False,
        validators=[validate_no_control_characters],
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        *args,
        meeting: Meeting,
        actor: ContactPerson,
        for_update=False,
        colleague_search: str = "",
        registration: Registration | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.actor = actor
        # The registration being changed; None for a new one.
        self.registration = registration
        if not meeting.online_url:
            form_field(self, "attendance_mode", forms.ChoiceField).choices = [
                (Registration.AttendanceMode.IN_PERSON, Registration.AttendanceMode.IN_PERSON.label)
            ]
        self.colleague_search: ColleagueSearchForm | None = None
        if for_update or not actor.is_coordinator or actor.municipality_id is None:
            for name in ("participant", "new_colleague_name", "new_colleague_email"):
                del self.fields[name]
        else:
            self.colleague_search = ColleagueSearchForm({"colleague": colleague_search})
            self._bound_colleague_picker(
                query=self.colleague_search.query, municipality_id=actor.municipality_id
            )
            domains = municipality_domains(actor.municipality_id)
            self.fields["new_colleague_email"].help_text = (
                _("An address at %(domains)s.") % {"domains": ", ".join(domains)}
                if domains
                else _("Your municipality has no e-mail domain registered; ask county staff.")
            )
        own_fields = set(self.fields)
        for extend in registration_form_extensions:
            extend(self)
        # What the other apps added, answered through RegistrationAnswers.extra.
        self.extension_fields = [name for name in self.fields if name not in own_fields]

    def _bound_colleague_picker(self, *, query: str, municipality_id: int) -> None:
        """Any active colleague is valid, but the list shows the coordinator, the one chosen
        before, and at most COLLEAGUES_SHOWN colleagues matching the search."""
        field = form_field(self, "participant", forms.ModelChoiceField)
        colleagues = ContactPerson.objects.active().filter(municipality_id=municipality_id)
        field.queryset = colleagues
        field.initial = self.actor.pk
        chosen = str(self.data.get("participant") or "")
        keep = Q(pk=self.actor.pk)
        if chosen.isdigit() and len(chosen) < 19:
            keep |= Q(pk=int(chosen))
        candidates = colleagues
        if query:
            candidates = colleagues.filter(
                keep | Q(name__icontains=query) | Q(email__icontains=query)
            )
        # One query: those kept (at most two), then the matches by name, and one more to
        # tell whether there are others.
        shown = list(
            candidates.annotate(kept=Case(When(keep, then=Value(0)), default=Value(1)))
            .only("pk", "name", "email", "anonymised_at")
            .order_by("kept", "name", "pk")[: COLLEAGUES_SHOWN + 3]
        )
        kept = [p for p in shown if p.kept == 0]
        matches = [p for p in shown if p.kept == 1]
        more = len(matches) > COLLEAGUES_SHOWN
        listed = kept + matches[:COLLEAGUES_SHOWN]
        field.widget.choices = [(p.pk, field.label_from_instance(p)) for p in listed]
        hints: list[StrOrPromise] = [
            _("As coordinator you can register colleagues from your municipality.")
        ]
        if query and not matches:
            hints.append(_("No colleague matches “%(query)s”.") % {"query": escape(query)})
        elif query:
            hints.append(
                _("The list shows colleagues matching “%(query)s”.") % {"query": escape(query)}
            )
        if more:
            hints.append(
                _("Not everyone is listed: search by name or e-mail address to find others.")
            )
        # Help texts are rendered unescaped; the query is escaped above.
        field.help_text = " ".join(str(h) for h in hints)

    def clean(self):
        cleaned = super().clean()
        posted = self.data.get("participant")
        if "participant" not in self.fields and posted not in (None, "", str(self.actor.pk)):
            # Only coordinators choose whom they register; refuse rather than silently
            # registering the sender instead.
            raise forms.ValidationError(_("You can only register yourself."))
        name = self.cleaned_data.get("new_colleague_name")
        email = self.cleaned_data.get("new_colleague_email")
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
    COLLEAGUE_FIELDS: dict[str | None, str] = {
        "name": "new_colleague_name",
        "email": "new_colleague_email",
    }

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
            extra={name: data.get(name) for name in self.extension_fields},
        )

    @property
    def new_colleague(self) -> tuple[str, str] | None:
        name = self.cleaned_data.get("new_colleague_name")
        return (name, self.cleaned_data["new_colleague_email"]) if name else None


class PollAnswerForm(forms.Form):
    """A voice's answer to each candidate date of a poll: yes, if need be or no."""

    def __init__(self, *args, candidates, answers: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        for candidate in candidates:
            self.fields[f"candidate_{candidate.pk}"] = forms.ChoiceField(
                label=meeting_when(candidate),
                choices=DatePollAnswer.Answer.choices,
                widget=forms.RadioSelect,
                initial=answers.get(candidate.pk),
                error_messages={"required": _("Answer for this date.")},
            )
        self.candidates = list(candidates)

    @property
    def answers(self) -> dict[int, str]:
        return {c.pk: self.cleaned_data[f"candidate_{c.pk}"] for c in self.candidates}


class AgendaItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.title


class MaterialForm(forms.Form):
    """A file for the meeting or one of its agenda items, on the meeting page. The file is
    checked by its content (meetings.uploads) before anything is stored."""

    title = forms.CharField(
        label=_("Title"),
        max_length=Material._meta.get_field("title").max_length,
        validators=[validate_single_line],
        help_text=_("What the file is, for example “Slides: the project idea”."),
    )
    file = forms.FileField(
        label=_("File"),
        max_length=None,
        allow_empty_file=True,
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(f".{ext}" for ext in uploads.ALLOWED_EXTENSIONS)}
        ),
    )
    agenda_item = AgendaItemChoiceField(
        label=_("Agenda item"),
        queryset=AgendaItem.objects.none(),
        required=False,
        empty_label=_("The meeting as a whole"),
    )
    visibility = forms.ChoiceField(
        label=_("Who may see it"),
        choices=Material.Visibility.choices,
        initial=Material.Visibility.MEMBERS,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        form_field(
            self, "agenda_item", forms.ModelChoiceField
        ).queryset = AgendaItem.objects.filter(meeting=meeting).order_by("order", "pk")
        self.fields["file"].help_text = _(
            "PDF, Word, Excel, PowerPoint, OpenDocument, PNG or JPEG, at most %(limit)s."
        ) % {"limit": filesizeformat(settings.MATERIAL_MAX_UPLOAD_BYTES)}

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        uploads.validate_upload(uploaded)
        return uploaded


class CheckInSearchForm(forms.Form):
    """The check-in list's search and filter, as GET parameters, so the list narrows without
    JavaScript too (the page's script narrows it while one types)."""

    q = forms.CharField(
        label=_("Find a participant by name, municipality or job title"),
        max_length=100,
        required=False,
        validators=[validate_single_line],
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    show = forms.ChoiceField(
        choices=[("", ""), ("present", ""), ("absent", "")],
        required=False,
    )

    @property
    def query(self) -> str:
        return self.cleaned_data.get("q", "").strip() if self.is_valid() else ""

    @property
    def chosen_filter(self) -> str:
        if self.is_valid():
            return self.cleaned_data.get("show", "")
        return ""


class MunicipalityByNameField(forms.ModelChoiceField):
    """Municipalities by name alone, as people at the door say them."""

    def label_from_instance(self, obj):
        return obj.name


class WalkInForm(forms.Form):
    """Someone who came to the door without a seat: who they are, for the check-in."""

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        validators=[validate_single_line],
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=EMAIL_MAX_LENGTH,
        validators=[validate_single_line],
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    municipality = MunicipalityByNameField(
        label=_("Municipality"),
        queryset=Municipality.objects.none(),
        empty_label=_("Choose the municipality"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read per request: the current municipalities change with each merger's date.
        form_field(self, "municipality", forms.ModelChoiceField).queryset = (
            Municipality.objects.current().only("pk", "name", "number").order_by("name", "number")
        )

    def add_service_errors(self, error) -> None:
        """Show a ValidationError of the services next to its field (or above the form)."""
        errors = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
        for field, field_errors in errors.items():
            self.add_error(field if field in self.fields else None, field_errors)
