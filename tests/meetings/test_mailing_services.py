"""Mailings through the services: whom they go to, what they say, and that nobody is mailed
twice by the same mailing."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import translation

from meetings import emails, invitations, services
from meetings.invitations import RecipientSpec, recipient_from_token, recipients_for
from meetings.models import Mailing, MailingRecipient
from members.models import Sector

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"/invitations/([^/\s]+)/")


@pytest.fixture
def meeting(meeting_factory):
    return meeting_factory(title="Søknadsverkstad", venue_name="Fylkeshuset")


@pytest.fixture
def network(municipality_factory, contact_person_factory):
    """Two member municipalities and one that is not a member, with people in them."""
    voss = municipality_factory(name="Voss", official_email="postmottak@voss.kommune.no")
    stord = municipality_factory(name="Stord", official_email="post@stord.kommune.no")
    odda = municipality_factory(
        name="Odda", official_email="post@odda.kommune.no", member_since=None
    )
    people = {
        "kari": contact_person_factory(
            email="kari@voss.kommune.no", municipality=voss, sector=Sector.HEALTH_CARE
        ),
        "per": contact_person_factory(
            email="per@voss.kommune.no", municipality=voss, sector=Sector.BUSINESS
        ),
        "siri": contact_person_factory(
            email="siri@stord.kommune.no", municipality=stord, sector=Sector.HEALTH_CARE
        ),
        "ola": contact_person_factory(
            email="ola@odda.kommune.no", municipality=odda, sector=Sector.HEALTH_CARE
        ),
        "gone": contact_person_factory(
            email="gone@voss.kommune.no", municipality=voss, is_active=False
        ),
    }
    return {"voss": voss, "stord": stord, "odda": odda, **people}


def emails_for(spec: RecipientSpec) -> set[str]:
    return {r.email for r in recipients_for(spec)}


def as_recipients(*people):
    return [invitations.Recipient(p.email, p.name, p.municipality_id, p.pk) for p in people]


def draft(meeting, *people, subject="Invitasjon: {meeting}", body="Hei {name}: {link}"):
    return services.mailing_create(
        meeting=meeting,
        kind=Mailing.Kind.INVITATION,
        subject=subject,
        body=body,
        recipients=as_recipients(*people),
    )


# --- Whom a mailing goes to --------------------------------------------------------------------


def test_members_only_by_default(network):
    assert emails_for(RecipientSpec()) == {
        "postmottak@voss.kommune.no",
        "post@stord.kommune.no",
        "kari@voss.kommune.no",
        "per@voss.kommune.no",
        "siri@stord.kommune.no",
    }


def test_non_members_only(network):
    assert emails_for(RecipientSpec(membership="non_members")) == {
        "post@odda.kommune.no",
        "ola@odda.kommune.no",
    }


def test_all_municipalities(network):
    assert emails_for(RecipientSpec(membership="all")) == {
        "postmottak@voss.kommune.no",
        "post@stord.kommune.no",
        "post@odda.kommune.no",
        "kari@voss.kommune.no",
        "per@voss.kommune.no",
        "siri@stord.kommune.no",
        "ola@odda.kommune.no",
    }


def test_official_mailboxes_only(network):
    spec = RecipientSpec(membership="all", contact_persons=False)

    recipients = recipients_for(spec)

    assert {r.email for r in recipients} == {
        "postmottak@voss.kommune.no",
        "post@stord.kommune.no",
        "post@odda.kommune.no",
    }
    # A mailbox is the municipality's, not a person's.
    assert all(r.contact_person_id is None and r.municipality_id for r in recipients)


def test_contact_persons_only(network):
    recipients = recipients_for(RecipientSpec(official_mailbox=False))

    assert {r.email: r.contact_person_id for r in recipients} == {
        "kari@voss.kommune.no": network["kari"].pk,
        "per@voss.kommune.no": network["per"].pk,
        "siri@stord.kommune.no": network["siri"].pk,
    }


def test_chosen_municipalities_only(network):
    spec = RecipientSpec(municipalities=(network["voss"].pk, network["odda"].pk))

    # Odda is chosen but not a member, and the filter says members.
    assert emails_for(spec) == {
        "postmottak@voss.kommune.no",
        "kari@voss.kommune.no",
        "per@voss.kommune.no",
    }


def test_sector_filter_applies_to_contact_persons(network):
    spec = RecipientSpec(official_mailbox=False, sectors=(Sector.HEALTH_CARE,))

    assert emails_for(spec) == {"kari@voss.kommune.no", "siri@stord.kommune.no"}


def test_hand_picked_people_are_added_whatever_the_filter_says(network, contact_person_factory):
    loose = contact_person_factory(email="free@example.org", municipality=None)
    spec = RecipientSpec(
        municipalities=(network["stord"].pk,),
        official_mailbox=False,
        sectors=(Sector.HEALTH_CARE,),
        persons=(network["ola"].pk, network["per"].pk, loose.pk),
    )

    assert emails_for(spec) == {
        "siri@stord.kommune.no",
        # Not a member, another municipality, another sector, no municipality: picked by hand.
        "ola@odda.kommune.no",
        "per@voss.kommune.no",
        "free@example.org",
    }


def test_hand_picked_people_alone(network):
    spec = RecipientSpec(
        official_mailbox=False, contact_persons=False, persons=(network["ola"].pk,)
    )

    assert emails_for(spec) == {"ola@odda.kommune.no"}


def test_inactive_people_are_left_out_even_when_picked_by_hand(network):
    spec = RecipientSpec(membership="all", persons=(network["gone"].pk,))

    assert "gone@voss.kommune.no" not in emails_for(spec)


def test_former_municipalities_are_left_out(municipality_factory, contact_person_factory):
    merged = municipality_factory(
        official_email="post@gamal.kommune.no", valid_to=dt.date(2019, 12, 31)
    )
    contact_person_factory(email="x@gamal.kommune.no", municipality=merged)

    assert emails_for(RecipientSpec(membership="all")) == set()


def test_each_address_once_whatever_its_case(network, municipality_factory, contact_person_factory):
    """A person whose address is also the municipality's mailbox, in another case."""
    fitjar = municipality_factory(official_email="Post@Fitjar.kommune.no")
    contact_person_factory(email="post@fitjar.KOMMUNE.no", municipality=fitjar)

    recipients = recipients_for(RecipientSpec())

    addresses = [r.email for r in recipients]
    assert addresses.count("post@fitjar.kommune.no") == 1
    assert len(addresses) == len(set(addresses)) == 6


