"""The instant the test suite runs at, so that no test depends on the wall clock.

Every test starts at one stated instant (`--clock=NAME`, `noon` unless told otherwise) and the
clock ticks on from there. time-machine moves the clock under everything that reads it: Django's
`timezone.now()`, Python's `datetime.now()`, `date.today()` and `time.time()`. The named instants
are the hours where code that does arithmetic on local times goes wrong: late evening (the end of
a meeting falls on the next day), the turn of the year, and the two nights Europe/Oslo changes
between CET and CEST.

    pytest --clock=dst-autumn
    pytest --clock=2027-05-17T08:00:00+02:00   # an ad-hoc instant, with its UTC offset
"""

import argparse
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

OSLO = ZoneInfo("Europe/Oslo")

INSTANTS = {
    # A Wednesday in June: an ordinary working day, far from any change of date or offset.
    "noon": dt.datetime(2027, 6, 9, 12, 0, tzinfo=OSLO),
    # Meetings made "N days from now" start at 21:30 and end after midnight.
    "evening": dt.datetime(2027, 6, 9, 21, 30, tzinfo=OSLO),
    # Five minutes before the year changes in Oslo (22:55 UTC, still 31 December in UTC).
    "new-year": dt.datetime(2027, 12, 31, 23, 55, tzinfo=OSLO),
    # A minute before the clocks go forward: 02:00 CET becomes 03:00 CEST, 02:xx never happens.
    "dst-spring": dt.datetime(2027, 3, 28, 1, 59, tzinfo=OSLO),
    # The first of the two 02:30s (CEST, 00:30 UTC); an hour later the clocks show 02:30 again.
    "dst-autumn": dt.datetime(2027, 10, 31, 2, 30, tzinfo=OSLO, fold=0),
}
DEFAULT_CLOCK = "noon"


def parse_clock(value: str) -> tuple[str, dt.datetime]:
    """A named instant or an ISO 8601 timestamp with a UTC offset, as (name, instant)."""
    if value in INSTANTS:
        return value, INSTANTS[value]
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        instant = None
    if instant is None or instant.utcoffset() is None:
        raise argparse.ArgumentTypeError(
            f"{value!r} is neither a named instant ({', '.join(INSTANTS)}) nor an ISO "
            "timestamp with a UTC offset such as 2027-05-17T08:00:00+02:00"
        )
    return value, instant


def pytest_addoption(parser):
    parser.addoption(
        "--clock",
        default=DEFAULT_CLOCK,
        type=parse_clock,
        metavar="NAME",
        help=(
            f"the instant every test starts at: {', '.join(INSTANTS)} (all Europe/Oslo; "
            f"default {DEFAULT_CLOCK}) or an ISO timestamp with a UTC offset"
        ),
    )


def clock_instant(config) -> dt.datetime:
    """The chosen instant in UTC: time-machine then leaves the process's TZ alone."""
    _name, instant = config.getoption("clock")
    return instant.astimezone(dt.UTC)


def pytest_report_header(config):
    name, _instant = config.getoption("clock")
    local = clock_instant(config).astimezone(OSLO)
    return (
        f"clock: {name} = {local:%A %Y-%m-%d %H:%M:%S%z} Europe/Oslo "
        f"({clock_instant(config):%Y-%m-%d %H:%M:%S} UTC); every test starts there (--clock)"
    )


_SESSION_TRAVEL = pytest.StashKey[time_machine.travel]()


def pytest_sessionstart(session):
    # Session fixtures (the test database and its migrations, the live server) run at the
    # instant too; each test then starts afresh at it.
    travel = time_machine.travel(clock_instant(session.config), tick=True)
    travel.start()
    session.config.stash[_SESSION_TRAVEL] = travel


def pytest_sessionfinish(session):
    travel = session.config.stash.get(_SESSION_TRAVEL, None)
    if travel is not None:
        travel.stop()
        del session.config.stash[_SESSION_TRAVEL]


@pytest.fixture(autouse=True)
def clock(request):
    """Start the test at the chosen instant with the clock ticking. Yields time-machine's
    traveller: `clock.move_to(moment, tick=False)` stops the clock at another moment, and
    `clock.shift(timedelta)` moves it on (`freeze_now` does the first)."""
    travel = time_machine.travel(clock_instant(request.config), tick=True)
    traveller = travel.start()
    yield traveller
    travel.stop()
