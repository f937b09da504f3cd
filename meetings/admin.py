from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_value
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, F, OuterRef, Q
from django.http import (
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from common.admin_tools import (
    SHOWN_CHILDREN,
    LightRowsAdmin,
    ModelAdminMixinBase,
    NamedInputsAdmin,
    NamedInputsTabularInline,
    bounded_children,
    count_of,
    field_headings,
    plural_name,
)
from common.forms import RepeatedHourModelForm, form_field
from common.history import HistoryChild, ReadableHistoryAdmin

from . import copying, emails, exports, materials, minutes, polls, services
from .invitations import invitation_summary
from .mailing_forms import MailingAddForm, MailingForm
from .models import (
    AgendaItem,
    DatePoll,
    DatePollCandidate,
    Mailing,
    MailingRecipient,
    Material,
    Meeting,
    MeetingReminder,
    MeetingSeries,
    Registration,
)


class OfTheChosenYearFilter(admin.RelatedFieldListFilter):
    """A filter over meetings, series or mailings, which add up to hundreds over the years:
    it lists those of the year chosen in the year filter beside it (its parameter is this
    filter's path and `year_lookup`), or else those of this year and later, and always the
    one chosen, for instance by a link from a meeting's page."""

    year_lookup = ""
    # What the choices' labels (the model's __str__) read: a meeting's description is not
    # loaded for each of a year's meetings.
    label_fields: list[str] = []
    label_related: list[str] = []

    def field_choices(self, field, request, model_admin):
        year = request.GET.get(f"{self.field_path}__{self.year_lookup}", "")
        if year.isascii() and year.isdigit() and len(year) <= 4:
            shown = Q(**{self.year_lookup: int(year)})
        else:
            shown = Q(**{f"{self.year_lookup}__gte": timezone.localdate().year})
        chosen = [value for value in self.lookup_val or [] if value.isascii() and value.isdigit()]
        if chosen:
            shown |= Q(pk__in=chosen)
        ordering = self.field_admin_ordering(field, request, model_admin)
        rows = (
            field.remote_field.model._default_manager.filter(shown)
            .select_related(*self.label_related)
            .order_by(*ordering)
            .only("pk", *self.label_fields)
        )
        return [(row.pk, str(row)) for row in rows]


class MeetingOfTheYearFilter(OfTheChosenYearFilter):
    year_lookup = "series__year"
    label_fields = ["title"]


class SeriesOfTheYearFilter(OfTheChosenYearFilter):
    year_lookup = "year"
    label_fields = ["name", "year"]


class MailingOfTheYearFilter(OfTheChosenYearFilter):
    year_lookup = "meeting__series__year"
    # A mailing is named by its subject with the meeting's details filled in.
    label_fields = [
        "subject",
        *(f"meeting__{name}" for name in ("title", "status", "tentative_period", "starts_at")),
        *(f"meeting__{name}" for name in ("ends_at", "venue_name", "venue_address")),
        "meeting__registration_deadline",
    ]
    label_related = ["meeting"]


class MeetingInline(NamedInputsTabularInline):
    model = Meeting
    readonly_fields = fields = ("title", "kind", "status", "starts_at", "tentative_period")
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        # Meetings are created on their own page, where the calendar rules are applied.
        return False

    def has_change_permission(self, request, obj=None):
        # Shown, not edited here: the rows are read-only, and a posted row could only be a
        # tampered one (an unknown id made a new meeting whose validation failed with a 500).
        return False


@admin.register(MeetingSeries)
class MeetingSeriesAdmin(NamedInputsAdmin, admin.ModelAdmin):
    list_display = ["name", "year", "organiser_name", "meeting_count"]
    # Meta.ordering does not apply to the annotated (GROUP BY) queryset, so repeat it here.
    ordering = ["-year", "name"]
    list_filter = ["year"]
    search_fields = ["name", "description", "organiser_name"]
    inlines = [MeetingInline]
    actions = ["copy_to_next_year"]
    fieldsets = [
        (None, {"fields": ["name", "year", "description"]}),
        (
            _("Organiser"),
            {
                "fields": [
                    "organiser_name",
                    "organiser_contact",
                    "organiser_address",
                    "organiser_email",
                    "organiser_phone",
                ],
                "description": _(
                    "A new series is filled in from the network owner; change the owner there, "
                    "so that earlier series keep the organiser they had."
                ),
            },
        ),
    ]

    def get_changeform_initial_data(self, request):
        return {**copying.organiser_of_new_series(), **super().get_changeform_initial_data(request)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(meeting_count=Count("meetings"))

    @admin.display(description=_("meetings"), ordering="meeting_count")
    def meeting_count(self, obj):
        return obj.meeting_count

    def has_copy_permission(self, request):
        return self.has_add_permission(request) and request.user.has_perm("meetings.add_meeting")

    @admin.action(description=_("Copy the selected series to next year"), permissions=["copy"])
    def copy_to_next_year(self, request, queryset):
        series = only_one(self, request, queryset)
        if series is None:
            return None
        try:
            copied = copying.series_copy_to_next_year(series=series)
        except ValidationError as error:
            for message in error.messages:
                self.message_user(request, message, messages.ERROR)
            return None
        count = copied.meetings.count()
        self.message_user(
            request,
            ngettext(
                "“%(series)s” was made with %(count)d meeting. Check it before you invite: "
                "meetings without a registration deadline are tentative.",
                "“%(series)s” was made with %(count)d meetings. Check them before you "
                "invite: meetings without a registration deadline are tentative.",
                count,
            )
            % {"series": copied, "count": count},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:meetings_meetingseries_change", args=[copied.pk])
        )


def only_one(model_admin, request, queryset):
    """The one object chosen for an action that works on one, or None after telling staff
    to choose one."""
    chosen = list(queryset[:2])
    if len(chosen) != 1:
        model_admin.message_user(request, gettext("Choose exactly one to copy."), messages.WARNING)
        return None
    return chosen[0]


class AgendaItemInline(NamedInputsTabularInline):
    model = AgendaItem
    fields = ["order", "starts_at", "title", "description"]
    extra = 1


class MeetingReminderInline(NamedInputsTabularInline):
    """The meeting's reminder schedule; a new meeting starts with Meeting.DEFAULT_REMINDER_DAYS
    (made by services.meeting_save), so the inline is on existing meetings only."""

    model = MeetingReminder
    fields = ["days_before"]
    extra = 0
    verbose_name = _("reminder to those who have not answered")
    verbose_name_plural = _("reminders to those who have not answered")


class ServiceErrorsAsMessages(ModelAdminMixinBase):
    """Admin mixin: a ValidationError a service raises while saving (the forms check first,
    so only a change made by someone else in between gets here) is shown as an error message
    on the same page, with nothing saved, instead of a server error."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            for message in error.messages:
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class RegistrationStaffForm(RepeatedHourModelForm):
    """A registration as staff edit it, checked against the meeting as
    `services.registration_staff_save` will check it, so what cannot be done shows on the
    fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" in self.fields:
            # The form posts the status it showed: a status staff did not touch is left to
            # the service, so a page loaded before a promotion cannot undo it.
            self.fields["status"].show_hidden_initial = True

    def chosen_status(self) -> str | None:
        """The status staff chose; None when they left an existing registration's alone."""
        if self.instance._state.adding or "status" in self.changed_data:
            return self.cleaned_data.get("status")
        return None

    # Django's hook that runs once the instance holds the form's values; django-stubs
    # leaves this private method of BaseModelForm out.
    def _post_clean(self):
        super()._post_clean()  # type: ignore[misc]
        if self.errors or not self.has_changed() or self.instance.meeting_id is None:
            return
        try:
            services.registration_staff_check(
                registration=self.instance,
                status=self.chosen_status(),
                over_capacity=self.cleaned_data.get("over_capacity", False),
            )
        except ValidationError as error:
            errors = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
            for field, field_errors in errors.items():
                self.add_error(field if field in self.fields else None, field_errors)


def staff_save(model_admin, request, form, registration) -> services.StaffChange:
    """Save a registration from a staff form through the service and tell staff what came
    of it."""
    chosen = form.chosen_status()
    change = services.registration_staff_save(
        registration=registration,
        status=chosen,
        over_capacity=form.cleaned_data.get("over_capacity", False),
    )
    name = registration.contact_person.name
    Status = Registration.Status
    if chosen == Status.CONFIRMED and registration.status == Status.WAITLISTED:
        position = (
            Registration.objects.with_waitlist_position()
            .only("pk")
            .get(pk=registration.pk)
            .waitlist_position
        )
        model_admin.message_user(
            request,
            gettext(
                "The meeting is full, so %(name)s is on the waiting list, in place "
                "%(position)d. Tick “over capacity” to confirm them anyway."
            )
            % {"name": name, "position": position},
            messages.WARNING,
        )
    if change.notice:
        model_admin.message_user(
            request, gettext("%(name)s is told about the change by e-mail.") % {"name": name}
        )
    elif change.status_changed:
        model_admin.message_user(
            request,
            gettext("The meeting has started, so %(name)s was not e-mailed about the change.")
            % {"name": name},
            messages.WARNING,
        )
    report_promoted(model_admin, request, len(change.promoted))
    return change


def report_promoted(model_admin, request, count: int) -> None:
    if count:
        model_admin.message_user(
            request,
            ngettext(
                "%(count)d person on the waiting list got a seat and is told by e-mail.",
                "%(count)d people on the waiting list got a seat and are told by e-mail.",
                count,
            )
            % {"count": count},
        )


class RegistrationAddInline(NamedInputsTabularInline):
    """New registrations by staff, also after the deadline (they are marked late). The
    existing ones are summed up on the meeting's page and changed on their own pages: a row
    each, with its widgets, made a meeting of 2,000 registrations a page of 5.5 MB."""

    model = Registration
    form = RegistrationStaffForm
    fields = ["contact_person", "status", "over_capacity", "attendance_mode", "dietary_needs"]
    autocomplete_fields = ["contact_person"]
    extra = 0
    can_delete = False
    verbose_name = _("registration")
    verbose_name_plural = _("new registrations")

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).none()


class MeetingAdminForm(forms.ModelForm):
    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if self.instance.pk is not None:
            # The instance still holds the stored capacity here.
            services.meeting_check_capacity(
                meeting_id=self.instance.pk, capacity=capacity, previous=self.instance.capacity
            )
        return capacity


@admin.register(Meeting)
class MeetingAdmin(NamedInputsAdmin, LightRowsAdmin, ServiceErrorsAsMessages, ReadableHistoryAdmin):
    form = MeetingAdminForm
    list_display = [
        "title",
        "series",
        "kind",
        "status",
        "starts_at",
        "registration_deadline",
        "confirmed_count",
        "waitlisted_count",
        "capacity",
    ]
    list_filter = ["status", "kind", "series__year", ("series", SeriesOfTheYearFilter)]
    list_select_related = ["series"]
    ordering = [F("starts_at").desc(nulls_last=True), "pk"]
    search_fields = ["title", "slug", "theme", "venue_name", "series__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["series"]
    date_hierarchy = "starts_at"
    readonly_fields = [
        "sequence",
        "created_at",
        "updated_at",
        "date_poll_summary",
        "invitations",
        "registrations",
        "minutes_state",
        "material_list",
    ]
    inlines = [AgendaItemInline, MeetingReminderInline, RegistrationAddInline]
    actions = ["copy_meeting", "publish_minutes", "unpublish_minutes"]
    history_children = [HistoryChild(AgendaItem, "meeting")]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["series", "kind", "title", "slug", "theme", "description"]}),
        (
            _("Time"),
            {"fields": ["status", "tentative_period", "starts_at", "ends_at", "date_poll_summary"]},
        ),
        (_("Place"), {"fields": ["venue_name", "venue_address", "online_url"]}),
        (
            _("Registration"),
            {"fields": ["registration_deadline", "capacity", "programme_url"]},
        ),
        (
            _("Invitations and reminders"),
            {"fields": ["invitations", "reminders_enabled"]},
        ),
        (plural_name(Registration), {"fields": ["registrations"]}),
        (_("Minutes"), {"fields": ["minutes_markdown", "minutes_state"]}),
        (_("Materials"), {"fields": ["material_list"]}),
        (_("Calendar"), {"fields": ["sequence", "created_at", "updated_at"]}),
    ]

    # Shown, not edited here: each file is hidden, changed or removed on its own page or with
    # the actions of the list of materials, through the services. Not an inline, whose
    # formset every post of this page would have to carry.
    @admin.display(description=_("files"))
    def material_list(self, obj):
        if obj.pk is None:
            return gettext("Files are uploaded on the meeting's page once it is saved.")
        of_meeting = Material.objects.filter(meeting=obj)
        files = list(of_meeting.select_related("agenda_item").order_by("pk")[:SHOWN_CHILDREN])
        listed = reverse("admin:meetings_material_changelist") + f"?meeting__id__exact={obj.pk}"
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a> ({}{}{})</li>',
            (
                (
                    reverse("admin:meetings_material_change", args=[m.pk]),
                    m.title,
                    m.filename,
                    f", {m.agenda_item.title}" if m.agenda_item else "",
                    f", {gettext('hidden')}" if m.hidden else "",
                )
                for m in files
            ),
        )
        total = of_meeting.count() if len(files) == SHOWN_CHILDREN else len(files)
        return format_html(
            '<ul>{}</ul><p>{} {} <a href="{}">{}</a></p>',
            items,
            ngettext("%(count)d file.", "%(count)d files.", total) % {"count": total},
            gettext("Files are uploaded on the meeting's page."),
            listed,
            gettext("All files of this meeting"),
        )

    @admin.display(description=_("published"))
    def minutes_state(self, obj):
        if obj.pk is None or obj.minutes_published_at is None:
            return gettext(
                "Not published. Save the minutes, then choose “Publish the minutes of the "
                "selected meetings” in the list of meetings: the participants are told once."
            )
        text = gettext("Published %(when)s on the meeting's page.") % {
            "when": display_for_value(obj.minutes_published_at, "")
        }
        return format_html(
            '{} <a href="{}#minutes-heading">{}</a>',
            text,
            obj.get_absolute_url(),
            gettext("See them"),
        )

    @admin.action(
        description=_("Publish the minutes of the selected meetings"), permissions=["change"]
    )
    def publish_minutes(self, request, queryset):
        published = mailed = 0
        for meeting in queryset:
            try:
                mailed += minutes.minutes_publish(meeting=meeting)
            except minutes.MinutesError as error:
                self.message_user(request, f"{meeting}: {error.message}", messages.WARNING)
            else:
                published += 1
        if published:
            self.message_user(
                request,
                ngettext(
                    "The minutes of %(count)d meeting are published; %(mailed)d participants "
                    "are being told.",
                    "The minutes of %(count)d meetings are published; %(mailed)d participants "
                    "are being told.",
                    published,
                )
                % {"count": published, "mailed": mailed},
                messages.SUCCESS,
            )

    @admin.action(
        description=_("Take the minutes of the selected meetings off their pages"),
        permissions=["change"],
    )
    def unpublish_minutes(self, request, queryset):
        count = sum(minutes.minutes_unpublish(meeting=meeting) for meeting in queryset)
        self.message_user(
            request,
            ngettext(
                "The minutes of %(count)d meeting are no longer shown.",
                "The minutes of %(count)d meetings are no longer shown.",
                count,
            )
            % {"count": count},
        )

    # Not named `date_poll`: the admin would read the model's reverse accessor by that name.
    @admin.display(description=_("date poll"))
    def date_poll_summary(self, obj):
        poll = DatePoll.objects.filter(meeting_id=obj.pk).first() if obj.pk else None
        if poll is not None:
            return format_html(
                '<a href="{}">{}</a>',
                reverse("admin:meetings_datepoll_change", args=[poll.pk]),
                gettext("The meeting's date poll"),
            )
        if obj.pk is None or obj.status != Meeting.Status.TENTATIVE:
            return gettext("A tentative meeting can get a date poll once saved.")
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:meetings_datepoll_add") + f"?meeting={obj.pk}",
            gettext("Let the members agree on the date: add candidate dates and open a poll"),
        )

    @admin.display(description=_("invitations"))
    def invitations(self, obj):
        if obj.pk is None:
            return _("Save the meeting first; then you can invite.")
        return render_to_string(
            "admin/meetings/meeting/invitations.html",
            {
                "meeting": obj,
                "summary": invitation_summary(obj),
                "new_url": reverse("admin:meetings_mailing_add") + f"?meeting={obj.pk}",
                "mailings_url": reverse("admin:meetings_mailing_changelist")
                + f"?meeting__id__exact={obj.pk}",
            },
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        # Nobody is registered for a meeting that does not exist yet, and the people are
        # shown only to those who may see registrations (as the inline showed them).
        if obj is None or not request.user.has_perm("meetings.view_registration"):
            return [
                (name, options)
                for name, options in fieldsets
                if options["fields"] != ["registrations"]
            ]
        return fieldsets

    @admin.display(description=_("registrations"))
    def registrations(self, obj):
        Status = Registration.Status
        of_meeting = Registration.objects.filter(meeting=obj)
        counts = of_meeting.aggregate(
            **{status: Count("pk", filter=Q(status=status)) for status in Status.values},
            over_capacity=Count("pk", filter=Q(over_capacity=True)),
            attended=Count("pk", filter=Q(status=Status.CONFIRMED, attended_at__isnull=False)),
        )
        listed = reverse("admin:meetings_registration_changelist") + f"?meeting__id__exact={obj.pk}"
        fields = [
            "contact_person",
            "status",
            "over_capacity",
            "attendance_mode",
            "dietary_needs",
            "presenting_project_idea",
            "is_late",
            "created_at",
        ]
        status_labels = dict(Status.choices)
        attendance_labels = dict(Registration.AttendanceMode.choices)
        rows = [
            [
                format_html(
                    '<a href="{}">{}</a>',
                    reverse("admin:meetings_registration_change", args=[registration.pk]),
                    registration.contact_person,
                ),
                status_labels.get(registration.status, registration.status),
                display_for_value(registration.over_capacity, "", boolean=True),
                attendance_labels.get(registration.attendance_mode, registration.attendance_mode),
                registration.dietary_needs,
                display_for_value(registration.presenting_project_idea, "", boolean=True),
                display_for_value(registration.is_late, "", boolean=True),
                display_for_value(registration.created_at, ""),
            ]
            for registration in Registration.objects.filter(
                # The first ones chosen among the meeting's registrations alone: sorted after
                # the join to the people, PostgreSQL hashed all 20,000 of them for a meeting
                # of 2,000 registrations.
                pk__in=of_meeting.in_queue_order().values("pk")[:SHOWN_CHILDREN]
            )
            .select_related("contact_person__municipality")
            .in_queue_order()
        ]
        return bounded_children(
            label=plural_name(Registration),
            counts=[
                *(
                    (label, counts[status], f"{listed}&status__exact={status}")
                    for status, label in Status.choices
                ),
                (
                    capfirst(Registration._meta.get_field("over_capacity").verbose_name),
                    counts["over_capacity"],
                    f"{listed}&over_capacity__exact=1",
                ),
                (gettext("Checked in"), counts["attended"], f"{listed}&attendance=attended"),
            ],
            headings=field_headings(Registration, fields),
            rows=rows,
            total=sum(counts[status] for status in Status.values),
            links=[
                (gettext("All registrations for this meeting"), listed),
                (
                    gettext("Check-in list"),
                    reverse("meetings:check_in", kwargs={"slug": obj.slug}),
                ),
            ],
        )

    def get_queryset(self, request):
        Status = Registration.Status
        registrations = Registration.objects.all()
        return (
            super()
            .get_queryset(request)
            .annotate(
                confirmed_count=count_of(
                    registrations, meeting=OuterRef("pk"), status=Status.CONFIRMED
                ),
                waitlisted_count=count_of(
                    registrations, meeting=OuterRef("pk"), status=Status.WAITLISTED
                ),
            )
        )

    def get_inlines(self, request, obj):
        # People are registered once the meeting exists, by the rules of its capacity.
        if obj is None:
            return [AgendaItemInline]
        return super().get_inlines(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A meeting people registered for is cancelled, never deleted: the registrations
        # are the record of who took part.
        if obj is not None and obj.registrations.exists():
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("confirmed"), ordering="confirmed_count")
    def confirmed_count(self, obj):
        return obj.confirmed_count

    @admin.display(description=_("waiting list"), ordering="waitlisted_count")
    def waitlisted_count(self, obj):
        return obj.waitlisted_count

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            # The people a change of time, place or status is mailed to. A held meeting's
            # changes are mailed to nobody, so the page warns about none.
            "active_registration_count": (
                Registration.objects.active()
                .filter(meeting_id=object_id)
                .exclude(meeting__status=Meeting.Status.HELD)
                .count()
                if str(object_id).isdigit()
                else 0
            ),
            "can_export_participants": self.has_participant_export_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                f"<int:object_id>/participants.{file_format}",
                self.admin_site.admin_view(self.participants_view),
                {"file_format": file_format},
                name="{}_{}_participants_{}".format(*info, file_format),
            )
            for file_format in exports.FORMATS
        ] + super().get_urls()

    @admin.action(description=_("Copy the selected meeting"), permissions=["add"])
    def copy_meeting(self, request, queryset):
        meeting = only_one(self, request, queryset.select_related("series"))
        if meeting is None:
            return None
        try:
            copy = copying.meeting_copy(meeting=meeting)
        except ValidationError as error:
            for message in error.messages:
                self.message_user(request, message, messages.ERROR)
            return None
        self.message_user(
            request,
            gettext(
                "“%(meeting)s” was copied. Change the copy's title, time and place before "
                "you invite."
            )
            % {"meeting": meeting},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:meetings_meeting_change", args=[copy.pk]))

    def has_participant_export_permission(self, request):
        # The list shows people's contact details: it needs the right to see registrations.
        return self.has_view_permission(request) and request.user.has_perm(
            "meetings.view_registration"
        )

    def participants_view(self, request, object_id, file_format):
        """The meeting's participant list as a CSV or Excel download; a CSV file is separated
        by semicolons unless `?separator=comma` asks for commas."""
        if not self.has_participant_export_permission(request):
            raise PermissionDenied
        separator = request.GET.get("separator", exports.DEFAULT_SEPARATOR)
        if separator not in exports.SEPARATORS:
            raise BadRequest("Unknown separator.")
        meeting = get_object_or_404(
            Meeting.objects.only("pk", "slug", "title", "starts_at", "tentative_period"),
            pk=object_id,
        )
        if file_format == "csv":
            # Row by row as the database gives them: a large meeting's list is never one
            # string in memory.
            response: HttpResponse | StreamingHttpResponse = StreamingHttpResponse(
                exports.participants_csv(meeting, separator=separator),
                content_type=exports.FORMATS["csv"][1],
            )
        else:
            export = exports.participants_file(meeting, file_format)
            response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=exports.participants_filename(meeting, file_format)
        )
        return response

    def save_model(self, request, obj, form, change):
        stored = (
            Meeting.objects.filter(pk=obj.pk).values(*Meeting.NOTIFIED_FIELDS).first()
            if change
            else None
        )
        services.meeting_save(meeting=obj)
        if stored is None or not services.calendar_changes(stored, obj):
            return
        count = Registration.objects.active().filter(meeting=obj).count()
        if count:
            self.message_user(
                request,
                ngettext(
                    "%(count)d registered participant is being told about the change.",
                    "%(count)d registered participants are being told about the change.",
                    count,
                )
                % {"count": count},
            )

    def save_formset(self, request, form, formset, change):
        if formset.model is not Registration:
            return super().save_formset(request, form, formset, change)
        # Registrations go through the service, so seats, the waiting list and mail behave
        # as they do for members. `save(commit=False)` also records what changed, for the
        # history entry.
        rows = {id(row.instance): row for row in formset.forms}
        for registration in formset.save(commit=False):
            staff_save(self, request, rows[id(registration)], registration)
        formset.save_m2m()


