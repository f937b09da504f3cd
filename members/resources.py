"""Import of contact persons from spreadsheets (CSV or Excel) in the admin.

A row is identified by its e-mail address, in any letter case, so a person already in the
register is updated rather than added twice. Every row is validated like a form: an import
with any bad row imports nothing (`IMPORT_EXPORT_USE_TRANSACTIONS`), and the admin lists the
bad rows with their errors.
"""

from diff_match_patch import diff_match_patch
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Field
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.html import escape, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from import_export import fields, resources, widgets
from import_export.formats import base_formats
from import_export.instance_loaders import ModelInstanceLoader

from common.validators import has_control_characters

from .models import ContactPerson, Municipality, Sector, kommunenummer_validator

# The columns a file may have, by the English field names; headings are matched in any case.
COLUMNS = ("name", "email", "phone", "job_title", "sector", "municipality", "role")


class CSV(base_formats.CSV):
    """CSV separated by commas or, as Excel saves it with Norwegian regional settings, by
    semicolons. The heading row decides."""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes) and self.encoding:
            in_stream = in_stream.decode(self.encoding)
        headings = in_stream.partition("\n")[0]
        if headings.count(";") > headings.count(","):
            kwargs.setdefault("delimiter", ";")
        return super().create_dataset(in_stream, **kwargs)


class TextWidget(widgets.CharWidget):
    """Text without surrounding spaces. A number in a spreadsheet cell (a phone number typed
    as 55566677) becomes its digits."""

    def clean(self, value, row=None, **kwargs):
        value = super().clean(value, row, **kwargs)
        return value.strip() if isinstance(value, str) else value


class ChoiceWidget(widgets.Widget):
    """A choice given by its stored value ("health_care") or by its label in one of the
    site's languages ("Helse og omsorg", "Health and care"), in any letter case.

    An empty cell gives None, which the field does not save: the person keeps their value, and
    a new person gets the model's default. Anything else unknown is passed on as it is, so
    model validation reports it as an invalid choice.
    """

    def __init__(self, choices):
        self.choices = choices
        super().__init__()

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        wanted = text.casefold()
        for choice in self.choices:
            if wanted == choice.value.casefold():
                return choice.value
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                for choice in self.choices:
                    if wanted == str(choice.label).casefold():
                        return choice.value
        return text

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


