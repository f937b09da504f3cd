"""The portal's admin site: the staff door.

County staff run the network from the admin, so an admin page opens only to an active staff
account that has an authenticator (an authenticator app or a security key) and whose session
passed it. The whole site has one login, allauth's, with its rate limits and its two-factor
step; the admin's own login form, which took a password alone, is gone, and the admin's
logout is allauth's.

The rule lives in the AdminSite (`has_permission`, which `admin_view` checks for every admin
page, and `login`, where `admin_view` sends everyone it turns away) rather than in a
middleware on the URL prefix: every view the admin serves passes through `admin_view`, the
extra views of ModelAdmin.get_urls() and django-import-export's included, wherever the admin
is mounted. `PortalAdminConfig` (network_portal.apps) makes this site `admin.site`, so the
apps keep registering their models with `@admin.register` as before.
"""

from allauth.account.authentication import get_authentication_records
from allauth.account.views import LogoutView
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, Subquery, Value
from django.db.models.functions import Coalesce
from django.forms.formsets import DELETION_FIELD_NAME
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Recovery codes are not among them: allauth makes them only as a spare for one of these.
AUTHENTICATOR_TYPES = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


def has_authenticator(user) -> bool:
    return is_mfa_enabled(user, AUTHENTICATOR_TYPES)


