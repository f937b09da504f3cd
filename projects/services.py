"""Writes to project ideas. Views call these; they check who may do what and own the
transactions."""

import datetime as dt
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.models import Registration
from members.models import ContactPerson, Municipality, User
from members.permissions import is_linked_member

from . import emails
from .models import (
    Call,
    CallReminder,
    EUProgramme,
    EuropeanPartner,
    IdeaSector,
    Interest,
    Presentation,
    ProgrammeFollow,
    ProjectIdea,
    StageChange,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)


class InterestError(Exception):
    def __init__(self, message: "StrOrPromise") -> None:
        super().__init__(message)
        self.message = message


def can_edit(person: ContactPerson | None, idea: ProjectIdea) -> bool:
    """The author and their municipality's coordinators edit an idea, while they are linked
    members (members.permissions)."""
    if person is None or not is_linked_member(person):
        return False
    if idea.contact_person_id == person.pk:
        return True
    return (
        person.is_coordinator
        and person.municipality_id is not None
        and person.municipality_id == idea.lead_municipality_id
    )


def idea_create(
    *,
    author: ContactPerson,
    fields: dict[str, Any],
    sectors: Iterable[str] = (),
    programmes: Iterable[EUProgramme] = (),
    partner_municipalities: Iterable[Municipality] = (),
    european_partners: Iterable[tuple[str, str]] = (),
    calls: Iterable[Call] = (),
    user: User | None = None,
) -> ProjectIdea:
    """A new idea of the author's municipality, with the author as contact person."""
    if author.municipality_id is None:
        raise PermissionDenied("Only people linked to a municipality present ideas.")
    with transaction.atomic():
        idea = ProjectIdea(lead_municipality_id=author.municipality_id, contact_person=author)
        for name, value in fields.items():
            setattr(idea, name, value)
        idea.full_clean()
        idea.save()
        _set_relations(idea, sectors, programmes, partner_municipalities, european_partners)
        idea.calls.set(calls)
        StageChange.objects.create(idea=idea, stage=idea.stage, changed_by=user)
    return idea


def idea_update(
    *,
    idea: ProjectIdea,
    actor: ContactPerson,
    fields: dict[str, Any],
    sectors: Iterable[str] = (),
    programmes: Iterable[EUProgramme] = (),
    partner_municipalities: Iterable[Municipality] = (),
    european_partners: Iterable[tuple[str, str]] = (),
    calls: Iterable[Call] | None = None,
    user: User | None = None,
) -> ProjectIdea:
    """Change an idea; a new stage is kept in its history."""
    if not can_edit(actor, idea):
        raise PermissionDenied("Not allowed to edit this idea.")
    with transaction.atomic():
        idea = ProjectIdea.objects.select_for_update().get(pk=idea.pk)
        old_stage = idea.stage
        for name, value in fields.items():
            setattr(idea, name, value)
        idea.full_clean()
        idea.save()
        _set_relations(idea, sectors, programmes, partner_municipalities, european_partners)
        if calls is not None:
            idea.calls.set(calls)
        if idea.stage != old_stage:
            StageChange.objects.create(idea=idea, stage=idea.stage, changed_by=user)
    return idea


def idea_delete(*, idea: ProjectIdea, actor: ContactPerson) -> None:
    if not can_edit(actor, idea):
        raise PermissionDenied("Not allowed to delete this idea.")
    idea.delete()


