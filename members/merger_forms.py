"""The admin's form for recording a municipality merger (see services.municipalities_merge)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import form_field

from .models import Municipality


class MergerForm(forms.Form):
    municipalities = forms.ModelMultipleChoiceField(
        label=_("Municipalities that merge"),
        queryset=Municipality.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Their validity ends the day before the merger."),
    )
    number = forms.CharField(
        label=_("New municipality number"),
        max_length=4,
        help_text=_("The official four-digit kommunenummer, for example 4626."),
    )
    name = forms.CharField(label=_("Name of the new municipality"), max_length=100)
    county = forms.CharField(label=_("County"), max_length=100)
    on = forms.DateField(
        label=_("Date of the merger"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        help_text=_("The first day of the new municipality, for example 1 January 2020."),
    )
    official_email = forms.EmailField(label=_("Official mailbox"), required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self, "municipalities", forms.ModelChoiceField).queryset = candidates

    def add_service_errors(self, error) -> None:
        """Show a ValidationError of the service on the field it names, or above the form."""
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)
