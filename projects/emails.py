"""E-mails about project ideas, in the recipient's language, sent after commit."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from .models import Interest

logger = logging.getLogger(__name__)


def send_interest_email(interest_id: int) -> bool:
    """Tell an idea's contact person that another municipality wants to cooperate."""
    try:
        interest = Interest.objects.select_related(
            "idea__contact_person", "contact_person", "municipality"
        ).get(pk=interest_id)
        recipient = interest.idea.contact_person
        with translation.override(recipient.preferred_language):
            context = {
                "interest": interest,
                "idea": interest.idea,
                "recipient": recipient,
                "idea_url": settings.SITE_URL + interest.idea.get_absolute_url(),
            }
            subject = render_to_string("projects/email/interest_subject.txt", context)
            message = EmailMultiAlternatives(
                subject=" ".join(subject.split()),
                body=render_to_string("projects/email/interest.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[recipient.email],
                reply_to=[interest.contact_person.email],
            )
            message.attach_alternative(
                render_to_string("projects/email/interest.html", context), "text/html"
            )
        message.send()
    except Exception:  # a mail that cannot be sent must not undo the interest: log it
        logger.exception("Could not send the interest e-mail for interest %s", interest_id)
        return False
    return True
