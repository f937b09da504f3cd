"""Date polls for tentative meetings: members answer signed in, invited addresses through a
personal link; staff open the poll, see the coverage per date and pick the winner, which
schedules the meeting and tells everyone who answered."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from meetings import polls
from meetings.models import DatePoll, DatePollAnswer, DatePollCandidate, Meeting
from outbox.models import OutboxEmail
from tests import factories
from tests.helpers import validation_errors
from tests.meetings.test_invitations import altered

pytestmark = pytest.mark.django_db

YES, MAYBE, NO = "yes", "if_need_be", "no"


def ahead(days: int, hour: int = 0) -> dt.datetime:
    return timezone.now().replace(microsecond=0) + dt.timedelta(days=days, hours=hour)


@pytest.fixture
def meeting():
    return factories.MeetingFactory(tentative=True, title="Prosjekt og partnarar", slug="juni")


@pytest.fixture
def poll(meeting):
    poll = DatePoll.objects.create(meeting=meeting, closes_at=ahead(10))
    for days in (30, 31, 32):
        DatePollCandidate.objects.create(poll=poll, starts_at=ahead(days), ends_at=ahead(days, 4))
    return poll


def candidates(poll) -> list[DatePollCandidate]:
    return list(poll.candidates.order_by("starts_at"))


def answer_data(poll, *answers) -> dict[str, str]:
    return {f"candidate_{c.pk}": a for c, a in zip(candidates(poll), answers, strict=True)}


@pytest.fixture
def member():
    return factories.LinkedContactPersonFactory(name="Mia Medlem", preferred_language="nb")


@pytest.fixture
def invited(poll):
    """An invited official mailbox, through a sent invitation of the poll's meeting."""
    mailing = factories.MailingFactory(meeting=poll.meeting, queued_at=timezone.now())
    municipality = factories.MunicipalityFactory(name="Askøy")
    return factories.MailingRecipientFactory(
        mailing=mailing,
        email="postmottak@askoy.kommune.no",
        name="Askøy kommune",
        municipality=municipality,
    )


def link_url(recipient) -> str:
    return reverse("poll_link", kwargs={"token": polls.poll_token(recipient)})


def stored(poll) -> set[tuple]:
    return set(
        DatePollAnswer.objects.filter(candidate__poll=poll).values_list(
            "candidate__starts_at", "contact_person", "recipient", "answer"
        )
    )


# --- Answering -----------------------------------------------------------------------------------


def test_a_member_answers_signed_in(client_for, member, poll):
    response = client_for(member).post(
        reverse("meetings:poll", args=["juni"]), answer_data(poll, YES, MAYBE, NO)
    )
    assert response.status_code == 302
    first, second, third = candidates(poll)
    assert stored(poll) == {
        (first.starts_at, member.pk, None, YES),
        (second.starts_at, member.pk, None, MAYBE),
        (third.starts_at, member.pk, None, NO),
    }


def test_a_member_changes_the_answer(client_for, member, poll):
    client = client_for(member)
    url = reverse("meetings:poll", args=["juni"])
    client.post(url, answer_data(poll, YES, MAYBE, NO))
    client.post(url, answer_data(poll, NO, YES, YES))
    assert sorted(a for *_rest, a in stored(poll)) == sorted([NO, YES, YES])
    assert DatePollAnswer.objects.count() == 3
    page = client.get(url).content.decode()
    # The form shows the answers given.
    assert page.count("checked") == 3


def test_the_page_shows_the_form_filled_in(client_for, member, poll):
    polls.poll_answer(poll=poll, answers={candidates(poll)[0].pk: YES}, person=member)
    page = client_for(member).get(reverse("meetings:poll", args=["juni"])).content.decode()
    assert "Mia Medlem" in page
    assert "Save my answers" in page


