"""Calls for proposals in EU programmes: their rules, the admin with a deadline given in its own
time zone, ideas aiming at calls with the next deadline on the idea's page, programmes followed
into the personal calendar feed, and reminders before the deadlines."""

import datetime as dt
import io
import warnings
from zoneinfo import ZoneInfo

import pytest
import vobject
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from ical.calendar_stream import IcsCalendarStream

from outbox.models import OutboxEmail
from projects import services
from projects.models import Call, CallReminder, EUProgramme, ProgrammeFollow, ProjectIdea
from tests import factories
from tests.helpers import feed_url, validation_errors

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_vobject_time_zones")]

OSLO = ZoneInfo("Europe/Oslo")
BRUSSELS = ZoneInfo("Europe/Brussels")
NOON = dt.datetime(2027, 6, 9, 12, 0, tzinfo=OSLO)
NEED = "Fleire eldre treng betre tenester heime."


def make_call(programme=None, *, deadline, opens_on=None, **fields) -> Call:
    """A call through the service, stored as the admin stores it."""
    call = Call(
        title=fields.pop("title", "Utlysing"),
        programme=programme or factories.EUProgrammeFactory(),
        deadline=deadline.astimezone(dt.UTC),
        deadline_time_zone=fields.pop("deadline_time_zone", "Europe/Brussels"),
        opens_on=opens_on or (deadline - dt.timedelta(days=90)).date(),
        url=fields.pop("url", "https://ec.europa.eu/info/funding-tenders/"),
        **fields,
    )
    return services.call_save(call=call)


@pytest.fixture
def erasmus():
    return factories.EUProgrammeFactory(name="Erasmus+")


@pytest.fixture
def interreg():
    return factories.EUProgrammeFactory(name="Interreg North Sea")


# --- The model's rules ---------------------------------------------------------------------------