class MaterialAdminForm(forms.ModelForm):
    class Meta:
        model = Material
        fields = ["title", "agenda_item", "visibility", "hidden"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "agenda_item" in self.fields and self.instance.meeting_id is not None:
            form_field(
                self, "agenda_item", forms.ModelChoiceField
            ).queryset = AgendaItem.objects.filter(meeting_id=self.instance.meeting_id).order_by(
                "order", "pk"
            )


@admin.register(Material)
class MaterialAdmin(NamedInputsAdmin, LightRowsAdmin, ServiceErrorsAsMessages, admin.ModelAdmin):
    """Files uploaded to meetings. Staff change their title, item and visibility, hide them
    from everyone but county staff, or remove them (the file goes with the record)."""

    form = MaterialAdminForm
    list_display = [
        "title",
        "meeting",
        "agenda_item",
        "visibility",
        "hidden",
        "filename",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["hidden", "visibility", ("meeting", MeetingOfTheYearFilter)]
    list_select_related = ["meeting", "agenda_item", "uploaded_by"]
    search_fields = ["title", "filename", "meeting__title"]
    date_hierarchy = "uploaded_at"
    ordering = ["-uploaded_at", "-pk"]
    fields = [
        "meeting",
        "title",
        "agenda_item",
        "visibility",
        "hidden",
        "download",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    ]
    readonly_fields = ["meeting", "download", "content_type", "size", "uploaded_by", "uploaded_at"]
    actions = ["hide_selected", "show_selected", "remove_selected"]

    @admin.display(description=_("file"))
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.filename)

    def has_add_permission(self, request):
        # Files are uploaded on the meeting's page, where they are checked.
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Removing goes through the service, which deletes the file too.
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        materials.material_update(material=obj)

    def delete_model(self, request, obj):
        materials.material_delete(material=obj)

    def delete_queryset(self, request, queryset):
        for material in queryset:
            materials.material_delete(material=material)

    @admin.action(description=_("Hide the selected files"), permissions=["change"])
    def hide_selected(self, request, queryset):
        count = materials.material_set_hidden(materials=queryset, hidden=True)
        self.message_user(
            request,
            ngettext("%(count)d file is hidden.", "%(count)d files are hidden.", count)
            % {"count": count},
        )

    @admin.action(description=_("Show the selected files again"), permissions=["change"])
    def show_selected(self, request, queryset):
        count = materials.material_set_hidden(materials=queryset, hidden=False)
        self.message_user(
            request,
            ngettext("%(count)d file is shown again.", "%(count)d files are shown again.", count)
            % {"count": count},
        )

    @admin.action(description=_("Remove the selected files"), permissions=["delete"])
    def remove_selected(self, request, queryset):
        count = 0
        for material in queryset:
            materials.material_delete(material=material)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d file is removed.", "%(count)d files are removed.", count)
            % {"count": count},
        )


