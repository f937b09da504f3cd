"""Our versions of allauth's forms. Kept apart from members.forms, which allauth itself
imports (the sign-up form class), so that neither imports the other while loading."""

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import (
    RequestReauthenticationCodeForm as AllauthRequestReauthenticationCodeForm,
)
from allauth.mfa.webauthn import forms as allauth_webauthn_forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _


class LoginForm(AllauthLoginForm):
    """allauth's login form, with the address filled in from ?email= (invitation links)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        email = self.request.GET.get("email", "") if self.request is not None else ""
        if not self.is_bound and email:
            try:
                validate_email(email)
            except ValidationError:
                return
            self.fields["login"].initial = email


class AddWebAuthnForm(allauth_webauthn_forms.AddWebAuthnForm):
    """allauth's form for adding a security key, with its name field labelled in the
    visitor's language (allauth leaves the label to Django, which makes it from the field
    name, in English)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Name")


class EditWebAuthnForm(allauth_webauthn_forms.EditWebAuthnForm):
    """allauth's form for renaming a security key, labelled as `AddWebAuthnForm`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Name")


class RequestReauthenticationCodeForm(AllauthRequestReauthenticationCodeForm):
    """allauth's form for asking for a code by e-mail to confirm it is you. allauth means its
    one field to go unlabelled; the portal labels every field (the label is its accessible
    name), and Django's label from the field name is English ("Recipient")."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].label = _("E-mail address")
