"""Where the apps built on meetings plug in. meetings imports none of them (the apps depend
one way: members <- meetings <- projects); each registers here from its AppConfig.ready().
projects, for one, adds the ideas a registrant presents to the registration form and the
ideas of a meeting to its page."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.dispatch import Signal

# Sent by the registration services inside their transaction, once a registration is saved
# with the registrant's answers (keyword arguments `registration` and `answers`); receivers
# save what their form fields asked. An exception in a receiver undoes the registration.
registration_answered = Signal()

# Each is called at the end of RegistrationForm.__init__ with the form, to add fields; their
# cleaned values reach the services as `RegistrationAnswers.extra`.
registration_form_extensions: list[Callable[[Any], None]] = []


@dataclass(frozen=True)
class MeetingPageSection:
    """A part of a meeting's page that another app renders: `context(meeting, viewer)` gives
    the template's context, or None when the viewer sees nothing of it."""

    template_name: str
    context: Callable[[Any, Any], dict | None]


meeting_page_sections: list[MeetingPageSection] = []
