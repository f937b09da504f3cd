from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from .services import contact_person_link_for_user


class AccountAdapter(DefaultAccountAdapter):
    """Links every signed-in account to its contact person and applies their language.

    Linking happens at login, not at sign-up: with mandatory verification, an account only
    logs in once its e-mail address is proven, so nobody can claim a colleague's address.
    """

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
