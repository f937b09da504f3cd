"""The seed_demo command: the network as the founding invitation of 2018 describes it."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.contrib.sites.models import Site
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from meetings.models import DatePollAnswer, Meeting, MeetingSeries, Registration
from members.models import ContactPerson, EmailDomain, Municipality, User
from network_portal import demo
from tests.helpers import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture
def seed(settings):
    settings.DEBUG = True

    def run(*args) -> str:
        out = StringIO()
        call_command("seed_demo", *args, stdout=out)
        return out.getvalue()

    return run


@pytest.fixture
def seeded(seed):
    seed()


def project_models():
    for app_label in ("members", "meetings", "projects", "account", "auth", "sites"):
        yield from apps.get_app_config(app_label).get_models()


def model_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in project_models()}


def series_2018() -> MeetingSeries:
    return MeetingSeries.objects.get(year=2018)


# --- The register of municipalities ----------------------------------------------------------


def test_33_municipalities_of_2018_and_5_made_by_the_2020_mergers(seeded):
    assert Municipality.objects.count() == 33 + 5
    assert EmailDomain.objects.count() == 33
    # Every domain is with a municipality that exists today.
    assert not Municipality.objects.current().filter(email_domains__isnull=True).exists()
    bergen = Municipality.objects.get(number="1201")
    assert bergen.name == "Bergen"
    assert bergen.county == "Hordaland"
    assert [d.domain for d in bergen.email_domains.all()] == ["bergen.kommune.no"]
    assert EmailDomain.objects.get(domain="bomlo.kommune.no").municipality.name == "Bømlo"


def test_seeded_data_passes_model_validation(seeded):
    for model in (Municipality, EmailDomain, ContactPerson, MeetingSeries, Meeting, Registration):
        for obj in model.objects.all():
            obj.full_clean()


def test_founding_members(seeded):
    members = Municipality.objects.network_members().filter(valid_from__isnull=True)
    assert set(members.values_list("number", flat=True)) == demo.FOUNDING_MEMBERS
    assert set(members.values_list("member_since", flat=True)) == {dt.date(2018, 3, 7)}


MERGERS_2020 = {
    "4618": ("Ullensvang", {"1227", "1228", "1231"}),
    "4621": ("Voss", {"1234", "1235"}),
    "4624": ("Bjørnafjorden", {"1241", "1243"}),
    "4626": ("Øygarden", {"1245", "1246", "1259"}),
    "4631": ("Alver", {"1256", "1260", "1263"}),
}


def test_the_mergers_of_2020(seeded):
    for number, (name, old_numbers) in MERGERS_2020.items():
        new = Municipality.objects.get(number=number)
        assert (new.name, new.county, new.valid_from) == (name, "Vestland", dt.date(2020, 1, 1))
        assert set(new.predecessors.values_list("number", flat=True)) == old_numbers
        assert set(new.predecessors.values_list("valid_to", flat=True)) == {dt.date(2019, 12, 31)}
    # Fjell and Voss were founding members, so Øygarden and the new Voss are members.
    assert Municipality.objects.get(number="4626").member_since == dt.date(2020, 1, 1)
    assert Municipality.objects.get(number="4631").member_since == dt.date(2020, 1, 1)
    assert Municipality.objects.get(number="4624").member_since == dt.date(2020, 1, 1)
    assert Municipality.objects.get(number="4618").member_since is None
    assert EmailDomain.objects.get(domain="fjell.kommune.no").municipality.number == "4626"


def test_the_data_file_names_its_source():
    import json

    data = json.loads(demo.MERGERS_FILE.read_text(encoding="utf-8"))
    assert "Standard for kommuneinndeling" in data["source"]
    assert "Kommunal- og moderniseringsdepartementet" in data["source"]
    numbers = dict(demo.MUNICIPALITIES_2018)
    for merger in data["mergers"]:
        assert all(number in numbers for number in merger["from"])


def test_the_overview_shows_both_eras(seeded, staff_en_client):
    then = staff_en_client.get(reverse("meetings:overview"), {"series": series_2018().pk})
    rows = {row.municipality.number for row in then.context["overview"].rows}
    assert "1246" in rows and "4626" not in rows
    coming = MeetingSeries.objects.exclude(year=2018).get()
    later = staff_en_client.get(reverse("meetings:overview"), {"series": coming.pk})
    rows = {row.municipality.number for row in later.context["overview"].rows}
    assert "4626" in rows and "1246" not in rows
    assert "formerly Fjell, Sund, Øygarden" in later.content.decode()


# --- The 2018 series ---------------------------------------------------------------------------


def test_first_meeting_2018(seeded):
    meeting = Meeting.objects.get(series=series_2018(), kind=Meeting.Kind.KICKOFF)
    assert meeting.status == Meeting.Status.HELD
    assert timezone.localtime(meeting.starts_at) == dt.datetime(2018, 3, 7, 10, 0, tzinfo=OSLO)
    assert timezone.localtime(meeting.ends_at) == dt.datetime(2018, 3, 7, 13, 30, tzinfo=OSLO)
    assert meeting.venue_name == "Fylkeshuset"
    assert meeting.venue_address.startswith("Agnes Mowinckels gate 5")
    deadline = timezone.localtime(meeting.registration_deadline)
    assert deadline.date() == dt.date(2018, 3, 5)
    assert meeting.agenda_items.count() == 3
    assert [item.order for item in meeting.agenda_items.all()] == [1, 2, 3]


def test_meetings_2_and_3_of_2018_are_tentative(seeded):
    meetings = list(Meeting.objects.filter(series=series_2018()).chronological())
    assert len(meetings) == 3
    second, third = meetings[1:]
    assert (second.status, second.tentative_period, second.starts_at) == ("tentative", "juni", None)
    assert (third.status, third.tentative_period, third.starts_at) == (
        "tentative",
        "haust/vinter",
        None,
    )


def test_2018_meetings_are_in_the_past(seeded):
    upcoming = Meeting.objects.upcoming().filter(series=series_2018())
    assert not upcoming.exists()


def test_first_meeting_has_registrations(seeded):
    meeting = Meeting.objects.get(series=series_2018(), kind=Meeting.Kind.KICKOFF)
    assert meeting.registrations.count() == 4


# --- The coming year ---------------------------------------------------------------------------


def test_coming_year_series_has_an_open_scheduled_meeting(seeded):
    year = timezone.localdate().year + 1
    series = MeetingSeries.objects.get(year=year)
    meetings = Meeting.objects.filter(series=series)
    assert meetings.count() == 3
    open_meetings = [m for m in meetings if m.registration_is_open()]
    assert open_meetings
    assert all(m.status == Meeting.Status.SCHEDULED for m in open_meetings)
    assert set(Meeting.objects.upcoming().filter(series=series)) == set(meetings)


def test_seeded_site_pages_render(seeded, en_client):
    assert en_client.get("/").status_code == 200
    assert en_client.get("/meetings/").status_code == 200
    for meeting in Meeting.objects.all():
        response = en_client.get(meeting.get_absolute_url())
        assert response.status_code == 200, meeting.slug


# --- Idempotence ------------------------------------------------------------------------------


def test_running_twice_duplicates_nothing(seed):
    seed()
    first = model_counts()
    seed()
    assert model_counts() == first
    assert first["members.Municipality"] == 33 + 5
    assert first["members.EmailDomain"] == 33
    assert first["meetings.MeetingSeries"] == 2
    assert first["meetings.Meeting"] == 6
    assert first["meetings.AgendaItem"] == 6
    # Each meeting's reminder schedule: 14, 7 and 2 days before the deadline.
    assert first["meetings.MeetingReminder"] == 6 * 3
    assert first["members.ContactPerson"] == len(demo.DEMO_PEOPLE)


def test_running_twice_keeps_sequences(seed):
    seed()
    before = dict(Meeting.objects.values_list("slug", "sequence"))
    seed()
    assert dict(Meeting.objects.values_list("slug", "sequence")) == before


def test_command_output(seed):
    output = seed()
    assert "Demo data ready: 38 municipalities" in output
    assert demo.STAFF_EMAIL in output


def test_site_domain_follows_site_url(seed, settings):
    settings.SITE_URL = "https://portal.example.org"
    seed()
    site = Site.objects.get(pk=settings.SITE_ID)
    assert site.domain == "portal.example.org"


# --- Demo accounts -----------------------------------------------------------------------------


def test_staff_user_can_sign_in_and_is_county_staff(seeded, client):
    user = authenticate(email=demo.STAFF_EMAIL, password=demo.STAFF_PASSWORD)
    assert user is not None
    assert user.is_staff
    assert not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["County staff"]
    assert EmailAddress.objects.filter(user=user, email=demo.STAFF_EMAIL, verified=True).exists()
    # With the second factor the admin asks of staff (set up at their first visit).
    sign_in_with_second_factor(client, user)
    assert client.get(reverse("admin:meetings_meeting_changelist")).status_code == 200


def test_staff_user_can_sign_in_on_the_login_page(seeded, client):
    response = client.post(
        reverse("account_login"), {"login": demo.STAFF_EMAIL, "password": demo.STAFF_PASSWORD}
    )
    assert response.status_code == 302
    # The demo staff account has no authenticator: the admin asks them to set one up.
    admin = client.get(reverse("admin:index"), follow=True)
    assert admin.redirect_chain[-2][0] == reverse("mfa_activate_totp")


def test_second_run_keeps_a_changed_staff_password(seed):
    seed()
    staff = User.objects.get(email=demo.STAFF_EMAIL)
    staff.set_password("a-new-password-of-my-own")
    staff.save()
    seed()
    staff.refresh_from_db()
    assert staff.check_password("a-new-password-of-my-own")
    assert Group.objects.get(name="County staff").user_set.filter(pk=staff.pk).exists()


def test_demo_people_have_verified_accounts_linked_to_their_municipality(seeded):
    for name, local_part, number, _sector, _role in demo.DEMO_PEOPLE:
        person = ContactPerson.objects.get(name=name)
        # Lars Myklebust of Fjell moved with the merger to Øygarden.
        assert person.municipality.number == {"1246": "4626", "1235": "4621"}.get(number, number)
        assert person.email.startswith(f"{local_part}@")
        assert person.user.check_password(demo.MEMBER_PASSWORD)
        assert EmailAddress.objects.get(user=person.user).verified


# --- Refusal with DEBUG off -------------------------------------------------------------------


def test_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=StringIO())
    assert not Municipality.objects.exists()
    assert not Meeting.objects.exists()


def test_force_runs_with_debug_off(settings):
    settings.DEBUG = False
    call_command("seed_demo", "--force", stdout=StringIO())
    assert Municipality.objects.count() == 38


def test_seeding_sends_no_email(seed, mailoutbox, django_capture_on_commit_callbacks):
    # The demo people have addresses at real municipal domains.
    with django_capture_on_commit_callbacks(execute=True):
        seed()
        seed()
    assert mailoutbox == []


def test_the_coming_june_meeting_has_an_open_date_poll(seeded):
    year = timezone.localdate().year + 1
    june = Meeting.objects.get(slug=f"{year}-2-juni")
    assert (june.status, june.tentative_period, june.starts_at) == ("tentative", "juni", None)
    poll = june.date_poll
    assert poll.is_open()
    assert [timezone.localtime(c.starts_at).day for c in poll.candidates.order_by("starts_at")] == [
        8,
        9,
        10,
    ]
    assert DatePollAnswer.objects.filter(candidate__poll=poll).exists()


def test_a_picked_june_date_survives_a_second_run(seed):
    from meetings import polls

    seed()
    year = timezone.localdate().year + 1
    poll = Meeting.objects.get(slug=f"{year}-2-juni").date_poll
    polls.poll_pick(poll=poll, candidate=poll.candidates.order_by("starts_at").first())
    seed()
    june = Meeting.objects.get(slug=f"{year}-2-juni")
    assert june.status == Meeting.Status.SCHEDULED
    assert timezone.localtime(june.starts_at).day == 8