def test_nothing_to_choose_gives_no_recipients(network):
    assert recipients_for(RecipientSpec(official_mailbox=False, contact_persons=False)) == []


# --- Making a mailing --------------------------------------------------------------------------


def test_a_new_mailing_is_a_draft_with_each_address_once(meeting, network):
    upper = invitations.Recipient("KARI@voss.kommune.no", "Kari", network["voss"].pk, None)
    recipients = [*as_recipients(network["kari"], network["siri"]), upper]

    mailing = services.mailing_create(
        meeting=meeting,
        kind=Mailing.Kind.INVITATION,
        subject="Invitasjon: {meeting}",
        body="Hei {name}",
        recipients=recipients,
    )

    assert mailing.is_draft
    assert sorted(mailing.recipients.values_list("email", flat=True)) == [
        "kari@voss.kommune.no",
        "siri@stord.kommune.no",
    ]
    assert mail.outbox == []


def test_a_mailing_without_recipients_is_refused(meeting):
    with translation.override("en"), pytest.raises(services.MailingError) as excinfo:
        services.mailing_create(
            meeting=meeting, kind=Mailing.Kind.INVITATION, subject="x", body="y", recipients=[]
        )

    with translation.override("en"):
        assert str(excinfo.value.message) == "The mailing has no recipients."
    assert not Mailing.objects.exists()


