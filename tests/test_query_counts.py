"""The member-facing pages at two data sizes: the same number of queries for 5 and for 50
colleagues, meetings, registrations and ideas, and lists that stay bounded as data grows.

Each test renders its page once to settle the session and the contact person link, then at
the small size and at the large size under `django_assert_num_queries` with the same pinned
number. The numbers are in each test's comment, query by query, so a change shows which
query it adds."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting, Registration
from projects.models import EuropeanPartner
from tests import factories

pytestmark = pytest.mark.django_db

SMALL, LARGE = 5, 50
# Every HTML page's footer names the network owner: one query while the cache is empty, which
# each counted request starts with, and none once any page has read it.
FOOTER = 1


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def at_both_sizes(django_assert_num_queries):
    """`at_both_sizes(client, url, grow, queries)`: GET `url` at the small size, call
    `grow(LARGE)`, GET it again; both under the same pinned query count. `grow(SMALL)` is
    called first. Returns the page at the large size. Each counted request starts with an
    empty cache, so the count is what the page costs when nothing of it was cached yet."""

    def check(client, url, grow, queries):
        grow(SMALL)
        client.get(url)  # the session and the contact person link settle
        cache.clear()
        with django_assert_num_queries(queries):
            small = client.get(url)
        grow(LARGE)
        cache.clear()
        with django_assert_num_queries(queries):
            large = client.get(url)
        html(small)
        return html(large)

    return check


def grower(make_one):
    """A `grow(n)` that calls `make_one(i)` until it has been called n times in all."""
    made = []

    def grow(n):
        while len(made) < n:
            made.append(make_one(len(made)))

    return grow


def options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S)
    assert select, f"no select named {name}"
    return re.findall(r"<option ", select.group(0))


@pytest.fixture
def bergen():
    return factories.MunicipalityFactory(name="Bergen", number="4601")


@pytest.fixture
def member(bergen):
    return factories.LinkedContactPersonFactory(name="Mia Medlem", municipality=bergen)


@pytest.fixture
def coordinator(bergen):
    return factories.LinkedContactPersonFactory(
        name="Kari Koordinator", municipality=bergen, coordinator=True
    )


@pytest.fixture
def meeting():
    return factories.MeetingFactory(capacity=500)


def past_meeting(i: int, **kwargs) -> Meeting:
    starts_at = timezone.now() - dt.timedelta(days=30 + i)
    return factories.MeetingFactory(
        status=Meeting.Status.HELD,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=3),
        registration_deadline=starts_at - dt.timedelta(days=2),
        **kwargs,
    )


# --- /meetings/ -------------------------------------------------------------------------------


def test_meeting_list(en_client, at_both_sizes):
    def past_with_registrations(i):
        held = past_meeting(i)
        factories.RegistrationFactory.create_batch(3, meeting=held)
        return held

    grow_past = grower(past_with_registrations)
    grow_upcoming = grower(lambda i: factories.MeetingFactory(capacity=30))

    def grow(n):
        grow_past(n)
        grow_upcoming(n // 5)

    # Upcoming meetings with their seat counts; the number of past meetings; a page of them.
    large = at_both_sizes(en_client, reverse("meetings:list"), grow, FOOTER + 3)
    assert large.count('href="/meetings/mote-') == LARGE // 5 + 20
    assert '<nav aria-label="Past meetings, pages">' in large
    assert 'href="?page=2#past-heading"' in large


def test_meeting_list_second_page_and_bad_pages(client):
    for i in range(25):
        past_meeting(i)
    second = html(client.get(reverse("meetings:list"), {"page": 2}))
    assert second.count('href="/meetings/mote-') == 5
    assert client.get(reverse("meetings:list"), {"page": 9}).status_code == 404
    assert client.get(reverse("meetings:list"), {"page": "x"}).status_code == 404


# --- the meeting page and the registration form ----------------------------------------------


def registered_colleague(meeting, municipality):
    def make(i):
        colleague = factories.ContactPersonFactory(municipality=municipality)
        if i % 2 == 0:
            factories.RegistrationFactory(meeting=meeting, contact_person=colleague)
        # Registrations of other municipalities are not the visitor's concern.
        factories.RegistrationFactory(meeting=meeting)
        return colleague

    return grower(make)


def test_meeting_page_as_member(client_for, member, meeting, at_both_sizes):
    factories.RegistrationFactory(meeting=meeting, contact_person=member)
    grow = registered_colleague(meeting, member.municipality)
    # session, user, contact person, meeting with seat counts, agenda, presented ideas,
    # materials, whether the member presents (may upload), registrations (own).
    large = at_both_sizes(client_for(member), meeting.get_absolute_url(), grow, FOOTER + 9)
    assert "Colleagues you have registered" not in large


@pytest.mark.parametrize("page", ["detail", "register"])
def test_meeting_page_as_coordinator(client_for, coordinator, meeting, at_both_sizes, page):
    grow = registered_colleague(meeting, coordinator.municipality)
    url = reverse(f"meetings:{page}", kwargs={"slug": meeting.slug})
    # session, user, contact person, meeting with seat counts, agenda, presented ideas,
    # materials, whether the coordinator presents (may upload), registrations (own and
    # colleagues'), the municipality's ideas, colleagues to pick, the municipality's e-mail
    # domains (new colleagues' addresses); the registration form also checks that the e-mail
    # address is verified.
    queries = FOOTER + {"detail": 12, "register": 13}[page]
    large = at_both_sizes(client_for(coordinator), url, grow, queries)
    assert large.count("Cancel for ") == LARGE // 2
    # Yourself and at most 20 colleagues; a search finds the others.
    assert len(options(large, "participant")) <= 21


def test_registration_edit_as_coordinator(client_for, coordinator, meeting, at_both_sizes):
    colleague = factories.ContactPersonFactory(municipality=coordinator.municipality)
    registration = factories.RegistrationFactory(meeting=meeting, contact_person=colleague)
    grow = registered_colleague(meeting, coordinator.municipality)
    url = reverse("meetings:registration_edit", kwargs={"pk": registration.pk})
    # session, user, contact person, the registration with meeting and series, its
    # presentations, the municipality's ideas.
    at_both_sizes(client_for(coordinator), url, grow, FOOTER + 6)


def test_project_identification_meeting_bounds_ideas_seeking_partners(
    client_for, member, at_both_sizes
):
    june = factories.MeetingFactory(kind=Meeting.Kind.PROJECT_IDENTIFICATION)
    sectors = ["health_care", "business", "climate_environment"]

    def idea(i):
        author = factories.ContactPersonFactory()
        return factories.ProjectIdeaFactory(
            contact_person=author,
            stage="seeking_partners",
            sectors=[sectors[i % 3], sectors[(i + 1) % 3]],
        )

    # session, user, meeting with seat counts, agenda, contact person, ideas seeking partners:
    # the ideas' version, their number per sector and the first few of each, registrations
    # (own), presented ideas, materials, whether the member presents (may upload), the
    # municipality's ideas for the registration form.
    large = at_both_sizes(client_for(member), june.get_absolute_url(), grower(idea), FOOTER + 13)
    seeking = large.split('id="seeking-heading"')[1].split("</section>")[0]
    assert seeking.count('href="/projects/') <= 3 * 5 + 3
    assert "sector=health_care&amp;seeking_partners=on" in seeking
    assert "See all " in seeking


# --- projects ---------------------------------------------------------------------------------


def idea_with_neighbours(programme):
    def make(i):
        author = factories.ContactPersonFactory()
        idea = factories.ProjectIdeaFactory(
            contact_person=author, sectors=["health_care"], programmes=[programme]
        )
        factories.InterestFactory(idea=idea)
        return idea

    return make


@pytest.fixture
def programme():
    from projects.models import EUProgramme

    return EUProgramme.objects.get_or_create(name="Interreg")[0]


def test_idea_list(client_for, member, programme, at_both_sizes):
    # session, user, the number of ideas, contact person, permissions (user's and groups'),
    # the filter's programmes and municipalities, a page of ideas, their sectors and their
    # programmes.
    at_both_sizes(
        client_for(member),
        reverse("projects:list"),
        grower(idea_with_neighbours(programme)),
        FOOTER + 11,
    )


def test_idea_page(client_for, member, programme, at_both_sizes):
    idea = factories.ProjectIdeaFactory(
        contact_person=member, sectors=["health_care"], programmes=[programme]
    )

    def neighbour(i):
        other = idea_with_neighbours(programme)(i)
        factories.InterestFactory(idea=idea)
        EuropeanPartner.objects.create(idea=idea, organisation=f"Partnar {i}", country="Danmark")
        return other

    # session, user, contact person, idea, sectors, programmes, partner municipalities,
    # European partners, stage changes, interests, calls aimed at, presented at, the ideas'
    # version, suggestions (3).
    at_both_sizes(client_for(member), idea.get_absolute_url(), grower(neighbour), FOOTER + 16)


def test_idea_page_with_calls(client_for, member, programme, at_both_sizes):
    idea = factories.ProjectIdeaFactory(contact_person=member, programmes=[programme])

    def aim(i):
        call = factories.CallFactory(
            programme=factories.EUProgrammeFactory(name=f"Programme {i % 7}"),
            is_example=bool(i % 2),
        )
        idea.calls.add(call)
        return call

    # As the idea page above, with calls aimed at and their programmes in one query; no
    # neighbours, so the suggestions' query finds none (1).
    page = at_both_sizes(client_for(member), idea.get_absolute_url(), grower(aim), FOOTER + 14)
    assert page.count(">example<") == LARGE // 2
    assert "next-deadline" in page


def test_follow_programmes_page(client_for, member, at_both_sizes):
    def grow_one(i):
        programme = factories.EUProgrammeFactory(name=f"Programme {i}")
        factories.CallFactory(programme=programme)
        factories.CallFactory(programme=programme, deadline=timezone.now() - dt.timedelta(days=1))
        if i % 2:
            factories.ProgrammeFollowFactory(contact_person=member, programme=programme)
        return programme

    # session, user, contact person, the person's follows, the programmes, their calls ahead.
    page = at_both_sizes(
        client_for(member), reverse("projects:follow_programmes"), grower(grow_one), FOOTER + 6
    )
    assert page.count(" checked") == LARGE // 2


def test_municipality_page(client_for, member, bergen, at_both_sizes):
    def grow_one(i):
        person = factories.ContactPersonFactory(municipality=bergen)
        factories.ProjectIdeaFactory(contact_person=person)
        factories.RegistrationFactory(contact_person=person, meeting=past_meeting(i))
        # Municipalities merged into Bergen: listed on its page in one query.
        factories.MunicipalityFactory(successor=bergen)
        return person

    url = reverse("projects:municipality", kwargs={"number": bergen.number})
    # session, user, the viewer's contact person, municipality (with its successor), the
    # latest ideas, their sectors, their programmes, the latest meetings, the number of
    # people, a page of people, the predecessors.
    large = at_both_sizes(client_for(member), url, grower(grow_one), FOOTER + 11)
    people = large.split('id="people-heading"')[1].split("</section>")[0]
    assert people.count("mailto:") <= 20
    ideas = large.split('id="ideas-heading"')[1].split("</section>")[0]
    assert ideas.count("idea-card") <= 10
    assert f"municipality={bergen.pk}" in ideas


# --- the member's own pages -------------------------------------------------------------------


def test_profile(client_for, member, meeting, at_both_sizes):
    def grow_one(i):
        factories.RegistrationFactory(contact_person=member, meeting=past_meeting(i))
        return factories.ContactPersonFactory(municipality=member.municipality)

    # session, user, contact person, authenticators (two-factor).
    at_both_sizes(client_for(member), reverse("profile"), grower(grow_one), FOOTER + 4)


def test_my_meetings(client_for, member, at_both_sizes):
    def grow_one(i):
        factories.RegistrationFactory(contact_person=member, meeting=past_meeting(i))
        if i % 5 == 0:
            factories.RegistrationFactory(contact_person=member)  # ahead
        return i

    # session, user, contact person, upcoming registrations, the number of earlier ones, a
    # page of earlier ones.
    large = at_both_sizes(client_for(member), reverse("my_meetings"), grower(grow_one), FOOTER + 6)
    earlier = large.split('id="past-heading"')[1].split("</section>")[0]
    assert earlier.count('href="/meetings/') <= 20
    assert "?page=2" in earlier


# --- the participation overview (county staff) -----------------------------------------------


def test_participation_overview(staff_client, at_both_sizes):
    series = factories.MeetingSeriesFactory()

    def grow_one(i):
        municipality = factories.MunicipalityFactory()
        if i % 5 == 0:
            factories.MeetingFactory(series=series)
        for meeting in Meeting.objects.filter(series=series)[:3]:
            factories.RegistrationFactory(
                meeting=meeting,
                contact_person__municipality=municipality,
                status=Registration.Status.CONFIRMED,
            )
        # A merged predecessor with a registration: a row marked with its successor, and
        # the successor's row marked with it.
        predecessor = factories.MunicipalityFactory(successor=municipality)
        factories.RegistrationFactory(
            meeting=Meeting.objects.filter(series=series).first(),
            contact_person__municipality=predecessor,
        )
        return municipality

    # session, user, second factor, permissions (user's and groups'), series, meetings,
    # matrix, "cannot attend" answers, municipalities with their successors, their
    # predecessors.
    at_both_sizes(staff_client, reverse("meetings:overview"), grower(grow_one), FOOTER + 11)


def test_participation_overview_is_bounded(staff_en_client, monkeypatch):
    """A page of municipalities in the table, with totals over them all, and the chart's
    municipalities with the most registrations."""
    monkeypatch.setattr("meetings.views.OVERVIEW_ROWS_PER_PAGE", 5)
    monkeypatch.setattr("meetings.selectors.OVERVIEW_CHART_BARS", 4)
    meeting = factories.MeetingFactory(capacity=500)
    for i in range(12):
        municipality = factories.MunicipalityFactory(name=f"Kommune {i:02d}")
        factories.RegistrationFactory.create_batch(
            i + 1, meeting=meeting, contact_person__municipality=municipality
        )
    url = reverse("meetings:overview")

    first = html(staff_en_client.get(url))
    rows = re.findall(r'<th scope="row">(Kommune \d+)', first)
    assert rows == [f"Kommune {i:02d}" for i in range(5)]
    assert f'href="?series={meeting.series.pk}&amp;page=2#table-heading"' in first
    assert '<nav aria-label="Municipalities, pages">' in first
    # The total counts every municipality, not the page's.
    assert '<td class="participation-total">78</td>' in first
    assert first.count('<g class="chart-bar">') == 4
    assert "Only the 4 municipalities with the most registrations are shown." in first

    last = html(staff_en_client.get(url, {"series": meeting.series.pk, "page": 3}))
    assert re.findall(r'<th scope="row">(Kommune \d+)', last) == ["Kommune 10", "Kommune 11"]
    assert staff_en_client.get(url, {"page": "x"}).status_code == 200


# --- The check-in list at the door (county staff) ---------------------------------------------


def test_check_in_page(staff_client, at_both_sizes):
    starts_at = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    meeting = factories.MeetingFactory(
        starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=3), capacity=500
    )
    municipalities = [factories.MunicipalityFactory() for _ in range(3)]

    def participant(i):
        registration = factories.RegistrationFactory(
            meeting=meeting,
            contact_person__municipality=municipalities[i % 3],
            contact_person__job_title="Rådgjevar",
        )
        if i % 2:
            Registration.objects.filter(pk=registration.pk).update(attended_at=timezone.now())
        # Neither the waiting list nor other meetings are on the list.
        factories.RegistrationFactory(meeting=meeting, status=Registration.Status.WAITLISTED)
        factories.RegistrationFactory()
        return registration

    url = reverse("meetings:check_in", kwargs={"slug": meeting.slug})
    # session, user, second factor, permissions (user's and groups'), meeting with its series,
    # the counts, the participants with their people and municipalities, the municipalities
    # for the walk-in form.
    large = at_both_sizes(staff_client, url, grower(participant), FOOTER + 9)
    assert large.count('class="check-in-row') == LARGE


# --- The public pages and the calendars -----------------------------------------------------


def upcoming_meeting(i: int) -> Meeting:
    starts_at = timezone.now() + dt.timedelta(days=10 + i)
    return factories.MeetingFactory(
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=3),
        registration_deadline=starts_at - dt.timedelta(days=2),
    )


def meeting_on_new_years_day() -> Meeting:
    """A meeting of this year whatever the instant, so the small wheel shows this year."""
    starts_at = timezone.make_aware(dt.datetime(timezone.localdate().year, 1, 1, 12))
    return factories.MeetingFactory(starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=2))


def test_home_page(client, at_both_sizes):
    meeting_on_new_years_day()
    # The next meetings with their seat counts: one query, a bounded list; the year's marks
    # for the small annual wheel (from the cache after the first visit).
    at_both_sizes(client, reverse("home"), grower(upcoming_meeting), FOOTER + 2)


def test_home_page_while_this_year_has_nothing(client, at_both_sizes, freeze_now):
    # On New Year's Eve the upcoming meetings are all next year's: the small wheel looks at
    # this year's marks, finds none and shows next year's, one query more.
    freeze_now(timezone.make_aware(dt.datetime(timezone.localdate().year, 12, 31, 23, 55)))
    at_both_sizes(client, reverse("home"), grower(upcoming_meeting), FOOTER + 3)


def test_meeting_page_anonymous(client, meeting, at_both_sizes):
    def grow_one(i):
        return factories.RegistrationFactory(meeting=meeting)

    # The meeting with its series and seat count; its agenda; its materials.
    at_both_sizes(client, meeting.get_absolute_url(), grower(grow_one), FOOTER + 3)


# --- The annual wheel -------------------------------------------------------------------------


def meeting_of_the_year(i: int) -> Meeting:
    """A meeting every few days of this year, some tentative (placed by their period)."""
    year = timezone.localdate().year
    if i % 4 == 3:
        return factories.MeetingFactory(series__year=year, tentative=True)
    starts_at = timezone.make_aware(dt.datetime(year, 1, 2, 10)) + dt.timedelta(days=7 * i)
    return factories.MeetingFactory(
        series__year=year,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=3),
        registration_deadline=starts_at - dt.timedelta(days=1),
    )


@pytest.mark.parametrize("signed_in", [False, True])
def test_year_wheel(client, client_for, member, at_both_sizes, signed_in):
    visitor = client_for(member) if signed_in else client
    # The year's meetings and deadlines; the years that have a series (the switcher); signed
    # in: the session, the user and the deadlines of the EU calls they follow.
    queries = FOOTER + (5 if signed_in else 2)
    large = at_both_sizes(
        visitor, reverse("yearwheel:current"), grower(meeting_of_the_year), queries
    )
    dated = sum(1 for i in range(LARGE) if i % 4 != 3)
    # Each dated meeting and its deadline, and each tentative one, on the wheel and in the table.
    assert large.count('<a class="wheel-mark ') == 2 * dated + (LARGE - dated)
    assert large.count('<tr role="row" data-kind=') == 2 * dated + (LARGE - dated)


def test_year_wheel_download(client, django_assert_num_queries):
    url = reverse("yearwheel:svg", kwargs={"year": timezone.localdate().year})
    grow = grower(meeting_of_the_year)
    for size in (SMALL, LARGE):
        grow(size)
        # The year's meetings and deadlines.
        with django_assert_num_queries(1):
            response = client.get(url)
        assert response.status_code == 200


def test_meeting_download(client, meeting, at_both_sizes):
    def grow_one(i):
        factories.AgendaItemFactory(meeting=meeting, order=i)
        return factories.RegistrationFactory(meeting=meeting)

    url = reverse("meetings:calendar", kwargs={"slug": meeting.slug})
    # The meeting with its series and seat count; its agenda.
    at_both_sizes(client, url, grower(grow_one), 2)


def built_at_both_sizes(client, url, grow, queries, assert_num_queries):
    """Like `at_both_sizes`, with the feed's body built anew for each measured request (the
    cache would otherwise answer the second one)."""
    from django.core.cache import cache

    for size in (SMALL, LARGE):
        grow(size)
        cache.clear()
        with assert_num_queries(queries):
            response = client.get(url)
        assert response.status_code == 200
    return response.content.decode()


def test_network_feed_built_anew(client, django_assert_num_queries):
    # The validator's rows; the meetings with their series; their agendas.
    body = built_at_both_sizes(
        client, reverse("network_feed"), grower(upcoming_meeting), 3, django_assert_num_queries
    )
    assert body.count("BEGIN:VEVENT") >= LARGE


def test_personal_feed_built_anew(client, member, django_assert_num_queries):
    member.calendar_includes_all = True
    member.save(update_fields=["calendar_includes_all"])

    def grow_one(i):
        meeting = upcoming_meeting(i)
        if i % 2:
            factories.RegistrationFactory(meeting=meeting, contact_person=member)
        return meeting

    url = reverse("personal_feed", kwargs={"token": member.calendar_token})
    # The person (with the versions of the calls they follow); the validator's rows; the
    # meetings with the person's registrations; their agendas; the followed calls' deadlines.
    body = built_at_both_sizes(client, url, grower(grow_one), 5, django_assert_num_queries)
    assert body.count("BEGIN:VEVENT") >= LARGE


# --- date polls --------------------------------------------------------------------------------


@pytest.fixture
def poll():
    from meetings.models import DatePoll

    meeting = factories.MeetingFactory(tentative=True, slug="juni")
    return DatePoll.objects.create(meeting=meeting, closes_at=timezone.now() + dt.timedelta(days=7))


def poll_voices(poll):
    """`grow(n)`: a candidate date for every fifth voice, and n voices of their own
    municipalities that answered every date there is."""
    from meetings import polls
    from meetings.models import DatePollCandidate

    def make(i):
        if i % 5 == 0:
            starts_at = timezone.now() + dt.timedelta(days=30 + i)
            DatePollCandidate.objects.create(
                poll=poll, starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=3)
            )
        voter = factories.LinkedContactPersonFactory()
        polls.poll_answer(
            poll=poll,
            answers=dict.fromkeys(poll.candidates.values_list("pk", flat=True), "yes"),
            person=voter,
        )
        return voter

    return grower(make)


def test_poll_page_as_member(client_for, member, poll, at_both_sizes):
    # session, user, contact person with municipality, the poll with meeting and series, its
    # candidates and their answers with the voters' names (the grid), the candidates and the
    # member's own answers (the form).
    large = at_both_sizes(
        client_for(member), poll.get_absolute_url(), poll_voices(poll), FOOTER + 8
    )
    assert large.count('type="radio"') == 3 * LARGE // 5


def test_poll_page_anonymous(client, poll, at_both_sizes):
    # The poll with meeting and series; its candidates; the answers counted.
    large = at_both_sizes(client, poll.get_absolute_url(), poll_voices(poll), FOOTER + 3)
    assert "Kontakt Person" not in large


def test_poll_page_through_the_personal_link(client, poll, at_both_sizes):
    from meetings import polls

    recipient = factories.MailingRecipientFactory(
        mailing=factories.MailingFactory(meeting=poll.meeting, queued_at=timezone.now())
    )
    url = reverse("poll_link", kwargs={"token": polls.poll_token(recipient)})
    # The recipient with mailing, meeting and contact person; the poll with meeting and
    # series; the address's first recipient (its voice); the candidates and answers (the
    # grid); the candidates and the address's answers (the form).
    at_both_sizes(client, url, poll_voices(poll), FOOTER + 7)


def test_meeting_page_with_an_open_poll(client, poll, at_both_sizes):
    # The meeting with its series, seat count and whether a poll is open; its agenda; its
    # materials.
    large = at_both_sizes(client, poll.meeting.get_absolute_url(), poll_voices(poll), FOOTER + 3)
    assert poll.get_absolute_url() in large


# --- materials and minutes ----------------------------------------------------------------------


def materials_grower(meeting):
    """Files of the meeting as a whole and of its agenda items, for members and for everyone,
    some hidden (staff see those)."""
    items = []

    def make(i):
        if i % 5 == 0:
            items.append(factories.AgendaItemFactory(meeting=meeting, order=i))
        return factories.MaterialFactory(
            meeting=meeting,
            agenda_item=items[-1] if i % 2 else None,
            visibility="public" if i % 3 == 0 else "members",
            hidden=i % 7 == 6,
        )

    return grower(make)


@pytest.fixture
def meeting_with_minutes(meeting):
    from meetings.minutes import minutes_publish

    Meeting.objects.filter(pk=meeting.pk).update(minutes_markdown="# Referat\n\n- eitt\n- to")
    minutes_publish(meeting=meeting)
    return meeting


def test_meeting_page_with_materials_anonymous(
    client, material_storage, meeting_with_minutes, at_both_sizes
):
    meeting = meeting_with_minutes
    # The meeting with its series and seat count; its agenda; its materials.
    large = at_both_sizes(client, meeting.get_absolute_url(), materials_grower(meeting), FOOTER + 3)
    assert large.count("/materials/") == len([i for i in range(LARGE) if i % 3 == 0 and i % 7 != 6])
    assert 'id="minutes-heading"' in large


def test_meeting_page_with_materials_as_presenter(
    client_for, member, material_storage, meeting_with_minutes, at_both_sizes
):
    meeting = meeting_with_minutes
    registration = factories.RegistrationFactory(meeting=meeting, contact_person=member)
    factories.PresentationFactory(meeting=meeting, registration=registration)
    # session, user, contact person, meeting with seat counts, agenda, presented ideas,
    # materials, whether the member presents (may upload), registrations (own), the agenda
    # items to upload to.
    large = at_both_sizes(
        client_for(member), meeting.get_absolute_url(), materials_grower(meeting), FOOTER + 10
    )
    assert 'enctype="multipart/form-data"' in large
    assert large.count("/materials/") >= len([i for i in range(LARGE) if i % 7 != 6])


def test_meeting_page_with_materials_as_staff(
    staff_client, material_storage, meeting_with_minutes, at_both_sizes
):
    meeting = meeting_with_minutes
    # session, user, meeting with seat counts, agenda, the staff's contact person (none; the
    # second look is in a savepoint: two queries more), their permissions (user's and
    # group's), materials, the agenda items to upload to, presented ideas.
    large = at_both_sizes(
        staff_client, meeting.get_absolute_url(), materials_grower(meeting), FOOTER + 13
    )
    assert "hidden" in large


def test_meeting_list_with_minutes_and_materials(en_client, material_storage, at_both_sizes):
    def held_with_files(i):
        held = past_meeting(i, minutes_markdown="Referat" if i % 2 else "")
        if i % 2:
            Meeting.objects.filter(pk=held.pk).update(minutes_published_at=held.ends_at)
        factories.MaterialFactory.create_batch(2, meeting=held)
        return held

    # The upcoming meetings; the number of past meetings; a page of them with their files
    # counted in the same query.
    large = at_both_sizes(en_client, reverse("meetings:list"), grower(held_with_files), FOOTER + 3)
    assert large.count("2 files") == 20
    assert large.count("#minutes-heading") == 10