def test_a_call_must_open_before_its_deadline(erasmus, freeze_now):
    freeze_now(NOON)
    deadline = dt.datetime(2027, 9, 16, 17, 0, tzinfo=BRUSSELS)
    call = Call(
        title="KA220",
        programme=erasmus,
        opens_on=deadline.date(),
        deadline=deadline,
        url="https://erasmus-plus.ec.europa.eu/",
    )
    assert "opens_on" in validation_errors(call)
    # The database refuses it too, whoever writes past the form.
    call.opens_on = deadline.date() + dt.timedelta(days=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        call.save()


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", ""), ("url", ""), ("deadline_time_zone", "Mars/Olympus_Mons")],
)
def test_the_database_refuses_a_call_without_title_link_or_known_zone(erasmus, field, value):
    deadline = dt.datetime(2027, 9, 16, 17, 0, tzinfo=BRUSSELS)
    call = Call(
        title="KA220",
        programme=erasmus,
        opens_on=dt.date(2027, 5, 1),
        deadline=deadline,
        url="https://erasmus-plus.ec.europa.eu/",
    )
    setattr(call, field, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        call.save()


def test_a_follow_and_a_reminder_are_each_unique(author, erasmus):
    ProgrammeFollow.objects.create(contact_person=author, programme=erasmus)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgrammeFollow.objects.create(contact_person=author, programme=erasmus)
    call = make_call(erasmus, deadline=NOON + dt.timedelta(days=60))
    CallReminder.objects.create(call=call, contact_person=author, days_before=28)
    with pytest.raises(IntegrityError), transaction.atomic():
        CallReminder.objects.create(call=call, contact_person=author, days_before=28)
    with pytest.raises(IntegrityError), transaction.atomic():
        CallReminder.objects.create(call=call, contact_person=author, days_before=3)


def test_the_deadline_reads_in_its_own_zone_and_in_oslo(erasmus):
    call = make_call(
        erasmus,
        deadline=dt.datetime(2027, 9, 16, 12, 0, tzinfo=ZoneInfo("Europe/London")),
        deadline_time_zone="Europe/London",
    )
    call.refresh_from_db()
    assert call.deadline == dt.datetime(2027, 9, 16, 11, 0, tzinfo=dt.UTC)
    assert call.deadline_local.hour == 12
    assert call.deadline_oslo.hour == 13


def test_a_change_calendars_show_raises_the_sequence_and_others_do_not(erasmus):
    call = make_call(erasmus, deadline=NOON + dt.timedelta(days=60))
    assert call.sequence == 0
    call.deadline += dt.timedelta(days=1)
    assert services.call_save(call=call).sequence == 1
    # The same values saved again: nothing a calendar shows changed.
    assert services.call_save(call=Call.objects.get(pk=call.pk)).sequence == 1
    uid = call.calendar_uid
    call.title = "Ny tittel"
    call = services.call_save(call=call)
    assert (call.sequence, call.calendar_uid) == (2, uid)


# --- The admin -----------------------------------------------------------------------------------


def admin_data(programme, **overrides) -> dict:
    data = {
        "title": "KA220-SCH Samarbeidspartnarskap",
        "programme": programme.pk,
        "url": "https://erasmus-plus.ec.europa.eu/",
        "description": "Samarbeid mellom skular.",
        "opens_on": "2027-05-01",
        "deadline_0": "2027-09-16",
        "deadline_1": "17:00:00",
        "deadline_time_zone": "Europe/Brussels",
    }
    data.update(overrides)
    return data


def test_staff_add_a_call_with_a_brussels_deadline(staff_client, erasmus):
    response = staff_client.get(reverse("admin:projects_call_add"))
    assert response.status_code == 200
    assert response.context["adminform"].form["deadline_time_zone"].value() == "Europe/Brussels"

    response = staff_client.post(reverse("admin:projects_call_add"), admin_data(erasmus))
    assert response.status_code == 302, response.context["adminform"].form.errors
    call = Call.objects.get()
    # 17:00 in Brussels in September is 15:00 UTC, 17:00 in Oslo.
    assert call.deadline == dt.datetime(2027, 9, 16, 15, 0, tzinfo=dt.UTC)
    assert call.deadline_time_zone == "Europe/Brussels"
    assert not call.is_example

    # The change page shows the clock time as given, in its zone, and in Oslo time.
    page = staff_client.get(reverse("admin:projects_call_change", args=[call.pk]))
    form = page.context["adminform"].form
    assert form["deadline"].value() == dt.datetime(2027, 9, 16, 17, 0)
    # The Oslo time beside it, in the admin's Nynorsk.
    assert "16. september 2027 kl. 17.00" in page.content.decode()


def test_staff_give_a_deadline_in_london_time(staff_client, erasmus):
    data = admin_data(erasmus, deadline_1="12:00:00", deadline_time_zone="Europe/London")
    assert staff_client.post(reverse("admin:projects_call_add"), data).status_code == 302
    call = Call.objects.get()
    assert call.deadline == dt.datetime(2027, 9, 16, 11, 0, tzinfo=dt.UTC)
    # Saved again unchanged, it stays where it was.
    page = staff_client.get(reverse("admin:projects_call_change", args=[call.pk]))
    assert page.context["adminform"].form["deadline"].value() == dt.datetime(2027, 9, 16, 12, 0)
    response = staff_client.post(reverse("admin:projects_call_change", args=[call.pk]), data)
    assert response.status_code == 302
    call.refresh_from_db()
    assert (call.deadline, call.sequence) == (dt.datetime(2027, 9, 16, 11, 0, tzinfo=dt.UTC), 0)


def test_a_deadline_in_the_hour_that_never_happens_is_refused(staff_client, erasmus):
    # 02:30 on 28 March 2027 does not exist in Brussels: the clocks go from 02:00 to 03:00.
    data = admin_data(erasmus, opens_on="2027-01-04", deadline_0="2027-03-28", deadline_1="02:30")
    response = staff_client.post(reverse("admin:projects_call_add"), data)
    assert response.status_code == 200
    assert "deadline" in response.context["adminform"].form.errors
    assert not Call.objects.exists()


def test_a_deadline_without_a_known_zone_is_not_read_in_oslo_time(staff_client, erasmus):
    """Found by the property test of the admin forms: with the zone refused, the clock time
    reached the model's checks as a naive datetime (Django's RuntimeWarning)."""
    data = admin_data(erasmus, deadline_time_zone="Europe/Atlantis")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        response = staff_client.post(reverse("admin:projects_call_add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "deadline_time_zone" in errors
    assert errors["deadline"] == ["Vel tidssona fristen er gitt i."]
    assert not Call.objects.exists()


def test_an_opening_after_the_deadline_is_an_error_on_the_page(staff_client, erasmus):
    data = admin_data(erasmus, opens_on="2027-10-01")
    response = staff_client.post(reverse("admin:projects_call_add"), data)
    assert response.status_code == 200
    assert "opens_on" in response.context["adminform"].form.errors
    assert not Call.objects.exists()


def test_the_admin_list_shows_the_example_flag(staff_client, erasmus):
    make_call(erasmus, deadline=NOON + dt.timedelta(days=30), is_example=True, title="Døme")
    page = staff_client.get(reverse("admin:projects_call_changelist") + "?is_example__exact=1")
    assert page.status_code == 200
    assert "Døme" in page.content.decode()


# --- Ideas aiming at calls -----------------------------------------------------------------------


def test_the_idea_form_offers_only_open_and_coming_calls(client_for, author, erasmus, freeze_now):
    freeze_now(NOON)
    open_call = make_call(erasmus, deadline=NOON + dt.timedelta(days=20), title="Open")
    coming = make_call(
        erasmus,
        deadline=NOON + dt.timedelta(days=200),
        opens_on=(NOON + dt.timedelta(days=30)).date(),
        title="Coming",
    )
    closed = make_call(erasmus, deadline=NOON - dt.timedelta(days=1), title="Closed")
    client = client_for(author)
    form = client.get(reverse("projects:create")).context["form"]
    assert set(form.fields["calls"].queryset) == {open_call, coming}

    response = client.post(
        reverse("projects:create"),
        {
            "title": "Skuleutveksling",
            "local_need": NEED,
            "stage": "idea",
            "calls": [open_call.pk, coming.pk],
            "partners-TOTAL_FORMS": 0,
            "partners-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302
    idea = ProjectIdea.objects.get()
    assert set(idea.calls.all()) == {open_call, coming}

    # A closed call cannot be chosen by a crafted post.
    response = client.post(
        reverse("projects:edit", args=[idea.pk]),
        {
            "title": "Skuleutveksling",
            "local_need": NEED,
            "stage": "idea",
            "calls": [closed.pk],
            "partners-TOTAL_FORMS": 0,
            "partners-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "calls" in response.context["form"].errors
    assert set(idea.calls.all()) == {open_call, coming}


def test_a_call_that_closed_stays_chosen_in_the_form(client_for, author, erasmus, freeze_now):
    freeze_now(NOON - dt.timedelta(days=30))
    call = make_call(erasmus, deadline=NOON - dt.timedelta(days=1))
    idea = factories.ProjectIdeaFactory(contact_person=author)
    idea.calls.add(call)
    freeze_now(NOON)
    form = client_for(author).get(reverse("projects:edit", args=[idea.pk])).context["form"]
    assert list(form.fields["calls"].queryset) == [call]


def idea_page(client_for, author, idea) -> str:
    response = client_for(author).get(idea.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("now", "deadline", "expected"),
    [
        # An ordinary day: 10 days to 17:00 Brussels time.
        (NOON, dt.datetime(2027, 6, 19, 17, 0, tzinfo=BRUSSELS), "10 days left"),
        (NOON, dt.datetime(2027, 6, 10, 12, 0, tzinfo=BRUSSELS), "1 day left"),
        (NOON, dt.datetime(2027, 6, 9, 17, 0, tzinfo=BRUSSELS), "today"),
        # The night the clocks go forward: 22.5 hours, yet tomorrow in Oslo.
        (
            dt.datetime(2027, 3, 27, 23, 30, tzinfo=OSLO),
            dt.datetime(2027, 3, 28, 23, 0, tzinfo=BRUSSELS),
            "1 day left",
        ),
        # The night the clocks go back: 24.5 hours, still tomorrow.
        (
            dt.datetime(2027, 10, 30, 23, 30, tzinfo=OSLO),
            dt.datetime(2027, 10, 31, 23, 59, tzinfo=BRUSSELS),
            "1 day left",
        ),
        # A minute before midnight in Oslo, a deadline a minute after: tomorrow.
        (
            dt.datetime(2027, 12, 31, 23, 59, tzinfo=OSLO),
            dt.datetime(2028, 1, 1, 0, 1, tzinfo=BRUSSELS),
            "1 day left",
        ),
    ],
)
def test_the_idea_page_shows_the_next_deadline_and_the_days_left(
    client_for, author, erasmus, freeze_now, now, deadline, expected
):
    freeze_now(now - dt.timedelta(days=100))
    past = make_call(erasmus, deadline=now - dt.timedelta(hours=1), title="Førre")
    later = make_call(erasmus, deadline=deadline + dt.timedelta(days=40), title="Seinare")
    nearest = make_call(erasmus, deadline=deadline, title="Næraste")
    idea = factories.ProjectIdeaFactory(contact_person=author)
    idea.calls.add(past, later, nearest)
    freeze_now(now)
    page = idea_page(client_for, author, idea)
    section = page.split("next-deadline")[1].split("</dd>")[0]
    assert expected in section
    assert f"{deadline:%H:%M}" in section
    assert "Brussels time" in section and "Oslo time" in section


def test_the_idea_page_without_a_call_ahead_shows_no_next_deadline(
    client_for, author, erasmus, freeze_now
):
    freeze_now(NOON - dt.timedelta(days=30))
    call = make_call(erasmus, deadline=NOON - dt.timedelta(days=1), is_example=True)
    idea = factories.ProjectIdeaFactory(contact_person=author)
    idea.calls.add(call)
    freeze_now(NOON)
    page = idea_page(client_for, author, idea)
    assert "next-deadline" not in page
    assert call.title in page and ">example<" in page


# --- Following programmes ------------------------------------------------------------------------


FOLLOW = reverse("projects:follow_programmes")


def test_follow_and_unfollow_programmes(client_for, author, erasmus, interreg):
    client = client_for(author)
    page = client.get(FOLLOW)
    assert page.status_code == 200
    response = client.post(FOLLOW, {"programmes": [erasmus.pk, interreg.pk]})
    assert response.status_code == 302
    assert set(author.programme_follows.values_list("programme", flat=True)) == {
        erasmus.pk,
        interreg.pk,
    }
    assert "checked" in client.get(FOLLOW).content.decode()
    client.post(FOLLOW, {"programmes": [interreg.pk]})
    assert list(author.programme_follows.values_list("programme", flat=True)) == [interreg.pk]
    client.post(FOLLOW, {})
    assert not author.programme_follows.exists()


def test_an_unknown_programme_is_a_clear_400_and_changes_nothing(client_for, author, erasmus):
    services.programme_follow(person=author, programme=erasmus)
    response = client_for(author).post(FOLLOW, {"programmes": ["999999", "x"]})
    assert response.status_code == 400
    assert "alert-danger" in response.content.decode()
    assert author.programme_follows.count() == 1


def test_staff_without_a_contact_person_read_but_follow_nothing(staff_client, erasmus):
    assert staff_client.get(FOLLOW).status_code == 200
    assert staff_client.post(FOLLOW, {"programmes": [erasmus.pk]}).status_code == 403
    assert not ProgrammeFollow.objects.exists()


def test_the_profile_links_to_the_follow_page(client_for, author):
    assert FOLLOW in client_for(author).get(reverse("profile")).content.decode()


def test_the_follow_page_lists_calls_ahead_with_the_example_mark(
    client_for, author, erasmus, freeze_now
):
    freeze_now(NOON)
    make_call(erasmus, deadline=NOON + dt.timedelta(days=30), title="Framtidig", is_example=True)
    make_call(erasmus, deadline=NOON - dt.timedelta(days=1), title="Stengd")
    page = client_for(author).get(FOLLOW).content.decode()
    assert "Framtidig" in page and ">example<" in page
    assert "Stengd" not in page


# --- The personal calendar feed ------------------------------------------------------------------


@pytest.fixture
def followed(author, erasmus, interreg, freeze_now):
    """The author follows Erasmus+, which has a call ahead and one of last month; Interreg
    has a call nobody follows."""
    freeze_now(NOON - dt.timedelta(days=60))
    ahead = make_call(erasmus, deadline=dt.datetime(2027, 9, 16, 17, 0, tzinfo=BRUSSELS))
    recent = make_call(erasmus, deadline=NOON - dt.timedelta(days=30), title="Førre månad")
    other = make_call(interreg, deadline=dt.datetime(2027, 9, 20, 15, 0, tzinfo=BRUSSELS))
    freeze_now(NOON)
    services.programme_follow(person=author, programme=erasmus)
    return {"ahead": ahead, "recent": recent, "other": other}


def test_the_feed_holds_the_deadlines_of_followed_programmes_only(
    client, author, followed, ics_events
):
    body = client.get(feed_url(author)).content
    events = ics_events(body)
    assert set(events) == {followed["ahead"].calendar_uid, followed["recent"].calendar_uid}
    event = events[followed["ahead"].calendar_uid]
    # Written in Oslo time like every entry: 17:00 in Brussels is 17:00 in Oslo.
    assert event.decoded("DTEND") == dt.datetime(2027, 9, 16, 17, 0, tzinfo=OSLO)
    assert event.decoded("DTEND").astimezone(dt.UTC).hour == 15
    assert event.decoded("SEQUENCE") == 0
    assert "DTSTAMP" in event and "LAST-MODIFIED" in event
    assert event["URL"] == followed["ahead"].url


def test_the_feed_with_calls_passes_both_strict_parsers(client, author, followed, ics_events):
    body = client.get(feed_url(author)).content.decode()
    calendar = IcsCalendarStream.calendar_from_ics(body)
    assert len(calendar.events) == 2
    for event in calendar.events:
        assert event.dtstamp.tzinfo is not None
        assert event.end > event.start
        assert event.sequence == 0
        assert event.last_modified is not None
    (parsed,) = list(vobject.readComponents(body, validate=True))
    assert parsed.validate(raiseException=True)
    expected = ics_events(body)
    for event in parsed.vevent_list:
        assert event.dtend.value == expected[event.uid.value].decoded("DTEND")
        assert event.summary.value == str(expected[event.uid.value]["SUMMARY"])


def test_the_feed_speaks_the_persons_language(client, author, followed, ics_events):
    author.preferred_language = "nn"
    author.save(update_fields=["preferred_language"])
    events = ics_events(client.get(feed_url(author)).content)
    summary = str(events[followed["ahead"].calendar_uid]["SUMMARY"])
    assert summary.startswith("Frist:")


def test_a_changed_call_gives_a_new_feed_with_a_higher_sequence(
    client, author, followed, ics_events, freeze_now
):
    first = client.get(feed_url(author))
    call = Call.objects.get(pk=followed["ahead"].pk)
    freeze_now(NOON + dt.timedelta(minutes=5))
    call.deadline += dt.timedelta(days=7)
    services.call_save(call=call)
    second = client.get(feed_url(author), headers={"if-none-match": first["ETag"]})
    assert second.status_code == 200
    event = ics_events(second.content)[call.calendar_uid]
    assert event.decoded("SEQUENCE") == 1
    assert event.decoded("LAST-MODIFIED") > ics_events(first.content)[call.calendar_uid].decoded(
        "LAST-MODIFIED"
    )


@pytest.mark.parametrize(
    "change",
    ["follow", "unfollow", "new call", "deleted call", "other programme's call changed"],
)
def test_a_change_of_follows_or_calls_changes_the_feed_only_when_it_should(
    client, author, erasmus, interreg, followed, freeze_now, change
):
    first = client.get(feed_url(author))["ETag"]
    freeze_now(NOON + dt.timedelta(minutes=5))
    if change == "follow":
        services.programme_follow(person=author, programme=interreg)
    elif change == "unfollow":
        services.programme_unfollow(person=author, programme=erasmus)
    elif change == "new call":
        make_call(erasmus, deadline=NOON + dt.timedelta(days=100), title="Ny")
    elif change == "deleted call":
        services.call_delete(call=followed["ahead"])
    else:
        other = Call.objects.get(pk=followed["other"].pk)
        other.title = "Endra"
        services.call_save(call=other)
    second = client.get(feed_url(author), headers={"if-none-match": first})
    if change == "other programme's call changed":
        assert second.status_code == 304
    else:
        assert second.status_code == 200
        assert second["ETag"] != first


def test_a_304_with_followed_calls_still_costs_two_queries(
    client, author, followed, django_assert_num_queries
):
    etag = client.get(feed_url(author))["ETag"]
    with django_assert_num_queries(2):
        response = client.get(feed_url(author), headers={"if-none-match": etag})
    assert response.status_code == 304


def test_calls_older_than_a_year_leave_the_feed(client, author, erasmus, freeze_now, ics_events):
    freeze_now(NOON - dt.timedelta(days=500))
    old = make_call(erasmus, deadline=NOON - dt.timedelta(days=400), title="Gamal")
    freeze_now(NOON)
    services.programme_follow(person=author, programme=erasmus)
    assert old.calendar_uid not in ics_events(client.get(feed_url(author)).content)


# --- Reminders -----------------------------------------------------------------------------------


DEADLINE = dt.datetime(2027, 9, 16, 17, 0, tzinfo=BRUSSELS)


@pytest.fixture
def aimed(author, erasmus, freeze_now):
    """An idea of the author (who reads Bokmål) aiming at a call that closes on DEADLINE."""
    freeze_now(NOON)
    author.preferred_language = "nb"
    author.save(update_fields=["preferred_language"])
    call = make_call(erasmus, deadline=DEADLINE, title="KA220")
    idea = factories.ProjectIdeaFactory(contact_person=author, title="Skuleutveksling")
    idea.calls.add(call)
    return call


def reminders() -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(kind="project.call_reminder").order_by("pk"))


def test_reminders_four_weeks_and_one_week_before_each_once(aimed, author, freeze_now):
    freeze_now(DEADLINE - dt.timedelta(days=29))
    assert services.call_reminders_send()["call_reminder"] == 0

    freeze_now(DEADLINE - dt.timedelta(days=28) + dt.timedelta(minutes=30))
    assert services.call_reminders_send()["call_reminder"] == 1
    assert services.call_reminders_send()["call_reminder"] == 0
    (first,) = reminders()
    assert first.to == author.email
    # In the author's language, Bokmål, with the days left and the idea.
    assert "28 dager" in first.subject
    assert "Skuleutveksling" in first.body

    freeze_now(DEADLINE - dt.timedelta(days=10))
    assert services.call_reminders_send()["call_reminder"] == 0

    freeze_now(DEADLINE - dt.timedelta(days=7) + dt.timedelta(hours=1))
    assert services.call_reminders_send()["call_reminder"] == 1
    assert services.call_reminders_send()["call_reminder"] == 0
    assert len(reminders()) == 2
    assert sorted(CallReminder.objects.values_list("days_before", flat=True)) == [7, 28]

    freeze_now(DEADLINE + dt.timedelta(hours=1))
    assert services.call_reminders_send()["call_reminder"] == 0
    assert len(reminders()) == 2


def test_a_job_that_was_down_sends_only_the_latest_reminder(aimed, freeze_now):
    freeze_now(DEADLINE - dt.timedelta(days=5))
    assert services.call_reminders_send()["call_reminder"] == 1
    assert list(CallReminder.objects.values_list("days_before", flat=True)) == [7]
    assert services.call_reminders_send()["call_reminder"] == 0


def test_one_reminder_for_two_ideas_aiming_at_the_same_call(aimed, author, freeze_now):
    other = factories.ProjectIdeaFactory(contact_person=author, title="Ungdomsutveksling")
    other.calls.add(aimed)
    freeze_now(DEADLINE - dt.timedelta(days=7))
    services.call_reminders_send()
    (reminder,) = reminders()
    assert "Skuleutveksling" in reminder.body and "Ungdomsutveksling" in reminder.body


def test_no_reminder_for_a_submitted_idea_or_an_inactive_person(aimed, author, freeze_now):
    ProjectIdea.objects.update(stage=ProjectIdea.Stage.SUBMITTED)
    freeze_now(DEADLINE - dt.timedelta(days=7))
    assert services.call_reminders_send()["call_reminder"] == 0
    ProjectIdea.objects.update(stage=ProjectIdea.Stage.APPLICATION)
    author.is_active = False
    author.save(update_fields=["is_active"])
    assert services.call_reminders_send()["call_reminder"] == 0


def test_send_reminders_runs_the_call_reminders_once(aimed, freeze_now):
    freeze_now(DEADLINE - dt.timedelta(days=7))
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    assert "call_reminder 1" in out.getvalue()
    call_command("send_reminders", stdout=io.StringIO())
    call_command("send_call_reminders", stdout=(out := io.StringIO()))
    assert "Call reminders queued: 0." in out.getvalue()
    assert len(reminders()) == 1


# --- Demo data -----------------------------------------------------------------------------------


def test_seed_demo_holds_example_calls_aimed_at_and_followed(freeze_now):
    from network_portal.demo import seed_demo

    freeze_now(NOON)
    counts = seed_demo()
    assert counts["calls for proposals"] >= 5
    calls = Call.objects.select_related("programme")
    assert all(call.is_example for call in calls)
    assert all(call.deadline > NOON for call in calls)
    assert {call.programme.name for call in calls} >= {
        "Erasmus+",
        "Interreg North Sea",
        "Horizon Europe",
        "CERV",
    }
    assert ProjectIdea.objects.filter(calls__isnull=False).exists()
    assert ProgrammeFollow.objects.exists()
    # Again: nothing new, nothing changed.
    before = list(Call.objects.order_by("pk").values("pk", "updated_at", "sequence"))
    seed_demo()
    assert list(Call.objects.order_by("pk").values("pk", "updated_at", "sequence")) == before
    assert EUProgramme.objects.filter(name="Erasmus+").count() == 1


# --- Personal data ---------------------------------------------------------------------------


def test_the_followed_programmes_are_in_the_export_and_go_with_anonymisation(author, erasmus):
    from members.privacy import contact_person_anonymise, personal_data_export

    services.programme_follow(person=author, programme=erasmus)
    data = personal_data_export(user=author.user)
    assert [f["programme"] for f in data["followed_programmes"]] == ["Erasmus+"]
    # The retention rule anonymises people without an account.
    former = factories.ContactPersonFactory()
    services.programme_follow(person=former, programme=erasmus)
    assert contact_person_anonymise(person=former)
    assert list(ProgrammeFollow.objects.values_list("contact_person", flat=True)) == [author.pk]
