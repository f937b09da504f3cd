"""The accessibility statement and the privacy page."""

import pytest
from django.urls import reverse
from django.utils import translation

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


def test_the_statement_pages_need_no_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get(reverse("privacy")).status_code == 200
