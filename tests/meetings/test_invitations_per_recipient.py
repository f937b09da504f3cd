"""Invitations that fit each recipient: texts in Nynorsk, Bokmål and English by the recipient's
preferred language; leaving out those who answered or were invited; a test send and previews;
several reminders per meeting; drafts that can be changed and deleted, and are not queued."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from meetings import emails, services
from meetings.invitations import Recipient
from meetings.models import Mailing, MailingRecipient, Meeting, MeetingReminder, Registration
from outbox.models import OutboxEmail

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
DEADLINE = dt.datetime(2031, 5, 5, 23, 59, tzinfo=OSLO)
STARTS = dt.datetime(2031, 5, 12, 10, 0, tzinfo=OSLO)
ADD_URL = reverse("admin:meetings_mailing_add")
CHANGELIST = reverse("admin:meetings_mailing_changelist")
RECIPIENTS = reverse("admin:meetings_mailingrecipient_changelist")
TOKEN = re.compile(r"/invitations/([^/\s]+)/")

NB_SUBJECT = "Invitasjon (bokmål): {meeting}"
NB_BODY = "Hei {name}! Velkommen {when}. Meld deg på: {link}"
EN_SUBJECT = "Invitation (English): {meeting}"
EN_BODY = "Hello {name}! Welcome {when}. Register: {link}"


@pytest.fixture
def meeting(meeting_factory):
    return meeting_factory(
        title="Søknadsverkstad",
        slug="soknadsverkstad",
        starts_at=STARTS,
        ends_at=STARTS + dt.timedelta(hours=4),
        registration_deadline=DEADLINE,
        online_url="https://meet.example.org/soknad",
    )


@pytest.fixture
def network(municipality_factory, contact_person_factory):
    voss = municipality_factory(name="Voss", official_email="postmottak@voss.kommune.no")
    odda = municipality_factory(name="Odda", official_email="post@odda.kommune.no")

    def person(name, email, municipality, language):
        return contact_person_factory(
            name=name, email=email, municipality=municipality, preferred_language=language
        )

    return {
        "voss": voss,
        "odda": odda,
        "kari": person("Kari Nordmann", "kari@voss.kommune.no", voss, "nn"),
        "per": person("Per Hansen", "per@voss.kommune.no", voss, "nb"),
        "anna": person("Anna Smith", "anna@odda.kommune.no", odda, "en"),
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def add_form(meeting, **overrides) -> dict:
    texts = emails.default_mailing_texts(meeting, Mailing.Kind.INVITATION)
    data = {
        "meeting": meeting.pk,
        **texts,
        "membership": "all",
        "official_mailbox": "on",
        "contact_persons": "on",
        "skip_answered": "on",
        "skip_invited": "on",
        "_save": "Save",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def in_languages(mailing_factory, meeting, **fields):
    return mailing_factory(
        meeting=meeting,
        subject_nb=NB_SUBJECT,
        body_nb=NB_BODY,
        subject_en=EN_SUBJECT,
        body_en=EN_BODY,
        **fields,
    )


def by_address() -> dict:
    return {message.to[0]: message for message in mail.outbox}


# --- Texts per language ------------------------------------------------------------------------


def test_the_default_texts_exist_in_all_three_languages(staff_client, meeting):
    response = staff_client.get(ADD_URL, {"meeting": meeting.pk})

    initial = response.context["adminform"].form.initial
    assert initial["subject"] == "Invitasjon: {meeting}"
    assert initial["subject_en"] == "Invitation: {meeting}"
    assert "Hello {name}," in initial["body_en"]
    # Bokmål differs from Nynorsk, and all three use the personal links.
    assert initial["body_nb"] not in (initial["body"], initial["body_en"])
    for name in ("body", "body_nb", "body_en"):
        assert "{link}" in initial[name] and "{decline_link}" in initial[name]
    page = response.content.decode()
    assert 'name="subject_nb"' in page and 'name="body_en"' in page


def test_each_recipient_gets_their_language_and_a_mailbox_gets_nynorsk(
    meeting, network, mailing_factory, mailing_recipient_factory, django_capture_on_commit_callbacks
):
    mailing = in_languages(mailing_factory, meeting)
    mailing_recipient_factory(
        mailing=mailing, email="postmottak@voss.kommune.no", municipality=network["voss"]
    )
    for name in ("kari", "per", "anna"):
        person = network[name]
        mailing_recipient_factory(
            mailing=mailing,
            email=person.email,
            name=person.name,
            municipality=person.municipality,
            contact_person=person,
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_send(mailing=mailing)

    got = by_address()
    assert got["postmottak@voss.kommune.no"].subject == "Invitasjon: Søknadsverkstad"
    assert got["kari@voss.kommune.no"].subject == "Invitasjon: Søknadsverkstad"
    assert got["per@voss.kommune.no"].subject == "Invitasjon (bokmål): Søknadsverkstad"
    assert got["anna@odda.kommune.no"].subject == "Invitation (English): Søknadsverkstad"
    # Dates in the recipient's language.
    assert "12 May 2031 at 10:00" in got["anna@odda.kommune.no"].body
    assert "12. mai 2031 kl. 10.00" in got["per@voss.kommune.no"].body
    # The personal link works for each, whatever the language.
    for message in got.values():
        assert TOKEN.search(message.body)


def test_without_a_text_in_their_language_a_recipient_gets_nynorsk(
    meeting, network, mailing_factory, mailing_recipient_factory
):
    mailing = mailing_factory(meeting=meeting, subject_nb=NB_SUBJECT, body_nb=NB_BODY)
    anna = mailing_recipient_factory(
        mailing=mailing, email="anna@odda.kommune.no", contact_person=network["anna"]
    )

    subject, body = emails.render_mailing(anna)

    assert subject == "Invitasjon: Søknadsverkstad"
    # The Nynorsk text, with the dates in English as she prefers.
    assert body.startswith("Hei ")
    assert emails.recipient_language(anna) == "en"


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"subject_nb": NB_SUBJECT}, "body_nb"),
        ({"body_en": EN_BODY}, "subject_en"),
        ({"subject_en": "Hello {nme}", "body_en": EN_BODY}, "subject_en"),
        ({"subject_nb": NB_SUBJECT, "body_nb": "Hei {name"}, "body_nb"),
    ],
)
def test_a_text_in_bokmal_or_english_is_checked(
    staff_client, meeting, network, fields, error_field
):
    data = add_form(meeting, subject_nb="", body_nb="", subject_en="", body_en="")
    data.update(fields)

    response = staff_client.post(ADD_URL, data)

    assert response.status_code == 200
    assert error_field in response.context["adminform"].form.errors
    assert not Mailing.objects.exists()


def test_the_service_refuses_a_subject_without_its_text(meeting, network):
    with pytest.raises(services.MailingError):
        services.mailing_create(
            meeting=meeting,
            kind=Mailing.Kind.INVITATION,
            subject="Invitasjon",
            body="Hei",
            recipients=[Recipient("kari@voss.kommune.no", "Kari", None, None)],
            translations={"subject_en": "Invitation"},
        )


# --- Inviting again ----------------------------------------------------------------------------


@pytest.fixture
def answered_once(meeting, network, send_invitation, registration_factory, client):
    """A first invitation to Kari and Per (Voss) has gone out; Kari registered. Odda's people
    were not invited."""
    mailing = send_invitation(meeting, persons=[network["kari"], network["per"]])
    registration_factory(meeting=meeting, contact_person=network["kari"])
    mail.outbox.clear()
    return mailing


def test_inviting_again_skips_those_who_answered_and_those_invited(
    staff_en_client, meeting, network, answered_once
):
    response = staff_en_client.post(ADD_URL, add_form(meeting))

    assert response.status_code == 302
    mailing = Mailing.objects.filter(queued_at__isnull=True).get()
    # Voss answered through Kari, so its mailbox and Per are left out too; Odda is new.
    assert sorted(mailing.recipients.values_list("email", flat=True)) == [
        "anna@odda.kommune.no",
        "post@odda.kommune.no",
    ]
    assert "Recipients: 2. Left out: 3 who already answered, 0 already invited." in messages_of(
        response
    )


def test_the_invited_who_have_not_answered_are_counted_apart(
    staff_en_client, meeting, network, send_invitation
):
    send_invitation(meeting, persons=[network["anna"]])

    response = staff_en_client.post(ADD_URL, add_form(meeting))

    mailing = Mailing.objects.filter(queued_at__isnull=True).get()
    assert "anna@odda.kommune.no" not in set(mailing.recipients.values_list("email", flat=True))
    assert "Recipients: 4. Left out: 0 who already answered, 1 already invited." in messages_of(
        response
    )


def test_the_skip_boxes_are_ticked_by_default(staff_client, meeting):
    form = staff_client.get(ADD_URL, {"meeting": meeting.pk}).context["adminform"].form

    assert form["skip_answered"].initial is True
    assert form["skip_invited"].initial is True


def test_unticking_the_boxes_invites_everyone_again(
    staff_en_client, meeting, network, answered_once
):
    staff_en_client.post(ADD_URL, add_form(meeting, skip_answered=None, skip_invited=None))

    mailing = Mailing.objects.filter(queued_at__isnull=True).get()
    assert mailing.recipients.count() == 5


def test_when_everyone_is_left_out_the_form_says_so(
    staff_en_client, meeting, network, answered_once
):
    response = staff_en_client.post(
        ADD_URL, add_form(meeting, membership="all", municipalities=[network["voss"].pk])
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert "Everyone in this choice has already answered or been invited" in errors[0]
    assert not Mailing.objects.filter(queued_at__isnull=True).exists()


def test_a_draft_is_no_invitation_to_skip(
    staff_en_client, meeting, network, mailing_factory, mailing_recipient_factory
):
    draft = mailing_factory(meeting=meeting)
    mailing_recipient_factory(mailing=draft, email="anna@odda.kommune.no")

    staff_en_client.post(ADD_URL, add_form(meeting))

    newest = Mailing.objects.exclude(pk=draft.pk).get()
    assert newest.recipients.filter(email="anna@odda.kommune.no").exists()


# --- Test send and previews --------------------------------------------------------------------


def test_a_test_goes_to_the_staff_members_own_address_in_each_language(
    staff_en_client, staff_user, meeting, network, mailing_factory, mailing_recipient_factory
):
    mailing = in_languages(mailing_factory, meeting)
    mailing_recipient_factory(mailing=mailing, email="kari@voss.kommune.no")

    response = staff_en_client.post(reverse("admin:meetings_mailing_send_test", args=[mailing.pk]))

    assert response.status_code == 302
    rows = list(OutboxEmail.objects.order_by("pk"))
    assert {row.to for row in rows} == {staff_user.email}
    assert {row.kind for row in rows} == {"mailing.test"}
    assert [row.subject for row in rows] == [
        "[Test] Invitasjon: Søknadsverkstad",
        "[Test] Invitasjon (bokmål): Søknadsverkstad",
        "[Test] Invitation (English): Søknadsverkstad",
    ]
    # Not the invitation: still a draft, nobody else recorded or mailed.
    mailing.refresh_from_db()
    assert mailing.is_draft
    assert list(mailing.recipients.values_list("email", flat=True)) == ["kari@voss.kommune.no"]
    assert MailingRecipient.objects.count() == 1
    assert "A test (3 languages) is on its way to fylke@example.org." in messages_of(response)


def test_a_test_of_a_nynorsk_only_mailing_is_one_message(
    staff_client, staff_user, meeting, mailing_factory
):
    mailing = mailing_factory(meeting=meeting)

    staff_client.post(reverse("admin:meetings_mailing_send_test", args=[mailing.pk]))

    assert OutboxEmail.objects.count() == 1


def test_a_test_send_is_a_post(staff_client, meeting, mailing_factory):
    mailing = mailing_factory(meeting=meeting)

    response = staff_client.get(reverse("admin:meetings_mailing_send_test", args=[mailing.pk]))

    assert response.status_code == 405
    assert not OutboxEmail.objects.exists()


def test_a_test_send_needs_the_right_to_change_mailings(
    client, user_factory, meeting, mailing_factory, sign_in_with_second_factor
):
    viewer = user_factory(email="lesar@example.org", is_staff=True)
    sign_in_with_second_factor(client, viewer)
    mailing = mailing_factory(meeting=meeting)

    response = client.post(reverse("admin:meetings_mailing_send_test", args=[mailing.pk]))

    assert response.status_code == 403
    assert not OutboxEmail.objects.exists()


def test_a_test_send_of_a_missing_mailing_is_not_found(staff_client):
    response = staff_client.post(reverse("admin:meetings_mailing_send_test", args=[987654]))

    assert response.status_code == 404


def test_the_preview_shows_each_kind_of_recipient_in_each_language(
    staff_en_client, meeting, network, mailing_factory, mailing_recipient_factory
):
    mailing = in_languages(mailing_factory, meeting)
    mailing_recipient_factory(
        mailing=mailing,
        email="postmottak@voss.kommune.no",
        name="Voss",
        municipality=network["voss"],
    )
    mailing_recipient_factory(
        mailing=mailing,
        email="per@voss.kommune.no",
        name="Per Hansen",
        contact_person=network["per"],
    )

    page = staff_en_client.get(
        reverse("admin:meetings_mailing_change", args=[mailing.pk])
    ).content.decode()

    headings = re.findall(r'<section class="mailing-preview-case"><h3>(.*?)</h3>', page)
    assert headings == [
        "Official mailbox (Norwegian Nynorsk)",
        "Contact person (Norwegian Nynorsk)",
        "Contact person (Norwegian Bokmål)",
        "Contact person (English)",
    ]
    previews = re.findall(r'<pre class="mailing-preview">(.*?)</pre>', page, re.S)
    assert previews[0].startswith("Hei Voss,")
    assert previews[2].startswith("Hei Per Hansen! Velkommen 12. mai 2031")
    assert previews[3].startswith("Hello Per Hansen! Welcome 12 May 2031")
    # Its own form after the change form: Enter in the subject saves, it sends no test.
    change_form, after = page.split('class="mailing-send-test"', 1)
    assert "Send a test to my address" not in change_form
    assert "Send a test to my address" in after
    assert reverse("admin:meetings_mailing_send_test", args=[mailing.pk]) in change_form[-300:]
    assert "fylke@example.org" in after
    assert mail.outbox == []


# --- Several reminders -------------------------------------------------------------------------


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return services.reminders_send(now=now)

    return run


@pytest.fixture
def invited(meeting, network, send_invitation, freeze_now):
    """Kari and Per invited a month before the deadline; the meeting reminds 14, 7 and 2
    days before it."""
    freeze_now(DEADLINE - dt.timedelta(days=30))
    send_invitation(meeting, persons=[network["kari"], network["per"]])
    mail.outbox.clear()


def reminded(meeting) -> dict[int, list[str]]:
    return {
        mailing.reminder_days: sorted(mailing.recipients.values_list("email", flat=True))
        for mailing in Mailing.objects.filter(meeting=meeting, kind=Mailing.Kind.REMINDER)
    }


def test_a_new_meeting_reminds_14_7_and_2_days_before(meeting_series_factory):
    meeting = Meeting(
        series=meeting_series_factory(),
        title="Haustmøte",
        slug="haustmote",
        tentative_period="haust",
    )
    services.meeting_save(meeting=meeting)

    assert list(meeting.reminder_schedule.values_list("days_before", flat=True)) == [14, 7, 2]


def test_each_reminder_goes_once_to_those_who_have_not_answered(
    meeting, network, invited, remind, send_invitation, freeze_now, registration_factory
):
    assert remind(DEADLINE - dt.timedelta(days=14, minutes=1))["reminder"] == 0
    assert remind(DEADLINE - dt.timedelta(days=14))["reminder"] == 1
    assert remind(DEADLINE - dt.timedelta(days=13))["reminder"] == 0
    # Anna is invited after the first reminder went out; Per registers.
    freeze_now(DEADLINE - dt.timedelta(days=10))
    send_invitation(meeting, persons=[network["anna"]])
    registration_factory(meeting=meeting, contact_person=network["per"])
    assert remind(DEADLINE - dt.timedelta(days=7))["reminder"] == 1
    assert remind(DEADLINE - dt.timedelta(days=7))["reminder"] == 0
    assert remind(DEADLINE - dt.timedelta(days=2))["reminder"] == 1
    assert remind(DEADLINE - dt.timedelta(days=1))["reminder"] == 0

    # Per's registration answers for Voss, so Kari is not reminded after it either.
    assert reminded(meeting) == {
        14: ["kari@voss.kommune.no", "per@voss.kommune.no"],
        7: ["anna@odda.kommune.no"],
        2: ["anna@odda.kommune.no"],
    }


def test_after_a_pause_only_the_latest_due_reminder_goes(meeting, invited, remind):
    assert remind(DEADLINE - dt.timedelta(days=6))["reminder"] == 1
    assert remind(DEADLINE - dt.timedelta(days=5))["reminder"] == 0

    assert list(reminded(meeting)) == [7]


def test_a_reminder_is_in_the_recipients_language(meeting, network, invited, remind):
    remind(DEADLINE - dt.timedelta(days=14))

    got = by_address()
    assert got["kari@voss.kommune.no"].subject == "Påminning: Søknadsverkstad"
    assert got["per@voss.kommune.no"].subject == "Påminnelse: Søknadsverkstad"


def test_the_same_reminder_cannot_be_made_twice(meeting, invited, remind):
    from django.db import IntegrityError, transaction

    remind(DEADLINE - dt.timedelta(days=14))

    with pytest.raises(IntegrityError), transaction.atomic():
        Mailing.objects.create(
            meeting=meeting, kind=Mailing.Kind.REMINDER, reminder_days=14, subject="x", body="y"
        )


def test_staff_edit_the_schedule_on_the_meeting_page(staff_client, meeting):
    from tests.meetings.test_admin import meeting_form

    data = meeting_form(meeting)
    data["reminder_schedule-0-days_before"] = "21"
    data["reminder_schedule-2-DELETE"] = "on"

    response = staff_client.post(reverse("admin:meetings_meeting_change", args=[meeting.pk]), data)

    assert response.status_code == 302
    assert list(meeting.reminder_schedule.values_list("days_before", flat=True)) == [21, 7]


def test_the_meeting_page_shows_the_schedule(staff_client, meeting):
    page = staff_client.get(
        reverse("admin:meetings_meeting_change", args=[meeting.pk])
    ).content.decode()

    assert 'name="reminder_schedule-0-days_before"' in page
    assert re.search(r'name="reminder_schedule-0-days_before"[^>]*value="14"', page)


def test_the_day_before_online_participants_get_the_online_link(
    meeting, network, registration_factory, remind
):
    registration_factory(
        meeting=meeting,
        contact_person=network["anna"],
        attendance_mode=Registration.AttendanceMode.ONLINE,
    )
    registration_factory(meeting=meeting, contact_person=network["per"])

    remind(STARTS - dt.timedelta(hours=30))

    got = by_address()
    assert (
        "Join the meeting online:\nhttps://meet.example.org/soknad"
        in got["anna@odda.kommune.no"].body
    )
    assert "meet.example.org" not in got["per@voss.kommune.no"].body


def test_a_waitlisted_online_registrant_gets_no_online_link(
    meeting, network, registration_factory, remind
):
    registration_factory(meeting=meeting, contact_person=network["per"])
    registration_factory(
        meeting=meeting,
        contact_person=network["anna"],
        attendance_mode=Registration.AttendanceMode.ONLINE,
        status=Registration.Status.WAITLISTED,
    )

    remind(STARTS - dt.timedelta(hours=30))

    assert "anna@odda.kommune.no" not in by_address()
    assert all("meet.example.org" not in m.body for m in mail.outbox)


# --- Drafts ------------------------------------------------------------------------------------


@pytest.fixture
def draft(meeting, network, mailing_factory, mailing_recipient_factory):
    mailing = mailing_factory(meeting=meeting)
    mailing_recipient_factory(
        mailing=mailing, email="kari@voss.kommune.no", contact_person=network["kari"]
    )
    return mailing


def test_county_staff_delete_a_draft(staff_client, draft):
    url = reverse("admin:meetings_mailing_delete", args=[draft.pk])

    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Mailing.objects.exists()
    assert not MailingRecipient.objects.exists()


def test_a_sent_mailing_cannot_be_deleted(staff_client, meeting, network, send_invitation):
    mailing = send_invitation(meeting, persons=[network["kari"]])
    url = reverse("admin:meetings_mailing_delete", args=[mailing.pk])

    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    with pytest.raises(services.MailingError):
        services.mailing_delete_draft(mailing=mailing)
    assert Mailing.objects.filter(pk=mailing.pk).exists()


def test_the_list_has_no_bulk_delete(staff_client, draft):
    response = staff_client.get(CHANGELIST)

    assert "delete_selected" not in response.content.decode()


def test_county_staff_edit_a_drafts_texts_in_every_language(staff_en_client, draft):
    url = reverse("admin:meetings_mailing_change", args=[draft.pk])
    data = {
        "subject": "Ny invitasjon: {meeting}",
        "body": "Hei {name}: {link}",
        "subject_nb": NB_SUBJECT,
        "body_nb": NB_BODY,
        "subject_en": "",
        "body_en": "",
        "_save": "Save",
    }

    response = staff_en_client.post(url, data)

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.subject, draft.subject_nb, draft.body_nb) == (
        "Ny invitasjon: {meeting}",
        NB_SUBJECT,
        NB_BODY,
    )


def test_a_mailing_queued_meanwhile_is_not_changed(draft):
    services.mailing_send(mailing=draft)

    with pytest.raises(services.MailingError):
        services.mailing_update_draft(mailing=draft, texts={"subject": "Endra"})
    draft.refresh_from_db()
    assert draft.subject == "Invitasjon: {meeting}"


def test_a_drafts_recipients_are_not_shown_as_queued(staff_en_client, draft):
    listed = staff_en_client.get(RECIPIENTS).content.decode()
    mailings = staff_en_client.get(CHANGELIST).content.decode()
    page = staff_en_client.get(
        reverse("admin:meetings_mailing_change", args=[draft.pk])
    ).content.decode()

    assert "Draft, not sent yet" in listed
    assert "Queued" not in re.sub(r"<select.*?</select>|<nav.*?</nav>", "", listed, flags=re.S)
    assert re.search(r'<td class="field-waiting_count">0</td>', mailings)
    assert "Draft, not sent yet: 1 recipient." in page
    queued = staff_en_client.get(RECIPIENTS, {"delivery": "queued"}).content.decode()
    assert "kari@voss.kommune.no" not in queued
    drafts = staff_en_client.get(RECIPIENTS, {"delivery": "draft"}).content.decode()
    assert "kari@voss.kommune.no" in drafts


def test_a_mailing_is_named_by_its_rendered_subject(staff_en_client, draft):
    assert str(draft) == "Invitasjon: Søknadsverkstad"

    for url in (CHANGELIST, RECIPIENTS):
        page = staff_en_client.get(url).content.decode()
        assert "Invitasjon: Søknadsverkstad" in page
        assert "Invitasjon: {meeting}" not in page


def test_personal_placeholders_stay_in_the_name(meeting, mailing_factory):
    mailing = mailing_factory(meeting=meeting, subject="{name}, kom til {meeting}")

    assert mailing.display_subject == "{name}, kom til Søknadsverkstad"


# --- The public pages --------------------------------------------------------------------------


def test_the_link_in_a_translated_invitation_opens_the_invitation(
    client,
    meeting,
    network,
    mailing_factory,
    mailing_recipient_factory,
    django_capture_on_commit_callbacks,
):
    mailing = in_languages(mailing_factory, meeting)
    mailing_recipient_factory(
        mailing=mailing,
        email="anna@odda.kommune.no",
        name="Anna Smith",
        municipality=network["odda"],
        contact_person=network["anna"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_send(mailing=mailing)
    [message] = mail.outbox
    token = TOKEN.search(message.body)[1]

    page = client.get(reverse("invitation", kwargs={"token": token}))
    asked = client.get(reverse("invitation_decline", kwargs={"token": token}))
    declined = client.post(reverse("invitation_decline", kwargs={"token": token}))

    # Without an account she is sent to sign up with her address, on to the registration.
    assert page.status_code == 302
    assert "email=anna%40odda.kommune.no" in page["Location"]
    assert asked.status_code == 200
    assert "Søknadsverkstad" in asked.content.decode()
    assert declined.status_code == 200
    assert mailing.recipients.get().declined_at is not None


def test_one_who_declined_is_left_out_of_the_next_invitation_and_reminder(
    request, client, meeting, network, send_invitation, remind, freeze_now
):
    freeze_now(DEADLINE - dt.timedelta(days=30))
    send_invitation(meeting, persons=[network["anna"], network["kari"]])
    token = TOKEN.search(by_address()["anna@odda.kommune.no"].body)[1]
    client.post(reverse("invitation_decline", kwargs={"token": token}))
    mail.outbox.clear()

    remind(DEADLINE - dt.timedelta(days=14))
    # Signed in after the clock moved: a session from years before would have expired.
    staff_en_client = request.getfixturevalue("staff_en_client")
    response = staff_en_client.post(ADD_URL, add_form(meeting, skip_invited=None))

    assert reminded(meeting) == {14: ["kari@voss.kommune.no"]}
    new = Mailing.objects.filter(queued_at__isnull=True).get()
    emails_ = set(new.recipients.values_list("email", flat=True))
    assert "anna@odda.kommune.no" not in emails_ and "post@odda.kommune.no" not in emails_
    assert "kari@voss.kommune.no" in emails_
    assert response.status_code == 302


def test_the_schedule_model_refuses_the_same_day_twice(meeting):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingReminder.objects.create(meeting=meeting, days_before=7)


def test_an_address_can_be_taken_off_a_draft_but_not_off_a_sent_mailing(staff_client, draft):
    [recipient] = draft.recipients.all()
    url = reverse("admin:meetings_mailingrecipient_delete", args=[recipient.pk])

    assert staff_client.post(url, {"post": "yes"}).status_code == 302
    assert not draft.recipients.exists()

    other = MailingRecipient.objects.create(mailing=draft, email="per@voss.kommune.no")
    services.mailing_send(mailing=draft)
    url = reverse("admin:meetings_mailingrecipient_delete", args=[other.pk])
    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    with pytest.raises(services.MailingError):
        services.mailing_recipient_delete(recipient=other)
    assert draft.recipients.count() == 1


def test_a_reminder_made_by_another_run_meanwhile_is_not_made_again(
    meeting, invited, remind, monkeypatch
):
    """Two workers at once: the other one makes the 14-day reminder between this run's check
    and its insert; the unique constraint refuses the second, and nothing fails."""
    from meetings import invitations

    real = invitations.unanswered_recipients

    def racing(meeting_):
        found = real(meeting_)
        Mailing.objects.create(
            meeting=meeting_, kind=Mailing.Kind.REMINDER, reminder_days=14, subject="x", body="y"
        )
        return found

    monkeypatch.setattr(invitations, "unanswered_recipients", racing)

    made = remind(DEADLINE - dt.timedelta(days=14))

    assert made == {"reminder": 0, "participant_reminder": 0, "failed": 0}
    assert Mailing.objects.filter(kind=Mailing.Kind.REMINDER).count() == 1
    assert mail.outbox == []
