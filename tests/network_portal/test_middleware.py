"""PortalLocaleMiddleware: Nynorsk unless the visitor chose another language with the switcher."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation

from network_portal.middleware import PortalLocaleMiddleware

pytestmark = pytest.mark.django_db


def language_of(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response["Content-Language"]


def test_nynorsk_without_a_choice(client):
    assert language_of(client) == "nn"


@pytest.mark.parametrize("accept", ["en", "nb", "en-GB,en;q=0.9", "de"])
def test_browser_language_is_ignored(client, accept):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response["Content-Language"] == "nn"
    assert '<html lang="nn">' in response.content.decode()


@pytest.mark.parametrize(
    ("cookie", "expected"),
    [("en", "en"), ("nb", "nb"), ("nn", "nn"), ("en-gb", "en"), ("de", "nn"), ("", "nn")],
)
def test_cookie_chooses_the_language(client, settings, cookie, expected):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie
    assert language_of(client) == expected


def test_cookie_wins_over_the_browser(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "nb"
    assert '<html lang="nb">' in response.content.decode()


def test_response_varies_on_cookie(client):
    response = client.get("/")
    assert "Cookie" in response["Vary"]


def test_request_language_code_is_set(settings):
    request = RequestFactory().get("/")
    request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = "en"
    seen = {}

    def view(request):
        seen["request"] = request.LANGUAGE_CODE
        seen["active"] = translation.get_language()
        return HttpResponse("ok")

    with translation.override("nn"):
        response = PortalLocaleMiddleware(view)(request)
    assert seen == {"request": "en", "active": "en"}
    assert response["Content-Language"] == "en"


def test_an_explicit_content_language_is_kept(settings):
    request = RequestFactory().get("/")

    def view(request):
        response = HttpResponse("ok")
        response["Content-Language"] = "en"
        return response

    response = PortalLocaleMiddleware(view)(request)
    assert response["Content-Language"] == "en"
