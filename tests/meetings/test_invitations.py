"""Personal invitation links (sign-up, login, "cannot attend"), tampered links, and how answers
count per address and per municipality."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.core import mail, signing
from django.urls import reverse

from meetings import invitations
from meetings.invitations import Answer, recipient_from_token, recipient_token
from meetings.models import MailingRecipient, Registration
from members.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "Fjellstova-Kvitveis-2027"
DECLINE_FORM = '<form method="post">'
LINK = re.compile(r"/invitations/([^/\s]+)/(decline/)?")


@pytest.fixture
def voss(municipality_factory):
    return municipality_factory(name="Voss", official_email="postmottak@voss.kommune.no")


@pytest.fixture
def meeting(meeting_factory):
    return meeting_factory(title="Oppstartsmøte", slug="oppstart")


@pytest.fixture
def invited(meeting, voss, contact_person_factory, send_invitation):
    """Kari (no account yet) and Voss's official mailbox, invited and mailed."""
    kari = contact_person_factory(
        name="Kari Nordmann", email="kari@voss.kommune.no", municipality=voss
    )
    mailing = send_invitation(meeting, persons=[kari], mailboxes=[voss])
    return mailing


def recipient(mailing, email) -> MailingRecipient:
    return mailing.recipients.get(email=email)


def links_in(message) -> dict[str, str]:
    """The personal links in a mail's text: {"register": path, "decline": path}."""
    found = {}
    for match in LINK.finditer(message.body):
        found["decline" if match[2] else "register"] = match[0]
    return found


def register_url(meeting) -> str:
    return reverse("meetings:register", kwargs={"slug": meeting.slug})


def invitation_url(token) -> str:
    return reverse("invitation", kwargs={"token": token})


def decline_url(token) -> str:
    return reverse("invitation_decline", kwargs={"token": token})


