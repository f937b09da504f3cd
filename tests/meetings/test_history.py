"""Change history (django-simple-history): who changed meetings, registrations,
municipalities and contact persons, and the admin pages that show it."""

import datetime as dt
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from meetings.models import Meeting, Registration
from members.models import ContactPerson, Municipality
from tests.helpers import management_form, register, sign_in_with_second_factor
from tests.meetings.test_registration_admin import admin_form_data

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def history_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_history", args=[obj.pk])


def change_in_admin(client, obj, **changes):
    """Post the object's admin change page with `changes` and nothing else changed."""
    data = admin_form_data(client.get(change_url(obj)))
    data.update(changes)
    response = client.post(change_url(obj), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


@pytest.fixture
def meeting(meeting_factory):
    return meeting_factory(title="Oppstartsmøte")


# --- Changes through the admin ---------------------------------------------------------------


def test_staff_changing_a_meeting(staff_client, staff_user, meeting):
    change_in_admin(staff_client, meeting, title="Oppstartsmøte 2030")
    latest = meeting.history.latest()
    assert (latest.history_type, latest.history_user, latest.title) == (
        "~",
        staff_user,
        "Oppstartsmøte 2030",
    )
    delta = latest.diff_against(latest.prev_record)
    assert delta.changed_fields == ["title"]


def test_staff_changing_a_registration(staff_client, staff_user, registration_factory):
    registration = registration_factory(dietary_needs="")
    change_in_admin(staff_client, registration, dietary_needs="Vegetar")
    latest = registration.history.latest()
    assert (latest.history_user, latest.dietary_needs) == (staff_user, "Vegetar")


def test_staff_adding_a_registration_on_the_meeting_page(
    staff_client, staff_user, meeting, contact_person_factory
):
    person = contact_person_factory()
    data = admin_form_data(staff_client.get(change_url(meeting)))
    data.update(
        {
            "registrations-TOTAL_FORMS": 1,
            "registrations-0-contact_person": person.pk,
            "registrations-0-status": Registration.Status.CONFIRMED,
            "registrations-0-attendance_mode": Registration.AttendanceMode.IN_PERSON,
            "registrations-0-dietary_needs": "",
        }
    )
    response = staff_client.post(change_url(meeting), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    (record,) = Registration.history.filter(contact_person=person)
    assert (record.history_type, record.history_user) == ("+", staff_user)


def test_staff_changing_a_municipality(staff_client, staff_user, municipality_factory):
    municipality = municipality_factory(name="Bergen", county="Hordaland")
    change_in_admin(staff_client, municipality, county="Vestland")
    latest = municipality.history.latest()
    assert (latest.history_user, latest.county) == (staff_user, "Vestland")


def test_staff_changing_a_contact_person(staff_client, staff_user, contact_person_factory):
    person = contact_person_factory(job_title="Rådgjevar")
    change_in_admin(staff_client, person, job_title="Seniorrådgjevar")
    latest = person.history.latest()
    assert (latest.history_user, latest.job_title) == (staff_user, "Seniorrådgjevar")


def test_the_calendar_feed_key_stays_out_of_the_history():
    fields = {field.name for field in ContactPerson.history.model._meta.get_fields()}
    assert "calendar_token" not in fields
    assert "email" in fields


# --- Changes through services ----------------------------------------------------------------


def test_member_cancelling_on_the_site_is_recorded_with_their_account(
    client_for, meeting_factory, linked_contact_person_factory
):
    meeting = meeting_factory(capacity=1)
    kari = linked_contact_person_factory(name="Kari")
    ola = linked_contact_person_factory(name="Ola")
    seat, waiting = register(meeting, kari), register(meeting, ola)
    assert waiting.status == Registration.Status.WAITLISTED

    response = client_for(kari).post(
        reverse("meetings:registration_cancel", kwargs={"pk": seat.pk})
    )
    assert response.status_code == 302
    cancelled = seat.history.latest()
    assert (cancelled.status, cancelled.history_user) == ("cancelled", kari.user)
    # The seat she freed went to Ola in the same request; the history says whose act it was.
    promoted = waiting.history.latest()
    assert (promoted.status, promoted.history_user) == ("confirmed", kari.user)


def test_staff_cancelling_through_the_admin_service(
    staff_client, staff_user, meeting, contact_person_factory
):
    registration = register(meeting, contact_person_factory())
    change_in_admin(staff_client, registration, status=Registration.Status.CANCELLED)
    latest = registration.history.latest()
    assert (latest.status, latest.history_user) == ("cancelled", staff_user)
    assert latest.cancelled_at is not None


def test_service_outside_a_request_has_no_user(meeting, contact_person_factory):
    # Background jobs and the shell act for nobody in particular.
    registration = register(meeting, contact_person_factory())
    assert registration.history.latest().history_user is None


# --- The history pages -----------------------------------------------------------------------


@pytest.fixture
def changed_objects(staff_en_client, meeting, registration_factory):
    """A meeting, registration, municipality and contact person, each changed once by staff
    in the admin."""
    registration = registration_factory(meeting=meeting)
    person = registration.contact_person
    municipality = person.municipality
    change_in_admin(staff_en_client, meeting, theme="Nytt tema")
    change_in_admin(staff_en_client, registration, dietary_needs="Laktosefri")
    change_in_admin(staff_en_client, municipality, county="Vestland")
    change_in_admin(staff_en_client, person, job_title="Prosjektleiar")
    return {
        Meeting: (meeting, "Nytt tema"),
        Registration: (registration, "Laktosefri"),
        Municipality: (municipality, "Vestland"),
        ContactPerson: (person, "Prosjektleiar"),
    }


@pytest.mark.parametrize("model", [Meeting, Registration, Municipality, ContactPerson])
def test_history_page_shows_who_changed_what(staff_en_client, staff_user, changed_objects, model):
    obj, new_value = changed_objects[model]
    response = staff_en_client.get(history_url(obj))
    assert response.status_code == 200
    content = response.content.decode()
    assert str(staff_user) in content
    assert new_value in content
    assert "Changed" in content

    latest = obj.history.latest()
    record_url = reverse(
        f"admin:{obj._meta.app_label}_{obj._meta.model_name}_simple_history",
        args=[obj.pk, latest.history_id],
    )
    assert record_url in content
    assert staff_en_client.get(record_url).status_code == 200


@pytest.mark.parametrize("model", ["meeting", "registration"])
def test_change_page_links_to_the_history(staff_client, registration_factory, model):
    registration = registration_factory()
    obj = registration if model == "registration" else registration.meeting
    response = staff_client.get(change_url(obj))
    assert history_url(obj) in response.content.decode()


def test_history_page_needs_the_view_permission(client, user_factory, meeting):
    sign_in_with_second_factor(client, user_factory(is_staff=True))
    assert client.get(history_url(meeting)).status_code == 403


# --- Readable history pages (issue 12) -------------------------------------------------------


class _HistoryTable(HTMLParser):
    """The rows of the history list (#change-history) as {column heading: text}; text a
    screen reader alone gets (.visually-hidden) is left out, as a sighted reader sees it."""

    def __init__(self):
        super().__init__()
        self.headings, self.rows = [], []
        self.depth = self.hidden_depth = 0
        self.in_table = False
        self.cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "change-history":
            self.in_table = True
        if not self.in_table:
            return
        if tag in {"th", "td"}:
            self.cell = []
        elif tag == "tr" and self.headings:
            self.rows.append([])
        elif tag == "li" and self.cell is not None and "".join(self.cell).strip():
            self.cell.append(" | ")
        if tag == "span":
            self.depth += 1
            if "visually-hidden" in (attrs.get("class") or "").split() and not self.hidden_depth:
                self.hidden_depth = self.depth

    def handle_endtag(self, tag):
        if not self.in_table:
            return
        if tag == "span":
            if self.hidden_depth == self.depth:
                self.hidden_depth = 0
            self.depth -= 1
        elif tag in {"th", "td"} and self.cell is not None:
            text = " ".join("".join(self.cell).split())
            (self.rows[-1] if tag == "td" else self.headings).append(text)
            self.cell = None
        elif tag == "table":
            self.in_table = False

    def handle_data(self, data):
        if self.in_table and self.cell is not None and not self.hidden_depth:
            self.cell.append(data)


def history_rows(response) -> list[dict[str, str]]:
    """The history list's rows, newest first, as {column heading: cell text}; the changes
    are "Field: old → new" items joined by " | "."""
    assert response.status_code == 200
    table = _HistoryTable()
    table.feed(response.content.decode())
    assert table.headings, "no history table on the page"
    return [dict(zip(table.headings, row, strict=True)) for row in table.rows]


def in_language(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


def record_url(obj, record) -> str:
    return reverse(
        f"admin:{obj._meta.app_label}_{obj._meta.model_name}_simple_history",
        args=[obj.pk, record.history_id],
    )


@pytest.fixture
def march_meeting(freeze_now, meeting_factory):
    """A meeting on 9 March 2027 at 10:00 in Oslo, made on 1 March at noon."""
    freeze_now(dt.datetime(2027, 3, 1, 12, 0, tzinfo=OSLO))
    starts = dt.datetime(2027, 3, 9, 10, 0, tzinfo=OSLO)
    return meeting_factory(
        title="Oppstartsmøte",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        registration_deadline=starts - dt.timedelta(days=2),
        capacity=None,
    )


@pytest.fixture
def nn_staff_client(client, staff_user, freeze_now, march_meeting):
    """Staff signed in with Nynorsk chosen, on 2 March 2027 at 14:30 in Oslo (the day after
    the meeting was made)."""
    freeze_now(dt.datetime(2027, 3, 2, 14, 30, tzinfo=OSLO))
    sign_in_with_second_factor(client, staff_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nn"
    return client


def test_history_shows_local_times_in_the_language_format(nn_staff_client, march_meeting):
    change_in_admin(nn_staff_client, march_meeting, starts_at_1="11.00", ends_at_1="14.00")

    latest, created = history_rows(nn_staff_client.get(history_url(march_meeting)))
    assert latest["Dato/tid"] == "2. mars 2027 kl. 14.30"
    assert created["Dato/tid"] == "1. mars 2027 kl. 12.00"
    assert "Starttid: 9. mars 2027 kl. 10.00 → 9. mars 2027 kl. 11.00" in latest["Endringar"]
    assert "Sluttid: 9. mars 2027 kl. 13.00 → 9. mars 2027 kl. 14.00" in latest["Endringar"]
    assert "+00:00" not in latest["Endringar"]


def test_history_times_in_english(staff_en_client, march_meeting, freeze_now):
    freeze_now(dt.datetime(2027, 3, 2, 14, 30, tzinfo=OSLO))
    change_in_admin(staff_en_client, march_meeting, starts_at_1="11:00", ends_at_1="14:00")

    latest, _created = history_rows(staff_en_client.get(history_url(march_meeting)))
    assert latest["Date/time"] == "2 March 2027, 14:30"
    assert "Starts: 9 March 2027, 10:00 → 9 March 2027, 11:00" in latest["Changes"]


def test_history_shows_labels_not_stored_values(
    nn_staff_client, march_meeting, meeting_series_factory
):
    old_series = march_meeting.series
    new_series = meeting_series_factory(name="Nettverket", year=2027)
    change_in_admin(
        nn_staff_client,
        march_meeting,
        status=Meeting.Status.CANCELLED,
        capacity="40",
        reminders_enabled="",
        series=new_series.pk,
        theme="",
    )

    latest = history_rows(nn_staff_client.get(history_url(march_meeting)))[0]
    changes = latest["Endringar"].split(" | ")
    empty = in_language("nn", "(empty)")
    assert empty != "(empty)"
    assert set(changes) == {
        f"Møteserie: {old_series} → Nettverket 2027",
        "Status: Planlagt → Avlyst",
        f"Kapasitet: {empty} → 40",
        "Send påminningar: Ja → Nei",
        f"Tema: Erfaringsutveksling → {empty}",
    }
    # In the order of the meeting's fields, not the alphabet.
    assert [change.split(":")[0] for change in changes] == [
        "Møteserie",
        "Tema",
        "Status",
        "Kapasitet",
        "Send påminningar",
    ]


def test_an_empty_change_reason_is_blank(nn_staff_client, march_meeting):
    change_in_admin(nn_staff_client, march_meeting, theme="Nytt tema")

    rows = history_rows(nn_staff_client.get(history_url(march_meeting)))
    assert [row["Grunn til endringa"] for row in rows] == ["", ""]
    assert all("None" not in text for row in rows for text in row.values())


def test_a_given_change_reason_is_shown(nn_staff_client, march_meeting):
    march_meeting.title = "Oppstart"
    march_meeting._change_reason = "Retta skrivefeil"
    march_meeting.save()

    latest = history_rows(nn_staff_client.get(history_url(march_meeting)))[0]
    assert latest["Grunn til endringa"] == "Retta skrivefeil"


def test_history_column_headings_are_translated(nn_staff_client, march_meeting):
    table = _HistoryTable()
    table.feed(nn_staff_client.get(history_url(march_meeting)).content.decode())
    assert table.headings == [
        in_language("nn", heading)
        for heading in ("Object", "Date/time", "Action", "Changed by", "Change reason", "Changes")
    ]
    assert table.headings[2] == "Handling"


def agenda_form(response, rows: list[dict], delete: frozenset[int] = frozenset()) -> dict:
    """The meeting page's data with the agenda inline holding `rows` (existing rows with
    their `id`, new ones without); rows whose index is in `delete` are ticked for deletion."""
    data = admin_form_data(response)
    existing = sum(1 for row in rows if "id" in row)
    data.update(management_form("agenda_items", total=len(rows), initial=existing))
    meeting_pk = response.context["original"].pk
    for index, row in enumerate(rows):
        for name, value in {"meeting": meeting_pk, **row}.items():
            data[f"agenda_items-{index}-{name}"] = value
        if index in delete:
            data[f"agenda_items-{index}-DELETE"] = "on"
    return data


def test_agenda_items_added_changed_and_removed_show_on_the_meetings_history(
    nn_staff_client, staff_user, march_meeting, freeze_now
):
    url = change_url(march_meeting)
    response = nn_staff_client.post(
        url,
        agenda_form(
            nn_staff_client.get(url),
            [{"order": 1, "title": "Velkomst", "starts_at": "10.00", "description": ""}],
        ),
    )
    assert response.status_code == 302
    item = march_meeting.agenda_items.get()

    freeze_now(dt.datetime(2027, 3, 2, 15, 10, tzinfo=OSLO))
    row = {"id": item.pk, "order": 1, "title": "Velkomst og kaffi", "starts_at": "10.15"}
    response = nn_staff_client.post(url, agenda_form(nn_staff_client.get(url), [row]))
    assert response.status_code == 302

    freeze_now(dt.datetime(2027, 3, 2, 15, 45, tzinfo=OSLO))
    response = nn_staff_client.post(
        url, agenda_form(nn_staff_client.get(url), [row], delete=frozenset({0}))
    )
    assert response.status_code == 302
    assert not march_meeting.agenda_items.exists()

    response = nn_staff_client.get(history_url(march_meeting))
    rows = history_rows(response)
    agenda = [row for row in rows if row["Objekt"] == "Programpunkt"]
    assert [(row["Dato/tid"], row["Handling"]) for row in agenda] == [
        ("2. mars 2027 kl. 15.45", "Programpunkt «Velkomst og kaffi» fjerna"),
        ("2. mars 2027 kl. 15.10", "Programpunkt «Velkomst og kaffi» endra"),
        ("2. mars 2027 kl. 14.30", "Programpunkt «Velkomst» lagt til"),
    ]
    removed, changed, added = agenda
    assert removed["Endringar"] == ""
    assert set(changed["Endringar"].split(" | ")) == {
        "Tittel: Velkomst → Velkomst og kaffi",
        "Klokkeslett: 10.00 → 10.15",
    }
    assert set(added["Endringar"].split(" | ")) == {
        "Rekkjefølgje: 1",
        "Tittel: Velkomst",
        "Klokkeslett: 10.00",
    }
    assert {row["Endra av"] for row in agenda} == {str(staff_user)}
    # Interleaved with the meeting's own versions (one for each save), newest first.
    moments = [entry.record.history_date for entry in response.context["history_entries"]]
    assert len(moments) == len(rows) == 3 + 4
    assert moments == sorted(moments, reverse=True)


def test_agenda_history_needs_the_agenda_view_permission(
    client, user_factory, march_meeting, agenda_item_factory
):
    from django.contrib.auth.models import Permission

    agenda_item_factory(meeting=march_meeting, title="Velkomst")
    clerk = user_factory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_meeting"))
    sign_in_with_second_factor(client, clerk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    rows = history_rows(client.get(history_url(march_meeting)))
    assert [row["Object"] for row in rows] == ["Oppstartsmøte"]


def test_history_record_page_shows_the_version_readably(nn_staff_client, march_meeting):
    change_in_admin(nn_staff_client, march_meeting, status=Meeting.Status.CANCELLED)
    latest = march_meeting.history.latest()

    response = nn_staff_client.get(record_url(march_meeting, latest))
    content = response.content.decode()
    assert response.status_code == 200
    entry = response.context["history_entry"]
    assert (entry.moment, entry.action, entry.user) == (
        "2. mars 2027 kl. 14.30",
        "Endra",
        latest.history_user,
    )
    assert [(change.label, change.old, change.new) for change in entry.changes] == [
        ("Status", "Planlagt", "Avlyst")
    ]
    assert '<th scope="row">Status</th>' in content
    # The version's values as text, not a form that cannot be saved.
    values = {value.label: value.new for value in response.context["history_values"]}
    assert values["Starttid"] == "9. mars 2027 kl. 10.00"
    assert values["Status"] == "Avlyst"
    assert values["Kapasitet"] == in_language("nn", "(empty)")
    assert values["Send påminningar"] == "Ja"
    assert values["Møteserie"] == str(march_meeting.series)
    assert 'name="title"' not in content
    assert "+00:00" not in content
    assert "None" not in content


def test_the_first_version_page_lists_its_values(nn_staff_client, march_meeting):
    response = nn_staff_client.get(record_url(march_meeting, march_meeting.history.earliest()))
    assert response.context["history_entry"].changes == []
    values = {value.label: value.new for value in response.context["history_values"]}
    assert values["Tittel"] == "Oppstartsmøte"
    assert values["Status"] == "Planlagt"


def test_the_history_list_pages_keep_every_change(
    staff_en_client, march_meeting, agenda_item_factory, freeze_now, monkeypatch
):
    """Three versions of the meeting a page, with the agenda's changes on the page of the
    meeting's versions around them: each change is listed once over all pages."""
    from meetings.admin import MeetingAdmin

    monkeypatch.setattr(MeetingAdmin, "history_list_per_page", 3)
    for day in range(2, 9):
        freeze_now(dt.datetime(2027, 3, day, 9, 0, tzinfo=OSLO))
        march_meeting.theme = f"Tema {day}"
        march_meeting.save()
        if day % 2:
            agenda_item_factory(meeting=march_meeting, title=f"Punkt {day}")

    pages = [
        history_rows(staff_en_client.get(history_url(march_meeting) + f"?p={number}"))
        for number in (1, 2, 3)
    ]
    listed = [row["Action"] for page in pages for row in page]
    assert len(listed) == 8 + 3
    assert sum("Agenda item" in action for action in listed) == 3
    # The oldest version on a page still shows what changed since the one before it.
    assert "Theme: Tema 5 → Tema 6" in pages[0][-1]["Changes"]
    first_page = staff_en_client.get(history_url(march_meeting)).content.decode()
    assert "11 entries" in first_page
