"""The check-in page at the door: who may open it, the list and its search, the buttons
without JavaScript (POST, redirect, GET) and as the page's script sends them (JSON), walk-ins,
the no-shows, and the admin's attendance filter."""

import datetime as dt
import json
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import Meeting, Registration
from members.models import ContactPerson
from tests.helpers import result_pks, sign_in_with_second_factor

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def bergen(municipality_factory):
    return municipality_factory(name="Bergen")


@pytest.fixture
def meeting(meeting_factory):
    """Under way: started an hour ago, ends in two."""
    starts_at = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    return meeting_factory(
        title="Arbeidsverkstad",
        slug="arbeidsverkstad",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=3),
        registration_deadline=starts_at - dt.timedelta(days=2),
    )


@pytest.fixture
def people(meeting, bergen, municipality_factory, contact_person_factory, registration_factory):
    voss = municipality_factory(name="Voss")
    kari = registration_factory(
        meeting=meeting,
        contact_person=contact_person_factory(
            name="Kari Nordmann", job_title="Rådgjevar", municipality=bergen
        ),
    )
    ola = registration_factory(
        meeting=meeting,
        contact_person=contact_person_factory(
            name="Ola Vossing", job_title="Kommunalsjef", municipality=voss
        ),
    )
    waiting = registration_factory(
        meeting=meeting,
        contact_person=contact_person_factory(name="Vera Ventar", municipality=bergen),
        status=Registration.Status.WAITLISTED,
    )
    return {"kari": kari, "ola": ola, "waiting": waiting}


def check_in_url(meeting, **query) -> str:
    url = reverse("meetings:check_in", kwargs={"slug": meeting.slug})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def toggle_url(meeting, registration) -> str:
    return reverse("meetings:check_in_toggle", kwargs={"slug": meeting.slug, "pk": registration.pk})


def walk_in_url(meeting) -> str:
    return reverse("meetings:check_in_walk_in", kwargs={"slug": meeting.slug})


def names_listed(response) -> list[str]:
    return re.findall(r'<span class="check-in-name">(.*?)</span>', html(response))


# --- Who may open it ----------------------------------------------------------------------------


def test_anonymous_visitors_go_to_the_sign_in(meeting):
    response = Client().get(check_in_url(meeting))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_members_are_refused(meeting, client_for, linked_contact_person_factory):
    member = linked_contact_person_factory(coordinator=True)
    client = client_for(member)
    assert client.get(check_in_url(meeting)).status_code == 403
    assert client.post(toggle_url(meeting, member), {"action": "mark"}).status_code == 403


def test_staff_without_the_permission_are_refused(meeting, user_factory, people):
    client = Client()
    bare = user_factory(is_staff=True)
    # Allowed to see registrations in the admin, but not to check people in.
    bare.user_permissions.add(Permission.objects.get(codename="view_registration"))
    sign_in_with_second_factor(client, bare)
    assert client.get(check_in_url(meeting)).status_code == 403
    response = client.post(toggle_url(meeting, people["kari"]), {"action": "mark"})
    assert response.status_code == 403
    people["kari"].refresh_from_db()
    assert people["kari"].attended_at is None


def test_staff_without_the_second_factor_are_asked_for_it(meeting, staff_user):
    client = Client()
    client.force_login(staff_user)
    response = client.get(check_in_url(meeting))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_county_staff_group_has_the_permission(staff_user):
    group = Group.objects.get(name="County staff")
    assert group.permissions.filter(codename="check_in_participants").exists()
    assert staff_user.has_perm("meetings.check_in_participants")


# --- The list and its search (no JavaScript needed) -------------------------------------------


