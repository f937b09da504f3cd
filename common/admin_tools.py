"""Admin helpers every app's ModelAdmins share: accessible names for every input, bounded
lists of a parent's children, light list rows. They know no app of ours."""

from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import Count, IntegerField, Model, Subquery, Value
from django.db.models.functions import Coalesce
from django.forms.formsets import DELETION_FIELD_NAME
from django.forms.models import BaseInlineFormSet
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext

if TYPE_CHECKING:
    from django.contrib.admin.options import BaseModelAdmin
    from django_stubs_ext import StrOrPromise

    # What the admin mixins are mixed into, so the type checker knows the methods they
    # extend. At run time they stay plain classes that go first in any admin's bases.
    AdminMixinBase = BaseModelAdmin
    ModelAdminMixinBase = admin.ModelAdmin
else:
    AdminMixinBase = ModelAdminMixinBase = object

# At most this many of a parent's children are shown on its admin page.
SHOWN_CHILDREN = 20


def field_headings(model, fields) -> list[str]:
    return [capfirst(model._meta.get_field(name).verbose_name) for name in fields]


def plural_name(model: type[Model]) -> "StrOrPromise":
    """A model's plural name, capitalised, as a heading (Django always sets one; the
    model's class name stands in only for the type checker's sake)."""
    return capfirst(model._meta.verbose_name_plural or model.__name__)


def bounded_children(*, label: "StrOrPromise", counts, headings, rows, total: int, links) -> str:
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


class NamedInputsAdmin(AdminMixinBase):
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
        return type(formset.__name__, (_NamedDeleteBoxes, formset), {})


class _NamedDeleteBoxes(BaseInlineFormSet):
    """Goes before an inline's own formset class: each row's delete box is named after its
    row."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        delete = form.fields.get(DELETION_FIELD_NAME)
        if delete is not None and form.instance.pk is not None:
            delete.widget.attrs["aria-label"] = gettext("Delete %(object)s") % {
                "object": form.instance
            }
