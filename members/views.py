import json

from allauth.account.decorators import reauthentication_required
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView
from django.views.i18n import set_language

from .forms import AccountDeleteForm, ProfileForm
from .models import ContactPerson, User
from .privacy import personal_data_delete, personal_data_export
from .selectors import contact_person_for_user, viewer_for
from .services import (
    contact_person_reset_calendar_token,
    contact_person_update_profile,
    user_sessions_end,
)


class ProfileView(LoginRequiredMixin, FormView):
    template_name = "members/profile_form.html"
    form_class = ProfileForm

    """The person's details, calendar feed and account. An account without a contact person
    (staff, or an address that needs sorting out by the county) has only the account part."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.viewer = viewer_for(request)
            self.person = self.viewer.person
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.person is None:
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return super().post(request, *args, **kwargs)

    def get_form(self, form_class=None):
        return super().get_form(form_class) if self.person is not None else None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.person}

    def get_context_data(self, **kwargs):
        feed_url = (
            settings.SITE_URL
            + reverse("personal_feed", kwargs={"token": self.person.calendar_token})
            if self.person is not None
            else None
        )
        return {
            **super().get_context_data(**kwargs),
            "person": self.person,
            "waiting": self.viewer.is_waiting,
            "feed_url": feed_url,
            "two_factor_enabled": is_mfa_enabled(self.request.user),
        }

    def form_valid(self, form):
        person = self.person
        # post() turns accounts without a contact person away before any form is made.
        assert person is not None
        contact_person_update_profile(
            person=person, **{name: form.cleaned_data[name] for name in form.changed_data}
        )
        messages.success(self.request, _("Your profile has been saved."))
        response = HttpResponseRedirect(reverse("profile"))
        # The chosen language takes effect at once and on later visits.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            person.preferred_language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
        )
        return response


class WaitingView(LoginRequiredMixin, TemplateView):
    """Where unlinked accounts are sent: what they can do now, and that the county staff
    have been told. Linked members and staff go on to their profile."""

    template_name = "members/waiting.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not viewer_for(request).is_waiting:
            return HttpResponseRedirect(reverse("profile"))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "person": viewer_for(self.request).person}


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


@method_decorator(never_cache, name="dispatch")
class PersonalDataExportView(LoginRequiredMixin, View):
    """A copy of everything the portal holds about the signed-in person, as a JSON file."""

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        now = timezone.now()
        data = personal_data_export(user=request.user, now=now)
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
        filename = f"personal-data-{timezone.localdate(now).isoformat()}.json"
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response


def staff_cannot_delete_themselves(request):
    messages.error(
        request,
        _(
            "Staff accounts are removed by an administrator, who hands their work over "
            "first. Ask an administrator to remove yours."
        ),
    )
    return HttpResponseRedirect(reverse("profile"))


@method_decorator(never_cache, name="dispatch")
class AccountDeleteView(LoginRequiredMixin, FormView):
    """Deleting one's own account: asks for the password again (allauth's reauthentication)
    and for the e-mail address to be typed, then deletes and signs out."""

    template_name = "members/account_confirm_delete.html"
    form_class = AccountDeleteForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and (request.user.is_staff or request.user.is_superuser):
            return staff_cannot_delete_themselves(request)
        return super().dispatch(request, *args, **kwargs)

    @property
    def user(self) -> User:
        # LoginRequiredMixin.dispatch has sent anonymous visitors to the login page before
        # any handler runs.
        user = self.request.user
        assert isinstance(user, User)
        return user

    @method_decorator(reauthentication_required)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @method_decorator(reauthentication_required)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.user}

    def get_context_data(self, **kwargs):
        person = ContactPerson.objects.select_related("municipality").filter(user=self.user).first()
        return {**super().get_context_data(**kwargs), "person": person}

    def form_valid(self, form):
        personal_data_delete(user=self.user)
        logout(self.request)
        return HttpResponseRedirect(reverse("profile_deleted"))


class AccountDeletedView(TemplateView):
    template_name = "members/account_deleted.html"


class LanguageSwitchView(View):
    """The header's language buttons. For a signed-in contact person the choice is also their
    stored preference, which every e-mail to them follows, and the page says so; one rule for
    pages and mail (see AccountAdapter.send_mail)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        response = set_language(request)
        language = request.POST.get("language")
        if (
            request.user.is_authenticated
            and response.status_code == 302
            and check_for_language(language)
            and language in dict(settings.LANGUAGES)
        ):
            person = viewer_for(request).person
            if person is not None and person.preferred_language != language:
                contact_person_update_profile(person=person, preferred_language=language)
                with translation.override(language):
                    messages.info(
                        request,
                        _("E-mails to you will be in %(language)s from now on.")
                        % {"language": translation.get_language_info(language)["name_local"]},
                    )
        return response


class SignOutEverywhereView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        user_sessions_end(user=request.user)
        logout(request)
        messages.success(request, _("You have been signed out on every device."))
        return HttpResponseRedirect(reverse("account_login"))
