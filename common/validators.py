"""Checks shared by the models, forms and the import, so that bad input is refused with a
clear message before it reaches the database (where it would be a 500, or silently cut).

Text: single-line fields refuse every control character, multi-line fields all but tab and
line breaks. Numbers: bounds per field, on the models. Ids: the lookups below leave values
that no integer column can hold out of queries, so model choice fields answer "select a valid
choice" for them like for any other unknown id. Moments: `validate_plausible_moment`.
"""

import datetime as dt
import re

from django.core.exceptions import EmptyResultSet, FieldError, ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.fields.related_lookups import RelatedExact, RelatedIn
from django.db.models.lookups import In
from django.utils.translation import gettext_lazy as _

# RFC 5321 allows a path of 256 octets, so an address of 254 characters; Django's
# EmailValidator lets up to 320 through, and our e-mail columns hold 254.
EMAIL_MAX_LENGTH = 254

# C0 controls and DEL, except tab, line feed and carriage return.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Any C0 control or DEL, tab and line breaks included.
_LINE_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def has_control_characters(value: str) -> bool:
    return bool(value) and bool(_LINE_CONTROL_CHARACTERS.search(value))


def validate_no_control_characters(value: str) -> None:
    """Reject invisible control characters in multi-line text (tabs and line breaks are
    fine): they break e-mails, CSV exports and calendar files further down the line, and
    PostgreSQL refuses NUL outright."""
    if value and _CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            _("Remove the invisible control characters from this text."), code="control"
        )


def validate_single_line(value: str) -> None:
    """Reject control characters, and also tabs and line breaks, in a one-line value: a
    name, title or e-mail subject with a line break breaks mail headers and exports."""
    validate_no_control_characters(value)
    if value and _LINE_CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            _("Write this on one line, without line breaks or tabs."), code="line_break"
        )


validate_email_length = MaxLengthValidator(
    EMAIL_MAX_LENGTH,
    message=_(
        "An e-mail address can have at most %(limit_value)d characters (it has %(show_value)d)."
    ),
)


def validate_email_address_text(value: str) -> None:
    """What an e-mail address must be beyond Django's syntax check: short enough for our
    columns (never cut), on one line (quoted local parts may carry control characters)."""
    validate_email_length(value)
    validate_single_line(value)


# Meetings, registrations and interests happen within these years. Year 1 in Oslo is year 0
# in UTC, which Python cannot hold, so the database adapter would fail on it.
EARLIEST_MOMENT = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST_MOMENT = dt.datetime(2201, 1, 1, tzinfo=dt.UTC)


def validate_plausible_moment(value: dt.datetime | None) -> None:
    if value is None:
        return
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if not EARLIEST_MOMENT <= value < LATEST_MOMENT:
        raise ValidationError(
            _("Enter a time between the years %(first)s and %(last)s."),
            params={"first": EARLIEST_MOMENT.year, "last": LATEST_MOMENT.year - 1},
            code="out_of_range",
        )


def _integer_column(lookup) -> models.IntegerField | None:
    """The integer field a lookup compares with, or None if it compares something else."""
    field = lookup.lhs.output_field
    try:
        # A foreign key column holds its target's values.
        field = getattr(field, "target_field", field)
    except FieldError:  # a relation over several columns
        return None
    return field if isinstance(field, models.IntegerField) else None


def _is_integer_text(column: models.IntegerField, value) -> bool:
    if not isinstance(value, str):
        return True  # numbers, model instances and expressions are Django's to prepare
    try:
        column.get_prep_value(value)
    except (TypeError, ValueError):
        return False
    return True


def _fits(value, bounds) -> bool:
    if not isinstance(value, int):
        return True
    low, high = bounds
    return (low is None or value >= low) and (high is None or value <= high)


class _OnlyPossibleIntegers(In):
    """`in` on an integer column or a foreign key to one, without the values no integer
    column of its type can hold: text that is no number, and numbers past the type's range.

    Such values can never match a row, yet SQLite raises OverflowError for integers past 64
    bits, and text that is no number raises ValueError before the query is made. Model choice
    fields check each posted value on its own first, so a form still says "select a valid
    choice"; but the admin's autocomplete widget, redisplaying an invalid form, and its
    actions (`_selected_action`) pass posted text straight to `pk__in`, and those were 500s.
    Django's own `exact` lookup on integer columns already treats out-of-range numbers so.
    """

    def get_prep_lookup(self):
        column = _integer_column(self)
        if column is not None and self.rhs_is_direct_value():
            self.rhs = [value for value in self.rhs if _is_integer_text(column, value)]
        return super().get_prep_lookup()

    def as_sql(self, compiler, connection):
        column = _integer_column(self)
        if column is not None and self.rhs_is_direct_value():
            bounds = connection.ops.integer_field_range(column.get_internal_type())
            kept = [value for value in self.rhs if _fits(value, bounds)]
            if not kept:
                raise EmptyResultSet
            self.rhs = kept
        return super().as_sql(compiler, connection)


class IntegerIn(_OnlyPossibleIntegers):
    pass


class RelatedIntegerIn(_OnlyPossibleIntegers, RelatedIn):
    pass


class RelatedIntegerExact(RelatedExact):
    """`exact` on a foreign key: an id no column can hold matches nothing, as Django's own
    `exact` on integer columns does (`Registration.objects.filter(meeting_id=2**64)`)."""

    def as_sql(self, compiler, connection):
        column = _integer_column(self)
        if column is not None and self.rhs_is_direct_value():
            bounds = connection.ops.integer_field_range(column.get_internal_type())
            if not _fits(self.rhs, bounds):
                raise EmptyResultSet
        return super().as_sql(compiler, connection)


def register_lookups() -> None:
    """Called once when the project starts (`NetworkPortalConfig.ready`)."""
    models.IntegerField.register_lookup(IntegerIn)
    models.ForeignObject.register_lookup(RelatedIntegerIn)
    models.ForeignObject.register_lookup(RelatedIntegerExact)
