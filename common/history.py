"""The admin's change history (django-simple-history) as staff read it.

The package lists a model's historical records with the stored values as Python prints them:
times in UTC ("2027-03-09 09:00:00+00:00"), choice codes ("scheduled"), True/False, None, and
"Deleted kommune (pk=None)" for an empty or missing foreign key. Here each record becomes a
`HistoryEntry` whose changes are (field, old, new) in words: local times in the reader's
language format, choice labels, yes/no, a translated "(empty)", and related objects by name
(a deleted one by its last name in its own history, or as "deleted").

Objects edited inline on a parent's page (a meeting's agenda items, a municipality's e-mail
domains) have histories of their own; `ReadableHistoryAdmin.history_children` shows them on
the parent's history page, interleaved by time with the parent's versions.
"""

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.admin.utils import quote
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import to_historic

# Long texts (descriptions) are cut in the list; the version's own page shows them whole.
MAX_VALUE_CHARS = 200


@dataclasses.dataclass(frozen=True)
class FieldChange:
    label: str
    new: str
    # None: nothing before to show, as for an item just added.
    old: str | None = None


@dataclasses.dataclass
class HistoryEntry:
    record: Any
    # What the entry is about: the object as it was, or the kind of inline item.
    subject: str
    # The page of this version; inline items have none.
    url: str | None
    action: str
    changes: list[FieldChange]

    @property
    def moment(self) -> str:
        return formats.date_format(timezone.localtime(self.record.history_date), "DATETIME_FORMAT")

    @property
    def iso_moment(self) -> str:
        return timezone.localtime(self.record.history_date).isoformat()

    @property
    def user(self):
        return self.record.history_user

    @property
    def reason(self) -> str:
        return self.record.history_change_reason or ""


@dataclasses.dataclass(frozen=True)
class HistoryChild:
    """A model edited inline on the parent's admin page: `parent_field` is its foreign key
    to the parent. The model needs its own `HistoricalRecords`."""

    model: type[models.Model]
    parent_field: str

    @property
    def parent_attname(self) -> str:
        field = self.model._meta.get_field(self.parent_field)
        if not isinstance(field, models.ForeignKey):
            raise TypeError(f"{self.model.__name__}.{self.parent_field} is no foreign key")
        return field.attname

    def visible_to(self, user) -> bool:
        """As the admin shows an inline: to those who may view or change its model."""
        opts = self.model._meta
        return any(
            user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
            for action in ("view", "change")
        )


def empty_value() -> str:
    return gettext("(empty)")


def history_manager(model: type[models.Model]):
    name = getattr(model._meta, "simple_history_manager_attribute", None)
    return getattr(model, name) if name else None


class ValueDisplay:
    """Stored values in words, for one page: the names of related objects are looked up once
    each. Texts longer than `max_chars` are cut (None: never)."""

    def __init__(self, max_chars: int | None = MAX_VALUE_CHARS):
        self.max_chars = max_chars
        self._related: dict[tuple[type[models.Model], Any], str] = {}

    def __call__(self, field: models.Field, value: Any) -> str:
        if value is None or value == "":
            return empty_value()
        if isinstance(field, models.ForeignKey):
            return self.related(field.related_model, value)
        if field.flatchoices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(field, models.BooleanField):
            return gettext("Yes") if value else gettext("No")
        if isinstance(value, dt.datetime):
            local = timezone.localtime(value) if timezone.is_aware(value) else value
            return formats.date_format(local, "DATETIME_FORMAT")
        if isinstance(value, dt.date):
            return formats.date_format(value, "DATE_FORMAT")
        if isinstance(value, dt.time):
            return formats.time_format(value, "TIME_FORMAT")
        if isinstance(value, int | float | Decimal):
            return formats.number_format(value)
        text = str(value)
        return Truncator(text).chars(self.max_chars) if self.max_chars else text

    def related(self, model: type[models.Model], pk: Any) -> str:
        key = (model, pk)
        if key not in self._related:
            self._related[key] = self._related_name(model, pk)
        return self._related[key]

    @staticmethod
    def _related_name(model: type[models.Model], pk: Any) -> str:
        obj = model._default_manager.filter(pk=pk).first()
        if obj is not None:
            return str(obj)
        # Gone: named as its own history last knew it, else by its kind.
        name = capfirst(model._meta.verbose_name)
        manager = history_manager(model)
        if manager is not None:
            last = (
                manager.filter(**{model._meta.pk.attname: pk})
                .order_by("-history_date", "-history_id")
                .first()
            )
            if last is not None:
                # Unless its name is made from another object that is gone too.
                with contextlib.suppress(ObjectDoesNotExist):
                    name = str(last.instance)
        return gettext("%(name)s (deleted)") % {"name": name}


def _tracked_fields(
    model: type[models.Model], exclude: Iterable[str] = (), *, editable_only: bool = True
) -> list[models.Field]:
    """The fields a history diff compares (the package's rule: tracked and editable, here
    without the primary key, which never changes), in the model's order."""
    history_model = history_manager(model).model
    tracked = {
        field.name for field in history_model.tracked_fields if field.editable or not editable_only
    }
    return [
        field
        for field in model._meta.concrete_fields
        if field.name in tracked and field.name not in exclude and not field.primary_key
    ]


def _label(field: models.Field) -> str:
    # Built while a request's language is active, so the lazy name is read at once.
    return str(capfirst(field.verbose_name))


def version_values(model: type[models.Model], record, display: ValueDisplay) -> list[FieldChange]:
    """Every kept value of a version, in the model's field order, as (label, value)."""
    return [
        FieldChange(_label(field), display(field, getattr(record, field.attname)))
        for field in _tracked_fields(model, editable_only=False)
    ]


