"""Registration services: deadline, capacity and waiting list, cancelling, coordinators."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext

from meetings import services
from meetings.models import Meeting, Registration
from meetings.services import RegistrationAnswers, RegistrationClosed
from members.models import ContactPerson

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
ANSWERS = RegistrationAnswers()


def oslo(year, month, day, hour=0, minute=0, second=0, *, fold=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=OSLO, fold=fold)


@pytest.fixture(autouse=True)
def english():
    # Messages for the person are compared in the source language.
    with translation.override("en"):
        yield


def nynorsk(message: str, **values) -> str:
    """The message as the compiled Nynorsk catalogue has it."""
    with translation.override("nn"):
        return gettext(message) % values


def register(meeting, person, *, actor=None, answers=ANSWERS, now=None):
    return services.registration_create(
        meeting=meeting, person=person, actor=actor or person, answers=answers, now=now
    )


def queue(meeting) -> list[tuple[str, str, int | None]]:
    """(name, status, waiting-list position) of the meeting's active registrations, in queue
    order."""
    return [
        (r.contact_person.name, r.status, r.waitlist_position)
        for r in Registration.objects.active()
        .filter(meeting=meeting)
        .with_waitlist_position()
        .select_related("contact_person")
        .in_queue_order()
    ]


@pytest.fixture
def municipality(municipality_factory):
    return municipality_factory(name="Voss")


@pytest.fixture
def person(contact_person_factory, municipality):
    return contact_person_factory(name="Kari", municipality=municipality)


@pytest.fixture
def five_people(contact_person_factory, municipality):
    return [
        contact_person_factory(name=name, municipality=municipality)
        for name in ("Anne", "Bjørn", "Cecilie", "Dag", "Eli")
    ]


@pytest.fixture
def full_house(meeting_factory, five_people):
    """A meeting with 3 seats and 5 registrants, one minute apart: Anne, Bjørn and Cecilie
    have seats, Dag and Eli wait, in that order."""
    meeting = meeting_factory(capacity=3)
    start = timezone.now() - dt.timedelta(hours=1)
    for minute, person in enumerate(five_people):
        register(meeting, person, now=start + dt.timedelta(minutes=minute))
    return meeting


# --- Seats and the waiting list -------------------------------------------------------------


def test_registration_gets_a_seat_while_there_is_room(meeting_factory, person):
    meeting = meeting_factory(capacity=3)
    registration, created = register(meeting, person, answers=RegistrationAnswers(comment="Hei"))
    assert created is True
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.comment == "Hei"
    assert registration.cancelled_at is None
    assert registration.is_late is False


def test_no_capacity_means_no_limit(meeting_factory, five_people):
    meeting = meeting_factory(capacity=None)
    for person in five_people:
        register(meeting, person)
    assert Registration.objects.confirmed().filter(meeting=meeting).count() == 5


def test_full_meeting_waitlists_in_order_of_arrival(full_house):
    assert queue(full_house) == [
        ("Anne", "confirmed", None),
        ("Bjørn", "confirmed", None),
        ("Cecilie", "confirmed", None),
        ("Dag", "waitlisted", 1),
        ("Eli", "waitlisted", 2),
    ]


def test_capacity_zero_puts_everyone_on_the_waiting_list(meeting_factory, person):
    registration, created = register(meeting_factory(capacity=0), person)
    assert created
    assert registration.status == Registration.Status.WAITLISTED


def test_same_arrival_time_is_queued_by_primary_key(meeting_factory, five_people):
    meeting = meeting_factory(capacity=1)
    moment = timezone.now()
    for person in five_people:
        register(meeting, person, now=moment)
    assert [position for _name, _status, position in queue(meeting)] == [None, 1, 2, 3, 4]
    assert [name for name, _status, _position in queue(meeting)] == [
        "Anne",
        "Bjørn",
        "Cecilie",
        "Dag",
        "Eli",
    ]


def test_seats_follow_the_queue_order_when_a_request_is_delayed(
    meeting_factory, five_people, monkeypatch
):
    """Seats and the waiting list must follow one order. Here Anne's request reads the clock,
    then is held up (a busy server, a wait for the lock) while Bjørn's request runs from start
    to end and takes the last seat. Anne then waits, yet the queue (queued_at, pk) puts her
    ahead of Bjørn, who holds a seat: a later arrival has the seat of an earlier one, and if
    Bjørn cancels, the promotion order disagrees with who was refused the seat."""
    meeting = meeting_factory(capacity=1)
    anne, bjorn = five_people[:2]
    ticks = iter(range(1, 100))
    start = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: start + dt.timedelta(seconds=next(ticks)))
    real_can_act_for = services.can_act_for
    held_up = []

    def delayed(actor, person):
        if person == anne and not held_up:
            held_up.append(person)
            register(meeting, bjorn)
        return real_can_act_for(actor, person)

    monkeypatch.setattr(services, "can_act_for", delayed)
    register(meeting, anne)
    assert held_up == [anne]
    in_queue_order = [
        (r.contact_person.name, r.status)
        for r in Registration.objects.filter(meeting=meeting)
        .select_related("contact_person")
        .in_queue_order()
    ]
    assert [status for _name, status in in_queue_order] == ["confirmed", "waitlisted"]


def test_cancelling_a_seat_promotes_the_first_on_the_waiting_list(
    full_house, five_people, django_capture_on_commit_callbacks
):
    bjorn = five_people[1]
    registration = Registration.objects.get(meeting=full_house, contact_person=bjorn)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=registration, actor=bjorn)
    assert queue(full_house) == [
        ("Anne", "confirmed", None),
        ("Cecilie", "confirmed", None),
        ("Dag", "confirmed", None),
        ("Eli", "waitlisted", 1),
    ]
    # Both are Nynorsk readers (the default language).
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == sorted(
        [
            (bjorn.email, nynorsk("Registration cancelled: %(title)s", title=full_house.title)),
            (five_people[3].email, nynorsk("You have a seat: %(title)s", title=full_house.title)),
        ]
    )


def test_cancelling_from_the_waiting_list_promotes_nobody(full_house, five_people):
    dag = five_people[3]
    registration = Registration.objects.get(meeting=full_house, contact_person=dag)
    services.registration_cancel(registration=registration, actor=dag)
    assert queue(full_house) == [
        ("Anne", "confirmed", None),
        ("Bjørn", "confirmed", None),
        ("Cecilie", "confirmed", None),
        ("Eli", "waitlisted", 1),
    ]


def test_cancelling_keeps_the_row(meeting_factory, person):
    registration, _created = register(meeting_factory(), person)
    moment = timezone.now()
    result = services.registration_cancel(registration=registration, actor=person, now=moment)
    assert result.pk == registration.pk
    stored = Registration.objects.get(pk=registration.pk)
    assert stored.status == Registration.Status.CANCELLED
    assert stored.cancelled_at == moment


def test_cancelling_twice_changes_nothing(meeting_factory, person):
    registration, _created = register(meeting_factory(), person)
    first = services.registration_cancel(registration=registration, actor=person)
    second = services.registration_cancel(registration=registration, actor=person)
    assert second.cancelled_at == first.cancelled_at
    assert Registration.objects.filter(contact_person=person).count() == 1


def test_registering_again_reactivates_the_row_at_the_end_of_the_queue(full_house, five_people):
    anne = five_people[0]
    original = Registration.objects.get(meeting=full_house, contact_person=anne)
    services.registration_cancel(registration=original, actor=anne)
    later = timezone.now() + dt.timedelta(minutes=5)
    registration, created = register(full_house, anne, now=later)
    assert created is True
    assert registration.pk == original.pk
    registration.refresh_from_db()
    assert registration.queued_at == later
    assert registration.cancelled_at is None
    assert registration.created_at == original.created_at
    assert queue(full_house) == [
        ("Bjørn", "confirmed", None),
        ("Cecilie", "confirmed", None),
        ("Dag", "confirmed", None),
        ("Eli", "waitlisted", 1),
        ("Anne", "waitlisted", 2),
    ]
    assert Registration.objects.filter(meeting=full_house, contact_person=anne).count() == 1


def test_registering_again_gets_a_free_seat(meeting_factory, person):
    meeting = meeting_factory(capacity=1)
    registration, _created = register(meeting, person)
    services.registration_cancel(registration=registration, actor=person)
    again, created = register(meeting, person)
    assert created
    assert again.pk == registration.pk
    assert again.status == Registration.Status.CONFIRMED


def test_second_attempt_returns_the_existing_registration(meeting_factory, person):
    meeting = meeting_factory()
    first, created = register(meeting, person)
    second, created_again = register(meeting, person, answers=RegistrationAnswers(comment="x"))
    assert (created, created_again) == (True, False)
    assert second.pk == first.pk
    assert Registration.objects.filter(meeting=meeting).count() == 1
    assert Registration.objects.get(pk=first.pk).comment == ""


def test_more_capacity_gives_seats_to_the_waiting_list(
    full_house, five_people, django_capture_on_commit_callbacks
):
    full_house.capacity = 4
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_save(meeting=full_house)
    assert [status for _name, status, _position in queue(full_house)] == [
        "confirmed",
        "confirmed",
        "confirmed",
        "confirmed",
        "waitlisted",
    ]
    assert [m.to for m in mail.outbox] == [[five_people[3].email]]


# --- Deadline -------------------------------------------------------------------------------

# (deadline, now, open): a second either side of the deadline, in Europe/Oslo. In the night
# to 28 March 2027 the clock jumps from 02:00 to 03:00, so 01:59:59 and 03:00:00 are one real
# second apart; in the night to 31 October 2027 the hour 02:00-03:00 comes twice (fold=0 is
# summer time, fold=1 winter time).
DEADLINE_CASES = [
    pytest.param(oslo(2027, 3, 10, 12), oslo(2027, 3, 10, 11, 59, 59), True, id="ordinary-before"),
    pytest.param(oslo(2027, 3, 10, 12), oslo(2027, 3, 10, 12), True, id="ordinary-exactly"),
    pytest.param(oslo(2027, 3, 10, 12), oslo(2027, 3, 10, 12, 0, 1), False, id="ordinary-after"),
    pytest.param(
        oslo(2027, 3, 28, 1, 59, 59),
        oslo(2027, 3, 28, 1, 59, 58),
        True,
        id="spring-last-cet-before",
    ),
    pytest.param(
        oslo(2027, 3, 28, 1, 59, 59), oslo(2027, 3, 28, 3, 0, 0), False, id="spring-last-cet-after"
    ),
    pytest.param(
        oslo(2027, 3, 28, 3, 0, 0),
        oslo(2027, 3, 28, 1, 59, 59),
        True,
        id="spring-first-cest-before",
    ),
    pytest.param(
        oslo(2027, 3, 28, 3, 0, 0), oslo(2027, 3, 28, 3, 0, 1), False, id="spring-first-cest-after"
    ),
    pytest.param(
        oslo(2027, 10, 31, 2, 30), oslo(2027, 10, 31, 2, 29, 59), True, id="autumn-cest-before"
    ),
    pytest.param(
        oslo(2027, 10, 31, 2, 30), oslo(2027, 10, 31, 2, 30, 1), False, id="autumn-cest-after"
    ),
    pytest.param(
        oslo(2027, 10, 31, 2, 30),
        oslo(2027, 10, 31, 2, 30, fold=1),
        False,
        id="autumn-cest-same-wall-clock-an-hour-later",
    ),
    pytest.param(
        oslo(2027, 10, 31, 2, 30, fold=1),
        oslo(2027, 10, 31, 2, 30, fold=0),
        True,
        id="autumn-cet-same-wall-clock-an-hour-earlier",
    ),
    pytest.param(
        oslo(2027, 10, 31, 2, 30, fold=1),
        oslo(2027, 10, 31, 2, 29, 59, fold=1),
        True,
        id="autumn-cet-before",
    ),
    pytest.param(
        oslo(2027, 10, 31, 2, 30, fold=1),
        oslo(2027, 10, 31, 2, 30, 1, fold=1),
        False,
        id="autumn-cet-after",
    ),
]


@pytest.mark.parametrize(("deadline", "now", "is_open"), DEADLINE_CASES)
def test_registration_closes_at_the_deadline(meeting_with_deadline, person, deadline, now, is_open):
    meeting = meeting_with_deadline(deadline)
    assert meeting.registration_is_open(now) is is_open
    if is_open:
        registration, created = register(meeting, person, now=now)
        assert created
        assert registration.status == Registration.Status.CONFIRMED
    else:
        with pytest.raises(RegistrationClosed) as closed:
            register(meeting, person, now=now)
        assert closed.value.message == "The registration deadline has passed."
        assert not Registration.objects.filter(meeting=meeting).exists()


@pytest.mark.parametrize(("deadline", "now", "is_open"), DEADLINE_CASES)
def test_changes_close_at_the_deadline(meeting_with_deadline, person, deadline, now, is_open):
    meeting = meeting_with_deadline(deadline)
    registration, _created = register(meeting, person, now=deadline - dt.timedelta(days=1))
    changed = RegistrationAnswers(dietary_needs="Vegetar")
    if is_open:
        services.registration_update(
            registration=registration, actor=person, answers=changed, now=now
        )
    else:
        with pytest.raises(RegistrationClosed):
            services.registration_update(
                registration=registration, actor=person, answers=changed, now=now
            )
    registration.refresh_from_db()
    assert registration.dietary_needs == ("Vegetar" if is_open else "")


def test_the_deadline_is_checked_when_the_change_is_made(meeting_with_deadline, person):
    """The service reads the clock itself when it is not given one."""
    meeting = meeting_with_deadline(timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(RegistrationClosed):
        register(meeting, person)
    assert not Registration.objects.exists()


def test_cancelling_is_allowed_after_the_deadline_until_the_meeting_starts(
    meeting_with_deadline, five_people
):
    deadline = oslo(2027, 3, 10, 12)
    meeting = meeting_with_deadline(deadline, capacity=1)
    first, second = five_people[:2]
    seat, _created = register(meeting, first, now=deadline - dt.timedelta(hours=2))
    waiting, _created = register(meeting, second, now=deadline - dt.timedelta(hours=1))
    services.registration_cancel(
        registration=seat, actor=first, now=deadline + dt.timedelta(days=1)
    )
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.CONFIRMED


def test_cancelling_after_the_start_is_refused(meeting_with_deadline, person):
    deadline = oslo(2027, 3, 10, 12)
    meeting = meeting_with_deadline(deadline)
    registration, _created = register(meeting, person, now=deadline - dt.timedelta(hours=1))
    with pytest.raises(RegistrationClosed):
        services.registration_cancel(registration=registration, actor=person, now=meeting.starts_at)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED


# --- Meetings and people that take no registrations ------------------------------------------


@pytest.mark.parametrize(
    ("meeting_kwargs", "reason"),
    [
        (
            {"tentative": True},
            "date",
        ),
        ({"status": Meeting.Status.CANCELLED}, "cancelled"),
        ({"status": Meeting.Status.HELD}, "already"),
        (
            {
                "starts_at": timezone.now() - dt.timedelta(days=1),
                "registration_deadline": None,
            },
            "already",
        ),
    ],
    ids=["tentative", "cancelled", "held", "past"],
)
def test_closed_meetings_take_no_registrations(meeting_factory, person, meeting_kwargs, reason):
    meeting = meeting_factory(**meeting_kwargs)
    with pytest.raises(RegistrationClosed) as closed:
        register(meeting, person)
    # A message for the person that says why.
    assert reason in str(closed.value.message)
    assert not Registration.objects.exists()


def test_person_without_municipality_cannot_register(meeting_factory, contact_person_factory):
    unlinked = contact_person_factory(municipality=None)
    with pytest.raises(RegistrationClosed) as closed:
        register(meeting_factory(), unlinked)
    assert "not linked to a municipality" in str(closed.value.message)
    assert not Registration.objects.exists()


def test_inactive_person_cannot_register(meeting_factory, contact_person_factory):
    with pytest.raises(RegistrationClosed):
        register(meeting_factory(), contact_person_factory(is_active=False))
    assert not Registration.objects.exists()


def test_online_attendance_needs_an_online_meeting(meeting_factory, person):
    online = RegistrationAnswers(attendance_mode=Registration.AttendanceMode.ONLINE)
    with pytest.raises(RegistrationClosed):
        register(meeting_factory(online_url=""), person, answers=online)
    registration, _created = register(
        meeting_factory(online_url="https://video.example.org/rom"), person, answers=online
    )
    assert registration.attendance_mode == Registration.AttendanceMode.ONLINE


# --- Coordinators ---------------------------------------------------------------------------


@pytest.fixture
def coordinator(contact_person_factory, municipality):
    return contact_person_factory(name="Koordinator", municipality=municipality, role="coordinator")


@pytest.fixture
def outsider(contact_person_factory, municipality_factory):
    return contact_person_factory(name="Utanbygds", municipality=municipality_factory())


def test_can_act_for(coordinator, person, outsider, contact_person_factory, municipality):
    member = contact_person_factory(municipality=municipality)
    assert services.can_act_for(person, person)
    assert services.can_act_for(coordinator, person)
    assert not services.can_act_for(coordinator, outsider)
    assert not services.can_act_for(member, person)
    coordinator.is_active = False
    assert not services.can_act_for(coordinator, person)


def test_coordinator_registers_and_cancels_a_colleague(
    meeting_factory, coordinator, person, django_capture_on_commit_callbacks
):
    meeting = meeting_factory()
    with django_capture_on_commit_callbacks(execute=True):
        registration, created = register(meeting, person, actor=coordinator)
    assert created
    assert registration.contact_person == person
    # The confirmation goes to the person who is coming, not to the coordinator.
    assert [m.to for m in mail.outbox] == [[person.email]]
    services.registration_cancel(registration=registration, actor=coordinator)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED


def test_member_cannot_register_a_colleague(
    meeting_factory, person, contact_person_factory, municipality
):
    member = contact_person_factory(municipality=municipality)
    with pytest.raises(PermissionDenied):
        register(meeting_factory(), person, actor=member)
    assert not Registration.objects.exists()


def test_member_cannot_cancel_a_colleague(
    meeting_factory, person, contact_person_factory, municipality
):
    registration, _created = register(meeting_factory(), person)
    member = contact_person_factory(municipality=municipality)
    with pytest.raises(PermissionDenied):
        services.registration_cancel(registration=registration, actor=member)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED


def test_coordinator_cannot_register_another_municipality(meeting_factory, coordinator, outsider):
    with pytest.raises(PermissionDenied):
        register(meeting_factory(), outsider, actor=coordinator)
    assert not Registration.objects.exists()


def test_coordinator_cannot_cancel_or_change_for_another_municipality(
    meeting_factory, coordinator, outsider
):
    registration, _created = register(meeting_factory(), outsider)
    with pytest.raises(PermissionDenied):
        services.registration_cancel(registration=registration, actor=coordinator)
    with pytest.raises(PermissionDenied):
        services.registration_update(
            registration=registration,
            actor=coordinator,
            answers=RegistrationAnswers(comment="Forfalska"),
        )
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.comment == ""


# --- Staff --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "is_late"),
    [(dt.timedelta(seconds=-1), False), (dt.timedelta(0), False), (dt.timedelta(seconds=1), True)],
)
def test_staff_registration_after_the_deadline_is_late(
    meeting_with_deadline, person, offset, is_late
):
    deadline = oslo(2027, 3, 28, 1, 59, 59)
    meeting = meeting_with_deadline(deadline)
    registration = Registration(meeting=meeting, contact_person=person)
    services.registration_staff_save(registration=registration, now=deadline + offset)
    registration.refresh_from_db()
    assert registration.is_late is is_late


def test_calendar_sequence_rises_with_each_status_change_by_any_path(full_house, five_people):
    def sequence(person):
        return Registration.objects.get(meeting=full_house, contact_person=person).calendar_sequence

    first, waiting = five_people[0], five_people[3]
    before = {person: sequence(person) for person in (first, waiting)}
    registration = Registration.objects.get(meeting=full_house, contact_person=first)
    # Staff editing answers only: the status stays, and so does the sequence.
    registration.dietary_needs = "Vegetar"
    services.registration_staff_save(registration=registration)
    assert sequence(first) == before[first]
    # Staff cancel: the sequence rises, and the promoted person's too.
    services.registration_staff_save(
        registration=registration, status=Registration.Status.CANCELLED
    )
    assert sequence(first) == before[first] + 1
    assert sequence(waiting) == before[waiting] + 1
    # Registering again reactivates the row, onto the waiting list: up once more.
    register(full_house, first)
    assert sequence(first) == before[first] + 2
    assert Registration.objects.filter(meeting=full_house, contact_person=first).count() == 1


def test_staff_cancelling_a_seat_promotes_the_first_on_the_waiting_list(full_house, five_people):
    registration = Registration.objects.get(meeting=full_house, contact_person=five_people[0])
    services.registration_staff_save(
        registration=registration, status=Registration.Status.CANCELLED
    )
    registration.refresh_from_db()
    assert registration.cancelled_at is not None
    assert queue(full_house)[2:] == [("Dag", "confirmed", None), ("Eli", "waitlisted", 1)]


def staff_add(meeting, person, **kwargs):
    return services.registration_staff_save(
        registration=Registration(meeting=meeting, contact_person=person), **kwargs
    )


def staff_set(meeting, person, status, **kwargs):
    registration = Registration.objects.active().get(meeting=meeting, contact_person=person)
    return services.registration_staff_save(registration=registration, status=status, **kwargs)


def mailed(django_capture_on_commit_callbacks, action):
    """Run `action`, send what it queued for after the commit, and return the subjects by
    recipient's name."""
    with django_capture_on_commit_callbacks(execute=True):
        result = action()
    names = {p.email: p.name for p in ContactPerson.objects.all()}
    return result, sorted((names[m.to[0]], m.subject.split(":")[0]) for m in mail.outbox)


