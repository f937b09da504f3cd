"""An SMTP outage loses nothing: with a real SMTP server (aiosmtpd) stopped, every kind of
change the portal mails about is made; the worker (the real database queue and `db_worker`)
fails to deliver and keeps everything; then the server comes back, the worker runs again, and
every expected message arrives exactly once."""

import datetime as dt
import socket
from collections import Counter

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meetings import invitations, services
from meetings.models import Mailing, MailingRecipient, Registration
from meetings.services import RegistrationAnswers
from outbox.models import OutboxEmail
from projects.services import interest_mark

pytestmark = pytest.mark.django_db(transaction=True)


class Sink:
    """An SMTP server's message handler that keeps every envelope it accepts."""

    def __init__(self):
        self.received: list[tuple[str, bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        for address in envelope.rcpt_tos:
            self.received.append((address.lower(), envelope.content))
        return "250 Message accepted for delivery"


class SmtpServer:
    """A local SMTP server that the test stops and starts; its port stays reserved for it."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.sink = Sink()
        self._controller = None

    def start(self):
        self._controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def recipients(self) -> Counter:
        return Counter(address for address, _content in self.sink.received)


@pytest.fixture
def smtp(settings):
    server = SmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    yield server
    server.stop()


def run_worker():
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def test_nothing_is_lost_while_the_smtp_server_is_down(
    smtp,
    meeting_factory,
    linked_contact_person_factory,
    municipality_factory,
    email_domain_factory,
    project_idea_factory,
    registration_factory,
):
    start = timezone.now()
    voss = municipality_factory(name="Voss", number="4621")
    email_domain_factory(municipality=voss, domain="voss.kommune.no")
    anne, bjorn, cecilie, invitee = (
        linked_contact_person_factory(municipality=voss, email=f"{name}@voss.kommune.no")
        for name in ("anne", "bjorn", "cecilie", "invitee")
    )
    kvam = municipality_factory(name="Kvam", number="4622")
    idea_owner = linked_contact_person_factory(municipality=kvam, email="ide@kvam.kommune.no")
    idea = project_idea_factory(contact_person=idea_owner, lead_municipality=kvam)
    meeting = meeting_factory(capacity=1)
    tomorrow = meeting_factory(starts_at=start + dt.timedelta(hours=20), reminders_enabled=True)
    registration_factory(meeting=tomorrow, contact_person=cecilie)

    # The server is down (never started) while people and staff go about their business.
    answers = RegistrationAnswers()
    seat, _ = services.registration_create(
        meeting=meeting, person=anne, actor=anne, answers=answers
    )
    services.registration_create(meeting=meeting, person=bjorn, actor=bjorn, answers=answers)
    services.registration_cancel(registration=seat, actor=anne)  # Bjørn is promoted
    meeting.starts_at += dt.timedelta(hours=1)
    meeting.ends_at += dt.timedelta(hours=1)
    services.meeting_save(meeting=meeting)  # Bjørn is told it moved
    subject, body = "Invitasjon: {meeting}", "Hei {name}, {link}"
    mailing = services.mailing_create(
        meeting=meeting,
        kind=Mailing.Kind.INVITATION,
        subject=subject,
        body=body,
        recipients=[invitations.Recipient(invitee.email, invitee.name, voss.pk, invitee.pk)],
    )
    services.mailing_send(mailing=mailing)
    assert services.reminders_send()["participant_reminder"] == 1  # Cecilie, for tomorrow
    interest_mark(idea=idea, person=anne)  # the idea's owner is told
    signup = Client().post(
        reverse("account_signup"),
        {
            "name": "Dag Ny",
            "email": "dag@voss.kommune.no",
            "password1": "Fjellstova-Kvitveis-2027",
            "password2": "Fjellstova-Kvitveis-2027",
        },
    )
    assert signup.status_code == 302

    expected = Counter(
        {
            "anne@voss.kommune.no": 2,  # confirmed, cancelled
            "bjorn@voss.kommune.no": 3,  # waiting list, promoted, meeting moved
            "invitee@voss.kommune.no": 1,  # invitation
            "cecilie@voss.kommune.no": 1,  # reminder the day before
            "ide@kvam.kommune.no": 1,  # interest in the idea
            "dag@voss.kommune.no": 1,  # confirm your address
        }
    )

    run_worker()
    assert smtp.recipients() == Counter()
    assert not OutboxEmail.objects.filter(status=OutboxEmail.Status.FAILED).exists()
    assert not MailingRecipient.objects.filter(status=MailingRecipient.Status.FAILED).exists()
    assert OutboxEmail.objects.filter(attempts__gte=1, last_error__contains="Connection").exists()

    # Hours later the server is back; the worker's retries come due.
    smtp.start()
    with time_machine.travel(start + dt.timedelta(hours=3), tick=True):
        call_command("send_reminders", verbosity=0)
        run_worker()
        assert smtp.recipients() == expected
        assert set(OutboxEmail.objects.values_list("status", flat=True)) == {"sent"}
        assert set(MailingRecipient.objects.values_list("status", flat=True)) == {"sent"}

        # Running everything again sends nothing twice.
        call_command("send_reminders", verbosity=0)
        run_worker()
    assert smtp.recipients() == expected
    assert Registration.objects.get(contact_person=bjorn).status == "confirmed"