def field_changes(
    model: type[models.Model],
    record,
    previous,
    display: ValueDisplay,
    *,
    exclude: Iterable[str] = (),
) -> list[FieldChange]:
    """What changed from `previous` to `record` (both historical records of one object), in
    the model's field order. Without a previous record, the values the object was given."""
    changes = []
    for field in _tracked_fields(model, exclude):
        new = getattr(record, field.attname)
        if previous is None:
            if new is not None and new != "":
                changes.append(FieldChange(_label(field), display(field, new)))
            continue
        old = getattr(previous, field.attname)
        if old != new:
            changes.append(
                FieldChange(_label(field), new=display(field, new), old=display(field, old))
            )
    return changes


def version_object(model: type[models.Model], record) -> models.Model:
    """The object as it was in `record`, with the related objects the history queryset
    selected with the record, so that its name (a contact person's names the municipality)
    costs no query per version."""
    obj = record.history_object
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.ForeignKey):
            continue
        with contextlib.suppress(LookupError):
            related = record._meta.get_field(field.name).get_cached_value(record)
            if related is not None:
                field.set_cached_value(obj, related)
    return obj


def _item_action(record, verbose_name: str) -> str:
    messages = {
        "+": gettext("%(kind)s “%(name)s” added"),
        "~": gettext("%(kind)s “%(name)s” changed"),
        "-": gettext("%(kind)s “%(name)s” removed"),
    }
    return messages[record.history_type] % {
        "kind": capfirst(verbose_name),
        "name": str(record.instance),
    }


def child_entries(child: HistoryChild, parent_pk: Any, display: ValueDisplay) -> list[HistoryEntry]:
    """Every history entry of the parent's inline items, newest first."""
    model = child.model
    pk_attname = model._meta.pk.attname
    records = (
        history_manager(model)
        .filter(**{child.parent_attname: parent_pk})
        .select_related("history_user")
        .order_by(pk_attname, "history_date", "history_id")
    )
    entries, previous = [], None
    for record in records:
        if previous is not None and getattr(previous, pk_attname) != getattr(record, pk_attname):
            previous = None
        if record.history_type == "-":
            changes = []
        else:
            changes = field_changes(model, record, previous, display, exclude=[child.parent_field])
        entries.append(
            HistoryEntry(
                record=record,
                subject=str(capfirst(model._meta.verbose_name)),
                url=None,
                action=_item_action(record, str(model._meta.verbose_name)),
                changes=changes,
            )
        )
        previous = record
    entries.sort(key=lambda entry: entry.record.history_date, reverse=True)
    return entries


class ReadableHistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose history list and version pages describe each change in words
    (see the module's docstring). `history_children` names the inline models whose history is
    shown on this model's history page."""

    history_children: Sequence[HistoryChild] = ()

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        # The package's raw deltas are not shown; `history_list_context` describes the changes.
        return

    def render_history_view(self, request, template, context, **kwargs):
        if template == self.object_history_template:
            context.update(
                self.history_list_context(request, context["object"], context["page_obj"])
            )
        elif template == self.object_history_form_template:
            record = to_historic(context["original"])
            if record is not None:
                display = ValueDisplay(max_chars=None)
                context["history_entry"] = self.history_entry(
                    request, record, record.prev_record, display
                )
                # Read, not edited: a form of the version, without a button to save it, only
                # looked editable (and showed the present for the admin's computed fields).
                if context["revert_disabled"] and not context["change_history"]:
                    context["history_values"] = version_values(self.model, record, display)
        return super().render_history_view(request, template, context, **kwargs)

    def history_entry(self, request, record, previous, display):
        """A version of the object. What it was made with is the version itself (its page);
        a change lists the fields that changed."""
        if record.history_type == "~":
            changes = field_changes(self.model, record, previous, display)
        else:
            changes = []
        opts = self.model._meta
        url = reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_simple_history",
            args=[quote(getattr(record, opts.pk.attname)), quote(record.pk)],
        )
        try:
            subject = str(version_object(self.model, record))
        except ObjectDoesNotExist:
            # Its name is made from a related object that is gone.
            subject = capfirst(opts.verbose_name)
        return HistoryEntry(
            record=record,
            subject=subject,
            url=url,
            action=record.get_history_type_display(),
            changes=changes,
        )

    def history_list_context(self, request, obj, page) -> dict[str, Any]:
        """The page's entries: the object's versions on this page, each with what changed
        since the one before (on this page or the next), and the inline items' changes made
        between the oldest version on this page and the oldest on the page before."""
        display = ValueDisplay()
        records = list(page.object_list)
        all_records = page.paginator.object_list
        older = all_records[page.end_index()] if page.has_next() else None
        entries = [
            self.history_entry(request, record, previous, display)
            for record, previous in zip(records, [*records[1:], older], strict=True)
        ]
        # A child change belongs to the first page whose oldest version is not newer.
        since = records[-1].history_date if records and page.has_next() else None
        before = all_records[page.start_index() - 2].history_date if page.has_previous() else None
        child_count = 0
        for child in self.history_children:
            if not child.visible_to(request.user):
                continue
            children = child_entries(child, obj.pk, display)
            child_count += len(children)
            entries += [
                entry
                for entry in children
                if (since is None or entry.record.history_date >= since)
                and (before is None or entry.record.history_date < before)
            ]
        # Newest first; an inline item saved with its parent was saved after it.
        entries.sort(key=lambda entry: (entry.record.history_date, entry.url is None), reverse=True)
        return {
            "history_entries": entries,
            "history_entry_count": page.paginator.count + child_count,
        }