@pytest.fixture
def english_house(full_house, five_people):
    ContactPerson.objects.filter(pk__in=[p.pk for p in five_people]).update(preferred_language="en")
    mail.outbox.clear()
    return full_house


def test_staff_adding_to_a_full_meeting_waitlists_at_the_end(
    english_house, contact_person_factory, municipality, django_capture_on_commit_callbacks
):
    frida = contact_person_factory(name="Frida", municipality=municipality, preferred_language="en")
    change, sent = mailed(
        django_capture_on_commit_callbacks, lambda: staff_add(english_house, frida)
    )
    assert (change.status_before, change.notice, change.promoted) == (None, "waitlisted", ())
    assert queue(english_house)[3:] == [
        ("Dag", "waitlisted", 1),
        ("Eli", "waitlisted", 2),
        ("Frida", "waitlisted", 3),
    ]
    assert sent == [("Frida", "On the waiting list")]


def test_staff_adding_over_capacity_is_recorded(
    english_house, contact_person_factory, municipality, django_capture_on_commit_callbacks
):
    frida = contact_person_factory(name="Frida", municipality=municipality, preferred_language="en")
    change, sent = mailed(
        django_capture_on_commit_callbacks,
        lambda: staff_add(english_house, frida, over_capacity=True),
    )
    assert (change.registration.status, change.registration.over_capacity) == ("confirmed", True)
    assert sent == [("Frida", "Registration confirmed")]


