from typing import TYPE_CHECKING

from allauth.mfa.admin import AuthenticatorAdmin as AllauthAuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_value
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, OuterRef, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportMixin
from import_export.formats import base_formats
from solo.admin import SingletonModelAdmin

from common.admin_tools import (
    SHOWN_CHILDREN,
    NamedInputsAdmin,
    NamedInputsTabularInline,
    bounded_children,
    count_of,
    field_headings,
    plural_name,
)
from common.history import HistoryChild, ReadableHistoryAdmin

from .merger_forms import MergerForm
from .models import ContactPerson, EmailDomain, Municipality, NetworkOwner, Sector, User
from .resources import CSV, ContactPersonResource
from .selectors import municipality_has_history
from .services import municipalities_merge, network_owner_update

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@admin.register(User)
class UserAdmin(NamedInputsAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    date_hierarchy = "date_joined"
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]


admin.site.unregister(Authenticator)

# allauth's model has no verbose name, so the admin called it "Authenticators" in every
# language. Only the runtime names change: the migration state is read from Meta's original
# attributes, which stay as allauth wrote them, so no migration follows.
Authenticator._meta.verbose_name = _("authenticator")
Authenticator._meta.verbose_name_plural = _("authenticators")


def titled(
    filter_class: type[admin.FieldListFilter], title: "StrOrPromise"
) -> type[admin.FieldListFilter]:
    """A field's list filter under a translated title: allauth's fields have no verbose name,
    and FieldListFilter takes its title from the field."""

    def __init__(self, *args, **kwargs):
        filter_class.__init__(self, *args, **kwargs)
        self.title = title

    return type(f"Titled{filter_class.__name__}", (filter_class,), {"__init__": __init__})


@admin.register(Authenticator)
class AuthenticatorAdmin(AllauthAuthenticatorAdmin):
    """A person's second factors: staff may look at them and delete one (a lost phone), but
    not write secrets and timestamps by hand. Typed in, they could only break signing in, and
    a NUL escape in the JSON or a date in year 1 failed in the database with a 500.

    allauth's fields have no verbose names, so the columns and labels are display methods
    with translated descriptions."""

    list_display = ["owner", "type", "created", "last_used"]
    list_filter = [
        "type",
        ("created_at", titled(admin.DateFieldListFilter, _("created"))),
        ("last_used_at", titled(admin.DateFieldListFilter, _("last used"))),
    ]
    fields = ["owner", "type", "data", "created", "last_used"]
    readonly_fields = fields

    @admin.display(description=_("user"), ordering="user__email")
    def owner(self, obj):
        return obj.user

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, obj):
        return obj.created_at

    @admin.display(description=_("last used"), ordering="last_used_at")
    def last_used(self, obj):
        return obj.last_used_at

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EmailDomainInline(NamedInputsTabularInline):
    model = EmailDomain
    extra = 1
    min_num = 0


