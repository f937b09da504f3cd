import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def validate_no_control_characters(value: str) -> None:
    """Reject invisible control characters (tabs and line breaks are fine): they break
    e-mails, CSV exports and calendar files further down the line."""
    if value and _CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            _("Remove the invisible control characters from this text."), code="control"
        )
