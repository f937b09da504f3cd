"""Minutes of a meeting: Markdown rendered safely, published on the meeting page, and the
participants told once, in their language."""

import pytest
from django.test import Client
from django.urls import reverse

from meetings import minutes
from meetings.models import Meeting
from outbox.models import OutboxEmail
from tests import factories

pytestmark = pytest.mark.django_db


# --- Rendering -----------------------------------------------------------------------------------


def test_markdown_becomes_html_with_headings_below_the_page_headings():
    html = minutes.render_minutes(
        "# Vedtak\n\n**Viktig:** dette er *referatet*.\n\n- punkt ein\n- punkt to\n\n"
        "[Fylket](https://www.vestlandfylke.no)"
    )
    assert "<h3>Vedtak</h3>" in html
    assert "<strong>Viktig:</strong>" in html
    assert "<em>referatet</em>" in html
    assert "<li>punkt ein</li>" in html
    assert '<a href="https://www.vestlandfylke.no" rel="nofollow noopener">Fylket</a>' in html


@pytest.mark.parametrize(
    ("text", "forbidden"),
    [
        ("<script>alert('x')</script>Hei", ["<script", "alert("]),
        ('<img src="x" onerror="alert(1)">', ["onerror", "<img"]),
        ('<p onclick="alert(1)">Trykk</p>', ["onclick"]),
        ("[klikk](javascript:alert(1))", ["javascript:"]),
        ('<a href="javascript:alert(1)">klikk</a>', ["javascript:"]),
        ('<a href="JaVaScRiPt:alert(1)">klikk</a>', ["javascript", "JaVaScRiPt"]),
        ("<iframe src='https://example.org'></iframe>", ["<iframe"]),
        ("<style>body{display:none}</style>", ["<style", "display:none"]),
        ('<p style="color:red">raud</p>', ["style="]),
        ("<svg><script>alert(1)</script></svg>", ["<svg", "<script"]),
        ('<a href="data:text/html,<script>alert(1)</script>">x</a>', ["data:", "<script"]),
        ("<h1 id='registration-heading'>Tittel</h1>", ["<h1", "registration-heading"]),
    ],
)
def test_dangerous_markup_is_removed(text, forbidden):
    html = minutes.render_minutes(text)
    for piece in forbidden:
        assert piece not in html


def test_every_link_gets_nofollow_noopener():
    html = minutes.render_minutes('<a href="https://example.org" rel="opener">x</a>')
    assert 'rel="nofollow noopener"' in html
    assert "opener" not in html.replace("noopener", "")


# --- Publishing ----------------------------------------------------------------------------------


@pytest.fixture
def meeting():
    return factories.MeetingFactory(
        title="Oppstartsmøte", slug="oppstart", minutes_markdown="# Referat\n\nBra møte."
    )


@pytest.fixture
def participants(meeting):
    nn = factories.ContactPersonFactory(name="Nils Nynorsk", preferred_language="nn")
    nb = factories.ContactPersonFactory(name="Berit Bokmål", preferred_language="nb")
    en = factories.ContactPersonFactory(name="Emma English", preferred_language="en")
    for person in (nn, nb, en):
        factories.RegistrationFactory(meeting=meeting, contact_person=person)
    # Not told: the waiting list and those who cancelled.
    factories.RegistrationFactory(meeting=meeting, status="waitlisted")
    factories.RegistrationFactory(
        meeting=meeting, status="cancelled", cancelled_at=meeting.starts_at
    )
    return {"nn": nn, "nb": nb, "en": en}


def test_publishing_mails_the_participants_once_in_their_language(meeting, participants):
    assert minutes.minutes_publish(meeting=meeting) == 3
    sent = {row.to: row for row in OutboxEmail.objects.filter(kind="meeting.minutes")}
    assert set(sent) == {person.email for person in participants.values()}
    assert sent[participants["en"].email].subject == "Minutes published: Oppstartsmøte"
    assert "Referat publisert" in sent[participants["nb"].email].subject
    assert "Referat publisert" in sent[participants["nn"].email].subject
    link = "/meetings/oppstart/#minutes-heading"
    assert all(link in row.body and link in row.html for row in sent.values())

    # Again, also after taking the minutes down and putting them up: nobody twice.
    assert minutes.minutes_publish(meeting=meeting) == 0
    assert minutes.minutes_unpublish(meeting=meeting)
    assert minutes.minutes_publish(meeting=meeting) == 0
    assert OutboxEmail.objects.filter(kind="meeting.minutes").count() == 3
    meeting.refresh_from_db()
    assert meeting.minutes_published_at is not None


def test_empty_minutes_are_not_published(meeting, participants):
    Meeting.objects.filter(pk=meeting.pk).update(minutes_markdown="  ")
    meeting.refresh_from_db()
    with pytest.raises(minutes.MinutesError):
        minutes.minutes_publish(meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.minutes_published_at is None
    assert not OutboxEmail.objects.exists()


def test_the_page_shows_published_minutes_only(meeting):
    client = Client()
    assert 'id="minutes-heading"' not in client.get(meeting.get_absolute_url()).content.decode()
    minutes.minutes_publish(meeting=meeting)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert 'id="minutes-heading"' in page
    assert "<h3>Referat</h3>" in page
    minutes.minutes_unpublish(meeting=meeting)
    assert 'id="minutes-heading"' not in client.get(meeting.get_absolute_url()).content.decode()


def test_a_script_in_the_minutes_never_reaches_the_page(meeting):
    Meeting.objects.filter(pk=meeting.pk).update(
        minutes_markdown='Hei <script>alert("x")</script><img src=x onerror=alert(1)>'
    )
    meeting.refresh_from_db()
    minutes.minutes_publish(meeting=meeting)
    page = Client().get(meeting.get_absolute_url()).content.decode()
    assert 'alert("x")' not in page
    assert "onerror" not in page


# --- Admin ---------------------------------------------------------------------------------------


def test_staff_write_and_publish_the_minutes_in_the_admin(staff_en_client, meeting, participants):
    changelist = reverse("admin:meetings_meeting_changelist")
    response = staff_en_client.post(
        changelist, {"action": "publish_minutes", "_selected_action": [meeting.pk]}, follow=True
    )
    assert "3 participants are being told" in response.content.decode()
    staff_en_client.post(
        changelist, {"action": "publish_minutes", "_selected_action": [meeting.pk]}
    )
    assert OutboxEmail.objects.filter(kind="meeting.minutes").count() == 3
    response = staff_en_client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))
    assert "Published" in response.content.decode()
    staff_en_client.post(
        changelist, {"action": "unpublish_minutes", "_selected_action": [meeting.pk]}
    )
    meeting.refresh_from_db()
    assert meeting.minutes_published_at is None


def test_publishing_without_minutes_warns_in_the_admin(staff_en_client):
    meeting = factories.MeetingFactory()
    response = staff_en_client.post(
        reverse("admin:meetings_meeting_changelist"),
        {"action": "publish_minutes", "_selected_action": [meeting.pk]},
        follow=True,
    )
    assert "Write the minutes before publishing them." in response.content.decode()
