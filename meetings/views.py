import datetime
import functools
import hashlib
import inspect
import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import icalendar
from allauth.account.decorators import verified_email_required
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header, quote_etag
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_safe
from django.views.generic import FormView, ListView, TemplateView
from django.views.generic.base import ContextMixin, TemplateResponseMixin

from members.mixins import DirectoryRequiredMixin
from members.models import ContactPerson
from members.selectors import viewer_for

from . import (
    exports,
    ics,
    invitations,
    materials,
    minutes,
    overview_export,
    polls,
    services,
    uploads,
)
from .extensions import meeting_page_sections
from .forms import CheckInSearchForm, MaterialForm, PollAnswerForm, RegistrationForm, WalkInForm
from .models import DatePoll, Material, Meeting, Registration
from .permissions import (
    can_upload_materials,
    material_visible,
    online_link_visible,
    registrations_actor_scope,
)
from .selectors import (
    MY_PAST_MEETINGS_PER_PAGE,
    OVERVIEW_ROWS_PER_PAGE,
    PAST_MEETINGS_PER_PAGE,
    check_in_counts,
    check_in_participant,
    check_in_participants,
    meeting_for_detail_queryset,
    meeting_series_for_overview,
    meetings_for_listing,
    network_feed_meetings,
    network_feed_version,
    participation_overview,
    past_meetings_for_listing,
    personal_calendar_meetings,
    personal_feed_version,
    registrations_of_person,
)

logger = logging.getLogger(__name__)


class MeetingListView(ListView):
    template_name = "meetings/meeting_list.html"
    context_object_name = "upcoming_meetings"

    def get_queryset(self):
        return meetings_for_listing().upcoming().chronological()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        _paginator, page, past, _paginated = self.paginate_queryset(
            past_meetings_for_listing(), PAST_MEETINGS_PER_PAGE
        )
        context["past_meetings"] = past
        context["past_page"] = page
        return context