class AttendanceFilter(admin.SimpleListFilter):
    """Who came: the confirmed participants checked in at the door, and the no-shows (a
    seat, a meeting that has ended, no check-in)."""

    title = _("attendance")
    parameter_name = "attendance"

    def lookups(self, request, model_admin):
        return [("attended", _("Checked in")), ("no_show", _("No-show"))]

    def queryset(self, request, queryset):
        if self.value() == "attended":
            return queryset.filter(status=Registration.Status.CONFIRMED, attended_at__isnull=False)
        if self.value() == "no_show":
            now = timezone.now()
            return queryset.filter(
                Q(meeting__ends_at__lt=now)
                | Q(meeting__ends_at__isnull=True, meeting__starts_at__lt=now),
                status=Registration.Status.CONFIRMED,
                attended_at__isnull=True,
            ).exclude(meeting__status=Meeting.Status.CANCELLED)
        return queryset


@admin.register(Registration)
class RegistrationAdmin(
    NamedInputsAdmin, LightRowsAdmin, ServiceErrorsAsMessages, ReadableHistoryAdmin
):
    form = RegistrationStaffForm
    list_display = [
        "contact_person",
        "municipality",
        "meeting",
        "status",
        "over_capacity",
        "attendance_mode",
        "presenting_project_idea",
        "is_late",
        "attended_at",
        "created_at",
    ]
    list_filter = [
        "status",
        "over_capacity",
        "attendance_mode",
        "is_late",
        AttendanceFilter,
        # Not a date hierarchy: that reads the distinct dates of every registration.
        ("created_at", admin.DateFieldListFilter),
        "meeting__series__year",
        ("meeting__series", SeriesOfTheYearFilter),
        ("meeting", MeetingOfTheYearFilter),
    ]
    list_select_related = ["contact_person__municipality", "municipality", "meeting"]
    # Newest first, read from the index on (created_at, id): the model's ordering goes
    # through the meeting, which sorts every registration joined to its meeting.
    ordering = ["-created_at", "-pk"]
    # "12 results (100,000 total)" would count the whole table a second time on every page.
    show_full_result_count = False
    search_fields = [
        "contact_person__name",
        "contact_person__email",
        "contact_person__municipality__name",
        "meeting__title",
    ]
    autocomplete_fields = ["meeting", "contact_person"]
    # The municipality is recorded when the person registers (see Registration.municipality).
    readonly_fields = [
        "municipality",
        "is_late",
        "updated_at",
        "cancelled_at",
        "attended_at",
        "attended_by",
    ]
    actions = ["cancel_selected"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # A registration belongs to its meeting and person; moving it would skip the other
        # meeting's seats. Cancel it and register anew instead.
        return ["meeting", "contact_person", *self.readonly_fields]

    def has_delete_permission(self, request, obj=None):
        # Registrations are cancelled, never deleted, not even by superusers: a deleted seat
        # would skip the waiting list and tell nobody.
        return False

    def save_model(self, request, obj, form, change):
        staff_save(self, request, form, obj)

    @admin.action(description=_("Cancel selected registrations"), permissions=["change"])
    def cancel_selected(self, request, queryset):
        cancelled = promoted = unmailed = 0
        for registration in queryset.select_related("meeting").order_by("pk"):
            change = services.registration_staff_cancel(registration=registration)
            if change.status_changed:
                cancelled += 1
                promoted += len(change.promoted)
                unmailed += change.notice is None
        if not cancelled:
            self.message_user(
                request,
                gettext("The selected registrations were cancelled already."),
                messages.WARNING,
            )
            return
        self.message_user(
            request,
            ngettext(
                "%(count)d registration was cancelled.",
                "%(count)d registrations were cancelled.",
                cancelled,
            )
            % {"count": cancelled},
            messages.SUCCESS,
        )
        report_promoted(self, request, promoted)
        if unmailed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d of them was for a meeting that has started; that person was "
                    "not e-mailed.",
                    "%(count)d of them were for meetings that have started; those people were "
                    "not e-mailed.",
                    unmailed,
                )
                % {"count": unmailed},
                messages.WARNING,
            )


