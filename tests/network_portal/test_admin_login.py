"""The staff door: the admin opens only to a staff session that passed a second factor.

Everything goes over HTTP through allauth's real views (password, then a code from the
authenticator app, computed with allauth's own TOTP helpers). TOTP codes depend on the
clock, so every test here runs with time-machine frozen at Tuesday 2 March 2027, 09:00:00 in
Oslo, the start of a 30-second TOTP period.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import User
from tests.helpers import sign_in_with_second_factor, totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # what the user factory sets
NINE_IN_OSLO = dt.datetime(2027, 3, 2, 9, 0, 0, tzinfo=ZoneInfo("Europe/Oslo"))
ADMIN_INDEX = "/admin/"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NINE_IN_OSLO, tick=False) as traveller:
        yield traveller


@pytest.fixture
def en():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def county_staff(verified_user_factory):
    user = verified_user_factory(email="fylke@example.org", is_staff=True)
    user.groups.add(Group.objects.get(name="County staff"))
    return user


@pytest.fixture
def totp_secret(county_staff):
    """county_staff has activated an authenticator app with this secret."""
    secret = generate_totp_secret()
    TOTP.activate(county_staff, secret)
    return secret


def log_in(client, email, password=PASSWORD, **query):
    url = reverse("account_login")
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return client.post(url, {"login": email, "password": password})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- The findings ------------------------------------------------------------------------------


def test_password_alone_at_the_admin_login_does_not_open_the_admin(en, county_staff, totp_secret):
    response = en.post(
        reverse("admin:login"), {"username": county_staff.email, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert not signed_in(en)
    assert en.get(ADMIN_INDEX).status_code == 302


def test_password_alone_at_the_site_login_does_not_open_the_admin(en, county_staff, totp_secret):
    response = log_in(en, county_staff.email, next=ADMIN_INDEX)

    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert not signed_in(en)
    assert en.get(ADMIN_INDEX).status_code == 302


def test_password_and_code_open_the_admin(en, county_staff, totp_secret):
    log_in(en, county_staff.email, next=ADMIN_INDEX)

    response = en.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret)})

    assert response.status_code == 302
    assert response.url == ADMIN_INDEX
    assert en.get(ADMIN_INDEX).status_code == 200


def test_a_wrong_code_does_not_open_the_admin(en, county_staff, totp_secret):
    log_in(en, county_staff.email)
    right = totp_code(totp_secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    response = en.post(reverse("mfa_authenticate"), {"code": wrong})

    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert not signed_in(en)
    assert en.get(ADMIN_INDEX).status_code == 302


def test_a_recovery_code_is_a_second_factor_too(en, county_staff, totp_secret):
    recovery_codes = RecoveryCodes.activate(county_staff)
    log_in(en, county_staff.email)

    en.post(reverse("mfa_authenticate"), {"code": recovery_codes.get_unused_codes()[0]})

    assert en.get(ADMIN_INDEX).status_code == 200


def test_the_admin_login_is_rate_limited_like_the_site_login(en, county_staff, totp_secret):
    # The admin's door hands over to the site's login, with its rate limit: after five wrong
    # passwords for an address, the sixth attempt is refused even with the right password.
    door = en.get(reverse("admin:login"), {"next": ADMIN_INDEX})
    assert door.status_code == 302
    login_url = door["Location"]
    for _attempt in range(5):
        wrong = en.post(login_url, {"login": county_staff.email, "password": "not-the-password"})
        assert wrong.status_code == 200

    response = en.post(login_url, {"login": county_staff.email, "password": PASSWORD})

    assert response.status_code == 200
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert not signed_in(en)


def test_many_wrong_passwords_then_the_right_one_at_the_admin_login_sign_nobody_in(
    en, county_staff
):
    for _attempt in range(12):
        en.post(reverse("admin:login"), {"username": county_staff.email, "password": "wrong"})

    en.post(reverse("admin:login"), {"username": county_staff.email, "password": PASSWORD})

    assert not signed_in(en)


def test_staff_without_an_authenticator_are_sent_to_set_one_up(en, county_staff):
    log_in(en, county_staff.email)
    assert signed_in(en)  # no authenticator yet: the password is all allauth can ask for

    response = en.get(ADMIN_INDEX, follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    assert f"next={reverse('mfa_activate_totp')}" in response.redirect_chain[-1][0].replace(
        "%2F", "/"
    )
    assert messages_of(response)[-1:] == [
        "The administration needs two-factor authentication. "
        "Set up an authenticator app to continue."
    ]


def test_setting_up_the_authenticator_then_a_code_opens_the_admin(en, county_staff):
    log_in(en, county_staff.email)
    en.get(ADMIN_INDEX, follow=True)
    # allauth asks for the password again before two-factor authentication is set up.
    en.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = en.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret

    activated = en.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})

    assert activated.status_code == 302
    assert activated.url == reverse("mfa_view_recovery_codes")
    assert Authenticator.objects.filter(user=county_staff, type="totp").exists()
    # The session began with the password only: the admin asks for a code once.
    asked = en.get(ADMIN_INDEX, follow=True)
    assert asked.redirect_chain[-1][0] == f"{reverse('mfa_reauthenticate')}?next=/admin/"
    assert messages_of(asked)[-1:] == [
        "Enter a code from your authenticator app to open the administration."
    ]
    confirmed = en.post(
        reverse("mfa_reauthenticate"), {"code": totp_code(secret), "next": ADMIN_INDEX}
    )
    assert confirmed.status_code == 302
    assert confirmed.url == ADMIN_INDEX
    assert en.get(ADMIN_INDEX).status_code == 200


def test_a_session_without_the_second_factor_does_not_open_the_admin(client, county_staff):
    # force_login is a password-only path: a session that never passed a second factor.
    TOTP.activate(county_staff, generate_totp_secret())
    client.force_login(county_staff)

    response = client.get(reverse("admin:meetings_meeting_changelist"))

    assert response.status_code == 302
    login = client.get(response.url)
    assert login.status_code == 302
    assert login.url == (f"{reverse('mfa_reauthenticate')}?next=/admin/meetings/meeting/")


def test_the_test_helper_signs_in_as_allauth_does(client, county_staff):
    sign_in_with_second_factor(client, county_staff)

    assert client.get(ADMIN_INDEX).status_code == 200
    records = client.session["account_authentication_methods"]
    assert [record["method"] for record in records] == ["password", "mfa"]
    assert records[1]["type"] == "totp"


def test_an_authenticator_removed_later_closes_the_admin(client, county_staff):
    sign_in_with_second_factor(client, county_staff)
    Authenticator.objects.filter(user=county_staff).delete()

    response = client.get(ADMIN_INDEX, follow=True)

    assert response.status_code == 200
    assert reverse("admin:index") not in response.redirect_chain[-1][0]
    assert response.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))


def test_every_admin_page_is_behind_the_door(client, county_staff, meeting_factory):
    meeting = meeting_factory()
    client.force_login(county_staff)
    for url in [
        reverse("admin:index"),
        reverse("admin:meetings_meeting_change", args=[meeting.pk]),
        reverse("admin:meetings_meeting_participants_csv", args=[meeting.pk]),
        reverse("admin:members_contactperson_import"),
        reverse("admin:password_change"),
        reverse("admin:jsi18n"),
        reverse("meetings:overview"),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url


# --- The door: login, next and logout ------------------------------------------------------------


def test_the_admin_login_hands_over_to_the_site_login_with_next(client):
    response = client.get(reverse("admin:login"), {"next": "/admin/meetings/meeting/"})

    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next=/admin/meetings/meeting/"


@pytest.mark.parametrize(
    "unsafe", ["https://evil.example/admin/", "//evil.example/", "javascript:alert(1)"]
)
def test_an_unsafe_next_becomes_the_admin_index(client, unsafe):
    response = client.get(reverse("admin:login"), {"next": unsafe})

    assert response.url == f"{reverse('account_login')}?next=/admin/"


def test_anonymous_visitors_of_the_admin_end_at_the_site_login(client):
    response = client.get("/admin/meetings/meeting/", follow=True)

    assert response.redirect_chain[-1][0] == (
        f"{reverse('account_login')}?next=/admin/meetings/meeting/"
    )
    assert response.status_code == 200


def test_staff_who_passed_the_second_factor_go_straight_on(client, county_staff):
    sign_in_with_second_factor(client, county_staff)

    response = client.get(reverse("admin:login"), {"next": "/admin/meetings/meeting/"})

    assert response.url == "/admin/meetings/meeting/"


def test_members_are_refused_the_admin_without_a_loop(client, linked_contact_person_factory):
    client.force_login(linked_contact_person_factory().user)

    assert client.get(ADMIN_INDEX).status_code == 302
    assert client.get(reverse("admin:login")).status_code == 403


def test_the_admin_logout_ends_the_session(client, county_staff):
    sign_in_with_second_factor(client, county_staff)

    response = client.post(reverse("admin:logout"))

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert not signed_in(client)
    assert "account_authentication_methods" not in client.session
    assert client.get(ADMIN_INDEX).status_code == 302


# --- Password reset ---------------------------------------------------------------------------


def reset_password(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": email})
    [message] = [m for m in mail.outbox if m.to == [email]]
    path = re.search(r"https?://testserver(/accounts/password/reset/key/\S+/)", message.body)[1]
    form_page = client.get(path, follow=True)
    new_password = "Ein-heilt-nytt-passord-2027"
    return client.post(
        form_page.redirect_chain[-1][0],
        {"password1": new_password, "password2": new_password},
    )


@pytest.mark.parametrize("login_on_reset", [False, True])
def test_a_password_reset_does_not_pass_the_second_factor(
    en, county_staff, totp_secret, settings, django_capture_on_commit_callbacks, login_on_reset
):
    settings.ACCOUNT_LOGIN_ON_PASSWORD_RESET = login_on_reset

    response = reset_password(en, county_staff.email, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    if login_on_reset:
        # allauth's login after the reset goes through the same stages as any login.
        assert response.url == reverse("mfa_authenticate")
    else:
        assert response.url == reverse("account_reset_password_from_key_done")
    assert not signed_in(en)
    assert en.get(ADMIN_INDEX).status_code == 302


def test_the_portal_does_not_log_in_after_a_password_reset():
    assert settings.ACCOUNT_LOGIN_ON_PASSWORD_RESET is False


# --- The first superuser ------------------------------------------------------------------------


def test_a_superuser_from_createsuperuser_gets_in_by_confirming_and_setting_up_totp(
    en, django_capture_on_commit_callbacks
):
    User.objects.create_superuser(email="root@example.org", password=PASSWORD)

    # allauth's mandatory verification: the first login sends a confirmation link.
    with django_capture_on_commit_callbacks(execute=True):
        first = log_in(en, "root@example.org", next=ADMIN_INDEX)
    assert first.url == reverse("account_email_verification_sent")
    [message] = mail.outbox
    confirm = re.search(r"https?://testserver(/accounts/confirm-email/\S+/)", message.body)[1]
    en.post(confirm)
    cache.clear()
    assert log_in(en, "root@example.org").status_code == 302

    response = en.get(ADMIN_INDEX, follow=True)

    assert "next=/accounts/2fa/totp/activate/" in response.redirect_chain[-1][0].replace("%2F", "/")


def test_the_door_looks_up_the_authenticator_once_per_page(client, county_staff):
    sign_in_with_second_factor(client, county_staff)

    with CaptureQueriesContext(connection) as context:
        assert client.get(ADMIN_INDEX).status_code == 200

    lookups = [q["sql"] for q in context.captured_queries if "mfa_authenticator" in q["sql"]]
    assert len(lookups) == 1


def test_staff_with_only_a_security_key_are_asked_for_the_key(client, county_staff):
    Authenticator.objects.create(
        user=county_staff, type=Authenticator.Type.WEBAUTHN, data={"name": "Nøkkel"}
    )
    RecoveryCodes.activate(county_staff)  # allauth adds them with the first key
    client.force_login(county_staff)

    response = client.get(reverse("admin:login"), {"next": ADMIN_INDEX})

    assert response.url == f"{reverse('mfa_reauthenticate_webauthn')}?next=/admin/"


def test_the_admin_links_to_two_factor_authentication(staff_en_client):
    page = staff_en_client.get(ADMIN_INDEX).content.decode()

    assert f'<a href="{reverse("mfa_index")}">Two-factor authentication</a>' in page
