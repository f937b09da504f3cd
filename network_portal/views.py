import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from meetings.models import Meeting
from meetings.selectors import meetings_for_listing
from yearwheel import drawing as yearwheel_drawing
from yearwheel.selectors import cached_shared_marks, current_year

logger = logging.getLogger(__name__)


class HomeView(TemplateView):
    template_name = "home.html"
    next_meeting_count = 3

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["next_meetings"] = (
            meetings_for_listing()
            .upcoming()
            .exclude(status=Meeting.Status.CANCELLED)
            .chronological()[: self.next_meeting_count]
        )
        # The annual wheel in small, with the marks that are the same for everyone: this
        # year's, or next year's while this year has none (in December, say, before the new
        # series is dated).
        year = current_year()
        marks = cached_shared_marks(year)
        if not marks and (next_marks := cached_shared_marks(year + 1)):
            year, marks = year + 1, next_marks
        context["year_wheel"] = yearwheel_drawing.mini_wheel(year, marks)
        context["year_wheel_url"] = (
            reverse("yearwheel:current")
            if year == current_year()
            else reverse("yearwheel:year", kwargs={"year": year})
        )
        return context


@never_cache
@require_safe
def healthz(request):
    """For load balancers and monitoring: 200 when the database answers, 503 when not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database does not answer")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


class PrivacyView(TemplateView):
    """The privacy statement. The retention periods come from the settings at request time,
    so the page always states the rules the portal applies."""

    template_name = "privacy.html"

    def get_context_data(self, **kwargs):
        idle_minutes = settings.SESSION_IDLE_TIMEOUT_MINUTES
        return {
            **super().get_context_data(**kwargs),
            "retention_months": settings.PERSONAL_DATA_RETENTION_MONTHS,
            "answers_retention_days": settings.REGISTRATION_ANSWERS_RETENTION_DAYS,
            "idle_timeout_minutes": idle_minutes,
            # Whole hours read better ("8 hours" rather than "480 minutes").
            "idle_timeout_hours": idle_minutes // 60 if idle_minutes % 60 == 0 else None,
        }
