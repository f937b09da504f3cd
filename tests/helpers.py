"""Small helpers shared by test modules."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse


def result_pks(response) -> set[int]:
    """The primary keys an admin changelist shows."""
    return {obj.pk for obj in response.context["cl"].result_list}


def management_form(prefix: str, total: int = 0, initial: int = 0) -> dict[str, int]:
    """The hidden fields of an admin inline formset, as a browser would post them."""
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def validation_errors(instance) -> dict[str, list[str]]:
    """The messages `full_clean()` gives, by field; fails if the instance is valid."""
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


def download_url(meeting) -> str:
    return reverse("meetings:calendar", kwargs={"slug": meeting.slug})


def feed_url(person) -> str:
    return reverse("personal_feed", kwargs={"token": person.calendar_token})