class IsNetworkMemberFilter(admin.SimpleListFilter):
    title = _("network member")
    parameter_name = "member"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(member_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(member_since__isnull=True)
        return queryset


@admin.register(Municipality)
class MunicipalityAdmin(NamedInputsAdmin, ReadableHistoryAdmin):
    list_display = [
        "number",
        "name",
        "county",
        "member_since",
        "contact_person_count",
        "valid_to",
        "successor",
    ]
    list_display_links = ["number", "name"]
    ordering = ["name"]
    list_filter = [IsNetworkMemberFilter, "county"]
    list_select_related = ["successor"]
    search_fields = ["name", "number", "email_domains__domain", "official_email"]
    autocomplete_fields = ["successor"]
    date_hierarchy = "member_since"
    inlines = [EmailDomainInline]
    history_children = [HistoryChild(EmailDomain, "municipality")]
    readonly_fields = ["contact_persons"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["name", "number", "county", "official_email", "website"]}),
        (_("Network"), {"fields": ["member_since"]}),
        (_("Validity and mergers"), {"fields": ["valid_from", "valid_to", "successor"]}),
        (plural_name(ContactPerson), {"fields": ["contact_persons"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        # A new municipality has nobody yet, and the people are shown only to those who may
        # see contact persons (as the inline showed them).
        if obj is None or not request.user.has_perm("members.view_contactperson"):
            return [(n, o) for n, o in fieldsets if o["fields"] != ["contact_persons"]]
        return fieldsets

    @admin.display(description=_("contact persons"))
    def contact_persons(self, obj):
        """The municipality's people, read-only and bounded (Bergen alone has hundreds): each
        is changed on their own page, and new ones are added there."""
        of_municipality = ContactPerson.objects.filter(municipality=obj)
        counts = of_municipality.aggregate(
            active=Count("pk", filter=Q(is_active=True)),
            inactive=Count("pk", filter=Q(is_active=False)),
        )
        listed = (
            reverse("admin:members_contactperson_changelist") + f"?municipality__id__exact={obj.pk}"
        )
        fields = ["name", "email", "phone", "job_title", "sector", "role", "is_active"]
        sectors = dict(Sector.choices)
        roles = dict(ContactPerson.Role.choices)
        rows = [
            [
                format_html(
                    '<a href="{}">{}</a>',
                    reverse("admin:members_contactperson_change", args=[person.pk]),
                    person.name,
                ),
                person.email,
                person.phone,
                person.job_title,
                sectors.get(person.sector, person.sector),
                roles.get(person.role, person.role),
                display_for_value(person.is_active, "", boolean=True),
            ]
            for person in of_municipality.order_by("-is_active", "name", "pk")[:SHOWN_CHILDREN]
        ]
        return bounded_children(
            label=plural_name(ContactPerson),
            counts=[
                (gettext("Active"), counts["active"], f"{listed}&is_active__exact=1"),
                (gettext("Inactive"), counts["inactive"], f"{listed}&is_active__exact=0"),
            ],
            headings=field_headings(ContactPerson, fields),
            rows=rows,
            total=counts["active"] + counts["inactive"],
            links=[
                (gettext("All contact persons of this municipality"), listed),
                (
                    gettext("Add a contact person"),
                    reverse("admin:members_contactperson_add") + f"?municipality={obj.pk}",
                ),
            ],
        )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                contact_person_count=count_of(
                    ContactPerson.objects.all(), municipality=OuterRef("pk")
                )
            )
        )

    @admin.display(description=_("contact persons"), ordering="contact_person_count")
    def contact_person_count(self, obj):
        return obj.contact_person_count

    def has_delete_permission(self, request, obj=None):
        # The register outlives municipal reforms: a municipality with any history ends its
        # validity, and its people, registrations and interests stay on record. Only one
        # added by mistake, which nothing records yet, can be deleted.
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or not municipality_has_history(obj))

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        # The list's delete action asks here for each one chosen. A municipality with
        # history is refused with the reason and what to do instead, rather than as missing
        # permissions for it or its people: the refusal stands either way.
        with_history = [
            gettext("%(municipality)s has history: end its validity instead.")
            % {"municipality": municipality}
            for municipality in objs
            if municipality_has_history(municipality)
        ]
        if with_history:
            perms_needed = set()
        return deleted, model_count, perms_needed, [*protected, *with_history]

    actions = ["merge_selected"]

    def has_merge_permission(self, request):
        # A merger makes a municipality and moves domains and people.
        return all(
            request.user.has_perm(f"members.{permission}")
            for permission in (
                "add_municipality",
                "change_municipality",
                "change_emaildomain",
                "change_contactperson",
            )
        )

    @admin.action(
        description=_("Record a merger of the selected municipalities"), permissions=["merge"]
    )
    def merge_selected(self, request, queryset):
        ids = sorted(queryset.values_list("pk", flat=True))
        if len(ids) < 2:
            self.message_user(
                request, gettext("Choose at least two municipalities."), messages.ERROR
            )
            return None
        return HttpResponseRedirect(
            reverse("admin:members_municipality_merge") + "?ids=" + ",".join(map(str, ids))
        )

    def get_urls(self):
        return [
            path(
                "merge/",
                self.admin_site.admin_view(self.merge_view),
                name="members_municipality_merge",
            ),
            *super().get_urls(),
        ]

    def merge_view(self, request):
        """The merger's form: the municipalities chosen in the list, and the new one."""
        if not self.has_merge_permission(request):
            raise PermissionDenied
        ids = {int(part) for part in request.GET.get("ids", "").split(",") if part.isdigit()}
        candidates = Municipality.objects.filter(pk__in=ids).order_by("name", "number")
        if len(candidates) < 2:
            self.message_user(
                request,
                gettext(
                    "Tick the municipalities that merge in the list, then choose the action "
                    "to record the merger."
                ),
                messages.WARNING,
            )
            return HttpResponseRedirect(reverse("admin:members_municipality_changelist"))
        counties = {m.county for m in candidates}
        initial = {
            "municipalities": list(candidates),
            "county": counties.pop() if len(counties) == 1 else "",
        }
        form = MergerForm(request.POST or None, initial=initial, candidates=candidates)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                new = municipalities_merge(
                    municipalities=data["municipalities"],
                    number=data["number"],
                    name=data["name"],
                    county=data["county"],
                    on=data["on"],
                    official_email=data["official_email"],
                    website=data["website"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                domains = new.email_domains.count()
                people = new.contact_persons.count()
                self.message_user(
                    request,
                    " ".join(
                        [
                            gettext("%(municipality)s was made.") % {"municipality": new},
                            ngettext(
                                "%(count)d e-mail domain moved to it.",
                                "%(count)d e-mail domains moved to it.",
                                domains,
                            )
                            % {"count": domains},
                            ngettext(
                                "%(count)d contact person moved to it.",
                                "%(count)d contact persons moved to it.",
                                people,
                            )
                            % {"count": people},
                        ]
                    ),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:members_municipality_change", args=[new.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": gettext("Record a merger"),
        }
        return TemplateResponse(request, "admin/members/municipality/merge.html", context)


class NeedsMunicipalityFilter(admin.SimpleListFilter):
    """Accounts whose e-mail domain matched no municipality wait here for staff to link."""

    title = _("linked to a municipality")
    parameter_name = "linked"

    def lookups(self, request, model_admin):
        return [("no", _("No: needs linking")), ("yes", _("Yes"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            # Staff accounts linked to a contact person by an earlier version of the portal
            # are not people waiting for a municipality.
            return queryset.filter(
                municipality__isnull=True, is_active=True, anonymised_at__isnull=True
            ).exclude(user__is_staff=True)
        if self.value() == "yes":
            return queryset.filter(municipality__isnull=False)
        return queryset


@admin.register(ContactPerson)
class ContactPersonAdmin(NamedInputsAdmin, ImportMixin, ReadableHistoryAdmin):
    list_display = ["name", "email", "municipality", "sector", "role", "is_active", "has_account"]
    list_filter = [
        NeedsMunicipalityFilter,
        "role",
        "sector",
        "is_active",
        "preferred_language",
        "municipality",
    ]
    list_select_related = ["municipality", "user"]
    search_fields = ["name", "email", "job_title", "municipality__name"]
    autocomplete_fields = ["municipality", "user"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "email", "phone", "job_title", "sector"]}),
        (_("Municipality and role"), {"fields": ["municipality", "role", "is_active"]}),
        (_("Account"), {"fields": ["user", "preferred_language"]}),
        (_("History"), {"fields": ["created_at", "updated_at"]}),
    ]
    resource_classes = [ContactPersonResource]
    import_formats = [CSV, base_formats.XLSX]
    import_template_name = "admin/members/contactperson/import.html"

    @admin.display(description=_("account"), boolean=True)
    def has_account(self, obj):
        return obj.user_id is not None

    def has_delete_permission(self, request, obj=None):
        # People who leave are made inactive: deleting them would take their registrations,
        # interests and history with them.
        return False

    def has_import_permission(self, request):
        # An import adds and changes people, so it needs both permissions.
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_import_context_data(self, **kwargs):
        return {
            **super().get_import_context_data(**kwargs),
            "choice_columns": [("sector", Sector.choices), ("role", ContactPerson.Role.choices)],
        }

    def get_import_data_kwargs(self, **kwargs):
        # The confirmed import reads the file again. Should the register have changed since
        # the preview so that a row now fails, nothing is imported, not just the good rows.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            self.message_user(
                request,
                gettext(
                    "Nothing was imported: the file no longer passes the checks. Upload it "
                    "again to see which rows fail."
                ),
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:members_contactperson_import"))
        return super().process_result(result, request)


@admin.register(NetworkOwner)
class NetworkOwnerAdmin(NamedInputsAdmin, SingletonModelAdmin, ReadableHistoryAdmin):
    """One page, no list: who runs the network. django-solo makes the row on first visit."""

    # The readable history, not django-solo's plain list of log entries.
    object_history_template = ReadableHistoryAdmin.object_history_template
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["name", "section", "address"]}),
        (_("Contact"), {"fields": ["contact_name", "contact_title", "phone", "email", "website"]}),
    ]

    def save_model(self, request, obj, form, change):
        network_owner_update(owner=obj)
