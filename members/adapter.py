from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from network_portal.validators import validate_email_address_text

from .services import contact_person_link_for_user


class AccountAdapter(DefaultAccountAdapter):
    """Links every signed-in account to its contact person and applies their language.

    Linking happens at login, not at sign-up: with mandatory verification, an account only
    logs in once its e-mail address is proven, so nobody can claim a colleague's address.
    """

    def clean_email(self, email: str) -> str:
        """Sign-up and the e-mail addresses page: refuse what allauth would otherwise cut to
        the column's 254 characters without a word, or what does not fit on one line."""
        email = super().clean_email(email)
        validate_email_address_text(email)
        return email

    def post_login(self, request, user, **kwargs):
        response = super().post_login(request, user, **kwargs)
        person = contact_person_link_for_user(user=user)
        if person is not None:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                person.preferred_language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
            )
        return response
