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


def email_address_of_length(length: int) -> str:
    """A syntactically valid e-mail address of exactly `length` characters (at least 70):
    Django's EmailValidator accepts up to 320, our columns hold 254."""
    remaining = length - len("k" * 64 + "@") - len("no")
    labels = []
    while remaining > 0:
        # Each label takes its characters and a dot; no label may be empty.
        take = min(64, remaining)
        if remaining - take == 1:
            take -= 1
        labels.append("d" * (take - 1))
        remaining -= take
    result = "k" * 64 + "@" + ".".join([*labels, "no"])
    assert len(result) == length
    return result