def session_passed_second_factor(request) -> bool:
    """Whether this session's user passed a second factor: allauth records each step of a
    sign-in in the session, an authenticator app code, recovery code or security key as
    method "mfa" (at login, or when asked again later)."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def second_factor_url(user) -> str:
    """allauth's page that asks `user` (who has an authenticator) for their second factor
    again: the code form for an authenticator app, the security key page for someone with
    only keys (whose recovery codes the code form would take, but not their key)."""
    if is_mfa_enabled(user, [Authenticator.Type.TOTP]):
        return reverse("mfa_reauthenticate")
    return reverse("mfa_reauthenticate_webauthn")


class PortalAdminSite(admin.AdminSite):
    site_header = _("Network portal administration")
    site_title = _("Network portal")
    index_title = _("County staff")

    def has_permission(self, request):
        if not (super().has_permission(request) and session_passed_second_factor(request)):
            return False
        # Asked twice for every admin page (admin_view, then each_context): one query.
        if not hasattr(request, "staff_has_authenticator"):
            request.staff_has_authenticator = has_authenticator(request.user)
        return request.staff_has_authenticator

    def login(self, request, extra_context=None):
        """Send each visitor the admin turned away to the step they are missing, and on to
        `?next=` (an admin page unless it is a safe URL of this site). Nobody signs in here."""
        next_url = self.safe_next_url(request)
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(next_url, reverse("account_login"))
        if not (user.is_active and user.is_staff):
            # Not the site's login again: allauth sends a signed-in user straight back here.
            raise PermissionDenied
        if not has_authenticator(user):
            messages.warning(
                request,
                gettext(
                    "The administration needs two-factor authentication. "
                    "Set up an authenticator app to continue."
                ),
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        if not session_passed_second_factor(request):
            url = second_factor_url(user)
            if url == reverse("mfa_reauthenticate"):
                message = gettext(
                    "Enter a code from your authenticator app to open the administration."
                )
            else:
                message = gettext("Use your security key to open the administration.")
            messages.info(request, message)
            return redirect_to_login(next_url, url)
        return HttpResponseRedirect(next_url)

    def logout(self, request, extra_context=None):
        # allauth's logout, as from the site's header: the session ends the same way.
        return LogoutView.as_view()(request)

    def safe_next_url(self, request) -> str:
        next_url = request.GET.get("next", "")
        if next_url and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return next_url
        return reverse("admin:index", current_app=self.name)


# At most this many of a parent's children are shown on its admin page.
SHOWN_CHILDREN = 20


def field_headings(model, fields) -> list[str]:
    return [capfirst(model._meta.get_field(name).verbose_name) for name in fields]


def bounded_children(*, label: str, counts, headings, rows, total: int, links) -> str:
    """A parent's children on its admin page, read-only and bounded, in place of an inline
    with a form row per child: a meeting has thousands of registrations and a municipality
    hundreds of contact persons, which made pages of megabytes. `counts` are (label, count,
    URL of the filtered list), `rows` the first children (at most SHOWN_CHILDREN) as lists of
    cells under `headings`, `links` (label, URL) pairs such as the list of all of them. The
    table scrolls sideways when it is wider than the page, in a region named `label` that the
    keyboard can scroll."""
    return render_to_string(
        "admin/bounded_children.html",
        {
            "region_label": label,
            "counts": counts,
            "headings": headings,
            "rows": rows,
            "total": total,
            "links": links,
        },
    )


def count_of(queryset, *, distinct: str = "", **filters):
    """The number of rows of `queryset` (filtered by `filters`, with OuterRef for the row of
    the list), or of the `distinct` values of a field among them, as a subquery. Unlike an
    aggregate over a join, which counts the children of every row before the LIMIT picks a
    page, it is counted for the rows shown only, in the index on the foreign key."""
    rows = (
        queryset.filter(**filters)
        .order_by()
        .annotate(group=Value(1))
        .values("group")
        .annotate(n=Count(distinct or "pk", distinct=bool(distinct)))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


class LightRowsAdmin:
    """ModelAdmin mixin for the long changelists (thousands of meetings, registrations,
    mailings and recipients): 50 rows a page rather than Django's 100, since every row's cells
    go through the admin's generic lookup and formatting (about half a millisecond a row),
    and each row's action checkbox written directly, as Django's CheckboxInput widget renders
    it. The widget renders a template per row, which was a quarter of the time of a page of
    100 registrations."""

    list_per_page = 50

    def action_checkbox(self, obj):
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            # Django's own words, with its translations.
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )


def name_split_inputs(formfield) -> None:
    """Give the date and the time input of a split date-and-time field a name each, such as
    "Starts: date": the admin's label names neither (it has no `for`, as a MultiWidget
    has no single input), and the "Date:"/"Time:" beside them are plain text."""
    widget = getattr(formfield.widget, "widget", formfield.widget)
    if not isinstance(widget, forms.SplitDateTimeWidget):
        return
    field = capfirst(formfield.label)
    date_input, time_input = widget.widgets
    date_input.attrs["aria-label"] = gettext("%(field)s: date") % {"field": field}
    time_input.attrs["aria-label"] = gettext("%(field)s: time") % {"field": field}


class NamedInputsAdmin:
    """ModelAdmin mixin: every input of the change form has an accessible name (see
    `name_split_inputs`). The form is built per request, so the names are in its language."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None:
            name_split_inputs(formfield)
        return formfield


class NamedInputsTabularInline(NamedInputsAdmin, admin.TabularInline):
    """A tabular inline whose inputs have accessible names. Its rows have no labels, only the
    column headings, which name no input: each input is named after its field, and each row's
    delete box after its row."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        widget = getattr(formfield, "widget", None)
        # The name goes on the input inside a RelatedFieldWidgetWrapper. The select of an
        # autocomplete field hands it on to its select2 box (admin-accessibility.js).
        if widget is not None and not widget.is_hidden:
            inner = getattr(widget, "widget", widget)
            if not isinstance(inner, forms.MultiWidget):
                inner.attrs.setdefault("aria-label", capfirst(formfield.label))
        return formfield

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class NamedDeleteBoxes(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                delete = form.fields.get(DELETION_FIELD_NAME)
                if delete is not None and form.instance.pk is not None:
                    delete.widget.attrs["aria-label"] = gettext("Delete %(object)s") % {
                        "object": form.instance
                    }

        NamedDeleteBoxes.__name__ = formset.__name__
        return NamedDeleteBoxes