def _set_relations(
    idea: ProjectIdea,
    sectors: Iterable[str],
    programmes: Iterable[EUProgramme],
    partner_municipalities: Iterable[Municipality],
    european_partners: Iterable[tuple[str, str]],
) -> None:
    IdeaSector.objects.filter(idea=idea).exclude(sector__in=list(sectors)).delete()
    existing = set(IdeaSector.objects.filter(idea=idea).values_list("sector", flat=True))
    IdeaSector.objects.bulk_create(
        [IdeaSector(idea=idea, sector=s) for s in dict.fromkeys(sectors) if s not in existing]
    )
    idea.programmes.set(programmes)
    # The lead municipality is not its own partner.
    idea.partner_municipalities.set(
        [m for m in partner_municipalities if m.pk != idea.lead_municipality_id]
    )
    EuropeanPartner.objects.filter(idea=idea).delete()
    EuropeanPartner.objects.bulk_create(
        [
            EuropeanPartner(idea=idea, organisation=organisation, country=country)
            for organisation, country in european_partners
        ]
    )


def interest_mark(*, idea: ProjectIdea, person: ContactPerson, message: str = "") -> Interest:
    """Another municipality wants to cooperate; the idea's contact person is told by e-mail."""
    if person.municipality_id is None:
        raise InterestError(_("Your account is not linked to a municipality yet."))
    if person.municipality_id == idea.lead_municipality_id:
        raise InterestError(_("This idea is your own municipality's."))
    try:
        with transaction.atomic():
            interest = Interest.objects.create(
                idea=idea,
                contact_person=person,
                municipality_id=person.municipality_id,
                message=message,
            )
            emails.queue_interest_email(interest)
    except IntegrityError as error:
        raise InterestError(_("You have already marked your interest.")) from error
    return interest


def interest_withdraw(*, interest: Interest, person: ContactPerson) -> Interest:
    if interest.contact_person_id != person.pk:
        raise PermissionDenied("Only the person who marked the interest withdraws it.")
    Interest.objects.filter(pk=interest.pk, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )
    interest.refresh_from_db(fields=["withdrawn_at"])
    return interest


def presentations_set(*, registration: Registration, ideas: Iterable[ProjectIdea]) -> None:
    """The ideas a registrant will present at the meeting (their municipality's only)."""
    ideas = list(ideas)
    municipality_id = registration.contact_person.municipality_id
    if any(idea.lead_municipality_id != municipality_id for idea in ideas):
        raise PermissionDenied("Only your own municipality's ideas can be presented.")
    with transaction.atomic():
        Presentation.objects.filter(registration=registration).exclude(idea__in=ideas).delete()
        for idea in ideas:
            presentation, created = Presentation.objects.select_related(
                "registration"
            ).get_or_create(
                idea=idea,
                meeting_id=registration.meeting_id,
                defaults={"registration": registration},
            )
            # A colleague takes over the presentation of someone who cancelled.
            if (
                not created
                and presentation.registration is not None
                and not presentation.registration.is_active
            ):
                presentation.registration = registration
                presentation.save(update_fields=["registration"])


def idea_staff_save(*, idea: ProjectIdea, user: User | None) -> ProjectIdea:
    """Save an idea edited by county staff in the admin, keeping the stage history."""
    with transaction.atomic():
        old_stage = (
            ProjectIdea.objects.filter(pk=idea.pk).values_list("stage", flat=True).first()
            if idea.pk
            else None
        )
        idea.save()
        if idea.stage != old_stage:
            StageChange.objects.create(idea=idea, stage=idea.stage, changed_by=user)
    return idea


# --- Calls for proposals -----------------------------------------------------------------------


def call_save(*, call: Call) -> Call:
    """Validate and save a call. A change that calendars show (title, programme, deadline,
    link, description) raises its SEQUENCE in the same transaction, so calendar programs
    replace the deadline entry they hold; `updated_at` changes the followers' feeds."""
    call.full_clean()
    with transaction.atomic():
        if call.pk is not None:
            stored = (
                Call.objects.select_for_update()
                .filter(pk=call.pk)
                .values("sequence", *Call.CALENDAR_FIELDS)
                .first()
            )
            if stored is not None:
                call.sequence = stored["sequence"]
                if any(stored[name] != getattr(call, name) for name in Call.CALENDAR_FIELDS):
                    call.sequence += 1
        call.save()
    return call


