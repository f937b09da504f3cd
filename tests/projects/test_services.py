"""Writes to project ideas: who may do what, the stage history, interest and its e-mail,
and presentations at meetings."""

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from outbox.models import OutboxEmail
from projects import services
from projects.models import (
    EuropeanPartner,
    IdeaSector,
    Interest,
    Presentation,
    ProjectIdea,
    StageChange,
)

pytestmark = pytest.mark.django_db

NEED = "Unge flyttar ut og kjem ikkje att."


# The people (author, colleague, coordinator of Voss; outsider and outsider_coordinator of
# Kvam) are the shared ones of tests/fixtures.py.


@pytest.fixture
def idea(project_idea_factory, author):
    return project_idea_factory(contact_person=author, title="Ungdomsbustader")


def create(author, **fields):
    return services.idea_create(
        author=author, fields={"title": "Ny idé", "local_need": NEED, **fields}
    )


# --- can_edit -------------------------------------------------------------------------------


def test_the_author_edits(author, idea):
    assert services.can_edit(author, idea)


def test_a_coordinator_of_the_ideas_municipality_edits(coordinator, idea):
    assert services.can_edit(coordinator, idea)


def test_a_colleague_who_is_not_coordinator_does_not_edit(colleague, idea):
    assert not services.can_edit(colleague, idea)


def test_a_coordinator_of_another_municipality_does_not_edit(outsider_coordinator, idea):
    assert not services.can_edit(outsider_coordinator, idea)


def test_a_coordinator_without_municipality_does_not_edit(contact_person_factory, idea):
    assert not services.can_edit(contact_person_factory(municipality=None, coordinator=True), idea)


def test_nobody_edits_without_a_contact_person(idea):
    assert not services.can_edit(None, idea)


# --- idea_create ------------------------------------------------------------------------------


def test_create_makes_an_idea_of_the_authors_municipality_with_its_first_stage(
    author, user_factory, kvam, programme
):
    user = user_factory()
    idea = services.idea_create(
        author=author,
        user=user,
        fields={"title": "Ungdomsbustader", "local_need": NEED, "stage": "need_identified"},
        sectors=["planning", "culture", "planning"],
        programmes=[programme("URBACT")],
        partner_municipalities=[kvam, author.municipality],
        european_partners=[("Gemeente Delft", "Nederland")],
    )
    idea = ProjectIdea.objects.get(pk=idea.pk)
    assert idea.lead_municipality == author.municipality
    assert idea.contact_person == author
    assert sorted(idea.sector_values) == ["culture", "planning"]
    assert [p.name for p in idea.programmes.all()] == ["URBACT"]
    # The lead municipality is not listed as its own partner.
    assert list(idea.partner_municipalities.all()) == [kvam]
    assert [(p.organisation, p.country) for p in idea.european_partners.all()] == [
        ("Gemeente Delft", "Nederland")
    ]
    assert list(idea.stage_changes.values_list("stage", "changed_by")) == [
        ("need_identified", user.pk)
    ]


def test_create_without_a_municipality_is_refused(contact_person_factory):
    with pytest.raises(PermissionDenied):
        create(contact_person_factory(municipality=None))
    assert not ProjectIdea.objects.exists()


def test_create_with_invalid_fields_saves_nothing(author):
    with pytest.raises(ValidationError) as excinfo:
        create(author, title="x" * 201)
    assert "title" in excinfo.value.message_dict
    with pytest.raises(ValidationError):
        create(author, title="")
    assert not ProjectIdea.objects.exists()
    assert not StageChange.objects.exists()


# --- idea_update and the stage history ------------------------------------------------------


def test_update_to_a_new_stage_adds_one_stage_change(author, user_factory):
    idea = create(author)
    user = user_factory()
    services.idea_update(
        idea=idea,
        actor=author,
        user=user,
        fields={"title": "Ny idé", "local_need": NEED, "stage": "seeking_partners"},
    )
    assert list(idea.stage_changes.order_by("pk").values_list("stage", "changed_by")) == [
        ("idea", None),
        ("seeking_partners", user.pk),
    ]
    assert ProjectIdea.objects.get(pk=idea.pk).stage == "seeking_partners"