def test_the_list_has_the_confirmed_participants(staff_en_client, meeting, people):
    response = staff_en_client.get(check_in_url(meeting))

    assert response.status_code == 200
    assert names_listed(response) == ["Kari Nordmann", "Ola Vossing"]
    content = html(response)
    assert "Bergen · Rådgjevar" in content
    assert "Voss · Kommunalsjef" in content
    assert "0 of 2 participants checked in." in content
    assert content.count('<button type="submit" class="btn btn-lg check-in-button') == 2
    assert 'role="status" aria-live="polite"' in content
    assert "/static/js/check-in.js" in content
    # No script in the page itself: the Content-Security-Policy forbids it.
    assert re.search(r"<script(?![^>]*\bsrc=)", content) is None


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("kari", ["Kari Nordmann"]),
        ("VOSS", ["Ola Vossing"]),
        ("kommunalsjef", ["Ola Vossing"]),
        ("nordmann bergen", ["Kari Nordmann"]),
        ("nordmann voss", []),
        ("ventar", []),  # on the waiting list: no seat, not on the list
    ],
)
def test_the_search_narrows_the_list_on_the_server(staff_en_client, meeting, people, query, found):
    response = staff_en_client.get(check_in_url(meeting), {"q": query})
    assert names_listed(response) == found
    content = html(response)
    assert f'value="{query}"' in content
    if not found:
        assert "Nobody matches" in content


def test_the_buttons_keep_the_search(staff_en_client, meeting, people):
    content = html(staff_en_client.get(check_in_url(meeting), {"q": "kari", "show": "absent"}))
    assert '<input type="hidden" name="q" value="kari">' in content
    assert '<input type="hidden" name="show" value="absent">' in content


def test_a_bad_search_is_no_error(staff_en_client, meeting, people):
    response = staff_en_client.get(check_in_url(meeting), {"q": "x" * 500, "show": "nonsense"})
    assert response.status_code == 200
    assert names_listed(response) == ["Kari Nordmann", "Ola Vossing"]


# --- Marking present without JavaScript: POST, redirect, GET ----------------------------------


def test_marking_present_comes_back_to_the_list_as_it_was(
    staff_en_client, staff_user, meeting, people
):
    kari = people["kari"]
    response = staff_en_client.post(
        toggle_url(meeting, kari), {"action": "mark", "q": "kari nord", "show": "absent"}
    )

    assert response.status_code == 302
    assert response["Location"] == (
        check_in_url(meeting) + f"?q=kari+nord&show=absent#participant-{kari.pk}"
    )
    kari.refresh_from_db()
    assert kari.attended_by == staff_user
    assert kari.history.latest().history_user == staff_user

    page = staff_en_client.get(response["Location"])
    content = html(page)
    assert "Kari Nordmann is checked in." in content
    # Checked in, she is no longer among those not checked in.
    assert names_listed(page) == []
    assert "1 of 2 participants checked in." in content


def test_undo_without_javascript(staff_en_client, staff_user, meeting, people):
    kari = people["kari"]
    services.attendance_mark(registration=kari, by=staff_user)

    page = staff_en_client.get(check_in_url(meeting, q="kari"))
    assert 'Undo check-in<span class="visually-hidden"> Kari Nordmann</span>' in html(page)

    response = staff_en_client.post(toggle_url(meeting, kari), {"action": "undo"}, follow=True)

    assert "The check-in of Kari Nordmann is undone." in html(response)
    kari.refresh_from_db()
    assert kari.attended_at is None


def test_a_registration_of_another_meeting_is_refused(
    staff_en_client, meeting, meeting_factory, registration_factory
):
    other = registration_factory(
        meeting=meeting_factory(starts_at=meeting.starts_at, ends_at=meeting.ends_at)
    )
    response = staff_en_client.post(toggle_url(meeting, other), {"action": "mark"}, follow=True)
    assert "This registration is for another meeting." in html(response)
    other.refresh_from_db()
    assert other.attended_at is None


def test_bad_posts_are_client_errors(staff_en_client, meeting, people):
    assert (
        staff_en_client.post(toggle_url(meeting, people["kari"]), {"action": "x"}).status_code
        == 400
    )
    missing = reverse("meetings:check_in_toggle", kwargs={"slug": meeting.slug, "pk": 999999})
    assert staff_en_client.post(missing, {"action": "mark"}).status_code == 404
    assert staff_en_client.get(toggle_url(meeting, people["kari"])).status_code == 405
    unknown = reverse("meetings:check_in", kwargs={"slug": "no-such-meeting"})
    assert staff_en_client.get(unknown).status_code == 404