def call_delete(*, call: Call) -> None:
    """Delete a call; ideas that aimed at it no longer do, and it leaves every feed (the
    followers' feeds see one call fewer)."""
    call.delete()


def follows_set(*, person: ContactPerson, programmes: Iterable[EUProgramme]) -> None:
    """The programmes the person follows, from now on exactly these."""
    wanted = {programme.pk for programme in programmes}
    with transaction.atomic():
        ProgrammeFollow.objects.filter(contact_person=person).exclude(
            programme_id__in=wanted
        ).delete()
        existing = set(
            ProgrammeFollow.objects.filter(contact_person=person).values_list(
                "programme_id", flat=True
            )
        )
        # ignore_conflicts: the same form sent twice at once follows once.
        ProgrammeFollow.objects.bulk_create(
            [
                ProgrammeFollow(contact_person=person, programme_id=pk)
                for pk in sorted(wanted - existing)
            ],
            ignore_conflicts=True,
        )


def programme_follow(*, person: ContactPerson, programme: EUProgramme) -> ProgrammeFollow:
    follow, _created = ProgrammeFollow.objects.get_or_create(
        contact_person=person, programme=programme
    )
    return follow


def programme_unfollow(*, person: ContactPerson, programme: EUProgramme) -> None:
    ProgrammeFollow.objects.filter(contact_person=person, programme=programme).delete()


# Stages at which an idea still works towards an application: later ones need no reminder.
REMINDED_STAGES = [
    ProjectIdea.Stage.NEED_IDENTIFIED,
    ProjectIdea.Stage.IDEA,
    ProjectIdea.Stage.LEARNING,
    ProjectIdea.Stage.SEEKING_PARTNERS,
    ProjectIdea.Stage.APPLICATION,
]


def due_call_reminder_days(deadline: dt.datetime, now: dt.datetime) -> int | None:
    """The reminder to send now for a deadline (28 or 7 days before), or None: only the
    latest one due, so a job that was down, or an idea that took aim late, gets one
    reminder, not two in a row."""
    due = [days for days in CallReminder.DAYS_BEFORE if now >= deadline - dt.timedelta(days=days)]
    return min(due, default=None) if now < deadline else None


def call_reminders_send(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Remind the contact persons of ideas aiming at a call, four weeks and one week before
    its deadline, in their language, through the outbox. Safe to run every hour and in
    parallel: each reminder is recorded (a unique constraint) in the transaction that queues
    it, so it is sent once; one that fails is logged and counted, the others still go."""
    now = now or timezone.now()
    made = {"call_reminder": 0, "failed": 0}
    horizon = now + dt.timedelta(days=max(CallReminder.DAYS_BEFORE))
    calls = Call.objects.filter(deadline__gt=now, deadline__lte=horizon).select_related("programme")
    for call in calls.order_by("deadline", "pk"):
        days = due_call_reminder_days(call.deadline, now)
        if days is None:
            continue
        people = (
            ContactPerson.objects.filter(
                is_active=True,
                anonymised_at__isnull=True,
                project_ideas__calls=call,
                project_ideas__stage__in=REMINDED_STAGES,
            )
            # A later reminder already sent makes an earlier one pointless.
            .exclude(
                pk__in=CallReminder.objects.filter(call=call, days_before__lte=days).values(
                    "contact_person_id"
                )
            )
            .distinct()
            .order_by("pk")
        )
        for person in people:
            try:
                with transaction.atomic():
                    CallReminder.objects.create(
                        call=call, contact_person=person, days_before=days, sent_at=now
                    )
                    emails.queue_call_reminder_email(call=call, person=person, now=now)
            except IntegrityError:
                # Another run sent it at the same moment.
                continue
            except Exception:  # one person's failure must not stop the others' reminders
                logger.exception("Call reminder for call %s, person %s failed", call.pk, person.pk)
                made["failed"] += 1
                continue
            made["call_reminder"] += 1
    return made
