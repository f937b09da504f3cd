"""Invitations in the admin: the new-mailing form, preview, sending, the actions, and what the
meeting and mailing pages tell staff about delivery and answers."""

import re
import socket

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from meetings import emails
from meetings.invitations import recipient_token
from meetings.models import Mailing, MailingRecipient, Registration

pytestmark = pytest.mark.django_db

Status = MailingRecipient.Status
ADD_URL = reverse("admin:meetings_mailing_add")
CHANGELIST = reverse("admin:meetings_mailing_changelist")
RECIPIENTS = reverse("admin:meetings_mailingrecipient_changelist")


@pytest.fixture
def meeting(meeting_factory):
    return meeting_factory(title="Oppstartsmøte", slug="oppstart")


@pytest.fixture
def network(municipality_factory, contact_person_factory):
    voss = municipality_factory(name="Voss", official_email="postmottak@voss.kommune.no")
    odda = municipality_factory(
        name="Odda", official_email="post@odda.kommune.no", member_since=None
    )
    return {
        "voss": voss,
        "odda": odda,
        "kari": contact_person_factory(
            name="Kari Nordmann", email="kari@voss.kommune.no", municipality=voss
        ),
        "ola": contact_person_factory(
            name="Ola Dunk", email="ola@odda.kommune.no", municipality=odda
        ),
    }