@pytest.mark.parametrize(
    ("subject", "body", "message"),
    [
        ("Invitasjon: {foo}", "Hei", "Unknown placeholder {foo}."),
        ("Invitasjon", "Hei {name.upper}", "Unknown placeholder {name.upper}."),
        ("Invitasjon", "Hei {name[0]}", "Unknown placeholder {name[0]}."),
        ("Invitasjon", "Hei {}", "Unknown placeholder {}."),
        ("Invitasjon", "Hei {0}", "Unknown placeholder {0}."),
        ("Invitasjon", "Hei {name", "A { or } in the text has no partner."),
        ("Invitasjon {meeting}}", "Hei", "A { or } in the text has no partner."),
        ("Invitasjon", "Hei } {name}", "A { or } in the text has no partner."),
    ],
)
def test_unknown_placeholders_are_refused(meeting, network, subject, body, message):
    # Staff read the message in the admin's language, English here.
    with translation.override("en"), pytest.raises(services.MailingError) as excinfo:
        draft(meeting, network["kari"], subject=subject, body=body)

    with translation.override("en"):
        assert str(excinfo.value.message) == message
    assert not Mailing.objects.exists()
    assert not MailingRecipient.objects.exists()


@pytest.mark.parametrize("body", ["Hei {name:{foo}}", "Hei {name:d}", "Hei {name!x}"])
def test_a_placeholder_that_cannot_be_filled_in_is_refused(meeting, network, body):
    """A format spec or conversion hides an unknown placeholder (or one that cannot be
    filled in) from the check; it must be refused when the mailing is made, not fail for
    every recipient when it is sent."""
    with pytest.raises(services.MailingError):
        draft(meeting, network["kari"], body=body)

    assert not Mailing.objects.exists()


def test_known_placeholders_and_escaped_braces_are_accepted(meeting, network):
    body = "Hei {name}! {{ikkje ein plasshaldar}} {meeting} {when} {place} {deadline} {link}"

    mailing = draft(meeting, network["kari"], body=body + " {decline_link} {poll_link}")

    assert invitations.placeholders_in(mailing.body) == set(Mailing.PLACEHOLDERS)


def test_fill_placeholders_refuses_what_it_does_not_know():
    values = dict.fromkeys(Mailing.PLACEHOLDERS, "x")

    assert invitations.fill_placeholders("{name} {{name}}", values) == "x {name}"
    with pytest.raises(invitations.UnknownPlaceholder):
        invitations.fill_placeholders("{name.__class__}", values)


# --- The default text and the e-mail -----------------------------------------------------------


def test_the_default_invitation_is_in_nynorsk_with_every_placeholder(meeting):
    subject, body = emails.default_mailing_text(meeting, Mailing.Kind.INVITATION)

    assert "{meeting}" in subject
    assert {"name", "link", "decline_link", "deadline"} <= invitations.placeholders_in(body)
    assert body.endswith(meeting.series.organiser_name)
    # Nynorsk, not the English source text.
    assert subject != "Invitation: {meeting}"
    assert not body.startswith("Hello {name}")


@pytest.mark.parametrize("kind", list(Mailing.Kind))
def test_every_default_text_can_be_sent(meeting, kind):
    subject, body = emails.default_mailing_text(meeting, kind)

    # No unknown placeholders, no stray braces.
    invitations.placeholders_in(subject)
    invitations.placeholders_in(body)


def test_the_email_is_filled_in_for_its_recipient(meeting, network):
    mailing = draft(
        meeting,
        network["kari"],
        subject="Invitasjon:   {meeting}\n",
        body="Hei {name}, <b>velkommen</b> til {meeting} på {place}.\n{link}",
    )
    recipient = mailing.recipients.get()

    message = emails.build_mailing_email(recipient)

    assert message.subject == "Invitasjon: Søknadsverkstad"
    assert message.to == ["kari@voss.kommune.no"]
    assert message.reply_to == [meeting.series.organiser_email]
    assert message.body.startswith(f"Hei {network['kari'].name}, <b>velkommen</b>")
    assert "Fylkeshuset" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    # Staff text is escaped in the HTML part; the personal link is made clickable.
    assert "&lt;b&gt;velkommen&lt;/b&gt;" in html
    token = TOKEN.search(message.body)[1]
    assert f'href="http://127.0.0.1:8000/invitations/{token}/"' in html
    assert recipient_from_token(token) == recipient
    assert message.attachments == []


# --- Sending -----------------------------------------------------------------------------------


