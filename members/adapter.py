from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.db.models import Q
from django.utils import translation

from common.validators import validate_email_address_text
from outbox.services import email_queue

from .models import ContactPerson
from .permissions import is_linked_member
from .services import account_waiting_notify, contact_person_link_for_user


def mail_language(email: str) -> str:
    """The language of a mail to this address: the stored preference of its contact person;
    before there is one (signing up), the language the person uses the site in."""
    stored = (
        ContactPerson.objects.filter(Q(email__iexact=email) | Q(user__email__iexact=email))
        .values_list("preferred_language", flat=True)
        .first()
    )
    return stored or translation.get_language() or settings.LANGUAGE_CODE


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

    def confirm_email(self, request, email_address):
        """Once an address is proven, the account is linked; if it cannot be, county staff
        are told (once: an address is confirmed once)."""
        confirmed = super().confirm_email(request, email_address)
        user = email_address.user
        if confirmed and email_address.email.casefold() == user.email.casefold():
            person = contact_person_link_for_user(user=user)
            if not user.is_staff and not is_linked_member(person):
                account_waiting_notify(user=user, person=person)
        return confirmed

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

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Account e-mails (address confirmation, password reset, ...) go through the outbox
        like every other e-mail, so an SMTP outage delays them instead of losing them."""
        request = allauth_context.request
        with translation.override(mail_language(email)):
            message = self.render_mail(
                template_prefix,
                email,
                {
                    "request": request,
                    "email": email,
                    "current_site": get_current_site(request),
                    **context,
                },
            )
        email_queue(messages=[message], kind="account." + template_prefix.rsplit("/", 1)[-1])
