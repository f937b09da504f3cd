from django.contrib import admin
from django.db import models
from django.db.models import Count, OuterRef
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _

from network_portal.admin import NamedInputsAdmin, NamedInputsTabularInline, count_of
from network_portal.forms import RepeatedHourModelForm

from . import exports, services
from .models import (
    EUProgramme,
    EuropeanPartner,
    IdeaSector,
    Interest,
    Presentation,
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
    fields = ["stage", "changed_at", "changed_by"]
    readonly_fields = fields
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
    filter_horizontal = ["programmes"]
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
        (_("Programmes and partners"), {"fields": ["programmes", "partner_municipalities"]}),
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