class MeetingPageMixin(ContextMixin):
    """Everything the meeting page shows: the meeting, the visitor's own registration and,
    for coordinators, their colleagues' registrations."""

    # As TemplateResponseMixin declares it, which the views combine this with.
    template_name: str | None = "meetings/meeting_detail.html"
    # View.setup sets them on the view this mixin is combined with.
    request: HttpRequest
    kwargs: dict[str, Any]

    def get_meeting(self) -> Meeting:
        if not hasattr(self, "meeting"):
            self.meeting = get_object_or_404(
                polls.with_open_poll(meeting_for_detail_queryset()), slug=self.kwargs["slug"]
            )
        return self.meeting

    def get_person(self):
        return viewer_for(self.request).person

    def get_form(self, form_class=None):
        person = self.get_person()
        if person is None or person.municipality_id is None:
            return None
        return RegistrationForm(
            data=self.request.POST if self.request.method == "POST" else None,
            meeting=self.get_meeting(),
            actor=person,
            colleague_search=self.request.GET.get("colleague", ""),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        meeting = self.get_meeting()
        person = self.get_person()
        context["meeting"] = meeting
        context["person"] = person
        context["registration_open"] = meeting.registration_is_open()
        viewer = viewer_for(self.request)
        context["online_link_visible"] = online_link_visible(viewer=viewer)
        if viewer.is_staff and self.request.user.has_perm("meetings.check_in_participants"):
            context["check_in_url"] = reverse("meetings:check_in", kwargs={"slug": meeting.slug})
        # The parts other apps add (projects: the ideas presented and seeking partners).
        context["extra_sections"] = [
            (section.template_name, section_context)
            for section in meeting_page_sections
            if (section_context := section.context(meeting, viewer)) is not None
        ]
        context.update(self.materials_context(meeting, viewer))
        if person is not None:
            active = (
                Registration.objects.active()
                .filter(meeting=meeting)
                .select_related("contact_person")
                # What the page shows of them; a coordinator of a large municipality has a
                # couple of hundred colleagues registered.
                .only("status", "contact_person__name")
                .with_waitlist_position()
                .order_by("contact_person__name")
            )
            registrations = list(active.filter(registrations_actor_scope(person)))
            context["own_registration"] = next(
                (r for r in registrations if r.contact_person_id == person.pk), None
            )
            context["colleague_registrations"] = [
                r for r in registrations if r.contact_person_id != person.pk
            ]
            own = context["own_registration"]
            context["online_link_visible"] = online_link_visible(
                registration_status=own.status if own else None, viewer=viewer
            )
            if context["registration_open"] and "form" not in context:
                context["form"] = self.get_form()
        return context

    def materials_context(self, meeting, viewer) -> dict[str, Any]:
        context: dict[str, Any] = {"material_groups": materials.material_groups(viewer, meeting)}
        if meeting.minutes_are_published:
            context["minutes_html"] = minutes.render_minutes(meeting.minutes_markdown)
        context["can_upload_materials"] = can_upload_materials(viewer=viewer, meeting=meeting)
        if context["can_upload_materials"]:
            context["material_form"] = getattr(self, "material_form", None) or MaterialForm(
                meeting=meeting
            )
        return context


class MeetingDetailView(MeetingPageMixin, TemplateView):
    pass


class MaterialUploadView(LoginRequiredMixin, MeetingPageMixin, TemplateView):
    """POST a file to the meeting (the form is on the meeting page). A refused file shows the
    page again with the reasons next to the fields."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        meeting = self.get_meeting()
        viewer = viewer_for(request)
        if not can_upload_materials(viewer=viewer, meeting=meeting):
            raise PermissionDenied
        form = MaterialForm(request.POST, request.FILES, meeting=meeting)
        if form.is_valid():
            try:
                material = materials.material_create(
                    meeting=meeting,
                    uploaded_file=form.cleaned_data["file"],
                    title=form.cleaned_data["title"],
                    agenda_item=form.cleaned_data["agenda_item"],
                    visibility=form.cleaned_data["visibility"],
                    viewer=viewer,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request, _("“%(title)s” has been uploaded.") % {"title": material.title}
                )
                return HttpResponseRedirect(meeting.get_absolute_url() + "#materials-heading")
        messages.error(request, _("The file was not uploaded. Please correct the errors below."))
        self.material_form = form
        return self.render_to_response(self.get_context_data(), status=400)


class MaterialDeleteView(LoginRequiredMixin, View):
    """Remove a file: its uploader, or county staff. POST only, from the meeting page."""

    http_method_names = ["post"]

    def post(self, request, slug, pk):
        viewer = viewer_for(request)
        material = get_object_or_404(
            Material.objects.select_related("meeting"), pk=pk, meeting__slug=slug
        )
        if not material_visible(viewer=viewer, material=material):
            raise Http404
        try:
            materials.material_delete(material=material, viewer=viewer)
        except PermissionDenied:
            messages.error(request, _("Only the person who uploaded a file can remove it."))
        else:
            messages.success(
                request, _("“%(title)s” has been removed.") % {"title": material.title}
            )
        return HttpResponseRedirect(material.meeting.get_absolute_url() + "#materials-heading")


@require_safe
def material_download(request, slug, pk, filename):
    """A material's file, for those who may see it. A file for members asks visitors who are
    not signed in to sign in; a hidden file, or one at a wrong address, is not found.

    Behind a web server that serves files itself (MATERIAL_SENDFILE_HEADER), the answer is
    only the header naming the file, and the web server sends it."""
    viewer = viewer_for(request)
    material = materials.material_for_download(viewer=viewer, slug=slug, pk=pk, filename=filename)
    if material is None:
        exists = Material.objects.filter(
            pk=pk, meeting__slug=slug, filename=filename, hidden=False
        ).exists()
        if exists and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if exists:
            raise PermissionDenied
        raise Http404
    inline = uploads.BY_CONTENT_TYPE.get(material.content_type, uploads.PDF).inline
    header = settings.MATERIAL_SENDFILE_HEADER
    response: HttpResponse | FileResponse
    if header:
        response = HttpResponse(content_type=material.content_type)
        # None only for a file not assigned yet; a stored material's column is NOT NULL.
        assert material.file.name is not None
        location = settings.MATERIAL_SENDFILE_PREFIX + material.file.name
        response[header] = quote(location) if header == "X-Accel-Redirect" else location
    else:
        try:
            opened = material.file.open("rb")
        except OSError as error:
            logger.error("Material %s is missing from its storage: %s", material.pk, error)
            raise Http404 from error
        response = FileResponse(opened, content_type=material.content_type)
        response["Content-Length"] = str(material.size)
    disposition = content_disposition_header(as_attachment=not inline, filename=material.filename)
    # None only without a file name, and the material was found by the one in its address.
    assert disposition is not None
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    public = material.visibility == Material.Visibility.PUBLIC and not material.hidden
    response["Cache-Control"] = "public, max-age=300" if public else "private, no-cache"
    return response


@method_decorator(verified_email_required, name="dispatch")
class RegistrationCreateView(LoginRequiredMixin, MeetingPageMixin, FormView):
    """The registration form (GET shows the meeting page with it; POST registers)."""

    def post(self, request, *args, **kwargs):
        person = self.get_person()
        if person is None or person.municipality_id is None:
            messages.error(request, _("Your account is not linked to a municipality yet."))
            return HttpResponseRedirect(self.get_meeting().get_absolute_url())
        form = self.get_form()
        if not form.is_valid():
            messages.error(request, _("Please correct the errors in the form."))
            return self.render_to_response(self.get_context_data(form=form))
        try:
            if form.new_colleague:
                name, email = form.new_colleague
                registration, created = services.registration_create_for_new_colleague(
                    meeting=self.get_meeting(),
                    coordinator=person,
                    name=name,
                    email=email,
                    answers=form.answers,
                )
            else:
                registration, created = services.registration_create(
                    meeting=self.get_meeting(),
                    person=form.cleaned_data.get("participant") or person,
                    actor=person,
                    answers=form.answers,
                )
        except services.RegistrationClosed as closed:
            messages.error(request, closed.message)
            return HttpResponseRedirect(self.get_meeting().get_absolute_url())
        except ValidationError as error:
            # The form checks what the model checks; should the new colleague still be
            # refused, say why next to the fields.
            form.add_colleague_errors(error)
            messages.error(request, _("Please correct the errors in the form."))
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, registration_message(registration, created, person))
        return HttpResponseRedirect(self.get_meeting().get_absolute_url() + "#registration")


def registration_message(registration: Registration, created: bool, actor) -> str:
    name = registration.contact_person.name
    own = registration.contact_person_id == actor.pk
    if not created:
        if own:
            return _("You are already registered for this meeting.")
        return _("%(name)s is already registered for this meeting.") % {"name": name}
    if registration.status == Registration.Status.WAITLISTED:
        if own:
            return _("The meeting is full. You are on the waiting list.")
        return _("The meeting is full. %(name)s is on the waiting list.") % {"name": name}
    if own:
        return _("You are registered. A confirmation has been sent by e-mail.")
    return _("%(name)s is registered and gets a confirmation by e-mail.") % {"name": name}


class ActorRegistrationMixin(LoginRequiredMixin):
    """Registrations the signed-in person may act on: their own, and for coordinators those
    of colleagues in their municipality. Anything else is a 404."""

    # View.setup sets them on the view this mixin is combined with.
    request: HttpRequest
    kwargs: dict[str, Any]

    def get_person(self):
        return viewer_for(self.request).person

    def get_registration(self) -> Registration:
        person = self.get_person()
        if person is None:
            raise Http404
        return get_object_or_404(
            Registration.objects.active()
            .filter(registrations_actor_scope(person))
            .select_related("meeting__series", "contact_person"),
            pk=self.kwargs["pk"],
        )


class RegistrationUpdateView(ActorRegistrationMixin, FormView):
    template_name = "meetings/registration_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.registration = self.get_registration()
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, form_class=None):
        registration = self.registration
        return RegistrationForm(
            data=self.request.POST if self.request.method == "POST" else None,
            initial={
                "attendance_mode": registration.attendance_mode,
                "dietary_needs": registration.dietary_needs,
                "presenting_project_idea": registration.presenting_project_idea,
                "comment": registration.comment,
            },
            meeting=registration.meeting,
            actor=self.get_person(),
            for_update=True,
            registration=registration,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["registration"] = self.registration
        context["meeting"] = self.registration.meeting
        context["registration_open"] = self.registration.meeting.registration_is_open()
        return context

    def form_valid(self, form):
        try:
            services.registration_update(
                registration=self.registration, actor=self.get_person(), answers=form.answers
            )
        except services.RegistrationClosed as closed:
            messages.error(self.request, closed.message)
        else:
            messages.success(self.request, _("Your changes have been saved."))
        return HttpResponseRedirect(self.registration.meeting.get_absolute_url())


class RegistrationCancelView(ActorRegistrationMixin, TemplateView):
    template_name = "meetings/registration_confirm_cancel.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.registration = self.get_registration()
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["registration"] = self.registration
        context["meeting"] = self.registration.meeting
        context["person"] = self.get_person()
        return context

    def post(self, request, *args, **kwargs):
        try:
            services.registration_cancel(registration=self.registration, actor=self.get_person())
        except services.RegistrationClosed as closed:
            messages.error(request, closed.message)
        else:
            messages.success(request, _("The registration has been cancelled."))
        if request.POST.get("next") == "my_meetings":
            return HttpResponseRedirect(reverse("my_meetings"))
        return HttpResponseRedirect(self.registration.meeting.get_absolute_url())


class MyMeetingsView(DirectoryRequiredMixin, TemplateView):
    """The person's registrations; unlinked accounts, who can have none, are sent to the page
    that says they wait for the county."""

    template_name = "meetings/my_meetings.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person = viewer_for(self.request).person
        context["person"] = person
        if person is None:
            context["upcoming"] = context["past"] = []
            return context
        now = timezone.now()
        upcoming, past = registrations_of_person(person, now=now)
        context["upcoming"] = upcoming
        # An unknown page number gives the first page, one too far the last.
        context["past"] = Paginator(past, MY_PAST_MEETINGS_PER_PAGE).get_page(
            self.request.GET.get("page")
        )
        context["now"] = now
        return context


def calendar_response(request, body: bytes, *, filename: str | None, private: bool):
    """Serve iCalendar with an ETag of the content, so a calendar program that polls a feed
    gets a 304 when nothing changed."""
    etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=300" if private else "public, max-age=300"
    if filename:
        response["Content-Disposition"] = content_disposition_header(True, filename)
    # A 304 keeps the ETag and Cache-Control of the full response.
    return get_conditional_response(request, etag=etag, response=response) or response


# How long a built feed stays in the cache. Its key is its validator, so an entry is never
# stale, only unused: this bounds the memory of feeds nobody fetches any more.
FEED_CACHE_TIMEOUT = 24 * 60 * 60


@functools.cache
def feed_format() -> str:
    """What a feed's bytes depend on besides the data: the code that writes iCalendar, the
    translations it uses and the icalendar library. A deploy that changes any of them gives
    new validators, so calendar programs and the shared cache get the new format at once."""
    digest = hashlib.sha256(icalendar.__version__.encode())
    digest.update(Path(ics.__file__).read_bytes())
    # The other apps' entries are written by their own code.
    for source in feed_sources():
        digest.update(Path(inspect.getfile(type(source))).read_bytes())
    for locale_path in settings.LOCALE_PATHS:
        for language, _name in settings.LANGUAGES:
            catalogue = Path(locale_path) / language / "LC_MESSAGES" / "django.mo"
            if catalogue.exists():
                digest.update(catalogue.read_bytes())
    return digest.hexdigest()


def feed_response(request, *, version: tuple, build, private: bool):
    """Serve a feed from its validator: a 304 when the calendar program holds this version,
    else the body from the cache, built (by `build()`) only when no process built it yet.

    `version` must name everything the body is made of; for a personal feed that includes the
    person, so the cache never serves one person's feed to another."""
    digest = hashlib.sha256(
        repr((feed_format(), settings.SITE_URL, settings.TIME_ZONE, *version)).encode()
    ).hexdigest()
    response = HttpResponse(content_type="text/calendar; charset=utf-8")
    response["ETag"] = quote_etag(digest[:32])
    response["Cache-Control"] = "private, max-age=300" if private else "public, max-age=300"
    # A 304 (or 412) keeps the ETag and Cache-Control of the full response; without one,
    # `get_conditional_response` hands back the response it was given.
    conditional = get_conditional_response(request, etag=response["ETag"], response=response)
    if conditional is not response:
        return conditional
    key = f"calendar-feed:{digest}"
    body = cache.get(key)
    if body is None:
        body = build()
        cache.set(key, body, FEED_CACHE_TIMEOUT)
    response.content = body
    return response


def _stamp(meetings, entries=()) -> datetime.datetime:
    # The newest change stands as DTSTAMP, so unchanged data gives byte-identical files.
    return max(
        [*(m.updated_at for m in meetings), *(e.last_modified for e in entries)],
        default=datetime.datetime(2018, 1, 1, tzinfo=datetime.UTC),
    )


def feed_sources() -> list:
    """Other apps' deadlines in personal feeds, named in settings.CALENDAR_FEED_EXTRA_EVENTS
    (this app imports none of them). Each is a callable `(person, now)` that returns
    `ics.DeadlineEntry`s, with a method `version_annotations(now)`: query expressions over a
    contact person's row whose values change whenever the person's entries do. They are read
    with the person, so the validator of a feed still costs two queries."""
    return [import_string(path) for path in settings.CALENDAR_FEED_EXTRA_EVENTS]


@require_safe
def meeting_calendar(request, slug):
    meeting = get_object_or_404(
        meeting_for_detail_queryset().exclude(status=Meeting.Status.TENTATIVE),
        slug=slug,
        starts_at__isnull=False,
    )
    body = ics.meeting_calendar(
        meeting, language=translation.get_language(), stamp=meeting.updated_at
    )
    return calendar_response(request, body, filename=ics.meeting_filename(meeting), private=False)


@require_safe
def network_feed(request):
    now = timezone.now()

    def build():
        meetings = list(network_feed_meetings(now))
        return ics.feed_calendar(
            meetings,
            name=gettext_lazy("International municipality network"),
            language=settings.LANGUAGE_CODE,
            stamp=_stamp(meetings),
        )

    return feed_response(
        request,
        version=("network", settings.LANGUAGE_CODE, network_feed_version(now)),
        build=build,
        private=False,
    )


@require_safe
def personal_feed(request, token):
    now = timezone.now()
    sources = feed_sources()
    extra_versions = {
        f"feed_source_{index}_{name}": expression
        for index, source in enumerate(sources)
        for name, expression in source.version_annotations(now).items()
    }
    person = get_object_or_404(
        ContactPerson.objects.only("pk", "calendar_includes_all", "preferred_language").annotate(
            **extra_versions
        ),
        calendar_token=token,
    )

    def build():
        meetings = list(personal_calendar_meetings(person, now))
        with translation.override(person.preferred_language):
            entries = [entry for source in sources for entry in source(person, now)]
        return ics.feed_calendar(
            meetings,
            name=gettext_lazy("My network meetings"),
            language=person.preferred_language,
            stamp=_stamp(meetings, entries),
            deadlines_after=now,
            extra_entries=entries,
        )

    version = (
        "personal",
        person.pk,
        person.preferred_language,
        person.calendar_includes_all,
        personal_feed_version(person, now),
        *((name, getattr(person, name)) for name in sorted(extra_versions)),
    )
    return feed_response(request, version=version, build=build, private=True)


class InvitationView(View):
    """A personal invitation link: on to the meeting's registration form, through sign-up or
    login with the address filled in."""

    def get(self, request, token):
        recipient = invitations.recipient_from_token(token)
        if recipient is None:
            return invalid_invitation(request)
        meeting = recipient.mailing.meeting
        register_url = reverse("meetings:register", kwargs={"slug": meeting.slug})
        if request.user.is_authenticated:
            return HttpResponseRedirect(register_url)
        query = urlencode({"next": register_url})
        if recipient.contact_person_id is None:
            # An official mailbox is shared: whoever reads it signs up with their own address.
            return HttpResponseRedirect(f"{reverse('account_signup')}?{query}")
        # The address is filled in, but still verified by mail: a forwarded link must not let
        # someone else take the recipient's address.
        query = urlencode({"next": register_url, "email": recipient.email})
        if get_user_model().objects.filter(email__iexact=recipient.email).exists():
            return HttpResponseRedirect(f"{reverse('account_login')}?{query}")
        return HttpResponseRedirect(f"{reverse('account_signup')}?{query}")


class InvitationDeclineView(TemplateView):
    """ "Cannot attend", without login. GET asks, POST records, so that link checkers and
    e-mail scanners that open links record nothing."""

    template_name = "meetings/invitation_decline.html"

    def dispatch(self, request, *args, **kwargs):
        recipient = invitations.recipient_from_token(kwargs["token"])
        if recipient is None:
            return invalid_invitation(request)
        self.recipient = recipient
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "recipient": self.recipient,
            "meeting": self.recipient.mailing.meeting,
        }

    def post(self, request, *args, **kwargs):
        services.invitation_decline(recipient=self.recipient)
        return self.render_to_response(self.get_context_data(declined=True))


