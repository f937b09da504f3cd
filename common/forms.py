import datetime as dt
from typing import TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

FieldKind = TypeVar("FieldKind", bound=forms.Field)


def form_field(form: forms.BaseForm, name: str, kind: type[FieldKind]) -> FieldKind:
    """The form's field `name`, which is a `kind` (a model choice field, say), so that what
    only that kind has (its queryset, its choices) can be set for the request at hand."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{type(form).__name__}.{name} is no {kind.__name__}")
    return field


class RepeatedHourModelForm(forms.ModelForm):
    """An admin form that can be saved when it shows a time from the hour that happens twice.

    The night the clocks go back (02:00-03:00 on the last Sunday of October in Oslo) every
    time happens twice, and the admin shows a registration made at either 02:30 as "02:30".
    Django refuses to read that back ("it may be ambiguous"), so the page could not be saved
    until staff retyped the time. Such a time is read as the occurrence nearer the field's
    value (the stored time; on an add page, now): left unchanged, it stays what it was. A time
    that does not exist (the night the clocks go forward) is still an error.
    """

    def clean(self):
        cleaned_data = super().clean()
        for name, errors in list(self.errors.as_data().items()):
            if name in self.fields and all(e.code == "ambiguous_timezone" for e in errors):
                moment = self._nearer_occurrence(name)
                if moment is not None:
                    del self.errors[name]
                    self.cleaned_data[name] = moment
        return cleaned_data

    def _nearer_occurrence(self, name: str) -> dt.datetime | None:
        field, bound = self.fields[name], self[name]
        reference = bound.initial
        if not isinstance(field, forms.SplitDateTimeField) or not isinstance(
            reference, dt.datetime
        ):
            return None
        date_field, time_field = field.fields
        try:
            posted_date, posted_time = bound.data
            wall = dt.datetime.combine(date_field.clean(posted_date), time_field.clean(posted_time))
        except (ValidationError, TypeError, ValueError):
            return None
        zone = timezone.get_current_timezone()
        # Through UTC and back: a time in the gap when the clocks go forward comes back changed.
        occurrences = {
            moment
            for moment in (
                wall.replace(tzinfo=zone, fold=fold).astimezone(dt.UTC) for fold in (0, 1)
            )
            if moment.astimezone(zone).replace(tzinfo=None) == wall
        }
        if len(occurrences) != 2:
            return None
        return min(occurrences, key=lambda moment: abs(moment - reference))