def test_an_anonymous_visitor_sees_counts_but_no_names(en_client, member, poll):
    polls.poll_answer(poll=poll, answers={candidates(poll)[0].pk: YES}, person=member)
    response = en_client.get(reverse("meetings:poll", args=["juni"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Mia Medlem" not in page
    assert "Sign in to answer" in page
    assert 'name="candidate_' not in page


def test_an_anonymous_post_goes_to_sign_in(client, poll):
    response = client.post(reverse("meetings:poll", args=["juni"]), answer_data(poll, YES, YES, NO))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert not DatePollAnswer.objects.exists()


def test_a_contact_person_of_a_non_member_municipality_cannot_answer(client_for, poll):
    outsider = factories.LinkedContactPersonFactory(
        municipality=factories.MunicipalityFactory(member_since=None)
    )
    client = client_for(outsider)
    response = client.post(reverse("meetings:poll", args=["juni"]), answer_data(poll, YES, YES, NO))
    assert response.status_code == 302
    assert not DatePollAnswer.objects.exists()
    with pytest.raises(polls.PollClosed):
        polls.poll_answer(poll=poll, answers={candidates(poll)[0].pk: YES}, person=outsider)


def test_a_missing_answer_is_a_clear_400(client_for, member, poll):
    data = answer_data(poll, YES, YES, NO)
    data.popitem()
    response = client_for(member).post(reverse("meetings:poll", args=["juni"]), data)
    assert response.status_code == 400
    assert "Answer for this date." in response.content.decode()
    assert not DatePollAnswer.objects.exists()


def test_an_unknown_answer_is_refused(client_for, member, poll):
    response = client_for(member).post(
        reverse("meetings:poll", args=["juni"]), answer_data(poll, YES, "perhaps", NO)
    )
    assert response.status_code == 400
    assert not DatePollAnswer.objects.exists()


def test_an_invited_address_answers_through_its_link(en_client, invited, poll):
    url = link_url(invited)
    page = en_client.get(url).content.decode()
    assert "You answer for Askøy kommune." in page
    assert not DatePollAnswer.objects.exists()  # GET records nothing
    response = en_client.post(url, answer_data(poll, YES, NO, NO))
    assert response.status_code == 302
    assert {(r, a) for _s, _p, r, a in stored(poll)} == {(invited.pk, YES), (invited.pk, NO)}
    en_client.post(url, answer_data(poll, NO, NO, YES))
    assert [a for *_rest, a in sorted(stored(poll))] == [NO, NO, YES]


def test_the_same_address_in_a_reminder_answers_as_one(en_client, invited, poll):
    reminder = factories.MailingFactory(
        meeting=poll.meeting, kind="reminder", reminder_days=7, queued_at=timezone.now()
    )
    again = factories.MailingRecipientFactory(mailing=reminder, email=invited.email.upper())
    en_client.post(link_url(again), answer_data(poll, YES, YES, YES))
    assert {r for _s, _p, r, _a in stored(poll)} == {invited.pk}


def test_a_member_answering_by_link_and_signed_in_has_one_voice(client_for, member, poll):
    """Found when the product was tried: a contact person invited personally who answered
    through the e-mail's link and again signed in was counted twice on every date."""
    mailing = factories.MailingFactory(meeting=poll.meeting, queued_at=timezone.now())
    personal = factories.MailingRecipientFactory(
        mailing=mailing, email=member.email, contact_person=member
    )
    client = client_for(member)
    client.post(link_url(personal), answer_data(poll, YES, YES, NO))
    client.post(reverse("meetings:poll", args=["juni"]), answer_data(poll, NO, YES, YES))
    first, second, third = candidates(poll)
    assert stored(poll) == {
        (first.starts_at, member.pk, None, NO),
        (second.starts_at, member.pk, None, YES),
        (third.starts_at, member.pk, None, YES),
    }
    # The link shows the voice as it stands, whichever road gave it.
    form = client.get(link_url(personal)).context["form"]
    assert [form[f"candidate_{c.pk}"].value() for c in (first, second, third)] == [NO, YES, YES]
    assert [row.coverage for row in polls.poll_results(poll)] == [1, 1, 0]


def test_a_non_member_invited_by_link_answers_for_the_address(client, poll):
    person = factories.LinkedContactPersonFactory(
        municipality=factories.MunicipalityFactory(member_since=None)
    )
    mailing = factories.MailingFactory(meeting=poll.meeting, queued_at=timezone.now())
    personal = factories.MailingRecipientFactory(
        mailing=mailing, email=person.email, contact_person=person
    )
    assert not polls.can_answer_as_member(person)
    client.post(link_url(personal), answer_data(poll, YES, NO, NO))
    assert {(p, r) for _s, p, r, _a in stored(poll)} == {(None, personal.pk)}


@pytest.mark.parametrize("variant", [0, 1, 2])
def test_a_tampered_link_is_refused(en_client, invited, poll, variant):
    url = reverse("poll_link", kwargs={"token": altered(polls.poll_token(invited))[variant]})
    assert en_client.get(url).status_code == 400
    assert en_client.post(url, answer_data(poll, YES, YES, YES)).status_code == 400
    assert not DatePollAnswer.objects.exists()


def test_the_invitation_token_is_no_poll_link(en_client, invited, poll):
    from meetings.invitations import recipient_token

    url = reverse("poll_link", kwargs={"token": recipient_token(invited)})
    assert en_client.post(url, answer_data(poll, YES, YES, YES)).status_code == 400
    assert not DatePollAnswer.objects.exists()


def test_a_link_for_another_meeting_cannot_answer_this_poll(invited, poll):
    other = factories.MailingRecipientFactory(
        mailing=factories.MailingFactory(queued_at=timezone.now())
    )
    with pytest.raises(polls.PollClosed):
        polls.poll_answer(poll=poll, answers={candidates(poll)[0].pk: YES}, recipient=other)


def test_answers_after_the_closing_time_are_refused(client_for, member, poll, freeze_now):
    freeze_now(poll.closes_at)
    client = client_for(member)
    response = client.post(reverse("meetings:poll", args=["juni"]), answer_data(poll, YES, YES, NO))
    assert response.status_code == 302
    assert not DatePollAnswer.objects.exists()
    with pytest.raises(polls.PollClosed):
        polls.poll_answer(poll=poll, answers={candidates(poll)[0].pk: YES}, person=member)


def test_answers_after_closing_are_refused(en_client, invited, poll):
    polls.poll_close(poll=poll)
    response = en_client.post(link_url(invited), answer_data(poll, YES, YES, NO))
    assert response.status_code == 302
    assert not DatePollAnswer.objects.exists()
    page = en_client.get(link_url(invited)).content.decode()
    assert "The poll is closed." in page


def test_a_candidate_of_another_poll_is_refused(member, poll):
    other = DatePoll.objects.create(
        meeting=factories.MeetingFactory(tentative=True), closes_at=ahead(5)
    )
    stranger = DatePollCandidate.objects.create(poll=other, starts_at=ahead(9), ends_at=ahead(9, 1))
    with pytest.raises(polls.PollClosed):
        polls.poll_answer(poll=poll, answers={stranger.pk: YES}, person=member)
    assert not DatePollAnswer.objects.exists()


def test_the_database_keeps_one_answer_per_voter_and_date(member, invited, poll):
    candidate = candidates(poll)[0]
    DatePollAnswer.objects.create(candidate=candidate, contact_person=member, answer=YES)
    DatePollAnswer.objects.create(candidate=candidate, recipient=invited, answer=YES)
    for voter in ({"contact_person": member}, {"recipient": invited}):
        with pytest.raises(IntegrityError), transaction.atomic():
            DatePollAnswer.objects.create(candidate=candidate, answer=NO, **voter)
    with pytest.raises(IntegrityError), transaction.atomic():
        DatePollAnswer.objects.create(
            candidate=candidate, contact_person=member, recipient=invited, answer=NO
        )


# --- Results -------------------------------------------------------------------------------------


def test_staff_results_count_municipalities_with_a_yes_best_first(poll, invited):
    first, second, third = candidates(poll)
    bergen = factories.MunicipalityFactory(name="Bergen")
    one, two = factories.LinkedContactPersonFactory.create_batch(2, municipality=bergen)
    polls.poll_answer(poll=poll, answers={first.pk: YES, second.pk: YES}, person=one)
    polls.poll_answer(poll=poll, answers={first.pk: YES, second.pk: NO}, person=two)
    polls.poll_answer(poll=poll, answers={second.pk: YES, third.pk: MAYBE}, recipient=invited)
    rows = polls.poll_results(poll)
    # The second date has fewer yes but two municipalities.
    assert [(r.candidate, r.coverage, r.yes, r.if_need_be, r.no) for r in rows] == [
        (second, 2, 2, 0, 1),
        (first, 1, 2, 0, 0),
        (third, 0, 0, 1, 0),
    ]


# --- Picking --------------------------------------------------------------------------------------


@pytest.fixture
def answered(poll, member, invited):
    first, second, _third = candidates(poll)
    polls.poll_answer(poll=poll, answers={first.pk: YES, second.pk: NO}, person=member)
    polls.poll_answer(poll=poll, answers={first.pk: MAYBE}, recipient=invited)
    return first


def test_picking_schedules_the_meeting_and_tells_everyone_who_answered(poll, answered, member):
    before = Meeting.objects.get(pk=poll.meeting_id)
    count = polls.poll_pick(poll=poll, candidate=answered)
    meeting = Meeting.objects.get(pk=poll.meeting_id)
    assert count == 2
    assert (meeting.status, meeting.starts_at, meeting.ends_at) == (
        Meeting.Status.SCHEDULED,
        answered.starts_at,
        answered.ends_at,
    )
    assert meeting.sequence == before.sequence + 1
    assert meeting.registration_is_open()
    poll.refresh_from_db()
    assert poll.chosen == answered and poll.closed_at is not None
    sent = {row.to: row for row in OutboxEmail.objects.filter(kind="poll.picked")}
    assert set(sent) == {member.email, "postmottak@askoy.kommune.no"}
    # In the person's language (Bokmål), with the calendar entry and a registration link.
    assert "Datoen" in sent[member.email].subject or "Dato" in sent[member.email].subject
    assert "/meetings/juni/register/" in sent[member.email].body
    assert "/invitations/" in sent["postmottak@askoy.kommune.no"].body
    for row in sent.values():
        assert row.attachments and "BEGIN:VCALENDAR" in str(row.attachments)


def test_picking_twice_mails_nobody_twice(poll, answered):
    polls.poll_pick(poll=poll, candidate=answered)
    with pytest.raises(polls.PollClosed):
        polls.poll_pick(poll=poll, candidate=candidates(poll)[1])
    assert OutboxEmail.objects.filter(kind="poll.picked").count() == 2
    assert Meeting.objects.get(pk=poll.meeting_id).starts_at == answered.starts_at


def test_a_refused_pick_changes_nothing(poll, answered):
    """A deadline after the chosen date is refused by the meeting's rules: nothing is saved,
    nobody is mailed."""
    Meeting.objects.filter(pk=poll.meeting_id).update(registration_deadline=ahead(60))
    with pytest.raises(ValidationError):
        polls.poll_pick(poll=poll, candidate=answered)
    poll.refresh_from_db()
    assert poll.chosen is None and poll.closed_at is None
    assert Meeting.objects.get(pk=poll.meeting_id).status == Meeting.Status.TENTATIVE
    assert not OutboxEmail.objects.filter(kind="poll.picked").exists()


def test_a_poll_only_for_a_tentative_meeting():
    scheduled = factories.MeetingFactory()
    with pytest.raises(ValidationError):
        polls.poll_save(poll=DatePoll(meeting=scheduled, closes_at=ahead(3)))


# --- The meeting page and the invitation --------------------------------------------------------


def test_the_meeting_page_links_to_an_open_poll(en_client, poll):
    page = en_client.get(reverse("meetings:detail", args=["juni"])).content.decode()
    assert reverse("meetings:poll", args=["juni"]) in page
    polls.poll_close(poll=poll)
    page = en_client.get(reverse("meetings:detail", args=["juni"])).content.decode()
    assert reverse("meetings:poll", args=["juni"]) not in page


def test_an_invitation_can_carry_the_poll_link(invited, poll, settings):
    from meetings.emails import mailing_values

    settings.SITE_URL = "https://kommunenettverk.example.no"
    assert mailing_values(invited)["poll_link"] == settings.SITE_URL + link_url(invited)


# --- The admin ------------------------------------------------------------------------------------


def test_staff_open_a_poll_with_candidates_in_the_admin(staff_en_client, meeting):
    from tests.helpers import management_form

    local = timezone.localtime(ahead(20)).replace(hour=10, minute=0, second=0)
    data = {
        "meeting": meeting.pk,
        "closes_at_0": timezone.localtime(ahead(7)).strftime("%Y-%m-%d"),
        "closes_at_1": "12:00",
        **management_form("candidates", total=2),
        "candidates-0-starts_at_0": local.strftime("%Y-%m-%d"),
        "candidates-0-starts_at_1": "10:00",
        "candidates-0-ends_at_0": local.strftime("%Y-%m-%d"),
        "candidates-0-ends_at_1": "14:00",
        "candidates-1-starts_at_0": (local + dt.timedelta(days=1)).strftime("%Y-%m-%d"),
        "candidates-1-starts_at_1": "10:00",
        "candidates-1-ends_at_0": (local + dt.timedelta(days=1)).strftime("%Y-%m-%d"),
        "candidates-1-ends_at_1": "14:00",
    }
    meeting_page = staff_en_client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))
    assert f"/admin/meetings/datepoll/add/?meeting={meeting.pk}" in meeting_page.content.decode()
    response = staff_en_client.post(reverse("admin:meetings_datepoll_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    poll = DatePoll.objects.get(meeting=meeting)
    assert poll.candidates.count() == 2
    assert poll.is_open()
    page = staff_en_client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))
    assert reverse("admin:meetings_datepoll_change", args=[poll.pk]) in page.content.decode()


def test_a_date_people_answered_for_cannot_be_moved(poll, member):
    """Found when the product was tried: staff could change a candidate's time in the poll's
    admin after members had answered, and their yes then stood for a date they never saw."""
    first, second, _third = candidates(poll)
    polls.poll_answer(poll=poll, answers={first.pk: YES}, person=member)
    first.starts_at += dt.timedelta(hours=2)
    first.ends_at += dt.timedelta(hours=2)
    assert validation_errors(first)["__all__"][0].startswith("People have answered")
    # Without answers, a date is corrected freely.
    second.starts_at += dt.timedelta(hours=1)
    second.full_clean()


def test_staff_see_why_an_answered_date_stays(staff_en_client, poll, member):
    from tests.helpers import management_form

    first, *_others = candidates(poll)
    polls.poll_answer(poll=poll, answers={first.pk: YES}, person=member)
    start = timezone.localtime(first.starts_at) + dt.timedelta(hours=2)
    end = timezone.localtime(first.ends_at) + dt.timedelta(hours=2)
    rows = {}
    for index, candidate in enumerate(candidates(poll)):
        starts, ends = (
            timezone.localtime(candidate.starts_at),
            timezone.localtime(candidate.ends_at),
        )
        if candidate == first:
            starts, ends = start, end
        rows.update(
            {
                f"candidates-{index}-id": candidate.pk,
                f"candidates-{index}-poll": poll.pk,
                f"candidates-{index}-starts_at_0": starts.strftime("%Y-%m-%d"),
                f"candidates-{index}-starts_at_1": starts.strftime("%H:%M"),
                f"candidates-{index}-ends_at_0": ends.strftime("%Y-%m-%d"),
                f"candidates-{index}-ends_at_1": ends.strftime("%H:%M"),
            }
        )
    closes = timezone.localtime(poll.closes_at)
    data = {
        "closes_at_0": closes.strftime("%Y-%m-%d"),
        "closes_at_1": closes.strftime("%H:%M:%S"),
        **management_form("candidates", total=3, initial=3),
        **rows,
    }
    response = staff_en_client.post(reverse("admin:meetings_datepoll_change", args=[poll.pk]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "People have answered for this date" in page
    assert "already a candidate" not in page
    first.refresh_from_db()
    assert timezone.localtime(first.starts_at) != start


def test_staff_cannot_open_a_poll_that_closed_already(staff_en_client, meeting):
    from tests.helpers import management_form

    data = {
        "meeting": meeting.pk,
        "closes_at_0": "2001-01-01",
        "closes_at_1": "12:00",
        **management_form("candidates"),
    }
    response = staff_en_client.post(reverse("admin:meetings_datepoll_add"), data)
    assert response.status_code == 200
    assert "The poll must close in the future." in response.content.decode()
    assert not DatePoll.objects.exists()


def test_staff_see_coverage_and_pick_after_a_confirmation(staff_en_client, poll, answered):
    page = staff_en_client.get(reverse("admin:meetings_datepoll_change", args=[poll.pk]))
    assert "Municipalities with a yes" in page.content.decode()
    url = reverse("admin:meetings_datepoll_pick", args=[poll.pk, answered.pk])
    confirmation = staff_en_client.get(url)
    assert confirmation.status_code == 200
    assert Meeting.objects.get(pk=poll.meeting_id).status == Meeting.Status.TENTATIVE
    response = staff_en_client.post(url)
    assert response.status_code == 302
    assert Meeting.objects.get(pk=poll.meeting_id).starts_at == answered.starts_at
    assert OutboxEmail.objects.filter(kind="poll.picked").count() == 2
    # A second pick (another tab) is refused with a message, and mails nobody.
    other = candidates(poll)[1]
    staff_en_client.post(reverse("admin:meetings_datepoll_pick", args=[poll.pk, other.pk]))
    assert OutboxEmail.objects.filter(kind="poll.picked").count() == 2


def test_a_candidate_of_another_poll_is_a_404_when_picking(staff_en_client, poll):
    other = DatePoll.objects.create(
        meeting=factories.MeetingFactory(tentative=True), closes_at=ahead(5)
    )
    stranger = DatePollCandidate.objects.create(poll=other, starts_at=ahead(9), ends_at=ahead(9, 1))
    url = reverse("admin:meetings_datepoll_pick", args=[poll.pk, stranger.pk])
    assert staff_en_client.post(url).status_code == 404


def test_staff_close_polls_with_the_action(staff_en_client, poll):
    staff_en_client.post(
        reverse("admin:meetings_datepoll_changelist"),
        {"action": "close_selected", "_selected_action": [poll.pk]},
    )
    poll.refresh_from_db()
    assert poll.closed_at is not None