def invalid_invitation(request):
    return render(request, "meetings/invitation_invalid.html", status=400)


class CountyStaffPageMixin(PermissionRequiredMixin):
    """A page of the site for county staff: it opens to those the admin opens to (staff who
    passed their second factor) with the page's permission. Visitors who are not signed in,
    and staff who have not passed their second factor, go to the admin's sign-in page, which
    sends them on to the step they miss; other signed-in users get a 403 (Django's
    `staff_member_required` would send them to the sign-in page again instead)."""

    login_url = reverse_lazy("admin:login")
    # View.setup sets it on the view this mixin is combined with.
    request: HttpRequest

    def has_permission(self):
        return admin.site.has_permission(self.request) and super().has_permission()

    def handle_no_permission(self):
        user = self.request.user
        if user.is_active and user.is_staff and not admin.site.has_permission(self.request):
            return redirect_to_login(self.request.get_full_path(), self.get_login_url())
        return super().handle_no_permission()


class ParticipationOverviewView(CountyStaffPageMixin, TemplateView):
    """County staff's overview of a meeting series: registrations per municipality and
    meeting, the members nobody has registered from for the next meeting, and a chart.

    It shows registrations, so it needs the permission to view them."""

    template_name = "meetings/overview.html"
    permission_required = "meetings.view_registration"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        series_list = list(meeting_series_for_overview())
        series = self.chosen_series(series_list)
        context["series_list"] = series_list
        context["series"] = series
        context["overview"] = overview = participation_overview(series) if series else None
        if overview:
            # An unknown page number gives the first page, one too far the last.
            context["rows_page"] = Paginator(overview.rows, OVERVIEW_ROWS_PER_PAGE).get_page(
                self.request.GET.get("page")
            )
            context["query"] = urlencode({"series": series.pk})
        return context

    def chosen_series(self, series_list):
        """The series in ?series=<pk>, by default the latest year's; an unknown one is a 404."""
        wanted = self.request.GET.get("series")
        if not wanted:
            return series_list[0] if series_list else None
        series = next((s for s in series_list if str(s.pk) == wanted), None)
        if series is None:
            raise Http404
        return series


