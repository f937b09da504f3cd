"""Many people registering at the same moment: real threads, each with its own database
connection, against PostgreSQL's row locks."""

import datetime as dt
import threading

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import Registration
from meetings.services import RegistrationAnswers

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason=(
            "needs PostgreSQL row locks: SQLite serialises writers, so the race cannot happen there"
        ),
    ),
    pytest.mark.django_db(transaction=True),
]

PEOPLE = 30
SEATS = 5
ANSWERS = {"attendance_mode": "in_person", "dietary_needs": "", "comment": ""}


def run_at_once(targets) -> tuple[list, list[BaseException]]:
    """Run each callable in its own thread, all released together by a barrier. Each thread
    opens its own database connection and closes it at the end."""
    barrier = threading.Barrier(len(targets))
    results = [None] * len(targets)
    errors = []

    def work(index, target):
        try:
            barrier.wait(timeout=60)
            results[index] = target()
        except BaseException as error:  # collected and asserted on in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=(index, target)) for index, target in enumerate(targets)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results, errors


def signed_in_client(person) -> Client:
    client = Client()
    client.force_login(person.user)
    client.cookies["django_language"] = "en"
    return client


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def crowd(linked_contact_person_factory, municipality_factory):
    municipality = municipality_factory()
    return [linked_contact_person_factory(municipality=municipality) for _ in range(PEOPLE)]


@pytest.fixture
def meeting(meeting_factory):
    return meeting_factory(capacity=SEATS)


def assert_seats_and_queue(meeting, *, confirmed, waitlisted):
    registrations = list(
        Registration.objects.filter(meeting=meeting).with_waitlist_position().in_queue_order()
    )
    assert [r.status for r in registrations].count("confirmed") == confirmed
    assert [r.status for r in registrations].count("waitlisted") == waitlisted
    positions = sorted(r.waitlist_position for r in registrations if r.waitlist_position)
    assert positions == list(range(1, waitlisted + 1))


def test_thirty_people_post_at_once_for_five_seats(crowd, meeting):
    url = reverse("meetings:register", kwargs={"slug": meeting.slug})
    clients = [signed_in_client(person) for person in crowd]
    responses, errors = run_at_once(
        [lambda client=client: client.post(url, ANSWERS) for client in clients]
    )
    assert errors == []
    assert [response.status_code for response in responses] == [302] * PEOPLE
    assert_seats_and_queue(meeting, confirmed=SEATS, waitlisted=PEOPLE - SEATS)
    messages = sorted(message for response in responses for message in flashed(response))
    assert messages == sorted(
        ["You are registered. A confirmation has been sent by e-mail."] * SEATS
        + ["The meeting is full. You are on the waiting list."] * (PEOPLE - SEATS)
    )
    assert len(mail.outbox) == PEOPLE


def test_thirty_service_calls_at_once_for_five_seats(crowd, meeting):
    def register(person):
        _registration, created = services.registration_create(
            meeting=meeting, person=person, actor=person, answers=RegistrationAnswers()
        )
        return created

    results, errors = run_at_once([lambda person=person: register(person) for person in crowd])
    assert errors == []
    assert results == [True] * PEOPLE
    assert_seats_and_queue(meeting, confirmed=SEATS, waitlisted=PEOPLE - SEATS)


def test_same_person_submitting_five_times_at_once_gets_one_registration(
    linked_contact_person_factory, meeting
):
    person = linked_contact_person_factory()
    url = reverse("meetings:register", kwargs={"slug": meeting.slug})
    clients = [signed_in_client(person) for _ in range(5)]
    responses, errors = run_at_once(
        [lambda client=client: client.post(url, ANSWERS) for client in clients]
    )
    assert errors == []
    assert [response.status_code for response in responses] == [302] * 5
    assert Registration.objects.active().filter(meeting=meeting, contact_person=person).count() == 1
    assert Registration.objects.count() == 1
    messages = sorted(message for response in responses for message in flashed(response))
    assert messages == sorted(
        ["You are registered. A confirmation has been sent by e-mail."]
        + ["You are already registered for this meeting."] * 4
    )


def test_cancellations_and_registrations_at_once_never_overbook(crowd, meeting):
    """Five seat holders cancel while ten newcomers register: every freed seat is filled
    exactly once, from the waiting list or by a newcomer."""
    start = timezone.now() - dt.timedelta(hours=1)
    holders, waiting, newcomers = crowd[:5], crowd[5:15], crowd[15:25]
    for index, person in enumerate(holders + waiting):
        services.registration_create(
            meeting=meeting,
            person=person,
            actor=person,
            answers=RegistrationAnswers(),
            now=start + dt.timedelta(seconds=index),
        )
    seats = {r.contact_person_id: r for r in Registration.objects.confirmed()}
    assert set(seats) == {person.pk for person in holders}

    def cancel(person):
        return services.registration_cancel(registration=seats[person.pk], actor=person)

    def register(person):
        return services.registration_create(
            meeting=meeting, person=person, actor=person, answers=RegistrationAnswers()
        )

    _results, errors = run_at_once(
        [lambda person=person: cancel(person) for person in holders]
        + [lambda person=person: register(person) for person in newcomers]
    )
    assert errors == []
    assert Registration.objects.filter(meeting=meeting, status="cancelled").count() == 5
    assert_seats_and_queue(meeting, confirmed=SEATS, waitlisted=15)
    # The five longest waiting got the seats.
    promoted = set(Registration.objects.confirmed().values_list("contact_person_id", flat=True))
    assert promoted == {person.pk for person in waiting[:5]}


def test_staff_and_members_registering_at_once_never_overbook(crowd, meeting):
    """Staff add ten people (none over capacity) while ten members register themselves: the
    staff service decides under the same lock, so five get seats and fifteen wait."""
    by_staff, by_themselves = crowd[:10], crowd[10:20]

    def add(person):
        return services.registration_staff_save(
            registration=Registration(meeting=meeting, contact_person=person)
        )

    def register(person):
        return services.registration_create(
            meeting=meeting, person=person, actor=person, answers=RegistrationAnswers()
        )

    _results, errors = run_at_once(
        [lambda person=person: add(person) for person in by_staff]
        + [lambda person=person: register(person) for person in by_themselves]
    )
    assert errors == []
    assert_seats_and_queue(meeting, confirmed=SEATS, waitlisted=15)
    assert not Registration.objects.filter(over_capacity=True).exists()