def seats_and_waiting(meeting) -> tuple[list[str], list[str]]:
    """Who has a seat and who waits, each in queue order."""
    rows = queue(meeting)
    return (
        [name for name, status, _position in rows if status == "confirmed"],
        [name for name, status, _position in rows if status == "waitlisted"],
    )


@pytest.mark.parametrize(
    ("name", "status", "over_capacity", "seats", "waiting", "expected_mail"),
    [
        (
            "Anne",
            "cancelled",
            False,
            ["Bjørn", "Cecilie", "Dag"],
            ["Eli"],
            [("Anne", "Registration cancelled"), ("Dag", "You have a seat")],
        ),
        (
            "Anne",
            "waitlisted",
            False,
            ["Bjørn", "Cecilie", "Dag"],
            ["Eli", "Anne"],
            [("Anne", "Moved to the waiting list"), ("Dag", "You have a seat")],
        ),
        (
            "Eli",
            "cancelled",
            False,
            ["Anne", "Bjørn", "Cecilie"],
            ["Dag"],
            [("Eli", "Registration cancelled")],
        ),
        ("Eli", "confirmed", False, ["Anne", "Bjørn", "Cecilie"], ["Dag", "Eli"], []),
        (
            "Eli",
            "confirmed",
            True,
            ["Anne", "Bjørn", "Cecilie", "Eli"],
            ["Dag"],
            [("Eli", "You have a seat")],
        ),
        ("Anne", "confirmed", True, ["Anne", "Bjørn", "Cecilie"], ["Dag", "Eli"], []),
    ],
    ids=[
        "seat-cancelled",
        "seat-to-waiting-list",
        "waiting-cancelled",
        "waiting-confirmed-stays",
        "waiting-confirmed-over-capacity",
        "seat-unchanged",
    ],
)
def test_each_staff_change_of_status_mails_the_person_once(
    english_house,
    five_people,
    django_capture_on_commit_callbacks,
    name,
    status,
    over_capacity,
    seats,
    waiting,
    expected_mail,
):
    person = next(p for p in five_people if p.name == name)
    _change, sent = mailed(
        django_capture_on_commit_callbacks,
        lambda: staff_set(english_house, person, status, over_capacity=over_capacity),
    )
    assert seats_and_waiting(english_house) == (seats, waiting)
    assert sent == expected_mail
    # Only a seat given over the capacity is marked so.
    marked = Registration.objects.filter(over_capacity=True)
    assert [r.contact_person.name for r in marked] == (
        ["Eli"] if len(seats) > english_house.capacity else []
    )