def test_update_without_a_new_stage_adds_none(author):
    idea = create(author)
    services.idea_update(
        idea=idea,
        actor=author,
        fields={"title": "Endra tittel", "local_need": NEED, "stage": "idea"},
    )
    assert idea.stage_changes.count() == 1
    assert ProjectIdea.objects.get(pk=idea.pk).title == "Endra tittel"


def test_update_compares_with_the_stored_stage_not_the_callers_copy(author):
    idea = create(author)
    # A form has already put the new stage on the instance the view passes on.
    idea.stage = "learning"
    services.idea_update(
        idea=idea, actor=author, fields={"title": "Ny idé", "local_need": NEED, "stage": "learning"}
    )
    assert list(idea.stage_changes.order_by("pk").values_list("stage", flat=True)) == [
        "idea",
        "learning",
    ]


def test_update_replaces_sectors_programmes_and_partners(author, programme):
    idea = services.idea_create(
        author=author,
        fields={"title": "Ny idé", "local_need": NEED},
        sectors=["culture", "education"],
        programmes=[programme("Erasmus+"), programme("CERV")],
        european_partners=[("Gamal partnar", "Danmark")],
    )
    services.idea_update(
        idea=idea,
        actor=author,
        fields={"title": "Ny idé", "local_need": NEED},
        sectors=["education", "voluntary"],
        programmes=[programme("Creative Europe")],
        european_partners=[("Ny partnar", "Island")],
    )
    assert sorted(IdeaSector.objects.filter(idea=idea).values_list("sector", flat=True)) == [
        "education",
        "voluntary",
    ]
    assert [p.name for p in idea.programmes.all()] == ["Creative Europe"]
    assert list(EuropeanPartner.objects.values_list("organisation", flat=True)) == ["Ny partnar"]


def test_update_by_someone_who_may_not_edit_changes_nothing(idea, colleague, outsider_coordinator):
    for actor in (colleague, outsider_coordinator):
        with pytest.raises(PermissionDenied):
            services.idea_update(
                idea=idea,
                actor=actor,
                fields={"title": "Kapra", "local_need": NEED, "stage": "completed"},
            )
    idea.refresh_from_db()
    assert (idea.title, idea.stage) == ("Ungdomsbustader", "idea")
    assert not idea.stage_changes.exists()


def test_a_coordinator_updates_a_colleagues_idea(idea, coordinator):
    services.idea_update(
        idea=idea, actor=coordinator, fields={"title": "Betre tittel", "local_need": NEED}
    )
    idea.refresh_from_db()
    assert idea.title == "Betre tittel"
    assert idea.contact_person.name == "Kari Forfattar"


# --- idea_delete ------------------------------------------------------------------------------


def test_delete_by_the_author(idea, author):
    services.idea_delete(idea=idea, actor=author)
    assert not ProjectIdea.objects.exists()


def test_delete_by_someone_else_is_refused(idea, colleague, outsider_coordinator):
    for actor in (colleague, outsider_coordinator):
        with pytest.raises(PermissionDenied):
            services.idea_delete(idea=idea, actor=actor)
    assert ProjectIdea.objects.filter(pk=idea.pk).exists()


# --- idea_staff_save --------------------------------------------------------------------------


def test_staff_save_keeps_the_history(author, staff_user):
    idea = ProjectIdea(
        title="Frå fylket",
        local_need=NEED,
        lead_municipality=author.municipality,
        contact_person=author,
        stage="learning",
    )
    services.idea_staff_save(idea=idea, user=staff_user)
    assert list(idea.stage_changes.values_list("stage", "changed_by")) == [
        ("learning", staff_user.pk)
    ]

    idea.title = "Frå fylket, endra"
    services.idea_staff_save(idea=idea, user=staff_user)
    assert idea.stage_changes.count() == 1

    idea.stage = "application"
    services.idea_staff_save(idea=idea, user=staff_user)
    assert list(idea.stage_changes.order_by("pk").values_list("stage", flat=True)) == [
        "learning",
        "application",
    ]


