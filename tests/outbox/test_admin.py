"""Outgoing e-mail in the admin: county staff see every delivery, find the failed ones and
send them again; nobody edits, adds or deletes the record."""

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.urls import reverse

from outbox.models import OutboxEmail
from outbox.services import email_queue
from tests.helpers import result_pks, sign_in_with_second_factor

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:outbox_outboxemail_changelist")


def queue(count, **state) -> list[OutboxEmail]:
    rows = email_queue(
        messages=[
            EmailMessage(f"Emne {n}", "Tekst", "from@example.org", [f"p{n}@example.org"])
            for n in range(count)
        ],
        kind="registration.confirmed",
    )
    if state:
        OutboxEmail.objects.filter(pk__in=[row.pk for row in rows]).update(**state)
    return rows


def test_staff_find_the_failed_deliveries(staff_client):
    failed = queue(2, status=OutboxEmail.Status.FAILED, attempts=1, last_error="554 rejected")
    queue(1)
    response = staff_client.get(CHANGELIST, {"status__exact": "failed"})
    assert response.status_code == 200
    assert result_pks(response) == {row.pk for row in failed}
    assert "554 rejected" in response.content.decode()


def test_staff_send_failed_mail_again(staff_en_client, django_capture_on_commit_callbacks):
    [failed] = queue(1, status=OutboxEmail.Status.FAILED, attempts=6, last_error="timeout")
    [sent] = queue(1, status=OutboxEmail.Status.SENT, attempts=1, sent_at="2027-01-01T10:00Z")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_en_client.post(
            CHANGELIST,
            {"action": "retry", "_selected_action": [failed.pk, sent.pk]},
            follow=True,
        )
    assert [str(m) for m in response.context["messages"]] == [
        "1 failed e-mail will be tried again."
    ]
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (OutboxEmail.Status.SENT, 1)
    # The one already sent is not sent twice.
    assert [m.to for m in mail.outbox] == [[failed.to]]


def test_the_record_cannot_be_edited_added_or_deleted(staff_client):
    [email] = queue(1)
    change = reverse("admin:outbox_outboxemail_change", args=[email.pk])
    page = staff_client.get(change)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert staff_client.post(change, {"subject": "Endra"}).status_code == 403
    assert staff_client.get(reverse("admin:outbox_outboxemail_add")).status_code == 403
    delete = reverse("admin:outbox_outboxemail_delete", args=[email.pk])
    assert staff_client.get(delete).status_code == 403
    action_field = staff_client.get(CHANGELIST).context["action_form"].fields["action"]
    assert [value for value, _label in action_field.choices] == ["", "retry"]


def test_members_cannot_see_outgoing_mail(client, user_factory):
    sign_in_with_second_factor(client, user_factory(is_staff=True))
    assert client.get(CHANGELIST).status_code == 403


def test_the_changelist_runs_a_fixed_number_of_queries(staff_client, count_queries):
    def queries_for(count):
        OutboxEmail.objects.all().delete()
        queue(count)
        number, response = count_queries(lambda: staff_client.get(CHANGELIST))
        assert len(response.context["cl"].result_list) == count
        return number

    assert queries_for(2) == queries_for(40)