def test_sending_queues_and_mails_everyone_once(
    meeting, network, django_capture_on_commit_callbacks
):
    mailing = draft(meeting, network["kari"], network["siri"])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.mailing_send(mailing=mailing)

    assert len(callbacks) == 1
    assert sorted(m.to[0] for m in mail.outbox) == [
        "kari@voss.kommune.no",
        "siri@stord.kommune.no",
    ]
    mailing.refresh_from_db()
    assert not mailing.is_draft
    for recipient in mailing.recipients.all():
        assert recipient.status == MailingRecipient.Status.SENT
        assert recipient.sent_at is not None
        assert recipient.attempts == 1
        assert recipient.last_error == ""
    # Each mail carries the link of its own recipient.
    for message in mail.outbox:
        found = recipient_from_token(TOKEN.search(message.body)[1])
        assert found.email == message.to[0]
        assert found.mailing == mailing


def test_nothing_is_sent_before_the_commit(meeting, network, django_capture_on_commit_callbacks):
    mailing = draft(meeting, network["kari"])

    with django_capture_on_commit_callbacks(execute=False):
        services.mailing_send(mailing=mailing)

    assert mail.outbox == []
    assert mailing.recipients.get().status == MailingRecipient.Status.QUEUED


def test_sending_twice_mails_nobody_twice(meeting, network, django_capture_on_commit_callbacks):
    mailing = draft(meeting, network["kari"], network["siri"])
    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_send(mailing=mailing)
    mailing.refresh_from_db()
    queued_at = mailing.queued_at

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.mailing_send(mailing=mailing)
        services.mailing_send(mailing=Mailing.objects.get(pk=mailing.pk))

    assert callbacks == []
    assert len(mail.outbox) == 2
    mailing.refresh_from_db()
    assert mailing.queued_at == queued_at


def test_running_the_queue_again_mails_nobody_twice(
    meeting, network, django_capture_on_commit_callbacks
):
    from meetings.tasks import send_mailing

    mailing = draft(meeting, network["kari"], network["siri"])
    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_send(mailing=mailing)

    totals = send_mailing.call(mailing.pk)

    assert totals["sent"] == 0
    assert len(mail.outbox) == 2


def test_a_draft_is_not_sent_by_the_queue(meeting, network):
    from meetings.tasks import send_mailing

    mailing = draft(meeting, network["kari"])

    send_mailing.call(mailing.pk)

    assert mail.outbox == []
    assert mailing.recipients.get().status == MailingRecipient.Status.QUEUED


def test_a_mailing_whose_recipients_are_gone_is_not_sent(meeting, network):
    mailing = draft(meeting, network["kari"])
    mailing.recipients.all().delete()

    with pytest.raises(services.MailingError):
        services.mailing_send(mailing=mailing)

    mailing.refresh_from_db()
    assert mailing.is_draft


# --- Answers and retries -----------------------------------------------------------------------


def test_declining_is_idempotent(meeting, network):
    recipient = draft(meeting, network["kari"]).recipients.get()
    first = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)

    services.invitation_decline(recipient=recipient, now=first)
    services.invitation_decline(recipient=recipient, now=first + dt.timedelta(hours=1))

    recipient.refresh_from_db()
    assert recipient.declined_at == first


def test_retrying_failed_deliveries(meeting, network, django_capture_on_commit_callbacks):
    mailing = draft(meeting, network["kari"], network["siri"], network["per"])
    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_send(mailing=mailing)
    mailing.refresh_from_db()
    kari, _siri, _per = mailing.recipients.order_by("email")
    MailingRecipient.objects.filter(pk=kari.pk).update(
        status=MailingRecipient.Status.FAILED, attempts=6, last_error="SMTPDataError: 451"
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        count = services.mailing_retry_failed(mailings=[mailing])

    assert count == 1
    assert [m.to for m in mail.outbox] == [["kari@voss.kommune.no"]]
    kari.refresh_from_db()
    assert kari.status == MailingRecipient.Status.SENT
    assert kari.attempts == 1


def test_retrying_leaves_drafts_alone(meeting, network, django_capture_on_commit_callbacks):
    mailing = draft(meeting, network["kari"])
    MailingRecipient.objects.update(status=MailingRecipient.Status.FAILED)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        count = services.mailing_retry_failed(mailings=[mailing])

    assert count == 0
    assert callbacks == []
    assert mail.outbox == []
