import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import gettext

from meetings.models import Meeting
from meetings.templatetags.meeting_tags import local_datetime, meeting_when

OSLO = ZoneInfo("Europe/Oslo")


def at(year, month, day, hour, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=OSLO)


def meeting(**fields) -> Meeting:
    fields.setdefault("status", Meeting.Status.SCHEDULED)
    return Meeting(**fields)


FIRST_MEETING = {"starts_at": at(2018, 3, 7, 10), "ends_at": at(2018, 3, 7, 13, 30)}


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def nynorsk():
    with translation.override("nn"):
        yield


def nn_catalogue_has(msgid: str) -> bool:
    with translation.override("nn"):
        return gettext(msgid) != msgid


# --- meeting_when, English -------------------------------------------------------------------


def test_tentative_meeting_shows_its_period(english):
    assert meeting_when(meeting(status="tentative", tentative_period="juni")) == "juni"
    assert meeting_when(meeting(status="tentative", tentative_period="haust/vinter")) == (
        "haust/vinter"
    )


def test_tentative_meeting_without_period(english):
    assert meeting_when(meeting(status="tentative")) == "Date not fixed yet"


def test_same_day_range(english):
    assert meeting_when(meeting(**FIRST_MEETING)) == "7 March 2018 at 10:00–13:30"


def test_no_end(english):
    assert meeting_when(meeting(starts_at=at(2018, 3, 7, 10))) == "7 March 2018 at 10:00"


def test_multi_day(english):
    result = meeting_when(meeting(starts_at=at(2018, 3, 7, 10), ends_at=at(2018, 3, 8, 15)))
    assert result == "7 March 2018 at 10:00 – 8 March 2018 at 15:00"


def test_times_are_shown_in_oslo(english):
    # 08:00 UTC is 10:00 in Oslo in summer (CEST) and 09:00 in winter (CET).
    summer = meeting(starts_at=dt.datetime(2018, 6, 7, 8, tzinfo=dt.UTC))
    winter = meeting(starts_at=dt.datetime(2018, 12, 7, 8, tzinfo=dt.UTC))
    assert meeting_when(summer) == "7 June 2018 at 10:00"
    assert meeting_when(winter) == "7 December 2018 at 09:00"


def test_the_date_is_the_oslo_date(english):
    # 23:30 UTC on 7 March is 00:30 on 8 March in Oslo: the same Oslo day, not two days.
    late = meeting(
        starts_at=dt.datetime(2018, 3, 7, 23, 30, tzinfo=dt.UTC),
        ends_at=dt.datetime(2018, 3, 8, 1, 0, tzinfo=dt.UTC),
    )
    assert meeting_when(late) == "8 March 2018 at 00:30–02:00"


def test_filter_in_a_template(english):
    rendered = Template("{% load meeting_tags %}{{ m|meeting_when }}").render(
        Context({"m": meeting(**FIRST_MEETING)})
    )
    assert rendered == "7 March 2018 at 10:00–13:30"


# --- meeting_when, Nynorsk -------------------------------------------------------------------


def test_nynorsk_date_and_time_parts(nynorsk):
    result = meeting_when(meeting(**FIRST_MEETING))
    assert result.startswith("7. mars 2018 ")
    assert "10.00" in result
    assert result.endswith("–13.30")
    assert "March" not in result


def test_nynorsk_connector_is_the_same_with_and_without_an_end(nynorsk):
    # "7. mars 2018 kl. 10.00" and "7. mars 2018 kl. 10.00–13.30" come from two catalogue
    # entries; both must be found, or the range falls back to the English "at".
    without_end = meeting_when(meeting(starts_at=FIRST_MEETING["starts_at"]))
    with_end = meeting_when(meeting(**FIRST_MEETING))
    assert with_end == f"{without_end}–13.30"


@pytest.mark.skipif(
    not nn_catalogue_has("%(date)s at %(start)s"),
    reason="the compiled Nynorsk catalogue does not translate the date connector yet",
)
def test_nynorsk_first_meeting_exactly(nynorsk):
    assert meeting_when(meeting(**FIRST_MEETING)) == "7. mars 2018 kl. 10.00–13.30"


def test_nynorsk_multi_day_parts(nynorsk):
    result = meeting_when(meeting(starts_at=at(2018, 3, 7, 10), ends_at=at(2018, 3, 8, 15)))
    assert result.startswith("7. mars 2018 ")
    assert " – 8. mars 2018 " in result
    assert result.endswith("15.00")


# --- local_datetime --------------------------------------------------------------------------


def test_local_datetime(english):
    deadline = dt.datetime(2018, 3, 5, 22, 59, tzinfo=dt.UTC)
    assert local_datetime(deadline) == "5 March 2018 at 23:59"


def test_local_datetime_nynorsk_parts(nynorsk):
    result = local_datetime(at(2018, 3, 5, 23, 59))
    assert result.startswith("5. mars 2018 ")
    assert result.endswith("23.59")


def test_local_datetime_of_nothing_is_empty():
    assert local_datetime(None) == ""