TEXT_FIELDS = ["subject", "body"]
TRANSLATED_FIELDSETS = [
    (_("Text in Bokmål"), {"fields": ["subject_nb", "body_nb"], "classes": ["collapse"]}),
    (_("Text in English"), {"fields": ["subject_en", "body_en"], "classes": ["collapse"]}),
]


@admin.register(Mailing)
class MailingAdmin(NamedInputsAdmin, LightRowsAdmin, admin.ModelAdmin):
    list_display = [
        "display_subject",
        "meeting",
        "kind",
        "created_at",
        "queued_at",
        "recipient_count",
        "sent_count",
        "waiting_count",
        "failed_count",
    ]
    list_filter = [
        "kind",
        ("queued_at", admin.EmptyFieldListFilter),
        "meeting__series__year",
        ("meeting__series", SeriesOfTheYearFilter),
    ]
    list_select_related = ["meeting"]
    search_fields = ["subject", "meeting__title"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["meeting"]
    ordering = ["-created_at", "-pk"]
    actions = ["send_drafts", "retry_failed"]

    def get_queryset(self, request):
        status = MailingRecipient.Status
        recipients = MailingRecipient.objects.all()
        mailing = OuterRef("pk")
        return (
            super()
            .get_queryset(request)
            .annotate(
                recipient_count=count_of(recipients, mailing=mailing),
                sent_count=count_of(recipients, mailing=mailing, status=status.SENT),
                # A draft's recipients wait for nothing: nobody has sent it yet.
                waiting_count=count_of(
                    recipients,
                    mailing=mailing,
                    mailing__queued_at__isnull=False,
                    status__in=[status.QUEUED, status.SENDING],
                ),
                failed_count=count_of(recipients, mailing=mailing, status=status.FAILED),
            )
        )

    def get_actions(self, request):
        # Only a draft may be deleted, one at a time from its page: a sent mailing is the
        # record of who was mailed, and the bulk action cannot tell them apart.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not obj.is_draft:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        services.mailing_delete_draft(mailing=obj)

    @admin.display(description=_("subject"), ordering="subject")
    def display_subject(self, obj):
        return obj.display_subject

    @admin.display(description=_("recipients"), ordering="recipient_count")
    def recipient_count(self, obj):
        url = (
            reverse("admin:meetings_mailingrecipient_changelist") + f"?mailing__id__exact={obj.pk}"
        )
        return format_html('<a href="{}">{}</a>', url, obj.recipient_count)

    @admin.display(description=_("sent"), ordering="sent_count")
    def sent_count(self, obj):
        return obj.sent_count

    @admin.display(description=_("waiting"), ordering="waiting_count")
    def waiting_count(self, obj):
        return obj.waiting_count

    @admin.display(description=_("failed"), ordering="failed_count")
    def failed_count(self, obj):
        return obj.failed_count

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = MailingForm if obj is not None else MailingAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ["meeting", *TEXT_FIELDS]}),
                *TRANSLATED_FIELDSETS,
                (
                    _("Recipients"),
                    {
                        "fields": [
                            "municipalities",
                            "membership",
                            "official_mailbox",
                            "contact_persons",
                            "sectors",
                            "persons",
                            "skip_answered",
                            "skip_invited",
                        ]
                    },
                ),
                (_("Sending"), {"fields": ["send_now"]}),
            ]
        fieldsets = [
            (None, {"fields": ["meeting", "kind", *TEXT_FIELDS]}),
            *TRANSLATED_FIELDSETS,
            (_("Preview"), {"fields": ["preview"]}),
            (_("Delivery"), {"fields": ["delivery", "created_by", "created_at", "queued_at"]}),
        ]
        if obj.is_draft:
            fieldsets.append((_("Sending"), {"fields": ["send_now"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fields = ["meeting", "kind", "preview", "delivery", "created_by", "created_at"]
        fields.append("queued_at")
        if not obj.is_draft:
            fields += [*TEXT_FIELDS, "subject_nb", "body_nb", "subject_en", "body_en"]
        return fields

    def get_changeform_initial_data(self, request):
        # Django's initial data is the query string's text; ours holds the meeting's id.
        initial: dict[str, Any] = dict(super().get_changeform_initial_data(request))
        # ?meeting=<pk> comes from the meeting's page; anything else in it is ignored.
        raw = initial.pop("meeting", "")
        meeting = (
            Meeting.objects.select_related("series").filter(pk=raw).first()
            if isinstance(raw, str) and raw.isdigit()
            else None
        )
        if meeting is not None:
            initial["meeting"] = meeting.pk
            initial.update(emails.default_mailing_texts(meeting, Mailing.Kind.INVITATION))
        return initial

    @admin.display(description=_("preview"))
    def preview(self, obj):
        """What each kind of recipient gets in each language: an official mailbox (always
        Nynorsk) and a contact person. The mailing's first recipient of each kind is shown,
        or an example when it has none."""
        first = {}
        for is_mailbox in (True, False):
            found = (
                obj.recipients.filter(contact_person__isnull=is_mailbox)
                .select_related("contact_person")
                .order_by("pk")
                .first()
            )
            first[is_mailbox] = found or MailingRecipient(
                mailing=obj,
                email="postmottak@example.org" if is_mailbox else "kari.nordmann@example.org",
                name=gettext("Example municipality") if is_mailbox else "Kari Nordmann",
            )
        languages = dict(settings.LANGUAGES)
        cases = [(gettext("Official mailbox"), first[True], "nn")] + [
            (gettext("Contact person"), first[False], language)
            for language in emails.MAILING_LANGUAGES
        ]
        sections = []
        for label, recipient, language in cases:
            recipient.mailing = obj
            subject, body = emails.render_mailing(recipient, language=language)
            sections.append(
                (
                    label,
                    languages[language],
                    gettext("To:"),
                    recipient.email,
                    gettext("Subject:"),
                    subject,
                    body,
                )
            )
        return format_html_join(
            "",
            '<section class="mailing-preview-case"><h3>{} ({})</h3>'
            "<p><strong>{}</strong> {}</p><p><strong>{}</strong> {}</p>"
            '<pre class="mailing-preview">{}</pre></section>',
            sections,
        )

    @admin.display(description=_("delivery"))
    def delivery(self, obj):
        counts = dict(obj.recipients.order_by().values_list("status").annotate(n=Count("pk")))
        if obj.is_draft:
            total = sum(counts.values())
            return ngettext(
                "Draft, not sent yet: %(count)d recipient.",
                "Draft, not sent yet: %(count)d recipients.",
                total,
            ) % {"count": total}
        return format_html_join(
            ", ",
            "{}: {}",
            ((label, counts.get(value, 0)) for value, label in MailingRecipient.Status.choices),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if str(object_id).isdigit() and self.has_change_permission(request):
            extra_context["send_test_url"] = reverse(
                "admin:meetings_mailing_send_test", args=[object_id]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/send-test/",
                self.admin_site.admin_view(self.send_test_view),
                name="meetings_mailing_send_test",
            ),
            *super().get_urls(),
        ]

    def send_test_view(self, request, object_id):
        """Mail the mailing to the staff member's own address, through the outbox."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        mailing = get_object_or_404(Mailing, pk=object_id)
        try:
            count = services.mailing_send_test(
                mailing=mailing,
                email=request.user.email,
                name=request.user.get_full_name() or request.user.email,
            )
        except services.MailingError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(
                request,
                ngettext(
                    "A test (%(count)d language) is on its way to %(email)s.",
                    "A test (%(count)d languages) is on its way to %(email)s.",
                    count,
                )
                % {"count": count, "email": request.user.email},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:meetings_mailing_change", args=[mailing.pk]))

    def save_model(self, request, obj, form, change):
        if not change:
            created = services.mailing_create(
                meeting=form.cleaned_data["meeting"],
                kind=Mailing.Kind.INVITATION,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                translations=form.translations,
                recipients=form.recipients,
                created_by=request.user,
            )
            # The admin goes on with `obj` (messages, log entry, redirect).
            obj.pk = created.pk
            obj.created_at = created.created_at
            obj._state.adding = False
            skipped = form.skipped
            self.message_user(
                request,
                gettext(
                    "Recipients: %(count)d. Left out: %(answered)d who already answered, "
                    "%(invited)d already invited."
                )
                % {
                    "count": len(form.recipients),
                    "answered": skipped.answered,
                    "invited": skipped.already_invited,
                },
                messages.INFO,
            )
        elif obj.is_draft:
            try:
                services.mailing_update_draft(
                    mailing=obj,
                    texts={name: form.cleaned_data[name] for name in MailingForm.Meta.fields[1:]},
                )
            except services.MailingError as error:
                self.message_user(request, error.message, messages.ERROR)
                return
        if form.cleaned_data.get("send_now"):
            self._send(request, [obj])

    def _send(self, request, mailings):
        for mailing in mailings:
            try:
                services.mailing_send(mailing=mailing)
            except services.MailingError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                count = mailing.recipients.count()
                self.message_user(
                    request,
                    ngettext(
                        "The mailing to %(count)d recipient is queued and will be sent in the "
                        "background.",
                        "The mailing to %(count)d recipients is queued and will be sent in the "
                        "background.",
                        count,
                    )
                    % {"count": count},
                    messages.SUCCESS,
                )

    @admin.action(description=_("Send the selected draft mailings"), permissions=["change"])
    def send_drafts(self, request, queryset):
        self._send(request, list(queryset.filter(queued_at__isnull=True)))

    @admin.action(description=_("Try failed deliveries again"), permissions=["change"])
    def retry_failed(self, request, queryset):
        count = services.mailing_retry_failed(mailings=list(queryset))
        self.message_user(
            request,
            ngettext(
                "%(count)d failed delivery will be tried again.",
                "%(count)d failed deliveries will be tried again.",
                count,
            )
            % {"count": count},
        )


class DeliveryStatusFilter(admin.SimpleListFilter):
    """The delivery status, with a draft's recipients apart: they are not queued for anything
    until the draft is sent."""

    title = _("status")
    parameter_name = "delivery"
    DRAFT = "draft"

    def lookups(self, request, model_admin):
        return [(self.DRAFT, _("Draft, not sent yet")), *MailingRecipient.Status.choices]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.DRAFT:
            return queryset.filter(mailing__queued_at__isnull=True)
        if value in MailingRecipient.Status.values:
            return queryset.filter(status=value, mailing__queued_at__isnull=False)
        return queryset


@admin.register(MailingRecipient)
class MailingRecipientAdmin(NamedInputsAdmin, LightRowsAdmin, admin.ModelAdmin):
    """Delivery and answers per address, for following up. Read-only: the queue writes it."""

    list_display = [
        "email",
        "name",
        "municipality",
        "mailing",
        "delivery_status",
        "attempts",
        "last_error",
        "sent_at",
        "declined_at",
    ]
    list_filter = [
        DeliveryStatusFilter,
        ("declined_at", admin.EmptyFieldListFilter),
        # Not a date hierarchy: that reads the distinct dates of every recipient.
        ("sent_at", admin.DateFieldListFilter),
        "mailing__kind",
        "mailing__meeting__series__year",
        ("mailing__meeting", MeetingOfTheYearFilter),
        ("mailing", MailingOfTheYearFilter),
    ]
    list_select_related = ["municipality", "mailing__meeting"]
    # Newest first by the primary key: the model's ordering goes through the mailing, which
    # sorts every recipient joined to its mailing.
    ordering = ["-pk"]
    show_full_result_count = False
    search_fields = ["email", "name", "municipality__name"]

    @admin.display(description=_("status"), ordering="status")
    def delivery_status(self, obj):
        if obj.mailing.is_draft:
            return gettext("Draft, not sent yet")
        return obj.get_status_display()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Viewing only; "change" is what lets staff retry failed deliveries from the mailing.
        return False

    def has_delete_permission(self, request, obj=None):
        # Only a draft's recipients go, with the draft (the mailing's delete page checks
        # this for each of them) or one by one; a sent mailing's are the record of who got it.
        if obj is None or not obj.mailing.is_draft:
            return False
        return request.user.has_perm("meetings.delete_mailing")

    def delete_model(self, request, obj):
        services.mailing_recipient_delete(recipient=obj)


# --- Date polls ------------------------------------------------------------------------------


class DatePollCandidateInline(NamedInputsTabularInline):
    model = DatePollCandidate
    fields = ["starts_at", "ends_at"]
    extra = 3

    def _open(self, obj) -> bool:
        return obj is None or obj.closed_at is None

    def has_add_permission(self, request, obj=None):
        return self._open(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._open(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._open(obj) and super().has_delete_permission(request, obj)


class DatePollAdminForm(RepeatedHourModelForm):
    """Checked as `polls.poll_save` checks, so what cannot be done shows on the fields."""

    class Meta:
        model = DatePoll
        fields = ["meeting", "closes_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "meeting" in self.fields:
            form_field(self, "meeting", forms.ModelChoiceField).queryset = Meeting.objects.filter(
                status=Meeting.Status.TENTATIVE, date_poll__isnull=True
            ).select_related("series")

    def clean(self):
        cleaned = super().clean()
        if self.instance.closed_at is not None:
            raise ValidationError(_("The poll is closed; it cannot be changed."))
        closes_at = cleaned.get("closes_at")
        if closes_at is not None and closes_at <= timezone.now():
            self.add_error("closes_at", _("The poll must close in the future."))
        return cleaned


@admin.register(DatePoll)
class DatePollAdmin(NamedInputsAdmin, admin.ModelAdmin):
    form = DatePollAdminForm
    list_display = ["meeting", "closes_at", "state", "chosen"]
    list_select_related = ["meeting", "chosen"]
    search_fields = ["meeting__title", "meeting__slug"]
    inlines = [DatePollCandidateInline]
    actions = ["close_selected"]

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.chosen_id:
            return gettext("Date picked")
        return gettext("Open") if obj.is_open() else gettext("Closed")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["meeting", "closes_at"]
        return ["meeting", "closes_at", "state", "chosen", "public_page", "results"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        readonly = ["meeting", "state", "chosen", "public_page", "results"]
        if obj.closed_at is not None:
            readonly.append("closes_at")
        return readonly

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if not str(initial.get("meeting", "")).isdigit():
            initial.pop("meeting", None)
        return initial

    @admin.display(description=_("poll page"))
    def public_page(self, obj):
        url = obj.get_absolute_url()
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.display(description=_("answers"))
    def results(self, obj):
        return render_to_string(
            "admin/meetings/datepoll/results.html",
            {
                "poll": obj,
                "rows": polls.poll_results(obj),
                "can_pick": obj.chosen_id is None
                and obj.meeting.status == Meeting.Status.TENTATIVE,
            },
        )

    def has_delete_permission(self, request, obj=None):
        # The answers are the record of how the date was agreed.
        return False

    def save_model(self, request, obj, form, change):
        polls.poll_save(poll=obj)

    def save_formset(self, request, form, formset, change):
        polls.poll_check_candidates_changeable(poll=form.instance)
        super().save_formset(request, form, formset, change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            for message in error.messages:
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(description=_("Close the selected polls"), permissions=["change"])
    def close_selected(self, request, queryset):
        for poll in queryset:
            polls.poll_close(poll=poll)
        self.message_user(request, gettext("The selected polls are closed."))

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<int:object_id>/pick/<int:candidate_id>/",
                self.admin_site.admin_view(self.pick_view),
                name="{}_{}_pick".format(*info),
            ),
            *super().get_urls(),
        ]

    def pick_view(self, request, object_id, candidate_id):
        """Pick the winning date, after a confirmation: the meeting is scheduled and everyone
        who answered is mailed."""
        poll = get_object_or_404(DatePoll.objects.select_related("meeting"), pk=object_id)
        if not self.has_change_permission(request, poll) or not request.user.has_perm(
            "meetings.change_meeting"
        ):
            raise PermissionDenied
        candidate = get_object_or_404(DatePollCandidate, pk=candidate_id, poll=poll)
        change_url = reverse("admin:meetings_datepoll_change", args=[poll.pk])
        if request.method == "POST":
            try:
                count = polls.poll_pick(poll=poll, candidate=candidate)
            except polls.PollClosed as refused:
                self.message_user(request, refused.message, messages.ERROR)
            except ValidationError as error:
                for message in error.messages:
                    self.message_user(request, message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    ngettext(
                        "The meeting is scheduled; %(count)d person who answered is told by "
                        "e-mail.",
                        "The meeting is scheduled; %(count)d people who answered are told by "
                        "e-mail.",
                        count,
                    )
                    % {"count": count},
                )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Pick this date?"),
            "poll": poll,
            "candidate": candidate,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/meetings/datepoll/pick_confirmation.html", context)
