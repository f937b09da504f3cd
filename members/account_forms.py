"""Our versions of allauth's forms. Kept apart from members.forms, which allauth itself
imports (the sign-up form class), so that neither imports the other while loading."""

from allauth.account.forms import LoginForm as AllauthLoginForm
from django.core.exceptions import ValidationError
from django.core.validators import validate_email


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
