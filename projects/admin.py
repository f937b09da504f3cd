import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime
from django.db import models
from django.db.models import Count, OuterRef
from django.http import StreamingHttpResponse
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from common.admin_tools import (
    NamedInputsAdmin,
    NamedInputsTabularInline,
    count_of,
    name_split_inputs,
)
from common.forms import RepeatedHourModelForm
from common.validators import validate_plausible_moment
from meetings.admin import ServiceErrorsAsMessages

from . import exports, services
from .models import (
    Call,
    CallReminder,
    EUProgramme,
    EuropeanPartner,
    IdeaSector,
    Interest,
    Presentation,
    ProgrammeFollow,
    ProjectIdea,
    StageChange,
)


@admin.register(EUProgramme)
class EUProgrammeAdmin(NamedInputsAdmin, admin.ModelAdmin):
    list_display = ["name", "description", "url", "idea_count"]
    search_fields = ["name", "description"]
    ordering = ["name"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(idea_count=Count("ideas"))

    @admin.display(description=_("ideas"), ordering="idea_count")
    def idea_count(self, obj):
        return obj.idea_count


class IdeaSectorInline(NamedInputsTabularInline):
    model = IdeaSector
    extra = 1


class EuropeanPartnerInline(NamedInputsTabularInline):
    model = EuropeanPartner
    extra = 1


class StageChangeInline(NamedInputsTabularInline):
    model = StageChange
    readonly_fields = fields = ("stage", "changed_at", "changed_by")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        # The history follows the idea's stage; it is not written by hand.
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")


class InterestInline(NamedInputsTabularInline):
    model = Interest
    form = RepeatedHourModelForm
    fields = ["municipality", "contact_person", "message", "created_at", "withdrawn_at"]
    readonly_fields = ["municipality", "contact_person", "created_at"]
    extra = 0
    # A municipality's interest is withdrawn (set the date), not deleted.
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("municipality", "contact_person")


class PresentationInline(NamedInputsTabularInline):
    model = Presentation
    fields = ["meeting", "registration"]
    autocomplete_fields = ["meeting"]
    raw_id_fields = ["registration"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("meeting", "registration")


@admin.register(ProjectIdea)
class ProjectIdeaAdmin(NamedInputsAdmin, admin.ModelAdmin):
    list_display = ["title", "lead_municipality", "stage", "interest_count", "updated_at"]
    list_filter = ["stage", "sectors__sector", "programmes", "lead_municipality"]
    list_select_related = ["lead_municipality"]
    search_fields = ["title", "local_need", "description", "lead_municipality__name"]
    autocomplete_fields = ["lead_municipality", "contact_person", "partner_municipalities"]
    filter_horizontal = ["programmes", "calls"]
    date_hierarchy = "updated_at"
    ordering = ["-updated_at", "-pk"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [
        IdeaSectorInline,
        EuropeanPartnerInline,
        PresentationInline,
        InterestInline,
        StageChangeInline,
    ]
    actions = ["export_csv", "export_csv_comma"]
    fieldsets = [
        (None, {"fields": ["title", "lead_municipality", "contact_person", "stage"]}),
        (_("Content"), {"fields": ["local_need", "description", "call_deadline"]}),
        (
            _("Programmes and partners"),
            {"fields": ["programmes", "calls", "partner_municipalities"]},
        ),
        (_("History"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                interest_count=count_of(
                    Interest.objects.filter(withdrawn_at__isnull=True),
                    idea=OuterRef("pk"),
                    distinct="municipality",
                )
            )
        )

    @admin.display(description=_("interested municipalities"), ordering="interest_count")
    def interest_count(self, obj):
        return obj.interest_count

    def save_model(self, request, obj, form, change):
        services.idea_staff_save(idea=obj, user=request.user)

    @admin.action(description=_("Export the selected ideas as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return self._export(queryset, separator="semicolon")

    @admin.action(
        description=_("Export the selected ideas as CSV, comma-separated"), permissions=["view"]
    )
    def export_csv_comma(self, request, queryset):
        return self._export(queryset, separator="comma")

    def _export(self, queryset, *, separator):
        ideas = queryset.select_related("lead_municipality").prefetch_related(
            "sectors", "programmes"
        )
        response = StreamingHttpResponse(
            exports.ideas_csv_lines(ideas, separator=separator),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="project-ideas.csv"'
        return response


@admin.register(Interest)
class InterestAdmin(NamedInputsAdmin, admin.ModelAdmin):
    form = RepeatedHourModelForm
    list_display = ["idea", "municipality", "contact_person", "created_at", "withdrawn_at"]
    list_filter = [("withdrawn_at", admin.EmptyFieldListFilter), "municipality"]
    list_select_related = ["idea", "municipality", "contact_person__municipality"]
    search_fields = ["idea__title", "municipality__name", "contact_person__name"]
    autocomplete_fields = ["idea", "contact_person", "municipality"]
    date_hierarchy = "created_at"

    def has_delete_permission(self, request, obj=None):
        # An interest is withdrawn (set the date), so the record of who was interested stays.
        return False


class WallClockSplitDateTimeField(forms.SplitDateTimeField):
    """A date and a time as a clock shows them, without a zone: the form puts them in the
    zone chosen beside them (Django's own field would read them in Oslo time)."""

    def compress(self, data_list):
        if data_list and None not in data_list:
            return dt.datetime.combine(*data_list)
        return None


class CallAdminForm(forms.ModelForm):
    class Meta:
        model = Call
        # The admin adds the other fields of its fieldsets (with its own link field).
        fields = ["deadline", "deadline_time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.deadline:
            # The clock time in the zone the deadline was given in, as staff typed it.
            self.initial["deadline"] = self.instance.deadline_local.replace(tzinfo=None)

    def clean(self):
        cleaned = super().clean()
        wall = self.cleaned_data.get("deadline")
        zone_name = self.cleaned_data.get("deadline_time_zone")
        if wall is None:
            return cleaned
        if not zone_name:
            # A clock time names no moment without its zone: it must not reach the model's
            # checks read as Oslo time.
            self.add_error("deadline", _("Choose the time zone the deadline is given in."))
            return cleaned
        zone = ZoneInfo(zone_name)
        # fold=0: in the hour that happens twice, the first of the two.
        moment = wall.replace(tzinfo=zone).astimezone(dt.UTC)
        if moment.astimezone(zone).replace(tzinfo=None) != wall:
            self.add_error(
                "deadline",
                _("This time does not exist in the chosen time zone (the clocks go forward)."),
            )
            return cleaned
        try:
            validate_plausible_moment(moment)
        except forms.ValidationError as error:
            self.add_error("deadline", error)
            return cleaned
        self.cleaned_data["deadline"] = moment
        return cleaned


@admin.register(Call)
class CallAdmin(NamedInputsAdmin, ServiceErrorsAsMessages, admin.ModelAdmin):
    form = CallAdminForm
    list_display = [
        "title",
        "programme",
        "opens_on",
        "deadline_as_given",
        "deadline_in_oslo",
        "is_example",
        "idea_count",
    ]
    list_filter = ["programme", "is_example", ("deadline", admin.DateFieldListFilter)]
    list_select_related = ["programme"]
    search_fields = ["title", "description", "programme__name"]
    date_hierarchy = "deadline"
    ordering = ["-deadline", "pk"]
    readonly_fields = ["deadline_in_oslo", "sequence", "calendar_uid", "created_at", "updated_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["title", "programme", "url", "description", "is_example"]}),
        (
            _("Dates"),
            {"fields": ["opens_on", "deadline", "deadline_time_zone", "deadline_in_oslo"]},
        ),
        (_("Calendar"), {"fields": ["sequence", "calendar_uid", "created_at", "updated_at"]}),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "deadline":
            field = WallClockSplitDateTimeField(
                label=db_field.verbose_name,
                widget=AdminSplitDateTime,
                help_text=_("As the call states it, in the time zone chosen below."),
            )
            name_split_inputs(field)
            return field
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(idea_count=Count("ideas"))

    @admin.display(description=_("deadline"), ordering="deadline")
    def deadline_as_given(self, obj):
        return "{} ({})".format(
            formats.date_format(obj.deadline_local, "DATETIME_FORMAT"),
            obj.get_deadline_time_zone_display(),
        )

    @admin.display(description=_("deadline in Oslo time"), ordering="deadline")
    def deadline_in_oslo(self, obj):
        if obj is None or obj.deadline is None:
            return "-"
        return formats.date_format(obj.deadline_oslo, "DATETIME_FORMAT")

    @admin.display(description=_("ideas"), ordering="idea_count")
    def idea_count(self, obj):
        return obj.idea_count

    def save_model(self, request, obj, form, change):
        services.call_save(call=obj)

    def delete_model(self, request, obj):
        services.call_delete(call=obj)

    def delete_queryset(self, request, queryset):
        for call in queryset:
            services.call_delete(call=call)


@admin.register(ProgrammeFollow)
class ProgrammeFollowAdmin(NamedInputsAdmin, admin.ModelAdmin):
    """Who follows which programme, for reading: members choose on their profile."""

    list_display = ["contact_person", "programme", "created_at"]
    list_filter = ["programme"]
    list_select_related = ["contact_person", "programme"]
    search_fields = ["contact_person__name", "contact_person__email", "programme__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CallReminder)
class CallReminderAdmin(NamedInputsAdmin, admin.ModelAdmin):
    """The call reminders sent, for reading."""

    list_display = ["call", "contact_person", "days_before", "sent_at"]
    list_filter = ["days_before", "call__programme"]
    list_select_related = ["call__programme", "contact_person"]
    search_fields = ["call__title", "contact_person__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
