"""Sessions: "sign out everywhere" on the profile, and the end of an idle session."""

import datetime as dt

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.services import user_sessions_end
from members.sessions import LAST_ACTIVITY_KEY
from tests.factories import OSLO

pytestmark = pytest.mark.django_db

PROFILE = reverse("profile")
SIGN_OUT_EVERYWHERE = reverse("profile_sign_out_everywhere")
# A Tuesday evening; the idle timeout is eight hours unless a test sets it.
SIGNED_IN_AT = dt.datetime(2026, 2, 3, 19, 45, tzinfo=OSLO)


@pytest.fixture
def person(linked_contact_person_factory):
    return linked_contact_person_factory()


def signed_in(client_for, person, language="en"):
    client = client_for(person, language=language)
    assert client.get(PROFILE).status_code == 200
    return client


# --- Sign out everywhere ------------------------------------------------------------------------


def test_sign_out_everywhere_ends_every_session_of_the_person(client_for, person):
    laptop = signed_in(client_for, person)
    phone = signed_in(client_for, person)

    response = laptop.post(SIGN_OUT_EVERYWHERE, follow=True)

    assert response.redirect_chain == [(reverse("account_login"), 302)]
    assert "You have been signed out on every device." in response.content.decode()
    assert laptop.get(PROFILE).status_code == 302
    assert phone.get(PROFILE).status_code == 302


def test_other_peoples_sessions_go_on(client_for, person, linked_contact_person_factory):
    colleague = signed_in(client_for, linked_contact_person_factory())
    laptop = signed_in(client_for, person)

    laptop.post(SIGN_OUT_EVERYWHERE)

    assert colleague.get(PROFILE).status_code == 200


def test_signing_in_again_works(client, person):
    user_sessions_end(user=person.user)

    assert client.login(email=person.email, password="correct-horse-battery")
    assert client.get(PROFILE).status_code == 200


def test_sign_out_everywhere_only_answers_post(client_for, person):
    client = signed_in(client_for, person)

    assert client.get(SIGN_OUT_EVERYWHERE).status_code == 405
    assert client.get(PROFILE).status_code == 200


def test_sign_out_everywhere_needs_login(client):
    response = client.post(SIGN_OUT_EVERYWHERE)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_sessions_from_before_the_generation_existed_stay_valid(person):
    """Generation 0 gives Django's own hash, so deploying this signs nobody out."""
    user = person.user

    assert user.session_generation == 0
    assert user.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(user)
    user_sessions_end(user=user)
    assert user.session_generation == 1
    assert user.get_session_auth_hash() != AbstractBaseUser.get_session_auth_hash(user)


def test_a_password_change_still_ends_sessions(client_for, person):
    phone = signed_in(client_for, person)
    user = person.user
    user_sessions_end(user=user)
    laptop = signed_in(client_for, person)

    user.set_password("another-horse-battery")
    user.save()

    assert laptop.get(PROFILE).status_code == 302
    assert phone.get(PROFILE).status_code == 302


def test_the_profile_offers_sign_out_everywhere(client_for, person):
    html = signed_in(client_for, person).get(PROFILE).content.decode()

    assert f'<form method="post" action="{SIGN_OUT_EVERYWHERE}">' in html
    assert "Sign out everywhere" in html


# --- Idle timeout -------------------------------------------------------------------------------


def test_a_session_lives_until_just_before_the_idle_timeout(freeze_now, client_for, person):
    freeze_now(SIGNED_IN_AT)
    client = client_for(person)

    freeze_now(SIGNED_IN_AT + dt.timedelta(hours=8) - dt.timedelta(seconds=1))

    assert client.get(PROFILE).status_code == 200


def test_a_session_ends_at_the_idle_timeout_with_a_message(freeze_now, client_for, person):
    freeze_now(SIGNED_IN_AT)
    client = client_for(person)

    freeze_now(SIGNED_IN_AT + dt.timedelta(hours=8))
    response = client.get(PROFILE, follow=True)

    assert response.redirect_chain[0] == (f"{reverse('account_login')}?next={PROFILE}", 302)
    assert "You were signed out because you had not used the portal for a while." in (
        response.content.decode()
    )
    assert not response.wsgi_request.user.is_authenticated
    # For good: the next page does not sign the session in again.
    assert client.get(PROFILE).status_code == 302


def test_using_the_portal_keeps_the_session_alive(freeze_now, client_for, person):
    freeze_now(SIGNED_IN_AT)
    client = client_for(person)
    for hours in (7, 14, 21, 28):
        # Across midnight, into the next day, every seven hours of the eight.
        freeze_now(SIGNED_IN_AT + dt.timedelta(hours=hours))
        assert client.get(PROFILE).status_code == 200


def test_the_timeout_comes_from_the_settings(freeze_now, client_for, person, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 15
    freeze_now(SIGNED_IN_AT)
    client = client_for(person)

    freeze_now(SIGNED_IN_AT + dt.timedelta(minutes=14, seconds=59))
    assert client.get(PROFILE).status_code == 200
    freeze_now(SIGNED_IN_AT + dt.timedelta(minutes=29, seconds=59))
    assert client.get(PROFILE).status_code == 302


def session_writes(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [
        q["sql"]
        for q in queries.captured_queries
        if "django_session" in q["sql"] and q["sql"].lstrip().upper().startswith("UPDATE")
    ]


def test_the_activity_time_is_written_at_most_once_a_minute(freeze_now, client_for, person):
    freeze_now(SIGNED_IN_AT)
    client = client_for(person)

    freeze_now(SIGNED_IN_AT + dt.timedelta(seconds=59))
    assert session_writes(client, PROFILE) == []
    assert client.session[LAST_ACTIVITY_KEY] == SIGNED_IN_AT.timestamp()

    freeze_now(SIGNED_IN_AT + dt.timedelta(seconds=60))
    assert len(session_writes(client, PROFILE)) == 1
    assert client.session[LAST_ACTIVITY_KEY] == SIGNED_IN_AT.timestamp() + 60


def test_a_session_from_before_the_rule_starts_counting_now(freeze_now, client_for, person):
    freeze_now(SIGNED_IN_AT)
    client = client_for(person)
    session = client.session
    del session[LAST_ACTIVITY_KEY]
    session.save()

    freeze_now(SIGNED_IN_AT + dt.timedelta(days=3))
    assert client.get(PROFILE).status_code == 200
    assert client.session[LAST_ACTIVITY_KEY] == (SIGNED_IN_AT + dt.timedelta(days=3)).timestamp()


def test_anonymous_visitors_get_no_session(client):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert "sessionid" not in response.cookies
