"""Signed-in sessions end after a period without requests (SESSION_IDLE_TIMEOUT_MINUTES).

The time of the last request is kept in the session itself, so the check costs nothing extra;
it is written at most once a minute (not on every request, as SESSION_SAVE_EVERY_REQUEST
would), so a person clicking through pages causes one session write a minute at most. The
login sets it, so the first page after signing in writes nothing either.
"""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils import timezone
from django.utils.translation import gettext as _

LAST_ACTIVITY_KEY = "members_last_activity"
# How stale the stored time may get before a request writes it again.
ACTIVITY_RESOLUTION = dt.timedelta(minutes=1)


def _now_stamp() -> float:
    return timezone.now().timestamp()


def session_activity_start(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: the session's idle time counts from the login."""
    session = getattr(request, "session", None)
    if session is not None:
        session[LAST_ACTIVITY_KEY] = _now_stamp()


class SessionIdleTimeoutMiddleware:
    """Sign out a session that has had no request for SESSION_IDLE_TIMEOUT_MINUTES.

    Goes after the authentication and message middleware: it needs the user, and tells the
    person why they were signed out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request) -> None:
        now = _now_stamp()
        last = request.session.get(LAST_ACTIVITY_KEY)
        idle = dt.timedelta(minutes=settings.SESSION_IDLE_TIMEOUT_MINUTES).total_seconds()
        if isinstance(last, int | float) and now - last >= idle:
            logout(request)
            messages.info(
                request,
                _("You were signed out because you had not used the portal for a while."),
            )
            return
        # No time stored (a session from before this rule): the idle time starts now.
        if not isinstance(last, int | float) or abs(now - last) >= (
            ACTIVITY_RESOLUTION.total_seconds()
        ):
            request.session[LAST_ACTIVITY_KEY] = now