# --- As the page's script sends them: JSON ----------------------------------------------------


def test_marking_present_with_javascript_answers_json(staff_en_client, meeting, people):
    kari = people["kari"]
    response = staff_en_client.post(
        toggle_url(meeting, kari), {"action": "mark", "q": "kari"}, **JSON
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    answer = json.loads(response.content)
    assert answer["ok"] is True
    assert answer["present"] is True
    assert answer["message"] == "Kari Nordmann is checked in."
    # The row as the list shows it now, to put in place of the old one.
    assert answer["row"].startswith(
        f'<li class="check-in-row is-present" id="participant-{kari.pk}"'
    )
    assert 'name="action" value="undo"' in answer["row"]
    assert '<input type="hidden" name="q" value="kari">' in answer["row"]
    assert "1 of 2 participants checked in." in answer["summary"]
    kari.refresh_from_db()
    assert kari.attended_at is not None

    undone = json.loads(
        staff_en_client.post(toggle_url(meeting, kari), {"action": "undo"}, **JSON).content
    )
    assert (undone["ok"], undone["present"]) == (True, False)
    assert 'name="action" value="mark"' in undone["row"]


def test_a_refused_check_in_answers_json_with_the_reason(
    staff_en_client, meeting_factory, registration_factory
):
    later = meeting_factory(starts_at=timezone.now() + dt.timedelta(days=3))
    registration = registration_factory(meeting=later)

    response = staff_en_client.post(toggle_url(later, registration), {"action": "mark"}, **JSON)

    assert response.status_code == 409
    answer = json.loads(response.content)
    assert answer["ok"] is False
    assert answer["message"].startswith("Check-in opens on the day of the meeting")


# --- Outside the window, and after the meeting ------------------------------------------------


def test_before_the_meeting_day_the_list_has_no_buttons(
    staff_en_client, meeting_factory, registration_factory
):
    later = meeting_factory(starts_at=timezone.now() + dt.timedelta(days=3))
    registration_factory(meeting=later)
    content = html(staff_en_client.get(check_in_url(later)))
    assert "Check-in opens on the day of the meeting" in content
    assert "check-in-button" not in content
    assert "walk-in" not in content


def test_after_the_meeting_staff_see_the_no_shows(
    staff_en_client, staff_user, meeting_factory, registration_factory, contact_person_factory
):
    starts_at = timezone.now() - dt.timedelta(days=2)
    held = meeting_factory(
        starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=3), status="held"
    )
    came = registration_factory(meeting=held, contact_person=contact_person_factory(name="Anne"))
    registration_factory(meeting=held, contact_person=contact_person_factory(name="Bjørn"))
    services.attendance_mark(registration=came, by=staff_user)

    response = staff_en_client.get(check_in_url(held, show="absent"))

    content = html(response)
    assert '<h2 id="participants-heading">No-shows</h2>' in content
    assert "No-shows (1)" in content
    assert names_listed(response) == ["Bjørn"]
    assert names_listed(staff_en_client.get(check_in_url(held, show="present"))) == ["Anne"]


# --- Walk-ins ---------------------------------------------------------------------------------


def test_a_walk_in_is_registered_and_checked_in(
    staff_en_client, staff_user, meeting, people, bergen
):
    Meeting.objects.filter(pk=meeting.pk).update(capacity=2)
    response = staff_en_client.post(
        walk_in_url(meeting),
        {"name": "Per Dørstokk", "email": "per@bergen.kommune.no", "municipality": bergen.pk},
    )

    assert response.status_code == 302
    registration = Registration.objects.get(contact_person__email="per@bergen.kommune.no")
    assert response["Location"] == (
        check_in_url(meeting) + f"?q=Per+D%C3%B8rstokk#participant-{registration.pk}"
    )
    assert (registration.status, registration.is_late, registration.over_capacity) == (
        "confirmed",
        True,
        True,
    )
    assert registration.attended_by == staff_user
    content = html(staff_en_client.get(response["Location"]))
    assert (
        "Per Dørstokk is registered and checked in. The registration is marked late. The "
        "meeting was full: the seat is recorded as over capacity." in content
    )


