from django.contrib import admin
from django.db import models
from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import AgendaItem, Meeting, MeetingSeries, Registration


class MeetingInline(admin.TabularInline):
    model = Meeting
    fields = ["title", "kind", "status", "starts_at", "tentative_period"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        # Meetings are created on their own page, where the calendar rules are applied.
        return False


@admin.register(MeetingSeries)
class MeetingSeriesAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "organiser_name", "meeting_count"]
    # Meta.ordering does not apply to the annotated (GROUP BY) queryset, so repeat it here.
    ordering = ["-year", "name"]
    list_filter = ["year"]
    search_fields = ["name", "description", "organiser_name"]
    inlines = [MeetingInline]
    fieldsets = [
        (None, {"fields": ["name", "year", "description"]}),
        (_("Organiser"), {"fields": ["organiser_name", "organiser_email", "organiser_phone"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(meeting_count=Count("meetings"))

    @admin.display(description=_("meetings"), ordering="meeting_count")
    def meeting_count(self, obj):
        return obj.meeting_count


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    fields = ["order", "starts_at", "title", "description"]
    extra = 1


class RegistrationInline(admin.TabularInline):
    """Existing registrations. The person is shown, not editable: a select or autocomplete
    widget per row would cost a query per registration."""

    model = Registration
    fields = [
        "contact_person",
        "status",
        "attendance_mode",
        "dietary_needs",
        "presenting_project_idea",
        "is_late",
        "created_at",
    ]
    readonly_fields = ["contact_person", "is_late", "created_at"]
    extra = 0
    # Registrations are cancelled, never deleted: set the status instead.
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("meeting", "contact_person__municipality")
            .order_by("queued_at", "pk")
        )


class RegistrationAddInline(admin.TabularInline):
    """New registrations by staff, also after the deadline (they are marked late)."""

    model = Registration
    fields = ["contact_person", "status", "attendance_mode", "dietary_needs"]
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


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
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
    list_filter = ["status", "kind", "series__year", "series"]
    list_select_related = ["series"]
    ordering = [F("starts_at").desc(nulls_last=True), "pk"]
    search_fields = ["title", "slug", "theme", "venue_name", "series__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["series"]
    date_hierarchy = "starts_at"
    readonly_fields = ["sequence", "created_at", "updated_at"]
    inlines = [AgendaItemInline, RegistrationInline, RegistrationAddInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["series", "kind", "title", "slug", "theme", "description"]}),
        (
            _("Time"),
            {"fields": ["status", "tentative_period", "starts_at", "ends_at"]},
        ),
        (_("Place"), {"fields": ["venue_name", "venue_address", "online_url"]}),
        (
            _("Registration"),
            {"fields": ["registration_deadline", "capacity", "programme_url"]},
        ),
        (_("Calendar"), {"fields": ["sequence", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                confirmed_count=Count(
                    "registrations",
                    filter=Q(registrations__status=Registration.Status.CONFIRMED),
                ),
                waitlisted_count=Count(
                    "registrations",
                    filter=Q(registrations__status=Registration.Status.WAITLISTED),
                ),
            )
        )

    @admin.display(description=_("confirmed"), ordering="confirmed_count")
    def confirmed_count(self, obj):
        return obj.confirmed_count

    @admin.display(description=_("waiting list"), ordering="waitlisted_count")
    def waitlisted_count(self, obj):
        return obj.waitlisted_count

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "active_registration_count": (
                Registration.objects.active().filter(meeting_id=object_id).count()
                if str(object_id).isdigit()
                else 0
            ),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        services.meeting_save(meeting=obj)
        if change and set(form.changed_data) & set(Meeting.NOTIFIED_FIELDS):
            count = Registration.objects.active().filter(meeting=obj).count()
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
        # Registrations go through the service so late marking and the waiting list apply.
        for registration in formset.save(commit=False):
            services.registration_staff_save(registration=registration)
        formset.save_m2m()


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = [
        "contact_person",
        "municipality",
        "meeting",
        "status",
        "attendance_mode",
        "presenting_project_idea",
        "is_late",
        "created_at",
    ]
    list_filter = ["status", "attendance_mode", "is_late", "meeting__series", "meeting"]
    list_select_related = ["contact_person__municipality", "meeting"]
    search_fields = [
        "contact_person__name",
        "contact_person__email",
        "contact_person__municipality__name",
        "meeting__title",
    ]
    autocomplete_fields = ["meeting", "contact_person"]
    date_hierarchy = "created_at"
    readonly_fields = ["updated_at", "cancelled_at"]

    @admin.display(description=_("municipality"), ordering="contact_person__municipality__name")
    def municipality(self, obj):
        return obj.contact_person.municipality

    def save_model(self, request, obj, form, change):
        services.registration_staff_save(registration=obj)
