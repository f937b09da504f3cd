"""E-mails about project ideas, in the recipient's language, written to the outbox in the
transaction of the change they report."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from outbox.services import email_queue

from .models import Interest


def queue_interest_email(interest: Interest) -> None:
    """Tell an idea's contact person that another municipality wants to cooperate."""
    interest = Interest.objects.select_related(
        "idea__contact_person", "contact_person", "municipality"
    ).get(pk=interest.pk)
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
    email_queue(messages=[message], kind="project.interest")


def queue_call_reminder_email(*, call, person, now) -> None:
    """Remind the contact person of ideas aiming at a call that its deadline is near."""
    from .selectors import days_until

    ideas = list(
        person.project_ideas.filter(calls=call).order_by("title", "pk").only("pk", "title")
    )
    with translation.override(person.preferred_language):
        context = {
            "call": call,
            "recipient": person,
            "ideas": [(idea, settings.SITE_URL + idea.get_absolute_url()) for idea in ideas],
            "days_left": days_until(call.deadline, now),
        }
        subject = render_to_string("projects/email/call_reminder_subject.txt", context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=render_to_string("projects/email/call_reminder.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[person.email],
        )
        message.attach_alternative(
            render_to_string("projects/email/call_reminder.html", context), "text/html"
        )
    email_queue(messages=[message], kind="project.call_reminder")
