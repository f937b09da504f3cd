"""Two-factor authentication for members: optional, offered on the profile page, and asked
for at every login once it is on. allauth's MFA pages speak the portal's languages inside its
layout.

TOTP codes depend on the clock: tests that compute one run with time-machine frozen at
Tuesday 2 March 2027, 09:00:00 in Oslo.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from members.account_forms import EditWebAuthnForm
from tests.helpers import totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # what the user factory sets
NINE_IN_OSLO = dt.datetime(2027, 3, 2, 9, 0, 0, tzinfo=ZoneInfo("Europe/Oslo"))


@pytest.fixture
def member(linked_contact_person_factory):
    return linked_contact_person_factory(email="kari@bergen.kommune.no")


def client_in(language):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def log_in(client, email):
    return client.post(reverse("account_login"), {"login": email, "password": PASSWORD})


def two_factor_section(response) -> str:
    html = response.content.decode()
    start = html.index('aria-labelledby="two-factor-heading"')
    return html[start : html.index("</section>", start)]


def test_the_profile_says_two_factor_is_off_and_links_to_it(client_for, member):
    response = client_for(member).get(reverse("profile"))

    section = two_factor_section(response)
    assert "Two-factor authentication" in section
    assert "Off:" in section
    assert f'href="{reverse("mfa_index")}"' in section


def test_the_profile_says_two_factor_is_on(client_for, member):
    TOTP.activate(member.user, generate_totp_secret())

    response = client_for(member).get(reverse("profile"))

    section = two_factor_section(response)
    assert "On:" in section
    assert f'href="{reverse("mfa_index")}"' in section


def test_the_profile_section_speaks_nynorsk(client_for, member):
    response = client_for(member, language="nn").get(reverse("profile"))

    section = two_factor_section(response)
    assert "Tofaktorautentisering" in section
    assert "Av:" in section


def test_a_member_is_never_forced_to_use_two_factor(member):
    client = client_in("en")

    response = log_in(client, member.email)

    assert response.status_code == 302
    assert response.url == reverse("my_meetings")
    for url in [reverse("my_meetings"), reverse("profile"), reverse("meetings:list")]:
        assert client.get(url).status_code == 200, url


@time_machine.travel(NINE_IN_OSLO, tick=False)
def test_a_member_who_turned_it_on_is_asked_for_a_code(member):
    secret = generate_totp_secret()
    TOTP.activate(member.user, secret)
    client = client_in("en")

    response = log_in(client, member.email)

    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.url == reverse("my_meetings")
    assert client.get(reverse("profile")).status_code == 200


@pytest.mark.parametrize(
    ("language", "heading", "app"),
    [
        ("nn", "Tofaktorautentisering", "Autentiseringsapp"),
        ("nb", "Tofaktorautentisering", "Autentiseringsapp"),
        ("en", "Two-factor authentication", "Authenticator app"),
    ],
)
def test_the_mfa_page_is_in_the_portal_layout_and_language(member, language, heading, app):
    client = client_in(language)
    client.force_login(member.user)

    response = client.get(reverse("mfa_index"))

    html = " ".join(response.content.decode().split())
    assert response.status_code == 200
    assert f'<html lang="{language}">' in html
    assert 'class="site-header' in html  # the portal's header and footer, not allauth's page
    assert 'class="site-footer' in html
    assert f"<h1> {heading} </h1>" in html
    assert app in html


@time_machine.travel(NINE_IN_OSLO, tick=False)
def test_the_activation_page_speaks_nynorsk(member):
    client = client_in("nn")
    client.force_login(member.user)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    response = client.get(reverse("mfa_activate_totp"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Slå på autentiseringsapp" in html
    assert 'src="data:image/svg+xml;base64,' in html


def test_the_security_key_forms_speak_nynorsk(member):
    # The list of keys is checked in Chromium, with a key made by a (virtual) security key.
    client = client_in("nn")
    client.force_login(member.user)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    add = client.get(reverse("mfa_add_webauthn"))

    assert add.context["form"]["name"].label == "Namn"
    assert re.search(r">\s*Namn\s*</label>", add.content.decode())
    key = Authenticator.objects.create(
        user=member.user, type=Authenticator.Type.WEBAUTHN, data={"name": "Nøkkel på kontoret"}
    )
    assert settings.MFA_FORMS["edit_webauthn"] == "members.account_forms.EditWebAuthnForm"
    with translation.override("nn"):
        assert str(EditWebAuthnForm(instance=key).fields["name"].label) == "Namn"