def altered(token: str) -> list[str]:
    """The token with one character changed, at the start, in the middle, in the signature."""
    variants = []
    for index in (0, len(token) // 2, len(token) - 1):
        char = token[index]
        replacement = "B" if char != "B" else "C"
        variants.append(token[:index] + replacement + token[index + 1 :])
    return variants


# --- Tokens ------------------------------------------------------------------------------------


def test_a_token_names_its_recipient(invited):
    kari = recipient(invited, "kari@voss.kommune.no")

    found = recipient_from_token(recipient_token(kari))

    assert found == kari
    # The address is bound to the token but does not appear in it.
    assert "kari" not in recipient_token(kari)


def test_every_recipient_gets_a_different_link(invited):
    tokens = {recipient_token(r) for r in invited.recipients.all()}

    assert len(tokens) == invited.recipients.count() == 2


def test_an_altered_token_names_nobody(invited):
    token = recipient_token(recipient(invited, "kari@voss.kommune.no"))

    for variant in altered(token):
        assert recipient_from_token(variant) is None, variant


@pytest.mark.parametrize(
    "garbage",
    ["", "x", "abc:def", "abc:def:ghi", "1", "null", "::::", "W1sxLCJ4Il0:1t:abc", "%00"],
)
def test_garbage_names_nobody(invited, garbage):
    assert recipient_from_token(garbage) is None


def test_a_token_signed_for_another_purpose_names_nobody(invited):
    kari = recipient(invited, "kari@voss.kommune.no")
    forged = signing.dumps([kari.pk, invitations._address_digest(kari.email)], salt="other")

    assert recipient_from_token(forged) is None


def test_a_token_binds_the_pk_to_the_address(invited):
    """Even with the signing key, naming another recipient's pk with one's own address's
    digest gets nowhere: the token only acts for the address it was sent to."""
    kari = recipient(invited, "kari@voss.kommune.no")
    mailbox = recipient(invited, "postmottak@voss.kommune.no")
    crossed = signing.dumps(
        [mailbox.pk, invitations._address_digest(kari.email)], salt=invitations.TOKEN_SALT
    )

    assert recipient_from_token(crossed) is None


def test_a_token_stops_working_when_its_recipient_is_gone(invited):
    kari = recipient(invited, "kari@voss.kommune.no")
    token = recipient_token(kari)
    kari.delete()

    assert recipient_from_token(token) is None


# --- The personal link -------------------------------------------------------------------------


def test_the_mail_carries_working_personal_links(invited):
    [message] = [m for m in mail.outbox if m.to == ["kari@voss.kommune.no"]]
    links = links_in(message)
    kari = recipient(invited, "kari@voss.kommune.no")

    assert links["register"] == invitation_url(recipient_token(kari))
    assert links["decline"] == decline_url(recipient_token(kari))


def test_a_person_without_an_account_goes_to_sign_up_with_the_address_filled_in(
    client, invited, meeting
):
    token = recipient_token(recipient(invited, "kari@voss.kommune.no"))

    response = client.get(invitation_url(token))

    assert response.status_code == 302
    target = urlsplit(response.url)
    assert target.path == reverse("account_signup")
    assert parse_qs(target.query) == {
        "next": [register_url(meeting)],
        "email": ["kari@voss.kommune.no"],
    }
    signup = client.get(response.url)
    assert signup.status_code == 200
    assert signup.context["form"]["email"].value() == "kari@voss.kommune.no"
    assert 'value="kari@voss.kommune.no"' in signup.content.decode()


def test_signing_up_through_the_link_still_proves_the_address_by_mail(
    client, invited, django_capture_on_commit_callbacks
):
    """The link may have been forwarded, so it fills the address in but does not vouch for
    it: allauth's verification mail does."""
    token = recipient_token(recipient(invited, "kari@voss.kommune.no"))
    signup_url = client.get(invitation_url(token)).url
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            signup_url,
            {
                "name": "Kari Nordmann",
                "email": "kari@voss.kommune.no",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert [m.to for m in mail.outbox] == [["kari@voss.kommune.no"]]
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    user = User.objects.get(email="kari@voss.kommune.no")
    assert not EmailAddress.objects.get(user=user).verified
    assert "_auth_user_id" not in client.session
    assert client.session.get("account_verified_email") is None


def test_a_forwarded_link_does_not_hand_over_the_recipients_address(client, invited):
    """A colleague who got Kari's invitation forwarded signs up with their own address. The
    link proves Kari's address only for Kari: the colleague must not end up with an account
    whose verified, primary address is Kari's (signed in as Kari, linked to her record)."""
    kari = recipient(invited, "kari@voss.kommune.no")
    signup_url = client.get(invitation_url(recipient_token(kari))).url

    client.post(
        signup_url,
        {
            "name": "Kollega Hansen",
            "email": "kollega@voss.kommune.no",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert User.objects.filter(email="kollega@voss.kommune.no").exists()
    assert not EmailAddress.objects.filter(email="kari@voss.kommune.no").exists()
    assert kari.contact_person.user_id is None


def test_a_person_with_an_account_goes_to_login(client, invited, meeting, verified_user_factory):
    verified_user_factory(email="Kari@Voss.Kommune.no")
    token = recipient_token(recipient(invited, "kari@voss.kommune.no"))

    response = client.get(invitation_url(token))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login") + "?next=")
    assert register_url(meeting).replace("/", "%2F") in response.url
    # Nothing is taken as verified on the way to a login.
    assert client.session.get("account_verified_email") is None
    # The login form has the address filled in.
    login_page = client.get(response.url)
    assert login_page.context["form"]["login"].value() == "kari@voss.kommune.no"


def test_the_login_form_ignores_a_malformed_address_in_the_link(client):
    page = client.get(reverse("account_login") + "?email=not-an-address")
    assert page.status_code == 200
    assert page.context["form"]["login"].value() is None


def test_a_signed_in_person_goes_straight_to_the_registration_form(
    client, invited, meeting, linked_contact_person_factory, voss
):
    person = linked_contact_person_factory(municipality=voss)
    client.force_login(person.user)
    token = recipient_token(recipient(invited, "kari@voss.kommune.no"))

    response = client.get(invitation_url(token))

    assert response.status_code == 302
    assert response.url == register_url(meeting)


def test_an_official_mailbox_goes_to_sign_up_without_the_address(client, invited, meeting):
    """A shared mailbox: whoever reads it signs up with their own address."""
    token = recipient_token(recipient(invited, "postmottak@voss.kommune.no"))

    response = client.get(invitation_url(token))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_signup") + "?next=")
    assert client.session.get("account_verified_email") is None
    signup = client.get(response.url)
    assert not signup.context["form"]["email"].value()


def test_a_tampered_link_gives_a_clear_error_and_records_nothing(en_client, invited):
    token = recipient_token(recipient(invited, "kari@voss.kommune.no"))

    for variant in [*altered(token), "garbage", "abc:def:ghi"]:
        response = en_client.get(invitation_url(variant))

        assert response.status_code == 400, variant
        assert "This link does not work" in response.content.decode()
        assert "nothing was recorded" in response.content.decode()
    assert en_client.session.get("account_verified_email") is None


# --- "Cannot attend" ---------------------------------------------------------------------------


def test_declining_asks_first_and_records_nothing_on_get(en_client, invited, meeting):
    kari = recipient(invited, "kari@voss.kommune.no")

    response = en_client.get(decline_url(recipient_token(kari)))

    assert response.status_code == 200
    page = response.content.decode()
    assert meeting.title in page
    assert "cannot attend" in page
    assert DECLINE_FORM in page
    kari.refresh_from_db()
    assert kari.declined_at is None


def test_declining_without_login_records_the_answer(en_client, invited, meeting):
    kari = recipient(invited, "kari@voss.kommune.no")

    response = en_client.post(decline_url(recipient_token(kari)))

    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    kari.refresh_from_db()
    assert kari.declined_at is not None
    # Only this address answered.
    assert recipient(invited, "postmottak@voss.kommune.no").declined_at is None


def test_declining_twice_keeps_the_first_answer(client, invited):
    kari = recipient(invited, "kari@voss.kommune.no")
    url = decline_url(recipient_token(kari))
    client.post(url)
    kari.refresh_from_db()
    first = kari.declined_at

    response = client.post(url)

    assert response.status_code == 200
    kari.refresh_from_db()
    assert kari.declined_at == first
    # Coming back to the link shows the answer already given.
    assert DECLINE_FORM not in client.get(url).content.decode()


def test_a_tampered_decline_link_records_nothing(en_client, invited):
    kari = recipient(invited, "kari@voss.kommune.no")
    token = recipient_token(kari)

    for variant in [*altered(token), "garbage"]:
        for method in (en_client.get, en_client.post):
            response = method(decline_url(variant))

            assert response.status_code == 400, variant
            assert "This link does not work" in response.content.decode()
    assert not MailingRecipient.objects.filter(declined_at__isnull=False).exists()


# --- Answers -----------------------------------------------------------------------------------


def test_a_declined_address_and_its_municipality_count_as_answered(
    client, meeting, voss, municipality_factory, contact_person_factory, send_invitation
):
    kari = contact_person_factory(email="kari@voss.kommune.no", municipality=voss)
    ola = contact_person_factory(email="ola@voss.kommune.no", municipality=voss)
    bergen = municipality_factory(name="Bergen")
    mailing = send_invitation(meeting, persons=[kari, ola], mailboxes=[voss, bergen])

    client.post(decline_url(recipient_token(recipient(mailing, "kari@voss.kommune.no"))))

    summary = invitations.invitation_summary(meeting)
    assert summary.recipients == 4
    assert summary.answers == {Answer.REGISTERED: 0, Answer.DECLINED: 1, Answer.NONE: 3}
    assert summary.municipality_answers[Answer.DECLINED] == [voss]
    assert summary.municipality_answers[Answer.NONE] == [bergen]
    # Voss has answered: nobody there is reminded; Bergen's mailbox is.
    assert [r.email for r in invitations.unanswered_recipients(meeting)] == [bergen.official_email]


def test_a_registration_answers_for_the_person_and_the_municipality(
    meeting,
    voss,
    municipality_factory,
    contact_person_factory,
    send_invitation,
    registration_factory,
):
    kari = contact_person_factory(email="kari@voss.kommune.no", municipality=voss)
    ola = contact_person_factory(email="ola@voss.kommune.no", municipality=voss)
    bergen = municipality_factory(name="Bergen")
    send_invitation(meeting, persons=[kari, ola], mailboxes=[voss, bergen])

    registration_factory(meeting=meeting, contact_person=kari)

    summary = invitations.invitation_summary(meeting)
    # Kari and Voss's mailbox count as registered; Ola is a separate address with no answer.
    assert summary.answers == {Answer.REGISTERED: 2, Answer.DECLINED: 0, Answer.NONE: 2}
    assert summary.municipality_answers[Answer.REGISTERED] == [voss]
    assert summary.municipality_answers[Answer.NONE] == [bergen]
    assert [r.email for r in invitations.unanswered_recipients(meeting)] == [bergen.official_email]


def test_a_cancelled_registration_is_no_answer(
    meeting, voss, contact_person_factory, send_invitation, registration_factory
):
    kari = contact_person_factory(email="kari@voss.kommune.no", municipality=voss)
    send_invitation(meeting, persons=[kari])
    registration = registration_factory(meeting=meeting, contact_person=kari)
    registration.status = Registration.Status.CANCELLED
    registration.cancelled_at = registration.created_at
    registration.save()

    summary = invitations.invitation_summary(meeting)

    assert summary.answers[Answer.NONE] == 1
    assert summary.municipality_answers[Answer.NONE] == [voss]


def test_the_summary_counts_delivery(meeting, voss, contact_person_factory, send_invitation):
    people = contact_person_factory.create_batch(3, municipality=voss)
    mailing = send_invitation(meeting, persons=people)
    first, second, _third = mailing.recipients.order_by("pk")
    MailingRecipient.objects.filter(pk=first.pk).update(status=MailingRecipient.Status.FAILED)
    MailingRecipient.objects.filter(pk=second.pk).update(status=MailingRecipient.Status.QUEUED)

    summary = invitations.invitation_summary(meeting)

    assert summary.delivery == {"failed": 1, "queued": 1, "sent": 1}
    assert summary.waiting == 1


def test_the_summary_takes_a_constant_number_of_queries(
    meeting, municipality_factory, contact_person_factory, send_invitation, count_queries
):
    small = municipality_factory()
    send_invitation(meeting, persons=contact_person_factory.create_batch(2, municipality=small))
    queries_small, _ = count_queries(lambda: invitations.invitation_summary(meeting))
    for _n in range(5):
        municipality = municipality_factory()
        send_invitation(
            meeting,
            persons=contact_person_factory.create_batch(3, municipality=municipality),
            mailboxes=[municipality],
        )

    queries_large, summary = count_queries(lambda: invitations.invitation_summary(meeting))

    assert summary.recipients == 2 + 5 * 4
    assert queries_large == queries_small
