from django import forms
from django.forms import formset_factory
from django.forms.utils import flatatt
from django.utils import formats
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from common.forms import form_field
from common.validators import validate_no_control_characters, validate_single_line
from members.models import Municipality, Sector

from .models import EUProgramme, ProjectIdea
from .selectors import calls_for_idea_form


class CallChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        label = _("%(programme)s: %(title)s (deadline %(date)s)") % {
            "programme": obj.programme.name,
            "title": obj.title,
            "date": formats.date_format(obj.deadline_local, "SHORT_DATE_FORMAT"),
        }
        if obj.is_example:
            label = _("%(title)s (example)") % {"title": label}
        return label


class ProjectIdeaForm(forms.ModelForm):
    sectors = forms.MultipleChoiceField(
        label=_("Sectors"),
        choices=Sector.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = ProjectIdea
        fields = [
            "title",
            "local_need",
            "description",
            "sectors",
            "programmes",
            "calls",
            "stage",
            "partner_municipalities",
            "call_deadline",
        ]
        field_classes = {"calls": CallChoiceField}
        widgets = {
            "local_need": forms.Textarea(attrs={"rows": 4}),
            "description": forms.Textarea(attrs={"rows": 6}),
            "programmes": forms.CheckboxSelectMultiple,
            "calls": forms.CheckboxSelectMultiple,
            "partner_municipalities": forms.SelectMultiple(attrs={"size": 8}),
            "call_deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(
            self, "programmes", forms.ModelChoiceField
        ).queryset = EUProgramme.objects.order_by("name")
        # Open and coming calls only, and any the idea already aims at.
        form_field(self, "calls", forms.ModelChoiceField).queryset = calls_for_idea_form(
            self.instance
        )
        form_field(
            self, "partner_municipalities", forms.ModelChoiceField
        ).queryset = Municipality.objects.current().order_by("name")
        if self.instance.pk:
            self.fields["sectors"].initial = self.instance.sector_values


class EuropeanPartnerForm(forms.Form):
    organisation = forms.CharField(
        label=_("Organisation"),
        max_length=200,
        required=False,
        validators=[validate_single_line],
    )
    country = forms.CharField(
        label=_("Country"),
        max_length=100,
        required=False,
        validators=[validate_single_line],
    )

    def clean(self):
        cleaned = super().clean()
        given = self.cleaned_data
        if not self.errors and bool(given.get("organisation")) != bool(given.get("country")):
            raise forms.ValidationError(_("Give both the organisation and its country."))
        return cleaned


EuropeanPartnerFormSet = formset_factory(
    EuropeanPartnerForm, extra=2, max_num=20, validate_max=True
)


class LongSelect(forms.Select):
    """A select rendered in Python rather than one template per option: the same markup,
    but the 400 municipalities of a national network took most of the idea list's time."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = {str(v) for v in self.format_value(value)}
        options = []
        for option, label in self.choices:
            option = str(option)
            selected = " selected" if option in chosen else ""
            options.append(f'<option value="{escape(option)}"{selected}>{escape(label)}</option>')
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            # Every value and label escaped above.
            mark_safe("".join(options)),  # noqa: S308
        )


class MunicipalityRows(forms.models.ModelChoiceIterator):
    """The choices as (pk, "number name") read with values_list: the select shows 400
    municipalities at national scale, and a model instance for each took most of its time.
    The label is Municipality.__str__'s; validation still goes through the queryset."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, number, name in self.queryset.values_list("pk", "number", "name"):
            yield (pk, f"{number} {name}")


class MunicipalityChoiceField(forms.ModelChoiceField):
    iterator = MunicipalityRows


class IdeaFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    sector = forms.ChoiceField(
        label=_("Sector"), choices=[("", _("All sectors")), *Sector.choices], required=False
    )
    programme = forms.ModelChoiceField(
        label=_("EU programme"),
        queryset=EUProgramme.objects.order_by("name"),
        required=False,
        empty_label=_("All programmes"),
    )
    stage = forms.ChoiceField(
        label=_("Stage"),
        choices=[("", _("All stages")), *ProjectIdea.Stage.choices],
        required=False,
    )
    municipality = MunicipalityChoiceField(
        label=_("Municipality"),
        queryset=Municipality.objects.only("number", "name").order_by("name"),
        required=False,
        empty_label=_("All municipalities"),
        widget=LongSelect,
    )
    seeking_partners = forms.BooleanField(label=_("Only ideas seeking partners"), required=False)


class InterestForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the idea's contact person"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[validate_no_control_characters],
    )


class FollowProgrammesForm(forms.Form):
    """The page lists the programmes with their calls; this only reads what was ticked."""

    programmes = forms.ModelMultipleChoiceField(
        label=_("EU programmes"),
        queryset=EUProgramme.objects.all(),
        required=False,
    )
