"""Site-wide pages: the front page, the health check, the 404 page and the language switcher."""

import datetime as dt
import re

import pytest
from django.db import DatabaseError, OperationalError
from django.utils import timezone

from meetings.models import Meeting, Registration
from network_portal import views
from tests.helpers import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def title_of(response) -> str:
    return re.search(r"<title>(.*?)</title>", html(response), re.S).group(1).strip()


# --- Front page ------------------------------------------------------------------------------


def test_home_in_nynorsk_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="nn">' in html(response)
    assert response["Content-Language"] == "nn"


def test_home_in_english(en_client):
    response = en_client.get("/")
    content = html(response)
    assert '<html lang="en">' in content
    assert title_of(response) == "Welcome · International municipality network"
    assert "<h1>International municipality network</h1>" in content
    assert ">Meetings</a>" in content
    assert "No meetings are planned right now." in content


def test_home_shows_the_next_three_meetings(client, meeting_factory, meeting_series_factory):
    now = timezone.now()
    series = meeting_series_factory(year=timezone.localdate().year)

    def on(days, **kwargs):
        return meeting_factory(
            series=series,
            starts_at=now + dt.timedelta(days=days),
            ends_at=None,
            registration_deadline=None,
            **kwargs,
        )

    third = on(30)
    first = on(10)
    on(20, status=Meeting.Status.CANCELLED)
    second = on(15)
    fourth = on(40)
    on(-5, title="Past")
    response = client.get("/")
    assert list(response.context["next_meetings"]) == [first, second, third]
    content = html(response)
    assert first.title in content
    assert fourth.title not in content
    assert "Past" not in content


def test_home_lists_tentative_meetings_of_this_year_after_dated_ones(
    client, meeting_factory, meeting_series_factory
):
    series = meeting_series_factory(year=timezone.localdate().year)
    tentative = meeting_factory(series=series, tentative=True, tentative_period="haust/vinter")
    dated = meeting_factory(series=series)
    response = client.get("/")
    assert list(response.context["next_meetings"]) == [dated, tentative]
    assert "haust/vinter" in html(response)


def make_meetings(count, meeting_factory, registration_factory):
    for _ in range(count):
        meeting = meeting_factory(capacity=30)
        registration_factory.create_batch(2, meeting=meeting)


def test_home_query_count_is_constant(
    client, count_queries, django_assert_num_queries, meeting_factory, registration_factory
):
    make_meetings(5, meeting_factory, registration_factory)
    client.get("/")  # the footer's network owner and the small annual wheel settle in the cache
    few, _ = count_queries(lambda: client.get("/"))
    make_meetings(95, meeting_factory, registration_factory)
    client.get("/")  # the small annual wheel, dropped from the cache by the new meetings
    many, response = count_queries(lambda: client.get("/"))
    assert [m.confirmed_count for m in response.context["next_meetings"]] == [2, 2, 2]
    assert many == few
    # The next meetings with their series and seat counts, in one query.
    with django_assert_num_queries(1):
        client.get("/")


def test_home_seats_left(en_client, meeting_factory, registration_factory):
    meeting = meeting_factory(capacity=5)
    registration_factory.create_batch(2, meeting=meeting)
    registration_factory(meeting=meeting, status=Registration.Status.WAITLISTED)
    assert re.search(r"<td\b[^>]*>3</td>", html(en_client.get("/")))


# --- Health check ----------------------------------------------------------------------------


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_refuses_post(client):
    assert client.post("/healthz").status_code == 405


class BrokenCursor:
    def __init__(self, error_on):
        self.error_on = error_on

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def execute(self, sql, params=None):
        if self.error_on == "execute":
            raise OperationalError("connection lost")

    def fetchone(self):
        return (1,)


class BrokenConnection:
    """Stands in for django.db.connection when the database does not answer."""

    def __init__(self, error_on):
        self.error_on = error_on

    def cursor(self):
        if self.error_on == "cursor":
            raise DatabaseError("could not connect to server")
        return BrokenCursor(self.error_on)


@pytest.mark.parametrize("error_on", ["cursor", "execute"])
def test_healthz_503_when_the_database_fails(client, monkeypatch, caplog, error_on):
    monkeypatch.setattr(views, "connection", BrokenConnection(error_on))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert "no-cache" in response["Cache-Control"]
    assert "database does not answer" in caplog.text


def test_healthz_503_when_the_real_cursor_raises(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(views.connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


# --- 404 ---------------------------------------------------------------------------------------


def test_unknown_address_is_the_sites_404_page(en_client):
    response = en_client.get("/finst-ikkje/")
    assert response.status_code == 404
    content = html(response)
    assert "<h1>Page not found</h1>" in content
    assert "We could not find the page you asked for." in content
    assert 'href="/meetings/"' in content
    assert title_of(response) == "Page not found · International municipality network"


def test_404_page_in_nynorsk(client):
    response = client.get("/finst-ikkje/")
    assert response.status_code == 404
    assert '<html lang="nn">' in html(response)
    assert 'href="/meetings/"' in html(response)


# --- 403 and 500 ------------------------------------------------------------------------------


def test_permission_denied_is_the_sites_403_page(en_client, user_factory):
    sign_in_with_second_factor(en_client, user_factory(is_staff=True))
    response = en_client.get("/admin/meetings/meeting/")
    assert response.status_code == 403
    content = html(response)
    assert "<h1>Access denied</h1>" in content
    assert "You do not have permission to see this page." in content


def test_server_error_is_the_sites_500_page(en_client, monkeypatch):
    def explode(self, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.HomeView, "get_context_data", explode)
    en_client.raise_request_exception = False
    response = en_client.get("/")
    assert response.status_code == 500
    content = html(response)
    assert "<h1>Something went wrong</h1>" in content
    assert '<html lang="en">' in content


# --- Language switcher -------------------------------------------------------------------------


def test_language_switcher_form(client):
    content = html(client.get("/meetings/"))
    form = re.search(r'<form class="language-switcher[^"]*"[^>]*>.*?</form>', content, re.S)
    assert form is not None
    form = form.group(0)
    assert 'action="/i18n/setlang/"' in form
    assert 'method="post"' in form
    assert '<input type="hidden" name="next" value="/meetings/">' in form
    assert set(re.findall(r'name="language" value="(\w+)"', form)) == {"nn", "nb", "en"}
    assert re.search(r'value="nn"[^>]*aria-pressed="true"', form, re.S)


def test_choosing_english_sets_the_cookie_and_the_next_page_is_english(client, settings):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/meetings/"})
    assert response.status_code == 302
    assert response["Location"] == "/meetings/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/meetings/")
    assert '<html lang="en">' in html(page)
    assert "<h1>Meetings</h1>" in html(page)


def test_switching_back_to_nynorsk(en_client):
    en_client.post("/i18n/setlang/", {"language": "nn", "next": "/"})
    assert '<html lang="nn">' in html(en_client.get("/"))


def test_language_switcher_keeps_the_query_string(client):
    content = html(client.get("/meetings/?page=2"))
    assert '<input type="hidden" name="next" value="/meetings/?page=2">' in content
