"""The accessibility statement and the privacy page."""

import pytest
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import translation

from members.models import NetworkOwner
from members.privacy import personal_data_export
from members.services import network_owner_update
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "heading"),
    [("accessibility", "Accessibility statement"), ("privacy", "Privacy")],
)
def test_statement_pages_in_nynorsk_and_english(client, settings, name, heading):
    url = reverse(name)

    nn_page = client.get(url)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    en_page = client.get(url)

    assert nn_page.status_code == en_page.status_code == 200
    with translation.override("nn"):
        nynorsk = translation.gettext(heading)
    assert nynorsk != heading
    assert f"<h1>{nynorsk}</h1>" in nn_page.content.decode()
    assert f"<h1>{heading}</h1>" in en_page.content.decode()


def test_every_page_links_to_both_statements(client):
    page = client.get(reverse("home")).content.decode()

    assert f'href="{reverse("accessibility")}"' in page
    assert f'href="{reverse("privacy")}"' in page


def refuse(execute, sql, params, many, context):
    raise OperationalError("the database is down")


def test_the_statement_pages_need_no_database(client, django_assert_num_queries):
    """They show up while the database is down, only without the owner in the footer..."""
    with connection.execute_wrapper(refuse):
        page = client.get(reverse("privacy"))
    assert page.status_code == 200
    assert "<address" not in page.content.decode()


def test_the_statement_pages_name_the_owner_from_the_cache(client, django_assert_num_queries):
    """...and with it once any page has read it."""
    owner = NetworkOwner.get_solo()
    owner.name = "Vestland fylkeskommune"
    network_owner_update(owner=owner)
    with django_assert_num_queries(0):
        page = client.get(reverse("privacy"))
    assert "Vestland fylkeskommune" in page.content.decode()


def test_the_privacy_page_states_the_periods_from_the_settings(en_client, settings):
    settings.PERSONAL_DATA_RETENTION_MONTHS = 18
    settings.REGISTRATION_ANSWERS_RETENTION_DAYS = 14
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 90

    page = en_client.get(reverse("privacy")).content.decode()

    assert "are deleted 14 days after the meeting" in page
    assert "been updated for 18 months are anonymised" in page
    assert "You are signed out after 90 minutes without activity." in page


def test_the_privacy_page_reads_the_settings_at_each_request(en_client, settings):
    settings.REGISTRATION_ANSWERS_RETENTION_DAYS = 1
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 480
    page = en_client.get(reverse("privacy")).content.decode()
    assert "are deleted 1 day after the meeting" in page

    settings.REGISTRATION_ANSWERS_RETENTION_DAYS = 30
    page = en_client.get(reverse("privacy")).content.decode()
    assert "are deleted 30 days after the meeting" in page
    assert "You are signed out after 8 hours without activity." in page


def test_the_privacy_page_in_nynorsk_states_the_periods(client, settings):
    settings.PERSONAL_DATA_RETENTION_MONTHS = 24
    settings.REGISTRATION_ANSWERS_RETENTION_DAYS = 30

    page = client.get(reverse("privacy")).content.decode()

    with translation.override("nn"):
        days = translation.ngettext(
            "Dietary needs and comments in registrations are deleted %(days)s day after the "
            "meeting.",
            "Dietary needs and comments in registrations are deleted %(days)s days after the "
            "meeting.",
            30,
        ) % {"days": 30}
    assert "30" in days and "Dietary" not in days
    assert days in page


def test_the_privacy_page_links_to_export_and_delete(client):
    page = client.get(reverse("privacy")).content.decode()

    assert f'href="{reverse("profile_export")}"' in page
    assert f'href="{reverse("profile_delete")}"' in page


# Where the privacy page names each part of the personal data export (in English). A new
# part of the export needs its words on the page, and an entry here.
EXPORT_ON_THE_PRIVACY_PAGE = {
    "account": "your name, work e-mail address",
    "contact_person": "your name, work e-mail address",
    "contact_person_history": "Earlier versions of your details",
    "emails": "The e-mails the portal has sent you",
    "invitations": "Which invitations and reminders we have sent you",
    "registrations": "Your registrations for meetings",
    "date_poll_answers": "Your answers to date polls",
    "materials_uploaded": "Files you upload to a meeting",
    "project_ideas": "Project ideas you present",
    "interests": "the interest you mark in other municipalities",
    "followed_programmes": "The EU programmes you follow",
}


def test_the_privacy_page_names_everything_the_export_holds(en_client):
    """Found when the product was tried: the page left out the followed programmes, date
    poll answers, uploaded files, check-ins, sent e-mails and earlier versions, all of which
    the portal keeps (and exports)."""
    person = factories.LinkedContactPersonFactory()
    export = personal_data_export(user=person.user)
    assert set(export) - {"exported_at", "portal"} == set(EXPORT_ON_THE_PRIVACY_PAGE)
    page = " ".join(en_client.get(reverse("privacy")).content.decode().split())
    assert [part for part, words in EXPORT_ON_THE_PRIVACY_PAGE.items() if words not in page] == []
    assert "whether you were checked in" in page
