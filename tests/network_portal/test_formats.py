"""Norwegian dates and times in forms: "10.00" as the portal writes it, no seconds shown."""

import datetime as dt

import pytest
from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from django.utils import translation


class MeetingTimes(forms.Form):
    day = forms.DateField()
    time = forms.TimeField()
    starts_at = forms.SplitDateTimeField(widget=AdminSplitDateTime)


@pytest.mark.parametrize("language", ["nn", "nb", "en"])
@pytest.mark.parametrize("typed", ["10.00", "10:00", "10:00:00"])
def test_times_are_accepted_with_a_dot_or_a_colon(language, typed):
    with translation.override(language):
        form = MeetingTimes(
            {"day": "09.03.2027", "time": typed, "starts_at_0": "09.03.2027", "starts_at_1": typed}
        )
        assert form.is_valid(), form.errors
    assert form.cleaned_data["time"] == dt.time(10, 0)
    assert form.cleaned_data["day"] == dt.date(2027, 3, 9)


@pytest.mark.parametrize("language", ["nn", "nb"])
def test_iso_dates_are_still_accepted(language):
    with translation.override(language):
        form = MeetingTimes(
            {
                "day": "2027-03-09",
                "time": "10.00",
                "starts_at_0": "2027-03-09",
                "starts_at_1": "9.30",
            }
        )
        assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == dt.date(2027, 3, 9)


@pytest.mark.parametrize(
    ("language", "shown_date", "shown_time"),
    [("nn", "09.03.2027", "10.00"), ("nb", "09.03.2027", "10.00"), ("en", "2027-03-09", "10:00")],
)
def test_fields_show_norwegian_dates_and_no_seconds(language, shown_date, shown_time):
    initial = {"starts_at": dt.datetime(2027, 3, 9, 10, 0), "time": dt.time(10, 0)}
    with translation.override(language):
        html = str(MeetingTimes(initial=initial)["starts_at"]) + str(
            MeetingTimes(initial=initial)["time"]
        )
    assert f'value="{shown_date}"' in html
    assert f'value="{shown_time}"' in html
    assert "10:00:00" not in html and "10.00.00" not in html
