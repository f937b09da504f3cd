from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from .forms import ProfileForm
from .selectors import contact_person_for_user
from .services import contact_person_reset_calendar_token, contact_person_update_profile


class ProfileView(LoginRequiredMixin, FormView):
    template_name = "members/profile_form.html"
    form_class = ProfileForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.person = contact_person_for_user(request.user)
            if self.person is None:
                raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.person}

    def get_context_data(self, **kwargs):
        feed_url = settings.SITE_URL + reverse(
            "personal_feed", kwargs={"token": self.person.calendar_token}
        )
        return {
            **super().get_context_data(**kwargs),
            "person": self.person,
            "feed_url": feed_url,
            "two_factor_enabled": is_mfa_enabled(self.request.user),
        }

    def form_valid(self, form):
        contact_person_update_profile(
            person=self.person, **{name: form.cleaned_data[name] for name in form.changed_data}
        )
        messages.success(self.request, _("Your profile has been saved."))
        response = HttpResponseRedirect(reverse("profile"))
        # The chosen language takes effect at once and on later visits.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            self.person.preferred_language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
        )
        return response


class CalendarFeedResetView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        person = contact_person_for_user(request.user)
        if person is None:
            raise Http404
        contact_person_reset_calendar_token(person=person)
        messages.success(
            request, _("Your calendar feed has a new address. Update it in your calendar program.")
        )
        return HttpResponseRedirect(reverse("profile"))