class ParticipationOverviewExportView(ParticipationOverviewView):
    """The overview of a series (?series=<pk>, by default the latest) as a CSV or Excel file,
    for the same staff as the page; a CSV file separated by semicolons unless
    `?separator=comma`."""

    file_format = "csv"

    def get(self, request, *args, **kwargs):
        series = self.chosen_series(list(meeting_series_for_overview()))
        if series is None:
            raise Http404
        separator = request.GET.get("separator", exports.DEFAULT_SEPARATOR)
        if separator not in exports.SEPARATORS:
            raise BadRequest("Unknown separator.")
        export = overview_export.overview_file(
            participation_overview(series), self.file_format, separator=separator
        )
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=export.filename
        )
        return response


# --- Check-in at the door (county staff) -----------------------------------------------------


def wants_json(request) -> bool:
    """The page's script asks for JSON; a form posted without JavaScript gets a redirect."""
    return "application/json" in request.headers.get("Accept", "")


class CheckInPageMixin(CountyStaffPageMixin):
    """The check-in list of a meeting: county staff with the permission to check people in."""

    permission_required = "meetings.check_in_participants"
    # View.setup sets it from the URL (the meeting's slug).
    kwargs: dict[str, Any]

    def get_meeting(self) -> Meeting:
        if not hasattr(self, "meeting"):
            self.meeting = get_object_or_404(
                Meeting.objects.select_related("series"), slug=self.kwargs["slug"]
            )
        return self.meeting

    def list_url(self, *, query: str = "", show: str = "", fragment: str = "") -> str:
        url = reverse("meetings:check_in", kwargs={"slug": self.get_meeting().slug})
        params = {name: value for name, value in (("q", query), ("show", show)) if value}
        if params:
            url += "?" + urlencode(params)
        return url + (f"#{fragment}" if fragment else "")

    def posted_filters(self) -> tuple[str, str]:
        """The search and filter the list had when a button was pressed, to go back to."""
        search = CheckInSearchForm(self.request.POST)
        return search.query, search.chosen_filter

    def list_context(self, *, query: str = "", show: str = "") -> dict:
        meeting = self.get_meeting()
        now = timezone.now()
        try:
            services.attendance_check_open(meeting, now)
        except services.AttendanceError as closed:
            closed_message = closed.message
        else:
            closed_message = ""
        ends = meeting.ends_at or meeting.starts_at
        return {
            "meeting": meeting,
            "query": query,
            "show": show,
            "window_open": not closed_message,
            "closed_message": closed_message,
            "is_over": ends is not None and ends < now,
            "counts": check_in_counts(meeting),
        }