@pytest.fixture
def smtp_down(settings):
    """The real SMTP backend, pointed at a local port where nobody listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2


def add_form(meeting, **overrides) -> dict:
    subject, body = emails.default_mailing_text(meeting, Mailing.Kind.INVITATION)
    data = {
        "meeting": meeting.pk,
        "subject": subject,
        "body": body,
        "membership": "members",
        "official_mailbox": "on",
        "contact_persons": "on",
        "_save": "Save",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def change_url(obj) -> str:
    return reverse(f"admin:meetings_{obj._meta.model_name}_change", args=[obj.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def form_errors(response) -> dict:
    assert response.status_code == 200, "the form was accepted"
    return response.context["adminform"].form.errors


def make_draft(mailing_factory, mailing_recipient_factory, meeting, *people):
    mailing = mailing_factory(meeting=meeting)
    for person in people:
        mailing_recipient_factory(
            mailing=mailing,
            email=person.email,
            name=person.name,
            municipality=person.municipality,
            contact_person=person,
        )
    return mailing


# --- The new-mailing form ----------------------------------------------------------------------


def test_the_add_form_starts_from_the_meetings_default_text(staff_client, meeting):
    response = staff_client.get(ADD_URL, {"meeting": meeting.pk})

    assert response.status_code == 200
    initial = response.context["adminform"].form.initial
    subject, body = emails.default_mailing_text(meeting, Mailing.Kind.INVITATION)
    assert initial["subject"] == subject
    assert initial["body"] == body
    assert str(initial["meeting"]) == str(meeting.pk)
    assert "{link}" in response.content.decode()


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_the_add_form_without_a_known_meeting_starts_empty(staff_client, meeting, value):
    response = staff_client.get(ADD_URL, {"meeting": value})

    assert response.status_code == 200
    assert "subject" not in response.context["adminform"].form.initial


def test_saving_with_send_now_queues_and_sends(
    staff_en_client, staff_user, meeting, network, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_en_client.post(ADD_URL, add_form(meeting, send_now="on"))

    assert response.status_code == 302
    mailing = Mailing.objects.get()
    assert mailing.meeting == meeting
    assert mailing.kind == Mailing.Kind.INVITATION
    assert mailing.created_by == staff_user
    assert not mailing.is_draft
    # Members only: Voss's mailbox and Kari; Odda is not a member.
    assert sorted(m.to[0] for m in mail.outbox) == [
        "kari@voss.kommune.no",
        "postmottak@voss.kommune.no",
    ]
    assert set(mailing.recipients.values_list("status", flat=True)) == {Status.SENT}
    assert any("queued" in text and "2 recipients" in text for text in messages_of(response))


def test_saving_without_send_now_keeps_a_draft(
    staff_client, meeting, network, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(ADD_URL, add_form(meeting))

    assert response.status_code == 302
    mailing = Mailing.objects.get()
    assert mailing.is_draft
    assert mailing.recipients.count() == 2
    assert mail.outbox == []


def test_hand_picked_people_alone(
    staff_client, meeting, network, django_capture_on_commit_callbacks
):
    form = add_form(
        meeting,
        official_mailbox=None,
        contact_persons=None,
        persons=[network["ola"].pk],
        send_now="on",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(ADD_URL, form)

    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["ola@odda.kommune.no"]]


def test_a_choice_with_no_recipients_is_refused(staff_en_client, meeting, network):
    form = add_form(meeting, membership="non_members", official_mailbox=None, sectors=["culture"])

    response = staff_en_client.post(ADD_URL, {**form, "send_now": "on"})

    errors = form_errors(response)
    assert errors["__all__"] == [
        "This choice gives no recipients. Choose other municipalities or people."
    ]
    assert not Mailing.objects.exists()
    assert not MailingRecipient.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("field", "text", "error"),
    [
        ("subject", "Invitasjon til {foo}", "Unknown placeholder {foo}."),
        ("body", "Hei {name.upper}", "Unknown placeholder {name.upper}."),
        ("body", "Hei {name", "A { or } has no partner."),
        ("body", "Hei name}", "A { or } has no partner."),
    ],
)
def test_an_unknown_placeholder_is_refused(staff_en_client, meeting, network, field, text, error):
    response = staff_en_client.post(ADD_URL, add_form(meeting, send_now="on", **{field: text}))

    [message] = form_errors(response)[field]
    assert message.startswith(error)
    assert not Mailing.objects.exists()
    assert mail.outbox == []


def test_a_placeholder_hidden_in_a_format_spec_is_refused(staff_client, meeting, network):
    """{name:{foo}} passes the check today and then fails for every recipient when sent."""
    response = staff_client.post(ADD_URL, add_form(meeting, body="Hei {name:{foo}}", send_now="on"))

    assert "body" in form_errors(response)
    assert not Mailing.objects.exists()


# --- Draft, preview and sending from the change page -------------------------------------------


def test_the_draft_shows_a_preview_for_the_first_recipient(
    staff_en_client, meeting, network, mailing_factory, mailing_recipient_factory
):
    mailing = make_draft(
        mailing_factory, mailing_recipient_factory, meeting, network["kari"], network["ola"]
    )
    kari = mailing.recipients.get(email="kari@voss.kommune.no")

    response = staff_en_client.get(change_url(mailing))

    assert response.status_code == 200
    page = response.content.decode()
    # An official mailbox, then a contact person in Nynorsk, Bokmål and English.
    previews = re.findall(r'<pre class="mailing-preview">(.*?)</pre>', page, re.S)
    assert len(previews) == 4
    preview = previews[1]
    assert "Hei Kari Nordmann," in preview
    assert f"/invitations/{recipient_token(kari)}/" in preview
    assert f"/invitations/{recipient_token(kari)}/decline/" in preview
    assert "Invitasjon: Oppstartsmøte" in page
    assert "kari@voss.kommune.no" in page
    assert "ola@odda.kommune.no" not in page
    # A draft can still be sent from here.
    assert 'name="send_now"' in page
    assert mail.outbox == []


def test_a_sent_mailing_can_no_longer_be_edited_or_sent(
    staff_client, meeting, network, send_invitation
):
    mailing = send_invitation(meeting, persons=[network["kari"]])

    response = staff_client.get(change_url(mailing))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="send_now"' not in page
    assert 'name="body"' not in page


def test_editing_and_sending_a_draft_from_its_page(
    staff_client,
    meeting,
    network,
    mailing_factory,
    mailing_recipient_factory,
    django_capture_on_commit_callbacks,
):
    mailing = make_draft(mailing_factory, mailing_recipient_factory, meeting, network["kari"])

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            change_url(mailing),
            {"subject": "Ny tekst: {meeting}", "body": "Hei {name}", "send_now": "on"},
        )

    assert response.status_code == 302
    [message] = mail.outbox
    assert message.subject == "Ny tekst: Oppstartsmøte"
    assert message.body == "Hei Kari Nordmann"


def test_editing_a_draft_checks_the_placeholders(
    staff_en_client, meeting, network, mailing_factory, mailing_recipient_factory
):
    mailing = make_draft(mailing_factory, mailing_recipient_factory, meeting, network["kari"])

    response = staff_en_client.post(change_url(mailing), {"subject": "{foo}", "body": "Hei"})

    assert form_errors(response)["subject"][0].startswith("Unknown placeholder {foo}.")
    mailing.refresh_from_db()
    assert mailing.subject == "Invitasjon: {meeting}"


# --- Actions -----------------------------------------------------------------------------------


def test_sending_the_selected_drafts(
    staff_en_client,
    meeting,
    network,
    mailing_factory,
    mailing_recipient_factory,
    send_invitation,
    django_capture_on_commit_callbacks,
):
    first = make_draft(mailing_factory, mailing_recipient_factory, meeting, network["kari"])
    second = make_draft(mailing_factory, mailing_recipient_factory, meeting, network["ola"])
    already_sent = send_invitation(meeting, persons=[network["kari"]])
    mail.outbox.clear()
    selected = [first.pk, second.pk, already_sent.pk]

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_en_client.post(
            CHANGELIST, {"action": "send_drafts", "_selected_action": selected}
        )

    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == ["kari@voss.kommune.no", "ola@odda.kommune.no"]
    assert Mailing.objects.filter(queued_at__isnull=True).count() == 0
    assert len(messages_of(response)) == 2

    # Running the action again mails nobody twice.
    with django_capture_on_commit_callbacks(execute=True):
        staff_en_client.post(CHANGELIST, {"action": "send_drafts", "_selected_action": selected})

    assert len(mail.outbox) == 2


def test_trying_failed_deliveries_again(
    staff_en_client, meeting, network, send_invitation, django_capture_on_commit_callbacks
):
    mailing = send_invitation(meeting, persons=[network["kari"], network["ola"]])
    MailingRecipient.objects.filter(email="ola@odda.kommune.no").update(
        status=Status.FAILED, attempts=6, last_error="SMTPServerDisconnected: gone"
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_en_client.post(
            CHANGELIST, {"action": "retry_failed", "_selected_action": [mailing.pk]}
        )

    assert response.status_code == 302
    assert messages_of(response) == ["1 failed delivery will be tried again."]
    assert [m.to for m in mail.outbox] == [["ola@odda.kommune.no"]]
    ola = mailing.recipients.get(email="ola@odda.kommune.no")
    assert ola.status == Status.SENT
    assert ola.attempts == 1


# --- What staff see ----------------------------------------------------------------------------


@pytest.fixture
def answered(
    meeting,
    network,
    municipality_factory,
    contact_person_factory,
    registration_factory,
    send_invitation,
    client,
):
    """Invitations to four municipalities' mailboxes and Kari: Voss registered (Kari), Stord
    declined, Fitjar and Odda have not answered. Then one mail failed and one waits."""
    stord = municipality_factory(name="Stord", official_email="post@stord.kommune.no")
    fitjar = municipality_factory(name="Fitjar", official_email="post@fitjar.kommune.no")
    mailing = send_invitation(
        meeting,
        persons=[network["kari"]],
        mailboxes=[network["voss"], stord, fitjar, network["odda"]],
    )
    registration_factory(meeting=meeting, contact_person=network["kari"])
    stord_mailbox = mailing.recipients.get(email="post@stord.kommune.no")
    client.post(reverse("invitation_decline", kwargs={"token": recipient_token(stord_mailbox)}))
    MailingRecipient.objects.filter(email="post@fitjar.kommune.no").update(
        status=Status.FAILED, last_error="SMTPRecipientsRefused: 550"
    )
    MailingRecipient.objects.filter(email="post@odda.kommune.no").update(status=Status.QUEUED)
    return mailing


def test_the_meeting_page_shows_answers_and_delivery(staff_en_client, meeting, answered):
    response = staff_en_client.get(change_url(meeting))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Invited: 5 addresses." in page
    assert "Registered: 2, cannot attend: 1, no answer: 2." in page
    assert "E-mails sent: 3, failed: 1, waiting to be sent: 1." in page
    assert re.search(r"Municipalities that have not answered:</strong>\s*Fitjar, Odda</p>", page)
    assert re.search(r"Municipalities that cannot attend:</strong>\s*Stord</p>", page)
    assert f'href="{ADD_URL}?meeting={meeting.pk}"' in page


def test_the_meeting_page_without_invitations(staff_en_client, meeting):
    response = staff_en_client.get(change_url(meeting))

    assert "No invitations have been sent for this meeting." in response.content.decode()


def test_the_mailing_list_shows_delivery_counts(staff_en_client, meeting, answered):
    response = staff_en_client.get(CHANGELIST)

    assert response.status_code == 200
    [row] = response.context["cl"].result_list
    assert (row.recipient_count, row.sent_count, row.waiting_count, row.failed_count) == (
        5,
        3,
        1,
        1,
    )
    page = response.content.decode()
    assert '<td class="field-waiting_count">1</td>' in page
    assert '<td class="field-failed_count">1</td>' in page


def test_the_recipient_list_shows_errors_and_answers(staff_en_client, answered):
    response = staff_en_client.get(RECIPIENTS, {"mailing__id__exact": answered.pk})

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 5
    page = response.content.decode()
    assert "SMTPRecipientsRefused: 550" in page
    # Read-only: the queue writes these rows.
    assert (
        'name="_save"'
        not in staff_en_client.get(change_url(answered.recipients.first())).content.decode()
    )


def test_when_smtp_is_down_the_admin_says_how_many_wait(
    staff_en_client, meeting, network, smtp_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_en_client.post(ADD_URL, add_form(meeting, send_now="on"))

    assert response.status_code == 302
    mailing = Mailing.objects.get()
    assert mail.outbox == []
    for recipient in mailing.recipients.all():
        assert recipient.status == Status.QUEUED
        assert recipient.attempts == 1
        assert "ConnectionRefusedError" in recipient.last_error
        assert recipient.next_attempt_at > timezone.now()
    [row] = staff_en_client.get(CHANGELIST).context["cl"].result_list
    assert (row.waiting_count, row.sent_count, row.failed_count) == (2, 0, 0)
    page = staff_en_client.get(change_url(meeting)).content.decode()
    assert "E-mails sent: 0, failed: 0, waiting to be sent: 2." in page


# --- Query counts ------------------------------------------------------------------------------


def test_the_mailing_list_takes_a_constant_number_of_queries(
    staff_client, count_queries, meeting_factory, mailing_factory, mailing_recipient_factory
):
    def fill(count):
        for _n in range(count):
            mailing = mailing_factory(meeting=meeting_factory(), queued_at=timezone.now())
            mailing_recipient_factory(mailing=mailing, status=Status.SENT)
            mailing_recipient_factory(mailing=mailing, status=Status.FAILED)
            mailing_recipient_factory(mailing=mailing)

    def load():
        response = staff_client.get(CHANGELIST)
        assert response.status_code == 200
        return len(response.context["cl"].result_list)

    fill(5)
    few, shown_few = count_queries(load)
    fill(45)
    many, shown_many = count_queries(load)

    assert (shown_few, shown_many) == (5, 50)
    # Session, user, second factor, permissions (2), the series filter, the count (twice),
    # the page, the date hierarchy (2), the year filter.
    assert few == many == 12


def test_the_recipient_list_takes_a_constant_number_of_queries(
    staff_client,
    count_queries,
    meeting_factory,
    municipality_factory,
    mailing_factory,
    mailing_recipient_factory,
):
    def fill(count):
        for _n in range(count):
            mailing = mailing_factory(meeting=meeting_factory(), queued_at=timezone.now())
            mailing_recipient_factory(mailing=mailing, municipality=municipality_factory())

    def load():
        response = staff_client.get(RECIPIENTS)
        assert response.status_code == 200
        return len(response.context["cl"].result_list)

    fill(5)
    few, shown_few = count_queries(load)
    fill(45)
    many, shown_many = count_queries(load)

    assert (shown_few, shown_many) == (5, 50)
    # Session, user, second factor, permissions (2), the meeting and mailing filters, the
    # count, the page, the year filter.
    assert few == many == 10


def test_county_staff_without_superuser_rights_may_use_mailings(staff_client, staff_user):
    assert not staff_user.is_superuser
    assert staff_client.get(ADD_URL).status_code == 200
    assert staff_client.get(CHANGELIST).status_code == 200
    assert staff_client.get(RECIPIENTS).status_code == 200


def test_a_registration_is_not_an_answer_once_cancelled(
    staff_en_client, meeting, network, send_invitation, registration_factory
):
    send_invitation(meeting, persons=[network["kari"]])
    registration = registration_factory(
        meeting=meeting,
        contact_person=network["kari"],
        status=Registration.Status.CANCELLED,
        cancelled_at=timezone.now(),
    )
    assert registration.pk

    page = staff_en_client.get(change_url(meeting)).content.decode()

    assert "Registered: 0, cannot attend: 0, no answer: 1." in page
