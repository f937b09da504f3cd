"""A date poll in Chromium, from opening to the picked date: county staff open it from the
tentative meeting's admin page with two candidate dates, a member answers signed in, an
invited municipality answers through its personal link, and staff pick the date after a
confirmation. Every page on the way passes axe-core's WCAG 2.1 A/AA rules, in Nynorsk."""

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation
from playwright.sync_api import expect

from meetings import polls
from meetings.models import DatePoll, DatePollAnswer, Meeting
from outbox.models import OutboxEmail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def nynorsk(message: str) -> str:
    with translation.override("nn"):
        return translation.gettext(message)


@pytest.fixture
def county_staff(county_staff_with):
    return county_staff_with(
        "meetings",
        [
            "view_meetingseries",
            "view_meeting",
            "change_meeting",
            "add_datepoll",
            "change_datepoll",
            "view_datepoll",
            "add_datepollcandidate",
            "change_datepollcandidate",
            "delete_datepollcandidate",
            "view_datepollcandidate",
        ],
    )


@pytest.fixture
def meeting(meeting_factory):
    return meeting_factory(tentative=True, title="Prosjekt og partnarar", slug="juni")


@pytest.fixture
def member(linked_contact_person_factory):
    return linked_contact_person_factory(name="Mia Medlem")


@pytest.fixture
def invited(meeting, mailing_factory, mailing_recipient_factory, municipality_factory):
    return mailing_recipient_factory(
        mailing=mailing_factory(meeting=meeting, queued_at=timezone.now()),
        municipality=municipality_factory(name="Askøy"),
        email="postmottak@askoy.kommune.no",
        name="Askøy kommune",
    )


def use_session(page, live_server, client=None):
    """Make `page` the visitor `client` is signed in as (anonymous without one), in Nynorsk."""
    page.context.clear_cookies()
    cookies = [(settings.LANGUAGE_COOKIE_NAME, "nn")]
    if client is not None:
        cookies.append(
            (settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
        )
    page.context.add_cookies(
        [{"name": name, "value": value, "url": live_server.url} for name, value in cookies]
    )


def goto(page, path):
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: {response.status}"


def test_a_poll_from_opening_to_the_picked_date(
    page,
    live_server,
    sign_in_staff,
    county_staff,
    meeting,
    member,
    invited,
    assert_accessible,
):
    # Staff open the poll from the meeting's admin page.
    sign_in_staff(county_staff)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "nn", "url": live_server.url}]
    )
    goto(page, f"/admin/meetings/meeting/{meeting.pk}/change/")
    page.get_by_role(
        "link",
        name=nynorsk("Let the members agree on the date: add candidate dates and open a poll"),
    ).click()
    expect(page.locator('select[name="meeting"]')).to_have_value(str(meeting.pk))
    assert_accessible(page)
    closes = timezone.localtime(timezone.now() + dt.timedelta(days=7))
    first = timezone.localtime(timezone.now() + dt.timedelta(days=40))
    second = first + dt.timedelta(days=1)
    page.fill('input[name="closes_at_0"]', closes.strftime("%Y-%m-%d"))
    page.fill('input[name="closes_at_1"]', "12:00")
    for row, day in enumerate((first, second)):
        for field, time in (("starts_at", "10:00"), ("ends_at", "14:00")):
            page.fill(f'input[name="candidates-{row}-{field}_0"]', day.strftime("%Y-%m-%d"))
            page.fill(f'input[name="candidates-{row}-{field}_1"]', time)
    page.locator('input[name="_continue"]').click()
    expect(page.locator(".messagelist")).to_be_visible()
    poll = DatePoll.objects.get(meeting=meeting)
    assert poll.candidates.count() == 2
    assert_accessible(page)

    # A member answers, signed in, from the meeting's page.
    member_client = Client()
    member_client.force_login(member.user)
    use_session(page, live_server, member_client)
    goto(page, "/meetings/juni/")
    page.get_by_role("link", name=nynorsk("Answer the date poll")).click()
    assert_accessible(page)
    radios = page.locator('input[type="radio"][value="yes"]')
    expect(radios).to_have_count(2)
    radios.nth(0).check()
    page.locator('input[type="radio"][value="no"]').nth(1).check()
    page.get_by_role("button", name=nynorsk("Save my answers")).click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert DatePollAnswer.objects.filter(contact_person=member).count() == 2
    assert_accessible(page)

    # An invited municipality answers through its personal link, without signing in.
    use_session(page, live_server)
    goto(page, f"/polls/{polls.poll_token(invited)}/")
    page.locator('input[type="radio"][value="if_need_be"]').nth(0).check()
    page.locator('input[type="radio"][value="yes"]').nth(1).check()
    page.get_by_role("button", name=nynorsk("Save my answers")).click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert DatePollAnswer.objects.filter(recipient=invited).count() == 2
    assert_accessible(page)

    # Staff see the coverage and pick the first date after a confirmation.
    sign_in_staff(county_staff)
    goto(page, f"/admin/meetings/datepoll/{poll.pk}/change/")
    assert_accessible(page)
    page.locator(f'a[href$="/pick/{poll.candidates.order_by("starts_at")[0].pk}/"]').click()
    assert_accessible(page)
    page.get_by_role("button", name=nynorsk("Yes, pick this date")).click()
    expect(page.locator(".messagelist")).to_be_visible()
    assert_accessible(page)
    scheduled = Meeting.objects.get(pk=meeting.pk)
    assert scheduled.status == Meeting.Status.SCHEDULED
    assert timezone.localtime(scheduled.starts_at).date() == first.date()
    assert OutboxEmail.objects.filter(kind="poll.picked").count() == 2

    # The poll's page now shows the date.
    use_session(page, live_server)
    goto(page, "/meetings/juni/poll/")
    expect(page.locator(".alert-success")).to_be_visible()
    assert_accessible(page)