class CheckInView(CheckInPageMixin, TemplateView):
    """`/meetings/<slug>/check-in/`: the confirmed participants, to mark present at the door
    on a phone. Works without JavaScript (the search is a GET form, each button a POST that
    comes back here); the page's script (static/js/check-in.js) narrows the list while one
    types and sends the buttons without leaving the page."""

    template_name = "meetings/check_in.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        search = CheckInSearchForm(self.request.GET)
        query, show = search.query, search.chosen_filter
        context.update(self.list_context(query=query, show=show))
        context["search_form"] = search
        context["participants"] = check_in_participants(self.get_meeting(), query=query, show=show)
        if context["window_open"] and "walk_in_form" not in context:
            context["walk_in_form"] = WalkInForm()
        return context


class CheckInToggleView(CheckInPageMixin, View):
    """Mark a participant present, or undo it (POST `action` "mark" or "undo"). Answers the
    page's script with JSON (the row as the list shows it, the counts and a message), a form
    posted without JavaScript with a redirect to the list as it was."""

    http_method_names = ["post"]
    actions = {"mark": services.attendance_mark, "undo": services.attendance_undo}

    def post(self, request, slug, pk):
        meeting = self.get_meeting()
        query, show = self.posted_filters()
        action = self.actions.get(request.POST.get("action", ""))
        if action is None:
            raise BadRequest("Unknown action.")
        registration = get_object_or_404(Registration.objects.only("pk", "meeting_id"), pk=pk)
        back = self.list_url(query=query, show=show, fragment=f"participant-{pk}")
        try:
            registration, changed = action(
                registration=registration, by=request.user, meeting=meeting
            )
        except services.AttendanceError as error:
            if wants_json(request):
                return JsonResponse({"ok": False, "message": error.message}, status=409)
            messages.error(request, error.message)
            return HttpResponseRedirect(back)
        message = check_in_message(registration, changed)
        if not wants_json(request):
            messages.success(request, message)
            return HttpResponseRedirect(back)
        context = self.list_context(query=query, show=show)
        row = check_in_participant(meeting, registration.pk)
        return JsonResponse(
            {
                "ok": True,
                "present": registration.attended_at is not None,
                "message": message,
                "row": render_to_string(
                    "meetings/includes/check_in_row.html",
                    {**context, "participant": row},
                    request=request,
                )
                if row is not None
                else "",
                "summary": render_to_string(
                    "meetings/includes/check_in_summary.html", context, request=request
                ),
            }
        )