def test_a_walk_in_with_errors_shows_them_on_the_page(
    staff_en_client, meeting, people, bergen, municipality_factory, contact_person_factory
):
    contact_person_factory(
        email="kari@voss.kommune.no", municipality=municipality_factory(name="Voss kommune")
    )
    people_before = ContactPerson.objects.count()

    missing = staff_en_client.post(walk_in_url(meeting), {"name": "", "email": "nonsense"})
    assert missing.status_code == 400
    assert "Please correct the errors in the form." in html(missing)
    assert "Enter a valid email address." in html(missing)

    elsewhere = staff_en_client.post(
        walk_in_url(meeting),
        {"name": "Kari", "email": "kari@voss.kommune.no", "municipality": bergen.pk},
    )
    assert elsewhere.status_code == 400
    assert "This address belongs to a contact person of Voss kommune." in html(elsewhere)
    assert ContactPerson.objects.count() == people_before
    # The list is still there under the form.
    assert names_listed(elsewhere) == ["Kari Nordmann", "Ola Vossing"]


def test_walk_ins_only_while_check_in_is_open(staff_en_client, meeting_factory, bergen):
    later = meeting_factory(starts_at=timezone.now() + dt.timedelta(days=3))
    response = staff_en_client.post(
        walk_in_url(later),
        {"name": "Per", "email": "per@example.org", "municipality": bergen.pk},
        follow=True,
    )
    assert "Check-in opens on the day of the meeting" in html(response)
    assert not ContactPerson.objects.filter(email="per@example.org").exists()
    assert staff_en_client.get(walk_in_url(later)).status_code == 405


# --- The admin's registration list ------------------------------------------------------------


def test_the_admin_filters_attended_and_no_shows(
    staff_en_client, staff_user, meeting_factory, registration_factory
):
    starts_at = timezone.now() - dt.timedelta(days=2)
    held = meeting_factory(starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=3))
    came = registration_factory(meeting=held)
    stayed_away = registration_factory(meeting=held)
    registration_factory(meeting=held, status=Registration.Status.WAITLISTED)
    # A meeting still ahead has no no-shows yet.
    registration_factory(meeting=meeting_factory())
    services.attendance_mark(registration=came, by=staff_user)
    url = reverse("admin:meetings_registration_changelist")

    attended = staff_en_client.get(url, {"attendance": "attended"})
    no_shows = staff_en_client.get(url, {"attendance": "no_show"})

    assert result_pks(attended) == {came.pk}
    assert result_pks(no_shows) == {stayed_away.pk}
    assert "No-show" in html(no_shows)


def test_the_admin_shows_the_check_in_read_only(staff_en_client, staff_user, meeting, people):
    kari = people["kari"]
    services.attendance_mark(registration=kari, by=staff_user)
    page = staff_en_client.get(reverse("admin:meetings_registration_change", args=[kari.pk]))
    content = html(page)
    assert "Checked in by" in content
    assert 'name="attended_at"' not in content
    assert 'name="attended_by"' not in content


# --- Where staff find the list ----------------------------------------------------------------


def test_the_meeting_page_links_the_list_for_staff_who_check_in(
    staff_en_client, client_for, linked_contact_person_factory, meeting
):
    url = check_in_url(meeting)
    assert f'href="{url}"' in html(staff_en_client.get(meeting.get_absolute_url()))
    member = client_for(linked_contact_person_factory())
    assert f'href="{url}"' not in html(member.get(meeting.get_absolute_url()))
    assert f'href="{url}"' not in html(Client().get(meeting.get_absolute_url()))


def test_the_meetings_admin_page_counts_and_links_the_check_ins(
    staff_en_client, staff_user, meeting, people
):
    services.attendance_mark(registration=people["kari"], by=staff_user)
    content = html(staff_en_client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk])))
    listed = reverse("admin:meetings_registration_changelist")
    assert (
        f'<a href="{listed}?meeting__id__exact={meeting.pk}&amp;attendance=attended">'
        "Checked in: 1</a>"
    ) in content
    assert f'<a href="{check_in_url(meeting)}">Check-in list</a>' in content