def test_a_seat_over_capacity_is_not_given_on_when_it_is_freed(
    english_house, five_people, django_capture_on_commit_callbacks
):
    eli = five_people[4]
    staff_set(english_house, eli, "confirmed", over_capacity=True)
    mail.outbox.clear()
    # Four on three seats: when Anne leaves, Dag still waits, and Eli's mark goes with a cancel.
    _result, sent = mailed(
        django_capture_on_commit_callbacks,
        lambda: services.registration_cancel(
            registration=Registration.objects.get(contact_person=five_people[0]),
            actor=five_people[0],
        ),
    )
    assert sent == [("Anne", "Registration cancelled")]
    assert seats_and_waiting(english_house) == (["Bjørn", "Cecilie", "Eli"], ["Dag"])
    staff_set(english_house, eli, "cancelled")
    assert Registration.objects.get(contact_person=eli).over_capacity is False


def test_the_database_keeps_over_capacity_to_confirmed_seats(english_house, five_people):
    from django.db import IntegrityError, transaction

    waiting = Registration.objects.get(contact_person=five_people[3])
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.filter(pk=waiting.pk).update(over_capacity=True)


def test_staff_changes_after_the_start_mail_nobody_and_promote_nobody(
    meeting_with_deadline, five_people, django_capture_on_commit_callbacks
):
    meeting = meeting_with_deadline(oslo(2027, 3, 1, 12))
    Meeting.objects.filter(pk=meeting.pk).update(capacity=1)
    meeting.capacity = 1
    start = meeting.starts_at
    register(meeting, five_people[0], now=start - dt.timedelta(days=5))
    register(meeting, five_people[1], now=start - dt.timedelta(days=4))
    mail.outbox.clear()
    change, sent = mailed(
        django_capture_on_commit_callbacks,
        lambda: services.registration_staff_cancel(
            registration=Registration.objects.get(contact_person=five_people[0]),
            now=start + dt.timedelta(hours=1),
        ),
    )
    assert (change.status_changed, change.notice, change.promoted) == (True, None, ())
    assert queue(meeting) == [("Bjørn", "waitlisted", 1)]
    assert sent == []


def test_staff_cancel_is_allowed_after_the_deadline(
    meeting_with_deadline, person, django_capture_on_commit_callbacks
):
    deadline = oslo(2027, 3, 1, 12)
    meeting = meeting_with_deadline(deadline)
    registration, _created = register(meeting, person, now=deadline - dt.timedelta(days=1))
    change = services.registration_staff_cancel(
        registration=registration, now=deadline + dt.timedelta(days=1)
    )
    assert (change.registration.status, change.notice) == ("cancelled", "cancelled")


@pytest.mark.parametrize(
    ("status", "field"),
    [("cancelled", "status"), ("waitlisted", "status")],
    ids=["new-cancelled", "waiting-with-free-seats"],
)
def test_staff_changes_that_cannot_be_made_raise_by_field(meeting_factory, person, status, field):
    meeting = meeting_factory(capacity=4)
    registration = Registration(meeting=meeting, contact_person=person, status=status)
    with pytest.raises(ValidationError) as excinfo:
        services.registration_staff_save(registration=registration)
    assert list(excinfo.value.message_dict) == [field]
    assert not Registration.objects.exists()