# --- interest -------------------------------------------------------------------------------


def test_interest_is_marked_and_mailed_after_commit(
    idea, outsider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        interest = services.interest_mark(
            idea=idea, person=outsider, message="Vi har same utfordring."
        )
        assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert interest.municipality == outsider.municipality
    assert interest.withdrawn_at is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [idea.contact_person.email]


def test_own_municipality_cannot_mark_interest(idea, colleague, author):
    for person in (colleague, author):
        with pytest.raises(services.InterestError) as excinfo:
            services.interest_mark(idea=idea, person=person)
        with translation.override("en"):
            assert str(excinfo.value.message) == "This idea is your own municipality's."
    assert not Interest.objects.exists()


def test_a_person_without_municipality_cannot_mark_interest(idea, contact_person_factory):
    with pytest.raises(services.InterestError):
        services.interest_mark(idea=idea, person=contact_person_factory(municipality=None))
    assert not Interest.objects.exists()


def test_marking_twice_gives_a_friendly_error_and_one_mail(
    idea, outsider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.interest_mark(idea=idea, person=outsider)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(services.InterestError) as excinfo,
    ):
        services.interest_mark(idea=idea, person=outsider)
    with translation.override("en"):
        assert str(excinfo.value.message) == "You have already marked your interest."
    assert Interest.objects.count() == 1
    assert len(mail.outbox) == 1


def test_withdraw_and_mark_again(idea, outsider, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        interest = services.interest_mark(idea=idea, person=outsider)
    services.interest_withdraw(interest=interest, person=outsider)
    withdrawn_at = interest.withdrawn_at
    assert withdrawn_at is not None
    # Withdrawing again keeps the first moment.
    services.interest_withdraw(interest=interest, person=outsider)
    assert interest.withdrawn_at == withdrawn_at

    with django_capture_on_commit_callbacks(execute=True):
        services.interest_mark(idea=idea, person=outsider)
    assert Interest.objects.filter(withdrawn_at__isnull=True).count() == 1
    assert len(mail.outbox) == 2


def test_only_the_person_who_marked_withdraws(interest_factory, contact_person_factory):
    interest = interest_factory()
    colleague = contact_person_factory(municipality=interest.municipality)
    with pytest.raises(PermissionDenied):
        services.interest_withdraw(interest=interest, person=colleague)
    interest.refresh_from_db()
    assert interest.withdrawn_at is None


# --- the interest e-mail --------------------------------------------------------------------


def send(idea, person, message="Vi har same utfordring.", *, capture):
    with capture(execute=True):
        services.interest_mark(idea=idea, person=person, message=message)
    assert len(mail.outbox) == 1
    return mail.outbox[0]


def test_interest_mail_goes_to_the_contact_person_with_a_reply_to_the_interested(
    idea, outsider, django_capture_on_commit_callbacks
):
    idea.contact_person.preferred_language = "en"
    idea.contact_person.save()
    message = send(idea, outsider, capture=django_capture_on_commit_callbacks)
    assert message.to == [idea.contact_person.email]
    assert message.reply_to == [outsider.email]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.subject == "Kvam wants to cooperate on Ungdomsbustader"
    assert "Hello Kari Forfattar," in message.body
    assert (
        "Siri Samarbeid from Kvam is interested in cooperating on your project idea "
        "Ungdomsbustader." in message.body
    )
    assert "Vi har same utfordring." in message.body
    assert f"{settings.SITE_URL}/projects/{idea.pk}/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{settings.SITE_URL}/projects/{idea.pk}/"' in html
    assert '<html lang="en">' in html


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_interest_mail_is_in_the_recipients_language(
    idea, outsider, django_capture_on_commit_callbacks, language
):
    """The idea's contact person reads the e-mail in their own language, whatever language
    the interested person uses."""
    idea.contact_person.preferred_language = language
    idea.contact_person.save()
    with translation.override("en"):
        message = send(idea, outsider, capture=django_capture_on_commit_callbacks)
    with translation.override(language):
        subject = translation.gettext("%(municipality)s wants to cooperate on %(title)s") % {
            "municipality": "Kvam",
            "title": "Ungdomsbustader",
        }
        greeting = translation.gettext("Hello %(name)s,") % {"name": "Kari Forfattar"}
    assert message.subject == subject
    assert greeting in message.body
    assert f'<html lang="{language}">' in message.alternatives[0][0]
    # The catalogue has the e-mail in the recipient's language, not in English.
    assert message.subject != "Kvam wants to cooperate on Ungdomsbustader"


def test_interest_mail_shows_markup_in_the_message_as_text(
    idea, outsider, django_capture_on_commit_callbacks
):
    message = send(
        idea,
        outsider,
        message='<script>alert("x")</script> & <b>meir</b>',
        capture=django_capture_on_commit_callbacks,
    )
    html = message.alternatives[0][0]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;meir&lt;/b&gt;" in html
    assert "<script>" not in html
    # The plain-text part is not HTML: it shows what was written.
    assert '<script>alert("x")</script> & <b>meir</b>' in message.body


def test_interest_mail_subject_is_plain_text(
    project_idea_factory, author, outsider, django_capture_on_commit_callbacks
):
    """A subject line is not HTML: "&" and quotes in a title stay as typed."""
    idea = project_idea_factory(contact_person=author, title='Kultur & helse – "Saman"')
    author.preferred_language = "en"
    author.save()
    message = send(idea, outsider, capture=django_capture_on_commit_callbacks)
    assert message.subject == 'Kvam wants to cooperate on Kultur & helse – "Saman"'


def test_interest_mail_that_cannot_be_sent_keeps_the_interest(
    idea, outsider, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "tests.projects.test_services.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        interest = services.interest_mark(idea=idea, person=outsider)
    assert Interest.objects.filter(pk=interest.pk).exists()
    [email] = OutboxEmail.objects.filter(kind="project.interest")
    assert email.to == idea.contact_person.email
    # The server was away: the e-mail waits for the next attempt.
    assert (email.status, email.attempts) == (OutboxEmail.Status.QUEUED, 1)
    assert "SMTP server away" in email.last_error


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        raise OSError("SMTP server away")

    def close(self):
        pass

    def send_messages(self, messages):
        raise OSError("SMTP server away")


# --- presentations_set ----------------------------------------------------------------------


def test_presentations_follow_the_ticked_ideas(project_idea_factory, registration_factory, author):
    first = project_idea_factory(contact_person=author)
    second = project_idea_factory(contact_person=author)
    registration = registration_factory(contact_person=author)

    services.presentations_set(registration=registration, ideas=[first, second])
    services.presentations_set(registration=registration, ideas=[first, second])
    assert set(Presentation.objects.values_list("idea", "meeting", "registration")) == {
        (first.pk, registration.meeting_id, registration.pk),
        (second.pk, registration.meeting_id, registration.pk),
    }

    services.presentations_set(registration=registration, ideas=[second])
    assert list(Presentation.objects.values_list("idea", flat=True)) == [second.pk]

    services.presentations_set(registration=registration, ideas=[])
    assert not Presentation.objects.exists()


def test_presenting_another_municipalitys_idea_is_refused(
    project_idea_factory, registration_factory, author, outsider
):
    own = project_idea_factory(contact_person=author)
    foreign = project_idea_factory(contact_person=outsider)
    registration = registration_factory(contact_person=author)
    services.presentations_set(registration=registration, ideas=[own])
    with pytest.raises(PermissionDenied):
        services.presentations_set(registration=registration, ideas=[own, foreign])
    assert list(Presentation.objects.values_list("idea", flat=True)) == [own.pk]