def check_in_message(registration: Registration, changed: bool) -> str:
    name = ContactPerson.objects.get(pk=registration.contact_person_id).display_name
    if registration.attended_at is not None:
        if changed:
            return _("%(name)s is checked in.") % {"name": name}
        return _("%(name)s was already checked in.") % {"name": name}
    if changed:
        return _("The check-in of %(name)s is undone.") % {"name": name}
    return _("%(name)s was not checked in.") % {"name": name}


class WalkInView(CheckInView):
    """Someone who came without a seat: registered (late, over capacity if need be, as staff
    register people in the admin) and checked in at once. Errors show on the list's page."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = WalkInForm(request.POST)
        if form.is_valid():
            try:
                walk_in = services.attendance_walk_in(
                    meeting=self.get_meeting(), by=request.user, **form.cleaned_data
                )
            except services.AttendanceError as closed:
                messages.error(request, closed.message)
                return HttpResponseRedirect(self.list_url())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                registration = walk_in.registration
                messages.success(request, walk_in_message(walk_in))
                return HttpResponseRedirect(
                    self.list_url(
                        query=registration.contact_person.name,
                        fragment=f"participant-{registration.pk}",
                    )
                )
        messages.error(request, _("Please correct the errors in the form."))
        return self.render_to_response(self.get_context_data(walk_in_form=form), status=400)


def walk_in_message(walk_in: services.WalkIn) -> str:
    registration = walk_in.registration
    values = {"name": registration.contact_person.display_name}
    if walk_in.status_before == Registration.Status.CONFIRMED:
        if walk_in.checked_in:
            return _("%(name)s was registered already and is now checked in.") % values
        return _("%(name)s was registered and checked in already.") % values
    parts = [
        _("%(name)s was on the waiting list; now confirmed and checked in.") % values
        if walk_in.status_before == Registration.Status.WAITLISTED
        else _("%(name)s is registered and checked in.") % values
    ]
    if registration.is_late:
        parts.append(_("The registration is marked late."))
    if registration.over_capacity:
        parts.append(_("The meeting was full: the seat is recorded as over capacity."))
    return " ".join(parts)


class AttendanceConfirmationView(LoginRequiredMixin, TemplateView):
    """`/meetings/<slug>/attendance-confirmation/`: a printable confirmation that the signed-in
    person took part in a meeting, for their own registration that staff checked in; a 404
    for anyone and anything else."""

    template_name = "meetings/attendance_confirmation.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person = viewer_for(self.request).person
        if person is None:
            raise Http404
        registration = get_object_or_404(
            Registration.objects.confirmed()
            .filter(contact_person=person, attended_at__isnull=False)
            .select_related("meeting__series", "municipality", "contact_person__municipality"),
            meeting__slug=self.kwargs["slug"],
        )
        meeting = registration.meeting
        context.update(
            registration=registration,
            meeting=meeting,
            person=registration.contact_person,
            municipality=registration.municipality or registration.contact_person.municipality,
            # The series' organiser, as it was when the series was made: a confirmation of
            # 2019 names Hordaland, though Vestland runs the network now.
            issuer=meeting.series.organiser_name,
            issued_on=timezone.localdate(),
        )
        return context


class PollPageMixin(TemplateResponseMixin, ContextMixin):
    """A date poll's page: the grid of answers (names only to linked members and staff) and,
    for those who may answer, the form with their answers so far."""

    template_name = "meetings/poll.html"

    def get_poll(self):
        raise NotImplementedError

    def voter(self) -> dict:
        """Who answers here: {"person": ...} or {"recipient": ...}; empty for nobody."""
        raise NotImplementedError

    def sees_names(self) -> bool:
        return viewer_for(self.request).sees_directory

    def get_form(self, data=None):
        voter = self.voter()
        poll = self.get_poll()
        if not voter or not poll.is_open():
            return None
        return PollAnswerForm(
            data,
            candidates=poll.candidates.order_by("starts_at", "pk"),
            answers=polls.answers_of(poll, **voter),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        poll = self.get_poll()
        context["poll"] = poll
        context["meeting"] = poll.meeting
        context["poll_open"] = poll.is_open()
        context["rows"] = polls.poll_grid(poll, with_names=self.sees_names())
        context["sees_names"] = self.sees_names()
        if "form" not in context:
            context["form"] = self.get_form()
        return context

    def post(self, request, *args, **kwargs):
        voter = self.voter()
        if not voter:
            messages.error(
                request, _("Only contact persons of the network's member municipalities answer.")
            )
            return HttpResponseRedirect(request.path)
        form = self.get_form(request.POST)
        if form is None:
            messages.error(request, _("The poll is closed."))
            return HttpResponseRedirect(request.path)
        if not form.is_valid():
            messages.error(request, _("Please correct the errors in the form."))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            polls.poll_answer(poll=self.get_poll(), answers=form.answers, **voter)
        except polls.PollClosed as closed:
            messages.error(request, closed.message)
        else:
            messages.success(
                request,
                _("Thank you. Your answers are saved; you can change them until the poll closes."),
            )
        return HttpResponseRedirect(request.path)


def _poll_queryset():
    return DatePoll.objects.select_related("meeting__series", "chosen")


class PollView(PollPageMixin, TemplateView):
    """`/meetings/<slug>/poll/`: public to read; contact persons of member municipalities
    answer signed in."""

    def get_poll(self):
        if not hasattr(self, "poll"):
            self.poll = get_object_or_404(_poll_queryset(), meeting__slug=self.kwargs["slug"])
        return self.poll

    def voter(self) -> dict:
        person = viewer_for(self.request).person
        return {"person": person} if polls.can_answer_as_member(person) else {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["login_url"] = (
            f"{reverse('account_login')}?{urlencode({'next': self.request.path})}"
        )
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.path)
        return super().post(request, *args, **kwargs)


class PollLinkView(PollPageMixin, TemplateView):
    """The poll through an invited address's personal link, without signing in. GET shows,
    POST answers, so link checkers that open links record nothing."""

    def dispatch(self, request, *args, **kwargs):
        recipient = polls.recipient_from_poll_token(kwargs["token"])
        if recipient is None:
            return invalid_invitation(request)
        poll = _poll_queryset().filter(meeting_id=recipient.mailing.meeting_id).first()
        if poll is None:
            return invalid_invitation(request)
        self.recipient = recipient
        self.poll = poll
        self.voting_recipient = polls.voting_recipient(recipient)
        return super().dispatch(request, *args, **kwargs)

    def get_poll(self):
        return self.poll

    def voter(self) -> dict:
        return {"recipient": self.voting_recipient}

    def sees_names(self) -> bool:
        # The link stands for an invited address, which the network knows.
        return True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["answering_as"] = self.recipient.name or self.recipient.email
        return context