def municipality_number(value) -> str:
    """The kommunenummer as four digits. Spreadsheets store "0301" as the number 301, so a
    short number gets its leading zeros back."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "" if value is None else str(value).strip()
    return text.zfill(4) if text.isdigit() and len(text) < 4 else text


class MunicipalityNumberWidget(widgets.ForeignKeyWidget):
    """A municipality given by its four-digit number, for example 1201 for Bergen."""

    def __init__(self):
        super().__init__(Municipality, field="number")

    def clean(self, value, row=None, **kwargs):
        number = municipality_number(value)
        if not number:
            return None
        try:
            # Checked before the look-up: PostgreSQL refuses a NUL byte even in a query.
            kommunenummer_validator(number)
        except ValidationError as error:
            raise ValueError(error.messages[0]) from None
        try:
            return super().clean(number, row, **kwargs)
        except Municipality.DoesNotExist:
            # A ValueError becomes a validation error on this row's municipality column.
            raise ValueError(
                gettext("Unknown municipality number %(number)s.") % {"number": number}
            ) from None


class EmailInstanceLoader(ModelInstanceLoader):
    """Finds the person by e-mail address whatever its letter case, as sign-in does, so
    "Kari@Bergen.kommune.no" updates the person stored as "kari@bergen.kommune.no"."""

    def get_instance(self, row):
        email = self.resource.fields["email"].clean(row)
        if not email or has_control_characters(email):
            # Such an address fails validation as a new row; PostgreSQL would refuse a NUL
            # byte even in the look-up.
            return None
        return (
            self.get_queryset().select_related("municipality").filter(email__iexact=email).first()
        )


class PreviewDiff(resources.Diff):
    """The import preview's marking of what a row changes, as import-export makes it but
    without the `style` attributes diff-match-patch puts on <ins> and <del>: the
    Content-Security-Policy blocks inline styles, and import-export's import.css colours
    both elements already."""

    TAGS = {
        diff_match_patch.DIFF_INSERT: "ins",
        diff_match_patch.DIFF_DELETE: "del",
        diff_match_patch.DIFF_EQUAL: "span",
    }

    def as_html(self):
        matcher = diff_match_patch()
        cells = []
        for old, new in zip(self.left, self.right, strict=False):
            if old != new and self.new:
                old = ""
            changes = matcher.diff_main(force_str(old), force_str(new))
            matcher.diff_cleanupSemantic(changes)
            cells.append(
                format_html_join(
                    "",
                    "<{0}>{1}</{0}>",
                    (
                        # Line breaks shown as diff-match-patch shows them: a pilcrow.
                        (self.TAGS[operation], mark_safe(escape(text).replace("\n", "&para;<br>")))  # noqa: S308 - escaped first
                        for operation, text in changes
                        if text
                    ),
                )
            )
        return cells


class ContactPersonResource(resources.ModelResource):
    """Contact persons as rows of a spreadsheet, one column per field in `COLUMNS`."""

    name = fields.Field(attribute="name", column_name="name", widget=TextWidget())
    email = fields.Field(attribute="email", column_name="email", widget=TextWidget())
    phone = fields.Field(attribute="phone", column_name="phone", widget=TextWidget())
    job_title = fields.Field(attribute="job_title", column_name="job_title", widget=TextWidget())
    sector = fields.Field(
        attribute="sector",
        column_name="sector",
        widget=ChoiceWidget(Sector),
        saves_null_values=False,
    )
    # An empty cell keeps the person's municipality: unlinking is done in the admin form.
    municipality = fields.Field(
        attribute="municipality",
        column_name="municipality",
        widget=MunicipalityNumberWidget(),
        saves_null_values=False,
    )
    role = fields.Field(
        attribute="role",
        column_name="role",
        widget=ChoiceWidget(ContactPerson.Role),
        saves_null_values=False,
    )

    class Meta:
        model = ContactPerson
        fields = COLUMNS
        import_order = COLUMNS
        import_id_fields = ["email"]
        instance_loader_class = EmailInstanceLoader
        # Validate each row with the model, as a form would: bad e-mail addresses, unknown
        # choices and missing names become row errors.
        clean_model_instances = True
        # A row that changes nothing writes nothing, so importing a file again adds no
        # history entries.
        skip_unchanged = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Lower-cased e-mail address -> the row it first appeared in, for this import.
        self.emails_seen = {}

    def get_diff_class(self):
        return PreviewDiff

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.emails_seen = {}
        if dataset.headers:
            dataset.headers = [self.column_for_heading(heading) for heading in dataset.headers]

    def column_for_heading(self, heading):
        """Accept headings in any letter case, and the field names the admin shows in any of
        the site's languages ("E-postadresse"); other headings are left as they are."""
        if heading is None:
            return heading
        wanted = str(heading).strip().casefold()
        for column in COLUMNS:
            if wanted == column:
                return column
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                for column in COLUMNS:
                    field = ContactPerson._meta.get_field(column)
                    if isinstance(field, Field) and wanted == str(field.verbose_name).casefold():
                        return column
        return heading

    def import_instance(self, instance, row, **kwargs):
        stored_email = instance.email if instance.pk else ""
        errors: dict[str, list[ValidationError]] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        key = (instance.email or "").casefold()
        if key:
            # Within one import the first row has saved the person already, so a later row
            # with the same address would quietly overwrite it: make it an error instead.
            row_number = kwargs.get("row_number")
            first_row = self.emails_seen.setdefault(key, row_number)
            if first_row != row_number:
                errors.setdefault("email", []).append(
                    ValidationError(
                        gettext("This e-mail address is already in row %(row)s of the file.")
                        % {"row": first_row}
                    )
                )
        if stored_email.casefold() == key:
            # The address identifies the row; a different letter case is not a change.
            instance.email = stored_email
        if errors:
            raise ValidationError(errors)
