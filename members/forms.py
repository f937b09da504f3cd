from django import forms
from django.utils.translation import gettext_lazy as _

from common.validators import validate_single_line

from .models import ContactPerson


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form."""

    name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        validators=[validate_single_line],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    field_order = ["name", "email", "password1", "password2"]

    def signup(self, request, user):
        first, _sep, last = self.cleaned_data["name"].strip().rpartition(" ")
        user.first_name, user.last_name = (first, last) if first else (last, "")
        user.save(update_fields=["first_name", "last_name"])


class ProfileForm(forms.ModelForm):
    """The person's own details; the model's validators refuse control characters."""

    class Meta:
        model = ContactPerson
        fields = [
            "name",
            "phone",
            "job_title",
            "sector",
            "preferred_language",
            "calendar_includes_all",
        ]
        labels = {"calendar_includes_all": _("All network meetings in my calendar feed")}
        help_texts = {
            "calendar_includes_all": _(
                "The network's meetings of the past year and all those ahead, besides your "
                "own. Otherwise the feed holds only the meetings you are registered for."
            )
        }
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "job_title": forms.TextInput(attrs={"autocomplete": "organization-title"}),
        }


class AccountDeleteForm(forms.Form):
    """Confirms deleting one's own account by typing its e-mail address."""

    email = forms.CharField(
        label=_("Your e-mail address"),
        help_text=_("Type the address you sign in with, to confirm."),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if email.casefold() != self.user.email.casefold():
            raise forms.ValidationError(
                _("This is not the address you sign in with."), code="mismatch"
            )
        return email
